package policy

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/storage/memstore"
)

const testHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// consentOnly returns the built-in profile with only its consent section.
func consentOnly(t *testing.T, name string) *Profile {
	t.Helper()
	p, err := Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	if p.Consent == nil {
		t.Fatalf("%s has no consent section", name)
	}
	q := &Profile{Schema: p.Schema, Name: p.Name, Consent: p.Consent}
	return q
}

func TestConsentProfiles(t *testing.T) {
	ctx := context.Background()
	callee := dialgate.MustParseNumber("+8613900139000")
	cst := time.FixedZone("CST", 8*3600)
	for _, tc := range []struct {
		profile string
		at      time.Time
		rec     *consent.Record
		want    dialgate.Code // "" allowed
	}{
		{"cn", time.Date(2026, 12, 5, 10, 0, 0, 0, cst), nil, dialgate.CodeConsentMissing},
		{"cn", time.Date(2026, 12, 5, 10, 0, 0, 0, cst), &consent.Record{Method: consent.MethodIVRKeypress, DisclosureSHA256: testHash}, ""},
		{"fr", time.Date(2026, 8, 10, 12, 0, 0, 0, time.UTC), nil, ""},
		{"fr", time.Date(2026, 8, 11, 12, 0, 0, 0, time.UTC), nil, dialgate.CodeConsentMissing},
		{"us", time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC), &consent.Record{Method: consent.MethodWebForm, DisclosureSHA256: testHash}, dialgate.CodeConsentMissing},
		{"us", time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC), &consent.Record{Method: consent.MethodWebForm, DisclosureSHA256: testHash, EvidenceURI: "https://e.example/1"}, ""},
	} {
		ms := memstore.New()
		if tc.rec != nil {
			r := *tc.rec
			r.ID, r.Number, r.Scope, r.GrantedAt = "c-1", callee, "industry:finance", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			if err := ms.AddConsent(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		g, err := Build(consentOnly(t, tc.profile), Deps{Consents: ms}, dialgate.WithoutAuditLog(), dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return tc.at })))
		if err != nil {
			t.Fatal(err)
		}
		dec, err := g.Check(ctx, dialgate.Dial{To: callee, Purpose: dialgate.PurposeMarketing, Industry: "finance", LeadID: "l"})
		if err != nil {
			t.Fatal(err)
		}
		if tc.want == "" && !dec.Allowed || tc.want != "" && !dec.Has(tc.want) {
			t.Errorf("%s at %s: %v allowed=%v, want %q", tc.profile, tc.at, dec.Codes(), dec.Allowed, tc.want)
		}
		// Service calls need no consent in any of them.
		dec, _ = g.Check(ctx, dialgate.Dial{To: callee, Purpose: dialgate.PurposeService, LeadID: "l"})
		if !dec.Allowed {
			t.Errorf("%s: service call denied: %v", tc.profile, dec.Codes())
		}
	}
	if _, err := Build(consentOnly(t, "cn"), Deps{}, dialgate.WithoutAuditLog()); err == nil || !strings.Contains(err.Error(), "deps.Consents: missing") {
		t.Errorf("build without a consent store: %v", err)
	}
	var paths []string
	for _, r := range Explain(consentOnly(t, "fr")) {
		paths = append(paths, r.Path+": "+r.Text)
	}
	if got := strings.Join(paths, "\n"); !strings.Contains(got, "consent.require[0]: marketing calls need") || !strings.Contains(got, "2026-08-11") {
		t.Errorf("explain fr:\n%s", got)
	}
}

func TestConsentSectionStrict(t *testing.T) {
	_, err := Parse("p.yaml", []byte("schema: dialgate.profile.v1\nname: x\nconsent:\n  require:\n    - purposes: [marketing]\n      methods: [fax]\n      cite: {source: U, ref: r}\n"))
	if err == nil || !strings.Contains(err.Error(), "consent.require[0].methods[0]") {
		t.Errorf("bad method: %v", err)
	}
	_, err = Parse("p.yaml", []byte("schema: dialgate.profile.v1\nname: x\nconsent:\n  require:\n    - purposes: [marketing]\n      colour: red\n      cite: {source: U, ref: r}\n"))
	if err == nil || !strings.Contains(err.Error(), "colour") {
		t.Errorf("unknown key: %v", err)
	}
}
