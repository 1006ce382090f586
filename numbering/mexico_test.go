package numbering

import (
	"testing"

	"github.com/dialgate/dialgate"
)

func TestLineAlias(t *testing.T) {
	for _, tc := range []struct{ n, want string }{
		{"+525512345678", "+5215512345678"}, // Mexico: the withdrawn prefix-1 spelling
		{"+523312345678", "+5213312345678"},
		{"+5215512345678", "+525512345678"}, // and back
		{"+52551234567", ""},                // not 10 digits
		{"+5225512345678", ""},              // 11 digits, not after a 1
		{"+33596000180", "+596596000180"},
		{"+596596000180", "+33596000180"},
		{"+12125550100", ""},
		{"+8613800138000", ""},
	} {
		alt, ok := LineAlias(dialgate.MustParseNumber(tc.n))
		got := ""
		if ok {
			got = alt.String()
		}
		if got != tc.want {
			t.Errorf("LineAlias(%s) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
