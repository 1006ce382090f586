package dialgate_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
)

// TestDialNumberLongerThanProfilePlans: the profiles uk, fr and au judge
// +44, +33 (with the French overseas codes +262, +590, +594, +596) and +61
// numbers. Digits written after such a number (an extension, an overdialled
// digit) made a second Number the do-not-call lists (TPS, Bloctel, DNCR)
// and caps of the line the dialer reaches did not know; a number shorter
// than its plan allows names no line. Either is dial.invalid, as for +1 and
// +86 (TestDialNumberOutsideItsPlan). So is a Chinese fixed line of an area
// whose local numbers have 7 digits (Xiamen 0592, Lanzhou 0931…) written
// with an eighth.
func TestDialNumberLongerThanProfilePlans(t *testing.T) {
	g := mustGate(t, []dialgate.Checker{pass("a")}, dialgate.WithClock(fixedClock(noon)), dialgate.WithoutAuditLog())
	for _, tc := range []struct {
		name, field, number, problem string
	}{
		{"UK mobile with an extra digit", "to", "+44 7911 123456 7", "at most 10"},
		{"UK London line with extension", "to", "+44 20 7946 0000 12", "at most 10"},
		{"UK caller ID with an extra digit", "from", "+44 20 7946 0000 1", "at most 10"},
		{"UK number cut short", "to", "+44 7911 12", "at least 7"},
		{"French mobile with an extra digit", "to", "+33 6 12 34 56 78 9", "9 digits"},
		{"French line one digit short", "to", "+33 1 23 45 67 8", "9 digits"},
		{"French caller ID with an extra digit", "from", "+33 1 23 45 67 89 0", "9 digits"},
		{"Martinique line with an extra digit", "to", "+596 596 12 34 56 7", "9 digits"},
		{"Réunion mobile with an extra digit", "to", "+262 692 12 34 56 7", "9 digits"},
		{"Guadeloupe line with an extra digit", "to", "+590 590 12 34 56 7", "9 digits"},
		{"Guyane line with an extra digit", "to", "+594 594 12 34 56 7", "9 digits"},
		{"Australian mobile with an extra digit", "to", "+61 412 345 678 9", "9 digits"},
		{"Australian Sydney line with extension", "to", "+61 2 9876 5432 11", "9 digits"},
		{"Australian caller ID with an extra digit", "from", "+61 3 9876 5432 1", "9 digits"},
		{"Xiamen line (7 local digits) with an extra digit", "to", "+86 592 218 6000 1", "7 local digits"},
		{"Lanzhou line (7 local digits) with an extra digit", "to", "+86 931 888 1234 5", "7 local digits"},
		// Mexico withdrew its mobile prefix 1 in 2019: "+52 1 55 1234 5678"
		// reaches the line "+52 55 1234 5678" is, and was a second Number
		// that line's lists and caps did not know.
		{"Mexican mobile with the withdrawn 1 prefix", "to", "+52 1 55 1234 5678", "withdrawn"},
		{"Mexican caller ID with the withdrawn 1 prefix", "from", "+52 1 33 1234 5678", "withdrawn"},
		{"Mexican line with an extra digit", "to", "+52 55 1234 5678 9", "10 digits"},
		{"Mexican line one digit short", "to", "+52 55 1234 567", "10 digits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := dialgate.ParseNumber(tc.number)
			if err != nil {
				t.Fatalf("ParseNumber(%q): %v (the test wants a parsed number the dial check refuses)", tc.number, err)
			}
			d := serviceDial()
			if tc.field == "to" {
				d.To = n
			} else {
				d.From = n
			}
			dec, err := g.Check(context.Background(), d)
			var fe *dialgate.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, dialgate.ErrInvalidDial) {
				t.Fatalf("Check: err = %v, want an ErrInvalidDial naming field %s", err, tc.field)
			}
			if !strings.Contains(fe.Problem, tc.problem) {
				t.Errorf("problem %q does not mention %q", fe.Problem, tc.problem)
			}
			if strings.Contains(fe.Problem, n.National()) {
				t.Errorf("problem %q echoes the number", fe.Problem)
			}
			if dec.Allowed || codes(dec) != "dial.invalid" {
				t.Fatalf("decision %+v, want dial.invalid", dec)
			}
		})
	}
	// Numbers of these plans that can exist stay valid, as callee and caller ID.
	for _, s := range []string{
		"+44 20 7946 0000", "+44 7911 123456", "+44 1946 12345", "+44 800 1111", "+44 16977 3456",
		"+33 1 23 45 67 89", "+33 6 12 34 56 78", "+33 596 12 34 56", "+596 696 12 34 56", "+262 262 12 34 56",
		"+590 590 12 34 56", "+594 594 12 34 56",
		"+86 592 218 6000", "+86 931 888 1234", "+86 755 2345 6789", "+86 571 8888 1234",
		"+61 2 9876 5432", "+61 412 345 678", "+61 8 9162 1234", "+61 1300 123 456", "+61 1800 123 456", "+61 13 12 34",
		"+52 55 1234 5678", "+52 33 1234 5678", "+52 800 123 4567",
	} {
		d := serviceDial()
		d.To = dialgate.MustParseNumber(s)
		if err := d.Validate(); err != nil {
			t.Errorf("callee %s: %v", s, err)
		}
		d = serviceDial()
		d.From = dialgate.MustParseNumber(s)
		if err := d.Validate(); err != nil {
			t.Errorf("caller ID %s: %v", s, err)
		}
	}
}
