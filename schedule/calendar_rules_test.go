package schedule_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/dialgate/dialgate/schedule"
)

// The built-in holiday calendars are data typed in by hand from the rules
// their files cite. TestCalendarsFollowTheirRules derives every date again,
// independently, from those rules and compares: a wrong, missing or extra date
// in a calendar file fails it. The 2026 files (checked against published
// tables when written) also check the rules as encoded here.

// date returns midnight UTC of a date, as schedule.Day.Date holds it.
func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// easter returns Easter Sunday of year y in the Gregorian calendar (the
// anonymous Gregorian algorithm, also known as Meeus/Jones/Butcher).
func easter(y int) time.Time {
	a := y % 19
	b, c := y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return date(y, time.Month(month), day)
}

// nth returns the n-th weekday wd of the month (n ≥ 1), or the last one for n = -1.
func nth(y int, m time.Month, wd time.Weekday, n int) time.Time {
	if n < 0 {
		last := date(y, m+1, 0)
		return last.AddDate(0, 0, -((int(last.Weekday()) - int(wd) + 7) % 7))
	}
	first := date(y, m, 1)
	return first.AddDate(0, 0, (int(wd)-int(first.Weekday())+7)%7+7*(n-1))
}

// usObserved returns the weekday on which a US holiday on d is observed:
// Saturday → the Friday before, Sunday → the Monday after (5 U.S.C. 6103(b),
// E.O. 11582; Ala. Code § 1-3-8; La. R.S. 1:55 for three holidays).
func usObserved(d time.Time) time.Time {
	switch d.Weekday() {
	case time.Saturday:
		return d.AddDate(0, 0, -1)
	case time.Sunday:
		return d.AddDate(0, 0, 1)
	}
	return d
}

// ruleSet is the set of dates a rule gives for one year.
type ruleSet map[time.Time]bool

func (s ruleSet) add(ds ...time.Time) {
	for _, d := range ds {
		s[d] = true
	}
}

// usFederal: 5 U.S.C. 6103(a), on the observed days only (the 2026 file lists
// Independence Day 2026 on Friday July 3 alone). New Year's Day of the next
// year, when a Saturday, is observed on December 31 of this one.
func usFederal(y int) ruleSet {
	s := ruleSet{}
	for _, d := range []time.Time{
		date(y, 1, 1), date(y, 6, 19), date(y, 7, 4), date(y, 11, 11), date(y, 12, 25),
	} {
		s.add(usObserved(d))
	}
	s.add(
		nth(y, time.January, time.Monday, 3),    // Birthday of Martin Luther King, Jr.
		nth(y, time.February, time.Monday, 3),   // Washington's Birthday
		nth(y, time.May, time.Monday, -1),       // Memorial Day
		nth(y, time.September, time.Monday, 1),  // Labor Day
		nth(y, time.October, time.Monday, 2),    // Columbus Day
		nth(y, time.November, time.Thursday, 4), // Thanksgiving Day
	)
	if next := date(y+1, 1, 1); next.Weekday() == time.Saturday {
		s.add(next.AddDate(0, 0, -1))
	}
	delete(s, date(y-1, 12, 31)) // a Saturday January 1 of y is observed in y-1
	return s
}

// usAL: Ala. Code § 1-3-8 as the 2026 file lists it. A fixed-date holiday on a
// weekend is listed on its own day and on the observed day (Saturday → Friday
// before, Sunday → Monday after), as Independence Day 2026 (July 3 and 4).
// Mardi Gras (Baldwin and Mobile counties) is 47 days before Easter.
func usAL(y int) ruleSet {
	s := ruleSet{}
	for _, d := range []time.Time{
		date(y, 1, 1), date(y, 6, 19), date(y, 7, 4), date(y, 11, 11), date(y, 12, 25),
	} {
		s.add(d, usObserved(d))
	}
	s.add(
		nth(y, time.January, time.Monday, 3),    // Robert E. Lee / Martin Luther King Jr.
		nth(y, time.February, time.Monday, 3),   // George Washington / Thomas Jefferson
		easter(y).AddDate(0, 0, -47),            // Mardi Gras
		nth(y, time.April, time.Monday, 4),      // Confederate Memorial Day
		nth(y, time.May, time.Monday, -1),       // National Memorial Day
		nth(y, time.June, time.Monday, 1),       // Jefferson Davis' Birthday
		nth(y, time.September, time.Monday, 1),  // Labor Day
		nth(y, time.October, time.Monday, 2),    // Columbus Day and Fraternal Day
		nth(y, time.November, time.Thursday, 4), // Thanksgiving Day
	)
	if next := date(y+1, 1, 1); next.Weekday() == time.Saturday {
		s.add(next.AddDate(0, 0, -1))
	}
	delete(s, date(y-1, 12, 31))
	return s
}

