package numbering

import (
	"fmt"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"github.com/dialgate/dialgate"
)

// TestSevenDigitAreas checks the root package's table of Chinese areas
// whose lines have 7 local digits against libphonenumber's metadata (the
// number types typeOf gives, which the zones oracle tests compare with the
// library's GetNumberType): Dial.Validate refuses a callee of 8 local digits
// after a 3-digit area code exactly when the metadata has valid numbers of
// 7 local digits and none of 8 in that area (the first three local digits
// tried exhaustively). A line of such an area written with one digit more is
// the line with a digit after it, and would dodge its do-not-call entries
// and caps as another Number.
func TestSevenDigitAreas(t *testing.T) {
	p := planFor(86)
	valid := func(nsn string) bool { return p.typeOf([]byte(nsn)) != phonenumbers.UNKNOWN }
	some := func(ac int, extra string) bool {
		for a := 2; a <= 8; a++ {
			for b := 0; b <= 99; b++ {
				for _, tail := range []string{"0000", "4567", "9999"} {
					if valid(fmt.Sprintf("%d%d%02d%s%s", ac, a, b, tail, extra)) {
						return true
					}
				}
			}
		}
		return false
	}
	refused := 0
	for ac := 300; ac <= 999; ac++ {
		if ac == 400 || ac == 800 {
			continue
		}
		only7 := some(ac, "") && !some(ac, "9")
		n := dialgate.MustParseNumber(fmt.Sprintf("+86%d23456789", ac))
		err := dialgate.Dial{To: n, Purpose: dialgate.PurposeService}.Validate()
		if only7 != (err != nil) {
			t.Errorf("area code 0%d: 7 local digits only in libphonenumber: %v; Validate of an 8-digit line: %v", ac, only7, err)
		}
		if err != nil {
			refused++
		}
		// The 7-digit line itself is a callee.
		if err := (dialgate.Dial{To: dialgate.MustParseNumber(fmt.Sprintf("+86%d2345678", ac)), Purpose: dialgate.PurposeService}).Validate(); err != nil {
			t.Errorf("area code 0%d: a 7-digit line refused: %v", ac, err)
		}
	}
	if refused < 200 {
		t.Errorf("only %d areas of 7-digit lines: the table or the metadata changed shape", refused)
	}
}
