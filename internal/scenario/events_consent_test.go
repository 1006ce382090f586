package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConsentParseErrors(t *testing.T) {
	const h = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	steps := "steps:\n  - at: 2026-12-04T10:00:00+08:00\n    dial: {to: \"+8613800138000\", purpose: service}\n    want: {allowed: true}\n"
	rec := func(extra string) string {
		return head + "consents:\n  - {id: c-1, number: \"+8613900139000\", scope: \"industry:finance\", " + extra + "}\n" + steps
	}
	for _, tc := range []struct{ name, src, want string }{
		{"expires before granted", rec(`method: web_form, disclosure_sha256: "` + h + `", granted_at: 2026-11-01T10:00:00+08:00, expires_at: 2026-10-01T10:00:00+08:00`), "consents: [0].expires_at:"},
		{"unknown method", rec(`method: fax, disclosure_sha256: "` + h + `", granted_at: 2026-11-01T10:00:00+08:00`), `[0].method: unknown method "fax"`},
		{"missing hash", rec(`method: web_form, granted_at: 2026-11-01T10:00:00+08:00`), "[0].disclosure_sha256: missing"},
		{"missing granted_at", rec(`method: web_form, disclosure_sha256: "` + h + `"`), "[0].granted_at: missing"},
		{"unknown key", rec(`method: web_form, colour: red`), `unknown key "colour"`},
		{"bad tenant", rec(`tenant: " acme", method: web_form, disclosure_sha256: "` + h + `", granted_at: 2026-11-01T10:00:00+08:00`), "[0].tenant: has leading or trailing space"},
		{"tenant other than the tenant scope's", head + "consents:\n  - {id: c-1, number: \"+8613900139000\", scope: \"tenant:a\", tenant: b, method: written, evidence_uri: \"s3://b/k\", granted_at: 2026-11-01T10:00:00+08:00}\n" + steps, "[0].tenant:"},
		{"seller is not a key", rec(`seller: acme, method: web_form, disclosure_sha256: "` + h + `", granted_at: 2026-11-01T10:00:00+08:00`), `unknown key "seller"`},
		{"bad number", head + "consents:\n  - {id: c-1, number: \"12\", scope: \"industry:x\", method: written, evidence_uri: \"s3://b/k\", granted_at: 2026-11-01T10:00:00+08:00}\n" + steps, "[0].number:"},
		{"duplicate id", head + "consents:\n" +
			"  - {id: c-1, number: \"+8613900139000\", scope: \"tenant:a\", method: written, evidence_uri: \"s3://b/k\", granted_at: 2026-11-01T10:00:00+08:00}\n" +
			"  - {id: c-1, number: \"+8613900139001\", scope: \"tenant:a\", method: written, evidence_uri: \"s3://b/k\", granted_at: 2026-11-01T10:00:00+08:00}\n" + steps,
			"[1].id: c-1 already listed at [0]"},
		{"revoke without id", head + "steps:\n  - at: 2026-12-04T10:00:00+08:00\n    event: {type: revoke_consent}\n", "consent_id: missing"},
		{"grant bad time", head + "steps:\n  - at: 2026-12-04T10:00:00+08:00\n    event: {type: grant_consent, id: c-1, number: \"+8613900139000\", scope: \"tenant:a\", method: written, granted_at: yesterday}\n", "granted_at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("s.yaml", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// FuzzParseConsents fuzzes the parser from the consent scenario files: the
// consents: key and the grant_consent/revoke_consent events.
func FuzzParseConsents(f *testing.F) {
	files, _ := filepath.Glob("../../examples/scenarios/consent-*.yaml")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("c.yaml", data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if len(file.Steps) == 0 {
			t.Fatal("a valid file has no steps")
		}
	})
}
