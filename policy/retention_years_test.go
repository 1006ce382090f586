package policy_test

import (
	"testing"
	"time"

	"github.com/dialgate/dialgate/policy"
)

// A profile that keeps recordings "5 years" (cn-insurance [L via S], us: the
// Telemarketing Sales Rule's 5 years) must keep every recording until 5
// calendar years after it started, whatever the start date: every 5-year span
// holds one or two 29 Februaries, so 1825 days (5 × 365) let a recording be
// deleted a day or two early.
func TestFiveYearRetentionCoversFiveCalendarYears(t *testing.T) {
	for _, name := range []string{"cn-insurance", "us", "us-fl", "us-ok", "us-al", "us-la", "us-ms", "us-collections"} {
		p, err := policy.Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		if p.Recording == nil {
			t.Fatalf("%s: no recording section", name)
		}
		keep := p.Recording.RetentionPeriod()
		for _, zone := range []string{"UTC", "Asia/Shanghai", "America/New_York", "America/Los_Angeles"} {
			loc, err := time.LoadLocation(zone)
			if err != nil {
				t.Fatal(err)
			}
			for d := time.Date(2024, 1, 1, 10, 0, 0, 0, loc); d.Year() < 2033; d = d.AddDate(0, 0, 1) {
				if end := d.AddDate(5, 0, 0); d.Add(keep).Before(end) {
					t.Fatalf("%s: a recording started %s may be deleted at %s (%s), before 5 years are over at %s",
						name, d.Format(time.RFC3339), d.Add(keep).In(loc).Format(time.RFC3339), p.Recording.Retention, end.Format(time.RFC3339))
				}
			}
		}
	}
}
