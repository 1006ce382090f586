package schedule

import (
	"bufio"
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dialgate/dialgate"
)

// ErrInvalidCalendar is wrapped by every error ParseCalendar returns.
var ErrInvalidCalendar = errors.New("schedule: invalid calendar")

// DayKind says what a calendar day is.
type DayKind uint8

// The day kinds.
const (
	// Holiday is a public holiday or a no-call day.
	Holiday DayKind = 1 + iota
	// Workday is a make-up working day (调休): a weekend day worked in exchange
	// for a holiday.
	Workday
)

// String returns "holiday" or "workday".
func (k DayKind) String() string {
	switch k {
	case Holiday:
		return "holiday"
	case Workday:
		return "workday"
	}
	return fmt.Sprintf("DayKind(%d)", uint8(k))
}

// Day is one dated entry of a Calendar.
type Day struct {
	// Date is the calendar date, as midnight UTC of that date. It is compared
	// with the callee's local date.
	Date time.Time
	// Kind is holiday or workday.
	Kind DayKind
	// Name is the holiday's name ("元旦", "Independence Day (observed)").
	Name string
}

// Calendar is a named list of holidays and make-up working days with its
// source. Calendars are data: the built-in ones are files embedded in the
// package (see Calendars); ParseCalendar reads more.
//
// A Calendar is immutable after parsing and safe for concurrent use.
type Calendar struct {
	// Name identifies the calendar in a profile ("cn-2026").
	Name string
	// Title describes it in plain words.
	Title string
	// Source says where the dates come from.
	Source dialgate.Citation
	// Days lists the entries in date order, one per date.
	Days []Day
}

// Years returns the years the calendar covers, ascending: the years in which
// it lists at least one day. A profile that forbids calls on holidays cannot
// decide a date outside the years of its calendars (no holiday data), and the
// window check denies it with schedule.unavailable. The calendars of one
// series (Calendar.Series) add their years up; see Holidays.Calendars.
func (c *Calendar) Years() []int {
	var ys []int
	for _, d := range c.Days {
		if y := d.Date.Year(); len(ys) == 0 || ys[len(ys)-1] != y {
			ys = append(ys, y)
		}
	}
	return ys
}

var calendarName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// maxRangeDays bounds one "FROM..TO" line, to catch typos in years.
const maxRangeDays = 31

// ParseCalendar reads a calendar file. The format is line based, UTF-8:
//
//	# comment (a line starting with #; blank lines are ignored)
//	calendar cn-2026                  # the name, first directive, required
//	title 2026 statutory holidays     # optional
//	source R 国务院办公厅…通知          # source tag (L, R, S, V, U) and reference, required
//	note how the dates were derived   # optional, added to the citation
//	2026-01-01 holiday 元旦            # DATE KIND NAME
//	2026-02-15..2026-02-23 holiday 春节 # an inclusive range of dates (at most 31 days)
//	2026-01-04 workday 元旦调休上班     # a make-up working day
//
// KIND is "holiday" or "workday"; NAME is the rest of the line and required. A
// date may appear only once. Errors name the file (the name argument) and line
// and wrap ErrInvalidCalendar.
func ParseCalendar(name string, data []byte) (*Calendar, error) {
	cal := &Calendar{}
	seen := map[time.Time]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 64*1024)
	line := 0
	fail := func(format string, args ...any) (*Calendar, error) {
		return nil, fmt.Errorf("%s:%d: %s: %w", name, line, fmt.Sprintf(format, args...), ErrInvalidCalendar)
	}
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		key, rest, _ := strings.Cut(text, " ")
		rest = strings.TrimSpace(rest)
		if cal.Name == "" && key != "calendar" {
			return fail("the first directive must be \"calendar NAME\"")
		}
		switch key {
		case "calendar":
			if cal.Name != "" {
				return fail("a second \"calendar\" directive (one calendar per file)")
			}
			if !calendarName.MatchString(rest) {
				return fail("calendar name %q must match %s", rest, calendarName)
			}
			cal.Name = rest
		case "title":
			cal.Title = rest
		case "source":
			tag, ref, _ := strings.Cut(rest, " ")
			c := dialgate.Citation{Source: dialgate.SourceTag(tag), Ref: strings.TrimSpace(ref), Note: cal.Source.Note}
			if err := c.Validate("source"); err != nil {
				return fail("%v", err)
			}
			cal.Source = c
		case "note":
			cal.Source.Note = rest
		default:
			from, to, err := parseDateRange(key)
			if err != nil {
				return fail("%v", err)
			}
			kindText, dayName, _ := strings.Cut(rest, " ")
			var kind DayKind
			switch kindText {
			case "holiday":
				kind = Holiday
			case "workday":
				kind = Workday
			default:
				return fail("%q is not a day kind (want holiday or workday)", kindText)
			}
			dayName = strings.TrimSpace(dayName)
			if dayName == "" {
				return fail("missing the day's name after %q", kindText)
			}
			for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
				if prev, dup := seen[d]; dup {
					return fail("date %s already listed on line %d", d.Format(time.DateOnly), prev)
				}
				seen[d] = line
				cal.Days = append(cal.Days, Day{Date: d, Kind: kind, Name: dayName})
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fail("%v", err)
	}
	if cal.Name == "" {
		return fail("no \"calendar NAME\" directive")
	}
	if cal.Source.Ref == "" {
		return fail("no \"source TAG REFERENCE\" directive")
	}
	slices.SortFunc(cal.Days, func(a, b Day) int { return a.Date.Compare(b.Date) })
	return cal, nil
}

