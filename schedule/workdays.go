package schedule

import "time"

// Workdays says which dates are working days under a set of calendars: Monday
// to Friday, except a holiday in any calendar, plus the make-up working days
// (调休) of any calendar. It counts handling deadlines in working days (package
// complaint). The zero Workdays counts Monday to Friday. It is safe for
// concurrent use.
type Workdays struct {
	kinds map[time.Time]DayKind
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
	return w
}

// IsWorkday reports whether the date is a working day.
func (w Workdays) IsWorkday(year int, month time.Month, day int) bool {
	date := time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
	switch w.kinds[date] {
	case Holiday:
		return false
	case Workday:
		return true
	}
	wd := date.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}
