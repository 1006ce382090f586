package policy

import (
	"strings"
	"testing"
	"time"
)

func TestLintCalendarCoverage(t *testing.T) {
	alShort, err := Builtin("us-al")
	if err != nil {
		t.Fatal(err)
	}
	alShort.Schedule.Holidays.Calendars = []string{"us-federal-2026", "us-federal-2027", "us-al-2026"}
	load := func(name string) *Profile {
		p, err := Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		p    *Profile
		now  string
		want []string // one entry per warning: substrings it must hold
	}{
		{"fr, 2027 listed", load("fr"), "2026-12-04T12:00:00+01:00", nil},
		{"fr, 61 days before 2028", load("fr"), "2027-11-01T12:00:00+01:00", nil},
		{"fr, 60 days before 2028", load("fr"), "2027-11-02T12:00:00+01:00", []string{
			"schedule.holidays.calendars: the holiday data of series fr ends on 2027-12-31, in 59 days (its last calendar is fr-2027); from 2028-01-01 every dial is denied (schedule.unavailable). Add the calendar fr-2028 and list it in the profile",
			"series fr-alsace-moselle ends on 2027-12-31, in 59 days (its last calendar is fr-alsace-moselle-2027)",
			"series fr-590 ends on 2027-12-31", "series fr-594 ends", "series fr-596 ends", "series fr-262 ends"}},
		{"fr, last day", load("fr"), "2027-12-31T23:00:00+01:00", []string{"series fr ends on 2027-12-31, today", "series fr-alsace-moselle ends on 2027-12-31, today",
			"fr-590", "fr-594", "fr-596", "fr-262"}},
		{"fr, ended", load("fr"), "2028-01-05T12:00:00+01:00", []string{
			"series fr ended on 2027-12-31 (its last calendar is fr-2027); since 2028-01-01 every dial is denied",
			"series fr-alsace-moselle ended on 2027-12-31 (its last calendar is fr-alsace-moselle-2027)",
			"series fr-590 ended", "series fr-594 ended", "series fr-596 ended", "series fr-262 ended"}},
		{"us-al, both series end", load("us-al"), "2027-12-04T12:00:00-06:00", []string{
			"series us-federal ends on 2027-12-31, in 27 days (its last calendar is us-federal-2027)",
			"series us-al ends on 2027-12-31, in 27 days (its last calendar is us-al-2027)"}},
		{"us-al without us-al-2027", alShort, "2026-12-04T12:00:00-06:00", []string{
			"series us-al ends on 2026-12-31, in 27 days (its last calendar is us-al-2026); from 2027-01-01 every dial is denied (schedule.unavailable). Add the calendar us-al-2027"}},
		{"cn today", load("cn"), "2026-12-04T10:00:00+08:00", []string{
			"series cn ends on 2026-12-31, in 27 days (its last calendar is cn-2026); from 2027-01-01 holidays are unknown: they do not forbid calls in this profile, and complaint deadlines count every day as a working day (make-up working days are unknown too). Add the calendar cn-2027"}},
		{"us, not forbidding", load("us"), "2027-12-04T12:00:00-05:00", []string{
			"holidays are unknown: they do not forbid calls in this profile, and complaint deadlines count Monday to Friday as working days. Add the calendar us-federal-2028"}},
		{"uk, no holidays", load("uk"), "2027-12-04T12:00:00Z", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now, err := time.Parse(time.RFC3339, tt.now)
			if err != nil {
				t.Fatal(err)
			}
			ws := Lint(tt.p, now)
			if len(ws) != len(tt.want) {
				t.Fatalf("Lint = %q, want %d warnings", ws, len(tt.want))
			}
			for i, w := range ws {
				if !strings.Contains(w.String(), tt.want[i]) {
					t.Errorf("warning %d = %q, want it to contain %q", i, w, tt.want[i])
				}
			}
		})
	}
	if ws := Lint(nil, time.Now()); ws != nil {
		t.Errorf("Lint(nil) = %v", ws)
	}
}
