package dnc

import (
	"errors"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
)

// FuzzParseListRequirePlus fuzzes ParseList as `dialgate dnc import` and
// `dnc build` call it without --country-code (RequirePlus, which
// FuzzParseList never sets): it never panics, its counts add up, every
// number it yields can be dialled and was written with "+" on its line
// (ErrNoPlus refuses the others), and it yields no number that ParseList
// without RequirePlus does not (it only refuses more).
func FuzzParseListRequirePlus(f *testing.F) {
	f.Add("+8613800138000\n8613800138001\r\n# c\n", 0)
	f.Add("number,name\n\"+12125550100\",a\n", 0)
	f.Add("phone\n2125550100\n", 0)
	f.Add("a,b,+12125550100\n", 2)
	f.Add("#1001,13900139000\n#1002,+86 139 0013 9000\n", 1)
	f.Add("\uFEFFtel\r+447911123456\r4930123456\r", 0)
	f.Fuzz(func(t *testing.T, in string, col int) {
		if col < 0 || col > 1000 {
			return
		}
		opts := ParseOptions{Column: col, RequirePlus: true}
		var got []dialgate.Number
		var noPlus int64
		st, err := ParseList(strings.NewReader(in), opts, func(n dialgate.Number) error {
			if err := (dialgate.Dial{To: n, Purpose: dialgate.PurposeService}).Validate(); err != nil {
				t.Fatalf("add got %v, which no dial can be made to: %v", n, err)
			}
			got = append(got, n)
			return nil
		}, func(e *LineError) error {
			if e.Line < 1 || e.Line > int64(strings.Count(in, "\n")+strings.Count(in, "\r")+1) {
				t.Fatalf("bad line number %d", e.Line)
			}
			if errors.Is(e.Err, ErrNoPlus) {
				noPlus++
			}
			return nil
		})
		if err != nil {
			if strings.HasPrefix(in, "\xFF\xFE") || strings.HasPrefix(in, "\xFE\xFF") {
				return
			}
			t.Fatalf("error with valid options: %v", err)
		}
		if st.Numbers != int64(len(got)) || st.Numbers+st.Bad+st.Skipped != st.Lines || noPlus > st.Bad {
			t.Fatalf("stats %+v inconsistent (numbers seen %d, no-plus %d)", st, len(got), noPlus)
		}
		var loose []dialgate.Number
		if _, err := ParseList(strings.NewReader(in), ParseOptions{Column: col}, func(n dialgate.Number) error {
			loose = append(loose, n)
			return nil
		}, func(*LineError) error { return nil }); err != nil {
			t.Fatal(err)
		}
		i := 0
		for _, n := range got {
			for i < len(loose) && loose[i] != n {
				i++
			}
			if i == len(loose) {
				t.Fatalf("RequirePlus read %v, which the parse without it did not (%v)", n, loose)
			}
			i++
		}
	})
}
