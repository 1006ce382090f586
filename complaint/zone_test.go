package complaint_test

import (
	"testing"
	"time"

	"github.com/dialgate/dialgate/complaint"
)

// In a zone whose clocks jump forward at midnight, a day has no 00:00: the
// deadline is still the start of the following day, and counting goes on by
// calendar date, never an hour or a day late.
func TestAddWorkdaysAcrossMidnightDST(t *testing.T) {
	for _, tc := range []struct {
		zone     string
		received time.Time // in zone, as y-m-d h
		n        int
		want     [3]int // the date whose start is the deadline
	}{
		// Chile: 2026-09-06 (Sunday) starts at 01:00.
		{"America/Santiago", time.Date(2026, 9, 4, 10, 0, 0, 0, time.UTC), 3, [3]int{2026, 9, 10}},
		{"America/Santiago", time.Date(2026, 9, 4, 10, 0, 0, 0, time.UTC), 1, [3]int{2026, 9, 8}},
		// Cuba: 2026-03-08 (Sunday) starts at 01:00.
		{"America/Havana", time.Date(2026, 3, 6, 10, 0, 0, 0, time.UTC), 2, [3]int{2026, 3, 11}},
		// Egypt: 2026-04-24 (Friday) starts at 01:00.
		{"Africa/Cairo", time.Date(2026, 4, 22, 10, 0, 0, 0, time.UTC), 2, [3]int{2026, 4, 25}},
		{"Africa/Cairo", time.Date(2026, 4, 22, 10, 0, 0, 0, time.UTC), 3, [3]int{2026, 4, 28}},
	} {
		loc, err := time.LoadLocation(tc.zone)
		if err != nil {
			t.Skip(err)
		}
		r := tc.received
		at := time.Date(r.Year(), r.Month(), r.Day(), r.Hour(), 0, 0, 0, loc)
		got := complaint.AddWorkdays(at, tc.n, nil, loc)
		// The start of the wanted date: the first instant whose local date it is.
		want := time.Date(tc.want[0], time.Month(tc.want[1]), tc.want[2], 0, 0, 0, 0, loc)
		for want.Day() != tc.want[2] {
			want = want.Add(time.Minute)
		}
		if !got.Equal(want) {
			t.Errorf("%s: %d working days after %s: %s, want %s", tc.zone, tc.n, at, got, want)
		}
		// The last instant allowed falls on the last working day.
		if last := got.Add(-time.Nanosecond); last.Day() == got.Day() {
			t.Errorf("%s: deadline %s is not the start of a day (the last instant allowed, %s, is on the same date)", tc.zone, got, last)
		}
	}
}
