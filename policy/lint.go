package policy

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/dialgate/dialgate/schedule"
)

// CalendarWarnDays is how many days ahead Lint warns that a profile's holiday
// calendars run out.
const CalendarWarnDays = 60

// Warning is something about a valid profile that needs attention soon: it
// does not make the profile invalid.
type Warning struct {
	// Path is the profile field the warning is about
	// ("schedule.holidays.calendars").
	Path string `json:"path"`
	// Message says what happens and what to do, in plain words.
	Message string `json:"message"`
}

// String returns "path: message".
func (w Warning) String() string { return w.Path + ": " + w.Message }

// Lint returns the warnings of a valid profile at the instant now (the
// caller's clock; Lint reads none). It warns when the holiday data of a series
// of the profile's calendars (schedule.Calendar.Series: fr-2026 and fr-2027
// are the series fr) ends within CalendarWarnDays days of now's date, or has
// ended, naming the series' last calendar and its last covered date. A
// profile whose holidays forbid calls denies every dial (schedule.unavailable)
// after that date; one whose holidays do not still counts working days
// (complaint deadlines) without them.
//
// Lint knows the built-in calendars only, as Build does.
//
// For a profile that extends a built-in one, directly or through profile files
// that do, Lint also warns about every rule that built-in base cites to a law
// or a regulator (source L or R) that the profile relaxes or removes (see
// overlayWarnings): extends merges without limits, so
// an overlay may widen a statutory window or shorten a statutory retention and
// still validate; the warning says so. Conventions (U) are the author's to
// change and draw no warning. Lint returns nil when there is nothing to say.
func Lint(p *Profile, now time.Time) []Warning {
	if p == nil {
		return nil
	}
	ws := calendarWarnings(p, now)
	return append(ws, overlayWarnings(p, now)...)
}

// calendarWarnings returns the holiday-calendar coverage warnings of p.
func calendarWarnings(p *Profile, now time.Time) []Warning {
	if p.Schedule == nil || p.Schedule.Holidays == nil {
		return nil
	}
	h := p.Schedule.Holidays
	var cals []*schedule.Calendar
	for _, name := range h.AllCalendars() {
		if c, ok := schedule.CalendarByName(name); ok {
			cals = append(cals, c)
		}
	}
	y, m, d := now.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	var ws []Warning
	for _, sc := range schedule.CoverageFrom(y, cals...) {
		var firstGap time.Time // the first date without holiday data
		if sc.Through.IsZero() {
			firstGap = time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
		} else {
			firstGap = sc.Through.AddDate(0, 0, 1)
		}
		days := int(firstGap.Sub(today).Hours() / 24)
		if days > CalendarWarnDays {
			continue
		}
		var msg string
		switch {
		case sc.Through.IsZero():
			msg = fmt.Sprintf("no calendar of series %s covers %d or a year before it", sc.Series, y)
		case days <= 0:
			msg = fmt.Sprintf("the holiday data of series %s ended on %s (its last calendar is %s)",
				sc.Series, sc.Through.Format(time.DateOnly), sc.Calendar.Name)
		default:
			when := fmt.Sprintf("in %d days", days-1)
			if days == 1 {
				when = "today"
			}
			msg = fmt.Sprintf("the holiday data of series %s ends on %s, %s (its last calendar is %s)",
				sc.Series, sc.Through.Format(time.DateOnly), when, sc.Calendar.Name)
		}
		from := "from " + firstGap.Format(time.DateOnly)
		if days <= 0 {
			from = "since " + firstGap.Format(time.DateOnly)
		}
		if h.Forbid {
			msg += "; " + from + " every dial is denied (schedule.unavailable)"
		} else {
			msg += "; " + from + " holidays are unknown: they do not forbid calls in this profile, and complaint deadlines count "
			if hasMakeupDays(cals, sc.Series) {
				msg += "every day as a working day (make-up working days are unknown too)"
			} else {
				msg += "Monday to Friday as working days"
			}
		}
		next := sc.Series + "-" + strconv.Itoa(firstGap.Year())
		ws = append(ws, Warning{
			Path:    "schedule.holidays.calendars",
			Message: msg + ". Add the calendar " + next + " and list it in the profile",
		})
	}
	return ws
}

// hasMakeupDays reports whether a calendar of the series lists make-up
// working days.
func hasMakeupDays(cals []*schedule.Calendar, series string) bool {
	return slices.ContainsFunc(cals, func(c *schedule.Calendar) bool {
		return c.Series() == series && slices.ContainsFunc(c.Days, func(d schedule.Day) bool { return d.Kind == schedule.Workday })
	})
}
