package dialgate_test

import (
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30d", 30 * 24 * time.Hour, true},
		{"2w", 14 * 24 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"24h", 24 * time.Hour, true},
		{"5m", 5 * time.Minute, true},
		{"-1d", -24 * time.Hour, true},
		{"0d", 0, true},
		{"", 0, false},
		{"7", 0, false},
		{"d", 0, false},
		{"7x", 0, false},
		{"1y", 0, false},
		{"99999999d", 0, false},
		{"36600d", 36600 * 24 * time.Hour, true},
		{"10000w", 0, false},       // 70000d: more than 100 years (fuzz)
		{"36600d36600d", 0, false}, // components add up
		{"36600d1h", 0, false},
		{"878401h", 0, false}, // 36600d and an hour
		// Weeks whose count in days overflows int64 are too large, not
		// the wrapped value (1d, -2d).
		{"7905747460161236407w", 0, false},
		{"2635249153387078802w", 0, false},
		{"-7905747460161236407w", 0, false},
		{"5228w", 36596 * 24 * time.Hour, true},
		{"5229w", 0, false},
	} {
		got, err := dialgate.ParseDuration(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got.Std() != tc.want) {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v ok=%v", tc.in, got.Std(), err, tc.want, tc.ok)
		}
	}
	if s := dialgate.Duration(30 * 24 * time.Hour).String(); s != "30d" {
		t.Errorf("String = %q", s)
	}
	if s := dialgate.Duration(90 * time.Minute).String(); s != "1h30m0s" {
		t.Errorf("String = %q", s)
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30d", "1d12h", "5m", "-2w", "", "1y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := dialgate.ParseDuration(s)
		if err != nil {
			return
		}
		back, err := dialgate.ParseDuration(d.String())
		if err != nil || back != d {
			t.Fatalf("%q → %v → %q → %v, %v", s, d.Std(), d.String(), back.Std(), err)
		}
	})
}