func parseDateRange(s string) (from, to time.Time, err error) {
	a, b, isRange := strings.Cut(s, "..")
	from, err = time.Parse(time.DateOnly, a)
	if err != nil {
		return from, to, fmt.Errorf("%q is not a date or directive (want YYYY-MM-DD, YYYY-MM-DD..YYYY-MM-DD, calendar, title, source or note)", s)
	}
	if !isRange {
		return from, from, nil
	}
	to, err = time.Parse(time.DateOnly, b)
	if err != nil {
		return from, to, fmt.Errorf("%q is not a date (want YYYY-MM-DD)", b)
	}
	if to.Before(from) {
		return from, to, fmt.Errorf("range %s ends before it starts", s)
	}
	if to.Sub(from) >= maxRangeDays*24*time.Hour {
		return from, to, fmt.Errorf("range %s is longer than %d days", s, maxRangeDays)
	}
	return from, to, nil
}

//go:embed calendars/*.cal
var calendarFiles embed.FS

var builtinCalendars = sync.OnceValue(func() map[string]*Calendar {
	m, err := loadBuiltin()
	if err != nil {
		// The embedded files are tested (TestBuiltinCalendars); an error here
		// is a build defect. Report no calendars: a profile naming one then
		// fails to load, which is the fail-closed outcome.
		return map[string]*Calendar{}
	}
	return m
})

func loadBuiltin() (map[string]*Calendar, error) {
	m := map[string]*Calendar{}
	names, err := fs.Glob(calendarFiles, "calendars/*.cal")
	if err != nil {
		return nil, err
	}
	for _, p := range names {
		data, err := calendarFiles.ReadFile(p)
		if err != nil {
			return nil, err
		}
		cal, err := ParseCalendar(p, data)
		if err != nil {
			return nil, err
		}
		if _, dup := m[cal.Name]; dup {
			return nil, fmt.Errorf("%s: calendar %q defined twice: %w", p, cal.Name, ErrInvalidCalendar)
		}
		m[cal.Name] = cal
	}
	return m, nil
}

// Calendars returns the built-in calendars, sorted by name. The returned
// Calendars are shared: do not modify them.
func Calendars() []*Calendar {
	m := builtinCalendars()
	out := make([]*Calendar, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}

// CalendarByName returns the built-in calendar named name.
func CalendarByName(name string) (*Calendar, bool) {
	c, ok := builtinCalendars()[name]
	return c, ok
}
