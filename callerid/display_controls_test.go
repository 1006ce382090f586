package callerid

import (
	"errors"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
)

// TestNormalizeRefusesDisplayControls: a ledger entry whose tenant, holder,
// access or qualification holds a C1 control, a bidirectional override,
// isolate or mark, or a line or paragraph separator is refused on write
// (Normalize, which every writer calls) naming the field: the ledger
// listing and the audit evidence would show another holder than the entry
// holds. An entry an earlier build stored with one still loads
// (ValidateStored, Validate: the check's load).
func TestNormalizeRefusesDisplayControls(t *testing.T) {
	edits := map[string]func(e *Entry, bad string){
		"tenant":        func(e *Entry, bad string) { e.Tenant = "ac" + bad + "me" },
		"holder":        func(e *Entry, bad string) { e.Holder = "Acme" + bad + "Ltd" },
		"access":        func(e *Entry, bad string) { e.Access = "sip" + bad },
		"qualification": func(e *Entry, bad string) { e.Qualification = "lic" + bad + "-1" },
	}
	for field, edit := range edits {
		for _, bad := range []string{"\u0085", "\u009b", "\u202e", "\u2066", "\u200f", "\u2028", "\u2029"} {
			e := Entry{Number: dialgate.MustParseNumber("+861058001234"), Holder: "Acme Ltd", Purposes: []dialgate.Purpose{dialgate.PurposeService}}
			edit(&e, bad)
			_, err := e.Normalize()
			if !errors.Is(err, ErrInvalidEntry) || !strings.HasPrefix(err.Error(), field+": ") {
				t.Errorf("%s with %+q: Normalize() = %v, want an error naming %s", field, bad, err, field)
			}
			e.Type = TypeFixed
			if err := e.ValidateStored(e.Tenant, e.Number); err != nil {
				t.Errorf("%s with %+q, as stored by an earlier build: ValidateStored = %v, want nil", field, bad, err)
			}
		}
	}
	e := Entry{Number: dialgate.MustParseNumber("+861058001234"), Holder: "北京某某科技有限公司", Purposes: []dialgate.Purpose{dialgate.PurposeService}}
	if _, err := e.Normalize(); err != nil {
		t.Errorf("holder in Chinese: %v", err)
	}
}
