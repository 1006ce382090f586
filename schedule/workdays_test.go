package schedule_test

import (
	"testing"
	"time"

	"github.com/dialgate/dialgate/schedule"
)

func TestWorkdays(t *testing.T) {
	cn, ok := schedule.CalendarByName("cn-2026")
	if !ok {
		t.Fatal("cn-2026 calendar missing")
	}
	w := schedule.NewWorkdays(cn)
	for _, tc := range []struct {
		date string
		want bool
	}{
		{"2026-10-01", false}, // 国庆节, a Thursday
		{"2026-12-04", true},  // an ordinary Friday
		{"2026-12-05", false}, // an ordinary Saturday
	} {
		d, _ := time.Parse("2006-01-02", tc.date)
		if got := w.IsWorkday(d.Year(), d.Month(), d.Day()); got != tc.want {
			t.Errorf("%s: IsWorkday = %v, want %v", tc.date, got, tc.want)
		}
	}
	// Every make-up working day of the calendar is a working day, though a weekend day.
	n := 0
	for _, d := range cn.Days {
		if d.Kind == schedule.Workday {
			n++
			if !w.IsWorkday(d.Date.Year(), d.Date.Month(), d.Date.Day()) {
				t.Errorf("make-up day %s not a working day", d.Date.Format("2006-01-02"))
			}
		}
	}
	if n == 0 {
		t.Fatal("cn-2026 has no make-up working days")
	}
	var zero schedule.Workdays
	if !zero.IsWorkday(2026, 12, 4) || zero.IsWorkday(2026, 12, 6) {
		t.Error("zero Workdays is not Monday to Friday")
	}
}
