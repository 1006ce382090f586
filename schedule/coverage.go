package schedule

import (
	"slices"
	"time"
)

// Series returns the series the calendar belongs to: its name without a
// trailing "-YYYY" year ("us-federal-2027" → "us-federal"), or its whole name
// when it has no such suffix. The calendars of one series hold the same
// holidays for successive years; a profile lists them side by side
// (calendars: [fr-2026, fr-2027]) and their years add up, while calendars of
// different series (us-federal, us-al) must each cover a year for it to be
// decided (see Holidays.Calendars).
func (c *Calendar) Series() string {
	n := c.Name
	i := len(n) - 5
	if i < 1 || n[i] != '-' {
		return n
	}
	for _, r := range n[i+1:] {
		if r < '0' || r > '9' {
			return n
		}
	}
	return n[:i]
}

// seriesYears is one series of calendars with the years they cover together.
type seriesYears struct {
	name  string
	cals  []*Calendar
	years []int // ascending, no duplicates
}

// groupSeries groups cals by series, in order of first appearance; nil
// calendars are skipped.
func groupSeries(cals []*Calendar) []seriesYears {
	var out []seriesYears
	for _, c := range cals {
		if c == nil {
			continue
		}
		s := c.Series()
		i := slices.IndexFunc(out, func(x seriesYears) bool { return x.name == s })
		if i < 0 {
			out = append(out, seriesYears{name: s})
			i = len(out) - 1
		}
		out[i].cals = append(out[i].cals, c)
		for _, y := range c.Years() {
			if j, found := slices.BinarySearch(out[i].years, y); !found {
				out[i].years = slices.Insert(out[i].years, j, y)
			}
		}
	}
	return out
}

// commonYears returns the years every series covers, ascending.
func commonYears(series []seriesYears) []int {
	if len(series) == 0 {
		return nil
	}
	years := slices.Clone(series[0].years)
	for _, s := range series[1:] {
		years = slices.DeleteFunc(years, func(y int) bool {
			_, found := slices.BinarySearch(s.years, y)
			return !found
		})
	}
	return years
}

// SeriesCoverage says how far one series of calendars has holiday data.
//
// The zero SeriesCoverage is a series with no data up to the year asked.
type SeriesCoverage struct {
	// Series is the series name ("fr"; see Calendar.Series).
	Series string
	// Through is the last date with holiday data, as midnight UTC: December
	// 31 of the last year of the unbroken run of covered years that holds the
	// year asked; when the series does not cover that year, December 31 of its
	// last covered year before it (a date already past). Zero when the series
	// covers no year up to the year asked.
	Through time.Time
	// Calendar is the calendar of the series that covers Through's year
	// ("fr-2027"); nil when Through is zero.
	Calendar *Calendar
}

// CoverageFrom returns, for each series of cals (in order of first
// appearance), how far its holiday data reaches without a gap from year on.
// A profile that forbids calls on holidays denies every dial
// (schedule.unavailable) after the earliest Through of its series; dialgate
// policy lint warns before that happens.
func CoverageFrom(year int, cals ...*Calendar) []SeriesCoverage {
	var out []SeriesCoverage
	for _, s := range groupSeries(cals) {
		sc := SeriesCoverage{Series: s.name}
		last := 0
		if _, found := slices.BinarySearch(s.years, year); found {
			last = year
			for {
				if _, found := slices.BinarySearch(s.years, last+1); !found {
					break
				}
				last++
			}
		} else {
			for _, y := range s.years {
				if y < year {
					last = y
				}
			}
		}
		if last != 0 {
			sc.Through = time.Date(last, 12, 31, 0, 0, 0, 0, time.UTC)
			for _, c := range s.cals {
				if slices.Contains(c.Years(), last) {
					sc.Calendar = c
				}
			}
		}
		out = append(out, sc)
	}
	return out
}
