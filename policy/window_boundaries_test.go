package policy

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
)

// TestBuiltinWindowBoundaries pins every edge of every built-in profile's
// weekly calling windows, as REQUIREMENTS §2 and §4 state them (written out
// here, not read from the profiles), one second on each side: start
// inclusive, end exclusive, in the callee's local time. "Before 8 a.m. or
// after 9 p.m." (47 CFR 64.1200(c)(1)) makes 21:00:00 itself arguable;
// dialgate denies it (fail closed), and every profile's end is exclusive
// alike. A day without windows is checked at noon. The week of 8–14 June
// 2026 holds no holiday of any profile's calendars.
func TestBuiltinWindowBoundaries(t *testing.T) {
	type week [7][]string // Monday first
	every := func(r ...string) week { return week{r, r, r, r, r, r, r} }
	monSat := func(r ...string) week { return week{r, r, r, r, r, r, nil} }
	tests := []struct {
		profile, to, zone string
		want              week
	}{
		{"cn", "+8613800138000", "Asia/Shanghai", every("09:00-12:00", "14:00-21:00")},
		{"cn-insurance", "+8613800138000", "Asia/Shanghai", every("09:00-12:00", "14:00-21:00")},
		{"us", "+12125550100", "America/New_York", every("08:00-21:00")},
		{"us-collections", "+12125550100", "America/New_York", every("08:00-21:00")},
		{"us-fl", "+13055550100", "America/New_York", every("08:00-20:00")},
		{"us-ok", "+14055550100", "America/Chicago", every("08:00-20:00")},
		{"us-al", "+12055550100", "America/Chicago", monSat("08:00-20:00")},
		{"us-la", "+15045550100", "America/Chicago", monSat("08:00-20:00")},
		// 08:00–20:00 Central Standard Time as well as local time: in June
		// (CDT) 09:00–20:00 local.
		{"us-ms", "+16015550100", "America/Chicago", monSat("09:00-20:00")},
		{"uk", "+442071234567", "Europe/London", every("09:00-21:00")},
		{"ca", "+14165550100", "America/Toronto", week{
			{"09:00-21:30"}, {"09:00-21:30"}, {"09:00-21:30"}, {"09:00-21:30"}, {"09:00-21:30"},
			{"10:00-18:00"}, {"10:00-18:00"}}},
		{"fr", "+33140000000", "Europe/Paris", week{
			{"10:00-13:00", "14:00-20:00"}, {"10:00-13:00", "14:00-20:00"}, {"10:00-13:00", "14:00-20:00"},
			{"10:00-13:00", "14:00-20:00"}, {"10:00-13:00", "14:00-20:00"}, nil, nil}},
		{"au", "+61390000000", "Australia/Sydney", week{
			{"09:00-20:00"}, {"09:00-20:00"}, {"09:00-20:00"}, {"09:00-20:00"}, {"09:00-20:00"},
			{"09:00-17:00"}, nil}},
	}
	if len(tests) != len(Builtins()) {
		t.Errorf("%d profiles pinned, %d built in: pin the new one", len(tests), len(Builtins()))
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			p := builtin(t, tt.profile)
			c, err := schedule.NewWindowCheck(*p.Schedule)
			if err != nil {
				t.Fatal(err)
			}
			loc, err := time.LoadLocation(tt.zone)
			if err != nil {
				t.Fatal(err)
			}
			to := dialgate.MustParseNumber(tt.to)
			check := func(at time.Time, allowed bool) {
				t.Helper()
				rs, err := c.Check(ctx, dialgate.Dial{To: to, Purpose: dialgate.PurposeMarketing, At: at})
				if err != nil {
					t.Fatal(err)
				}
				if (len(rs) == 0) != allowed {
					t.Errorf("%s at %s (%s): allowed=%v, want %v %v", tt.to, at.Format(time.RFC3339), at.Weekday(), len(rs) == 0, allowed, rs)
				}
			}
			for d, ranges := range tt.want {
				day := time.Date(2026, 6, 8+d, 0, 0, 0, 0, loc)
				if len(ranges) == 0 {
					check(day.Add(12*time.Hour), false)
					continue
				}
				for _, r := range ranges {
					var sh, sm, eh, em int
					if _, err := fmt.Sscanf(r, "%d:%d-%d:%d", &sh, &sm, &eh, &em); err != nil {
						t.Fatal(err)
					}
					start := time.Date(2026, 6, 8+d, sh, sm, 0, 0, loc)
					end := time.Date(2026, 6, 8+d, eh, em, 0, 0, loc)
					check(start.Add(-time.Second), false)
					check(start, true)
					check(end.Add(-time.Second), true)
					check(end, false)
				}
			}
		})
	}
}