// usLA: the statewide legal holidays of La. R.S. 1:55(A)(1) (Sundays aside,
// which the profile's windows leave out; Inauguration Day in the city of
// Baton Rouge aside, none in these years) and Juneteenth; New Year's Day,
// Independence Day and Christmas Day on a weekend are also listed on the
// observed day.
func usLA(y int) ruleSet {
	s := ruleSet{}
	for _, d := range []time.Time{date(y, 1, 1), date(y, 7, 4), date(y, 12, 25)} {
		s.add(d, usObserved(d))
	}
	e := easter(y)
	s.add(
		date(y, 6, 19),                          // Juneteenth
		date(y, 11, 11),                         // Veterans Day
		nth(y, time.January, time.Monday, 3),    // Dr. Martin Luther King, Jr.'s Birthday
		e.AddDate(0, 0, -47),                    // Mardi Gras
		e.AddDate(0, 0, -2),                     // Good Friday
		nth(y, time.May, time.Monday, -1),       // National Memorial Day
		nth(y, time.September, time.Monday, 1),  // Labor Day
		nth(y, time.November, time.Thursday, 4), // Thanksgiving Day
		date(y, 1, 8),                           // Battle of New Orleans
		nth(y, time.February, time.Monday, 3),   // Washington's Birthday and Presidents' Day
		date(y, 8, 30),                          // Huey P. Long Day
		nth(y, time.October, time.Monday, 2),    // Christopher Columbus Day
		date(y, 11, 1),                          // All Saints' Day
	)
	if next := date(y+1, 1, 1); next.Weekday() == time.Saturday {
		s.add(next.AddDate(0, 0, -1))
	}
	delete(s, date(y-1, 12, 31))
	return s
}

// fr: Code du travail art. L3133-1, eleven days, never moved.
func fr(y int) ruleSet {
	s := ruleSet{}
	e := easter(y)
	s.add(
		date(y, 1, 1), date(y, 5, 1), date(y, 5, 8), date(y, 7, 14), date(y, 8, 15),
		date(y, 11, 1), date(y, 11, 11), date(y, 12, 25),
		e.AddDate(0, 0, 1),  // Lundi de Pâques
		e.AddDate(0, 0, 39), // Ascension
		e.AddDate(0, 0, 50), // Lundi de Pentecôte
	)
	return s
}

// frAlsaceMoselle: Code du travail art. L3134-13, the two days Bas-Rhin,
// Haut-Rhin and Moselle add to the national ones: Good Friday and 26 December.
func frAlsaceMoselle(y int) ruleSet {
	s := ruleSet{}
	s.add(easter(y).AddDate(0, 0, -2), date(y, 12, 26))
	return s
}

// frOverseas returns the rule of an overseas series: the commemorations of
// the abolition of slavery of décret n° 83-1003 as amended, on fixed dates,
// never moved.
func frOverseas(days ...[2]int) func(int) ruleSet {
	return func(y int) ruleSet {
		s := ruleSet{}
		for _, d := range days {
			s.add(date(y, time.Month(d[0]), d[1]))
		}
		return s
	}
}

