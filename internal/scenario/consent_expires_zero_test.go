package scenario

import (
	"strings"
	"testing"
)

// A scenario's consent with expires_at of the zero instant
// ("0001-01-01T00:00:00Z", what a template prints for an unset time) was
// stored as one that never lapses: the scenario then showed dials allowed
// past any expiry, where `dialgate consent add` (flags or --from-json)
// refuses the record. It is refused naming expires_at, in the consents
// seed and in a grant_consent event.
func TestConsentExpiresAtZeroInstantRefused(t *testing.T) {
	const h = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	steps := "steps:\n  - at: 2026-12-04T10:00:00+08:00\n    dial: {to: \"+8613800138000\", purpose: service}\n    want: {allowed: true}\n"
	for _, tc := range []struct{ name, src, want string }{
		{"seed", head + "consents:\n  - {id: c-1, number: \"+8613900139000\", scope: \"industry:finance\", method: web_form, disclosure_sha256: \"" + h +
			"\", granted_at: 2026-11-01T10:00:00+08:00, expires_at: \"0001-01-01T00:00:00Z\"}\n" + steps, "[0].expires_at:"},
		{"event", head + "steps:\n  - at: 2026-12-04T10:00:00+08:00\n    event: {type: grant_consent, id: c-1, number: \"+8613900139000\", scope: \"tenant:a\", method: written, evidence_uri: \"s3://b/k\", expires_at: \"0001-01-01T00:00:00Z\"}\n", "expires_at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("s.yaml", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
