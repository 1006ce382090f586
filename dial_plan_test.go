package dialgate_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
)

// A number its country's plan cannot hold is not a callee: digits written
// after a number (an extension, an overdialled digit) make a second Number
// for the line the dialer reaches, with none of the first's do-not-call
// entries, caps or segment counts, and a North American number with a
// 0/1-led area or exchange code, or of another length than 10 digits, names
// no line at all. Such a dial is dial.invalid.
func TestDialNumberOutsideItsPlan(t *testing.T) {
	g := mustGate(t, []dialgate.Checker{pass("a")}, dialgate.WithClock(fixedClock(noon)), dialgate.WithoutAuditLog())
	for _, tc := range []struct {
		name, field, number, problem string
	}{
		{"NANP extension digits", "to", "+1 212 555 0100 123", "10 digits"},
		{"NANP one digit too many", "to", "+1 212 555 01001", "10 digits"},
		{"NANP one digit short", "to", "+1 212 555 010", "10 digits"},
		{"NANP country code doubled", "to", "+1 1 212 555 0100", "10 digits"},
		{"NANP area code starts 1", "to", "+1 112 555 0100", "area code"},
		{"NANP exchange starts 1", "to", "+1 212 155 0100", "exchange"},
		{"NANP exchange starts 0", "to", "+1 212 055 0100", "exchange"},
		{"NANP caller ID", "from", "+1 212 155 0100", "exchange"},
		{"CN mobile with an extra digit", "to", "+86 138 0013 8000 1", "11 digits"},
		{"CN mobile one digit short", "to", "+86 138 0013 800", "11 digits"},
		{"CN Beijing line with extension", "to", "+86 10-5800-1234-802", "at most 10"},
		{"CN Beijing line with one extension digit", "to", "+86 10 5800 1234 5", "at most 10"},
		{"CN Beijing 6xxx line with extension (looks like a 106 port)", "to", "+86 10 6552 1234 56", "at most 10"},
		{"CN Shenzhen line with extension", "to", "+86 755 2345 6789 12", "at most 11"},
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
			if strings.Contains(fe.Problem, n.Digits()[1:]) {
				t.Errorf("problem %q echoes the number", fe.Problem)
			}
			if dec.Allowed || codes(dec) != "dial.invalid" {
				t.Fatalf("decision %+v, want dial.invalid", dec)
			}
		})
	}
	// Numbers of these plans that can exist stay valid.
	for _, s := range []string{
		"+1 212 555 0100", "+1 800 555 0100", "+1 211 555 0100", "+1 212 911 0100", "+1 876 555 0100",
		"+86 138 0013 8000", "+86 170 0017 0001", "+86 10 5800 1234", "+86 21 6123 4567", "+86 755 2345 6789",
		"+86 371 234 5678", "+86 95555", "+86 400 123 4567", "+86 10690001", "+86 10 6552 1234", "+86 571 96123",
		"+44 20 7946 0000", "+33 1 23 45 67 89",
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
