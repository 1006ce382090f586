package dialgate_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
)

// TestDialCNServiceNumberLength: a Chinese 400 or 800 number has exactly
// 10 digits after +86 (400 and 800 are number prefixes, never area codes).
// Written with a digit after it (an IVR extension, an overdialled digit)
// it made another Number, which the do-not-call lists and caps of the line
// the dialer reaches did not know: dial.invalid, as for a mobile or a
// fixed line with a digit after it. A 400 or 800 number cut short names no
// line either. The 10-digit numbers, and fixed lines of the areas 0400x
// and 0800x there are none of, are unchanged.
func TestDialCNServiceNumberLength(t *testing.T) {
	for _, s := range []string{"+86 400 123 4567 8", "+86 800 123 4567 8", "+86 400 123 456", "+86 800 810 888", "+86 400 123 4567 89"} {
		n, err := dialgate.ParseNumber(s)
		if err != nil {
			t.Fatalf("ParseNumber(%q): %v", s, err)
		}
		d := dialgate.Dial{To: n, Purpose: dialgate.PurposeService}
		err = d.Validate()
		var fe *dialgate.FieldError
		if !errors.As(err, &fe) || fe.Field != "to" || !strings.Contains(fe.Problem, "10 digits") {
			t.Errorf("callee %s: Validate = %v, want a to error saying a 400 or 800 number has 10 digits", s, err)
			continue
		}
		if strings.Contains(fe.Problem, n.National()) {
			t.Errorf("problem %q echoes the number", fe.Problem)
		}
		if err := dialgate.CheckCallee(n); err == nil {
			t.Errorf("CheckCallee(%s) = nil", s)
		}
	}
	for _, s := range []string{"+86 400 123 4567", "+86 800 810 8888", "+86 401 234 5678", "+86 801 234 5678", "+86 851 2345 6789"} {
		d := dialgate.Dial{To: dialgate.MustParseNumber(s), Purpose: dialgate.PurposeService}
		if err := d.Validate(); err != nil {
			t.Errorf("callee %s: %v", s, err)
		}
	}
}
