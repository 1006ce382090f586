package policy

import (
	"testing"
	"time"
)

// builtin loads a built-in profile or fails the test.
func builtin(t *testing.T, name string) *Profile {
	t.Helper()
	p, err := Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBuiltinDNCHold checks that each profile keeps a do-not-call entry at
// least as long as REQUIREMENTS §2 and §4 say (an entry removed earlier lets
// the number be called again).
func TestBuiltinDNCHold(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		profile string
		want    time.Time
	}{
		{"cn", t0.AddDate(1, 0, 0)},           // §2: never released before 12 months [U]
		{"cn-insurance", t0.AddDate(0, 6, 0)}, // §2: DNC ≥ 6 months
		{"us", t0.AddDate(5, 0, 0)},           // §4: company DNC kept 5 years
		{"us-fl", t0.AddDate(5, 0, 0)},
		{"us-ok", t0.AddDate(5, 0, 0)},
		{"us-al", t0.AddDate(5, 0, 0)},
		{"us-la", t0.AddDate(5, 0, 0)},
		{"us-ms", t0.AddDate(5, 0, 0)},
		{"ca", t0.AddDate(3, 0, 14)}, // §4: internal DNC kept 3 years 14 days
	}
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			p := builtin(t, tt.profile)
			if p.DNC == nil {
				t.Fatalf("%s has no dnc section", tt.profile)
			}
			if got := p.DNC.Hold.Until(t0); got.Before(tt.want) {
				t.Errorf("%s: an entry added %s may be removed from %s, want not before %s",
					tt.profile, t0.Format(time.DateOnly), got.Format(time.DateOnly), tt.want.Format(time.DateOnly))
			}
		})
	}
}
