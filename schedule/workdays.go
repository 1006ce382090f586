package schedule

import (
	"slices"
	"time"
)

// Workdays says which dates are working days under a set of calendars: Monday
// to Friday, except a holiday in any calendar, plus the make-up working days
// (调休) of any calendar. It counts handling deadlines in working days (package
// complaint). The zero Workdays counts Monday to Friday. It is safe for
// concurrent use.
//
// Outside the years its calendars cover, Workdays errs towards earlier
// deadlines, never later ones. Unknown holidays only remove working days, so
// counting Monday to Friday there is never late. But a calendar series with
// make-up working days (cn: a Saturday or Sunday worked in exchange for a
// holiday) adds working days on weekends, and which weekends is known only once
// the year's calendar is published: in a year such a series does not cover,
// every day counts as a working day. A deadline "within 3 working days" then
// falls 3 calendar days later, at the latest where the rules would allow; add
// the year's calendar to count it exactly.
type Workdays struct {
	kinds map[time.Time]DayKind
	// makeup holds, for each calendar series with make-up working days, the
	// years it covers.
	makeup [][]int
}

// NewWorkdays returns the working-day calendar of cals.
func NewWorkdays(cals ...*Calendar) Workdays {
	w := Workdays{kinds: map[time.Time]DayKind{}}
	for _, c := range cals {
		if c == nil {
			continue
		}
		for _, d := range c.Days {
			if w.kinds[d.Date] == Holiday {
				continue // a holiday in any calendar wins
			}
			w.kinds[d.Date] = d.Kind
		}
	}
	for _, s := range groupSeries(cals) {
		for _, c := range s.cals {
			if slices.ContainsFunc(c.Days, func(d Day) bool { return d.Kind == Workday }) {
				w.makeup = append(w.makeup, s.years)
				break
			}
		}
	}
	return w
}

// IsWorkday reports whether the date is a working day: listed as a holiday,
// no; listed as a make-up working day, yes; otherwise Monday to Friday are,
// and a Saturday or Sunday is only in a year that a calendar series with
// make-up working days does not cover (see Workdays).
func (w Workdays) IsWorkday(year int, month time.Month, day int) bool {
	date := time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
	switch w.kinds[date] {
	case Holiday:
		return false
	case Workday:
		return true
	}
	if wd := date.Weekday(); wd != time.Saturday && wd != time.Sunday {
		return true
	}
	for _, years := range w.makeup {
		if _, covered := slices.BinarySearch(years, date.Year()); !covered {
			return true // a make-up working day may fall here: count it
		}
	}
	return false
}
