package consent

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestValidateNewRefusesDisplayControls: a new consent whose scope, tenant,
// evidence URI or channel holds a C1 control, a bidirectional override,
// isolate or mark, or a line or paragraph separator is refused naming the
// field (an evidence URI "…/3\u202efdp.exe" reads "…/3exe.pdf" in the audit
// trail); so is such a revocation channel. A record an earlier build stored
// with one still loads (ValidateStored) and can still be revoked.
func TestValidateNewRefusesDisplayControls(t *testing.T) {
	edits := map[string]func(r *Record, bad string){
		"scope":        func(r *Record, bad string) { r.Scope = Scope("industry:fin" + bad + "ance") },
		"tenant":       func(r *Record, bad string) { r.Tenant = "ac" + bad + "me" },
		"evidence_uri": func(r *Record, bad string) { r.EvidenceURI = "https://evidence.example/3" + bad + "fdp.exe" },
		"channel":      func(r *Record, bad string) { r.Channel = "web" + bad + "site" },
	}
	for field, edit := range edits {
		for _, bad := range []string{"\u0085", "\u009b", "\u202e", "\u2066", "\u200f", "\u2028", "\u2029"} {
			r := goodRecord()
			edit(&r, bad)
			err := r.ValidateNew()
			if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(strings.TrimPrefix(err.Error(), "consent: "), field+": ") {
				t.Errorf("%s with %+q: ValidateNew() = %v, want an error naming %s", field, bad, err, field)
			}
			if err := r.ValidateStored(r.ID, r.Number); err != nil {
				t.Errorf("%s with %+q, as stored by an earlier build: ValidateStored = %v, want nil", field, bad, err)
			}
			if _, _, err := RevokedRecord(r, t0.Add(time.Hour), "call"); err != nil {
				t.Errorf("%s with %+q, as stored by an earlier build: RevokedRecord = %v, want nil", field, bad, err)
			}
		}
	}
	r := goodRecord()
	if _, _, err := RevokedRecord(r, t0.Add(time.Hour), "call\u202e"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "revocation_channel") {
		t.Errorf("RevokedRecord with channel \"call\\u202e\" = %v, want an error naming revocation_channel", err)
	}
	r.Tenant, r.Channel = "عميل", "موقع"
	if err := r.ValidateNew(); err != nil {
		t.Errorf("right-to-left letters: %v", err)
	}
}
