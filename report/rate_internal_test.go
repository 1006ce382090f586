package report

import "testing"

// formatRate never shows a rate above the limit as the limit or below it,
// and keeps two decimals otherwise.
func TestFormatRate(t *testing.T) {
	for _, c := range []struct {
		p    float64
		want string
	}{
		{0, "0.00"}, {3, "3.00"}, {2.9999, "3.00"}, {40, "40.00"}, {100.0 / 3, "33.33"},
		{700.0 / 233, "3.004"}, {3.00001, "3.00001"}, {300.0000001 / 100, "3.000000001"},
	} {
		if got := formatRate(c.p); got != c.want {
			t.Errorf("formatRate(%v) = %q, want %q", c.p, got, c.want)
		}
	}
}
