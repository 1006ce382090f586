package complaint_test

import (
	"testing"
	"time"

	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/schedule"
)

// Deadlines on the 2026 Chinese calendar: holidays skipped, make-up working
// weekends (调休) counted, a complaint received on a holiday or a weekend, or
// at 23:59:59, counted from its date in Shanghai.
func TestDeadlinesOnCNCalendar(t *testing.T) {
	cal, ok := schedule.CalendarByName("cn-2026")
	if !ok {
		t.Fatal("no cn-2026 calendar")
	}
	w := schedule.NewWorkdays(cal)
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, sh) }
	for _, tc := range []struct {
		name                string
		at                  time.Time
		forward, handle, an time.Time
	}{
		// 1–7 October off; Saturday 10 October worked.
		{"the night before 国庆", time.Date(2026, 9, 30, 23, 59, 59, 0, sh), day(2026, 10, 11), day(2026, 10, 31), day(2026, 11, 5)},
		{"the same instant in UTC", time.Date(2026, 9, 30, 15, 59, 59, 0, time.UTC), day(2026, 10, 11), day(2026, 10, 31), day(2026, 11, 5)},
		{"one second later: 1 October in Shanghai", time.Date(2026, 9, 30, 16, 0, 0, 0, time.UTC), day(2026, 10, 11), day(2026, 10, 31), day(2026, 11, 5)},
		{"on a holiday", time.Date(2026, 10, 3, 10, 0, 0, 0, sh), day(2026, 10, 11), day(2026, 10, 31), day(2026, 11, 5)},
		{"on a make-up working Saturday", time.Date(2026, 10, 10, 10, 0, 0, 0, sh), day(2026, 10, 15), day(2026, 11, 5), day(2026, 11, 10)},
		// Saturday 14 February worked, 15–23 February off, Saturday 28 February worked.
		{"the Friday before 春节", time.Date(2026, 2, 13, 23, 59, 59, 0, sh), day(2026, 2, 26), day(2026, 3, 18), day(2026, 3, 21)},
		{"on an ordinary Sunday", time.Date(2026, 11, 8, 10, 0, 0, 0, sh), day(2026, 11, 12), day(2026, 12, 3), day(2026, 12, 8)},
		// Counted from the date in the complaint zone, not in UTC: 07:00
		// on Tuesday in Shanghai is still Monday in UTC, and counted from
		// there every deadline came a working day early.
		{"early on a Tuesday in Shanghai, Monday in UTC", time.Date(2026, 11, 10, 7, 0, 0, 0, sh), day(2026, 11, 14), day(2026, 12, 5), day(2026, 12, 10)},
	} {
		f := complaint.AddWorkdays(tc.at, 3, w, sh)
		h := complaint.AddWorkdays(f.Add(-time.Nanosecond), 15, w, sh)
		a := complaint.AddWorkdays(h.Add(-time.Nanosecond), 3, w, sh)
		if !f.Equal(tc.forward) || !h.Equal(tc.handle) || !a.Equal(tc.an) {
			t.Errorf("%s (%s): forward %s handle %s answer %s, want %s %s %s", tc.name, tc.at.Format(time.RFC3339),
				f.Format(time.DateOnly), h.Format(time.DateOnly), a.Format(time.DateOnly),
				tc.forward.Format(time.DateOnly), tc.handle.Format(time.DateOnly), tc.an.Format(time.DateOnly))
		}
	}
}
