package numbering_test

import (
	"errors"
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/numbering"
)

func TestParseDroppingTrunkPrefix(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"+86 010 5800 1234", "+861058001234"},
		{"8601058001234", "+861058001234"},
		{"+44 07911 123456", "+447911123456"},
		{"+86 10 5800 1234", "+861058001234"}, // no prefix: as ParseNumber
		{"+39 06 6982 1234", "+390669821234"}, // Italy: the 0 is the number's
	} {
		n, err := numbering.ParseDroppingTrunkPrefix(tc.in)
		if err != nil || n.String() != tc.want {
			t.Errorf("ParseDroppingTrunkPrefix(%q) = %v, %v; want %s", tc.in, n, err, tc.want)
		}
	}
	for _, in := range []string{"+86abc", "", "+86 0"} {
		if _, err := numbering.ParseDroppingTrunkPrefix(in); !errors.Is(err, dialgate.ErrInvalidNumber) {
			t.Errorf("ParseDroppingTrunkPrefix(%q): %v, want ErrInvalidNumber", in, err)
		}
	}
}
