package dialgate_test

import (
	"errors"
	"testing"

	"github.com/dialgate/dialgate"
)

// FuzzParsePurpose checks that ParsePurpose accepts exactly the known
// purposes, spelled exactly, and refuses everything else with ErrInvalidDial.
func FuzzParsePurpose(f *testing.F) {
	for _, s := range []string{"marketing", "Marketing", "service ", "callback", "", "spam"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := dialgate.ParsePurpose(s)
		if err != nil {
			if !errors.Is(err, dialgate.ErrInvalidDial) || p != "" || dialgate.Purpose(s).IsValid() {
				t.Fatalf("ParsePurpose(%q) = %q, %v", s, p, err)
			}
			return
		}
		if string(p) != s || !p.IsValid() {
			t.Fatalf("ParsePurpose(%q) = %q", s, p)
		}
		d := dialgate.Dial{To: dialgate.MustParseNumber("+8613800138000"), Purpose: p}
		if p == dialgate.PurposeCallback {
			return // needs TriggerAt
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("Validate with purpose %q: %v", p, err)
		}
	})
}
