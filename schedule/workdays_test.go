package schedule_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/complaint"
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

// TestWorkdaysOutsideCoverage: in a year no cn calendar covers, a weekend day
// may turn out to be a make-up working day, so it counts as one (deadlines
// come earlier, never later). A series without make-up days (us-federal)
// keeps Monday to Friday there.
func TestWorkdaysOutsideCoverage(t *testing.T) {
	cn, _ := schedule.CalendarByName("cn-2026")
	fed, _ := schedule.CalendarByName("us-federal-2026")
	for _, tc := range []struct {
		name string
		w    schedule.Workdays
		date string
		want bool
	}{
		{"cn 2026 Saturday", schedule.NewWorkdays(cn), "2026-12-05", false},
		{"cn 2026 make-up Saturday", schedule.NewWorkdays(cn), "2026-02-28", true},
		{"cn 2027 Saturday, no data", schedule.NewWorkdays(cn), "2027-01-30", true},
		{"cn 2027 Sunday, no data", schedule.NewWorkdays(cn), "2027-01-31", true},
		{"cn 2025 Sunday, no data", schedule.NewWorkdays(cn), "2025-12-28", true},
		{"cn 2027 Friday, no data", schedule.NewWorkdays(cn), "2027-01-29", true},
		{"cn with us-federal, 2027 Saturday", schedule.NewWorkdays(fed, cn), "2027-01-30", true},
		{"us-federal 2027 Saturday", schedule.NewWorkdays(fed), "2027-01-30", false},
		{"us-federal 2027 Friday", schedule.NewWorkdays(fed), "2027-01-29", true},
		{"no calendar, Saturday", schedule.NewWorkdays(), "2027-01-30", false},
	} {
		d, _ := time.Parse(time.DateOnly, tc.date)
		if got := tc.w.IsWorkday(d.Year(), d.Month(), d.Day()); got != tc.want {
			t.Errorf("%s: IsWorkday(%s) = %v, want %v", tc.name, tc.date, got, tc.want)
		}
	}
}

// TestWorkdaysNeverLate: whatever China's 2027 calendar turns out to be
// (random holidays and make-up weekend days here, not real data), a deadline
// counted without it is never later than one counted with it. Counting Monday
// to Friday instead would be late.
func TestWorkdaysNeverLate(t *testing.T) {
	cst, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	cn, _ := schedule.CalendarByName("cn-2026")
	without := schedule.NewWorkdays(cn)
	rng := rand.New(rand.NewPCG(2027, 1))
	weekdaysLate := 0
	for trial := range 200 {
		var b strings.Builder
		b.WriteString("calendar cn-2027\nsource U random test data, not the State Council notice\n")
		for d := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() == 2027; d = d.AddDate(0, 0, 1) {
			weekend := d.Weekday() == time.Saturday || d.Weekday() == time.Sunday
			switch r := rng.IntN(100); {
			case weekend && r < 8:
				fmt.Fprintf(&b, "%s workday 调休\n", d.Format(time.DateOnly))
			case r >= 95:
				fmt.Fprintf(&b, "%s holiday 假\n", d.Format(time.DateOnly))
			}
		}
		hyp, err := schedule.ParseCalendar("hyp.cal", []byte(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		with := schedule.NewWorkdays(cn, hyp)
		for range 20 {
			at := time.Date(2026, 12, 1, 10, 0, 0, 0, cst).AddDate(0, 0, rng.IntN(390))
			for _, n := range []int{3, 15} {
				exact := complaint.AddWorkdays(at, n, with, cst)
				if got := complaint.AddWorkdays(at, n, without, cst); got.After(exact) {
					t.Fatalf("trial %d: %d working days from %s: %s without the 2027 calendar, later than %s with it",
						trial, n, at.Format(time.DateOnly), got.Format(time.DateOnly), exact.Format(time.DateOnly))
				}
				if complaint.AddWorkdays(at, n, complaint.Weekdays{}, cst).After(exact) {
					weekdaysLate++
				}
			}
		}
	}
	if weekdaysLate == 0 {
		t.Error("Monday to Friday was never late: the random calendars do not exercise make-up days")
	}
}