// auNational: the seven national public holidays of the Telemarketing
// Standard. New Year's Day, Australia Day, Christmas Day and Boxing Day on a
// weekend are also listed on their substitute: the next weekday that is not
// already a holiday or substitute (Boxing Day 2026, a Saturday, on Monday
// 28 December). Anzac Day gets no substitute (only some states give one; the
// 2026 file lists Saturday 25 April 2026 alone). Easter is never on a weekday
// to move.
func auNational(y int) ruleSet {
	s := ruleSet{}
	e := easter(y)
	s.add(date(y, 4, 25), e.AddDate(0, 0, -2), e.AddDate(0, 0, 1))
	for _, d := range []time.Time{date(y, 1, 1), date(y, 1, 26), date(y, 12, 25), date(y, 12, 26)} {
		s.add(d)
	}
	for _, d := range []time.Time{date(y, 1, 1), date(y, 1, 26), date(y, 12, 25), date(y, 12, 26)} {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			continue
		}
		sub := d
		for sub.Weekday() == time.Saturday || sub.Weekday() == time.Sunday || s[sub] {
			sub = sub.AddDate(0, 0, 1)
		}
		s.add(sub)
	}
	return s
}

func TestEaster(t *testing.T) {
	// Published Easter Sundays (the 2026 files cite April 5, 2026).
	for y, want := range map[int]string{
		2019: "2019-04-21", 2024: "2024-03-31", 2025: "2025-04-20", 2026: "2026-04-05",
		2027: "2027-03-28", 2028: "2028-04-16", 2038: "2038-04-25",
	} {
		if got := easter(y).Format(time.DateOnly); got != want {
			t.Errorf("easter(%d) = %s, want %s", y, got, want)
		}
	}
}

func TestCalendarsFollowTheirRules(t *testing.T) {
	rules := map[string]func(int) ruleSet{
		"us-federal": usFederal, "us-al": usAL, "us-la": usLA, "fr": fr, "au-national": auNational,
		"fr-alsace-moselle": frAlsaceMoselle,
		// Guadeloupe and Saint-Martin 27 May (Saint-Martin also 28 May since
		// 2018), Saint-Barthélemy 9 October; Guyane 10 June; Martinique 22
		// May; Mayotte 27 April, La Réunion 20 December.
		"fr-590": frOverseas([2]int{5, 27}, [2]int{5, 28}, [2]int{10, 9}),
		"fr-594": frOverseas([2]int{6, 10}),
		"fr-596": frOverseas([2]int{5, 22}),
		"fr-262": frOverseas([2]int{4, 27}, [2]int{12, 20}),
	}
	// Dates a published calendar differs from the rule by, on purpose, with why.
	known := map[string]string{
		// us-la-2026 predates the observed-day rule the 2027 file applies;
		// the date is past and left as published.
		"us-la-2026 2026-07-03": "missing",
	}
	for _, y := range []int{2026, 2027} {
		for series, rule := range rules {
			name := fmt.Sprintf("%s-%d", series, y)
			t.Run(name, func(t *testing.T) {
				cal, ok := schedule.CalendarByName(name)
				if !ok {
					t.Fatalf("calendar %s missing", name)
				}
				want := rule(y)
				got := map[time.Time]bool{}
				for _, d := range cal.Days {
					if d.Kind != schedule.Holiday {
						t.Errorf("%s: %s is a %s", name, d.Date.Format(time.DateOnly), d.Kind)
					}
					got[d.Date] = true
					if !want[d.Date] && known[name+" "+d.Date.Format(time.DateOnly)] != "extra" {
						t.Errorf("%s lists %s (%s %s), which the rule does not give", name,
							d.Date.Format(time.DateOnly), d.Date.Weekday(), d.Name)
					}
				}
				var missing []string
				for d := range want {
					if !got[d] && known[name+" "+d.Format(time.DateOnly)] != "missing" {
						missing = append(missing, d.Format("2006-01-02 Mon"))
					}
				}
				slices.Sort(missing)
				if len(missing) > 0 {
					t.Errorf("%s lacks %v, which the rule gives", name, missing)
				}
			})
		}
	}
}
