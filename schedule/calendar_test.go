package schedule

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

func TestBuiltinCalendars(t *testing.T) {
	m, err := loadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{ // number of dated entries
		"cn-2026": 33 + 6, "us-federal-2026": 11, "us-al-2026": 15, "us-la-2026": 16,
		"fr-2026": 11, "au-national-2026": 8, "fr-alsace-moselle-2026": 2, "fr-alsace-moselle-2027": 2,
		"fr-590-2026": 3, "fr-594-2026": 1, "fr-596-2026": 1, "fr-262-2026": 2,
		"us-federal-2027": 12, "us-al-2027": 18, "us-la-2027": 19, "fr-2027": 11, "au-national-2027": 9,
	}
	for name, n := range want {
		c, ok := m[name]
		if !ok {
			t.Errorf("calendar %s missing", name)
			continue
		}
		if len(c.Days) != n {
			t.Errorf("%s: %d days, want %d", name, len(c.Days), n)
		}
		if err := c.Source.Validate(name + ".source"); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		year, _ := strconv.Atoi(name[len(name)-4:])
		for _, d := range c.Days {
			if d.Date.Year() != year {
				t.Errorf("%s: %s is not in %d", name, d.Date.Format(time.DateOnly), year)
			}
		}
	}
	if len(Calendars()) != len(m) {
		t.Errorf("Calendars() = %d, want %d", len(Calendars()), len(m))
	}
	// Spot checks against the sources.
	cn, _ := CalendarByName("cn-2026")
	kinds := map[string]DayKind{}
	for _, d := range cn.Days {
		kinds[d.Date.Format(time.DateOnly)] = d.Kind
	}
	for date, k := range map[string]DayKind{
		"2026-01-04": Workday, "2026-02-14": Workday, "2026-02-15": Holiday, "2026-02-23": Holiday,
		"2026-02-28": Workday, "2026-05-09": Workday, "2026-09-20": Workday, "2026-10-07": Holiday, "2026-10-10": Workday,
	} {
		if kinds[date] != k {
			t.Errorf("cn-2026 %s: %v, want %v", date, kinds[date], k)
		}
	}
	for _, c := range []string{"us-federal-2026", "fr-2026", "au-national-2026", "us-federal-2027", "fr-2027", "au-national-2027"} {
		cal, _ := CalendarByName(c)
		if cal.Days[0].Date.Format(time.DateOnly) != c[len(c)-4:]+"-01-01" {
			t.Errorf("%s does not start with New Year's Day", c)
		}
	}
}

func TestParseCalendarErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "x.cal:0: no \"calendar NAME\" directive"},
		{"title x\n", "x.cal:1: the first directive must be"},
		{"calendar Bad Name\n", "x.cal:1: calendar name"},
		{"calendar a\ncalendar b\n", "x.cal:2: a second"},
		{"calendar a\n", "no \"source TAG REFERENCE\""},
		{"calendar a\nsource X ref\n", "x.cal:2: source.source: unknown source tag"},
		{"calendar a\nsource L\n", "x.cal:2: source.ref: missing"},
		{"calendar a\nsource L r\n2026-02-30 holiday x\n", `x.cal:3: "2026-02-30" is not a date`},
		{"calendar a\nsource L r\n2026-01-01 vacation x\n", `x.cal:3: "vacation" is not a day kind`},
		{"calendar a\nsource L r\n2026-01-01 holiday\n", "x.cal:3: missing the day's name"},
		{"calendar a\nsource L r\n2026-01-01 holiday a\n# c\n2026-01-01 workday b\n", "x.cal:5: date 2026-01-01 already listed on line 3"},
		{"calendar a\nsource L r\n2026-01-05..2026-01-01 holiday a\n", "ends before it starts"},
		{"calendar a\nsource L r\n2026-01-01..2027-01-01 holiday a\n", "longer than 31 days"},
	}
	for _, tt := range tests {
		_, err := ParseCalendar("x.cal", []byte(tt.in))
		if err == nil || !errors.Is(err, ErrInvalidCalendar) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseCalendar(%q) = %v, want %q", tt.in, err, tt.want)
		}
	}
}

func FuzzParseCalendar(f *testing.F) {
	f.Add([]byte("calendar a\nsource L r\n2026-01-01 holiday New Year\n2026-01-03..2026-01-05 workday w\n"))
	f.Add([]byte("calendar a\nnote n\nsource U r\n# c\n\n"))
	data, _ := calendarFiles.ReadFile("calendars/cn-2026.cal")
	f.Add(data)
	f.Fuzz(func(t *testing.T, b []byte) {
		cal, err := ParseCalendar("f.cal", b)
		if err != nil {
			if !errors.Is(err, ErrInvalidCalendar) || !strings.HasPrefix(err.Error(), "f.cal") {
				t.Fatalf("error %v does not name the file and wrap ErrInvalidCalendar", err)
			}
			return
		}
		if cal.Name == "" || cal.Source.Validate("s") != nil {
			t.Fatalf("accepted a calendar without name or source: %+v", cal)
		}
		for i, d := range cal.Days {
			if d.Kind != Holiday && d.Kind != Workday || d.Name == "" {
				t.Fatalf("bad day %+v", d)
			}
			if i > 0 && !cal.Days[i-1].Date.Before(d.Date) {
				t.Fatalf("days not strictly ordered at %d", i)
			}
		}
	})
}

func TestHolidays(t *testing.T) {
	cfg := cnConfig()
	cfg.Holidays = &Holidays{Forbid: true, Calendars: []string{"cn-2026"}, Cite: citeU}
	w := mustCheck(t, cfg)
	runSteps(t, w, []step{
		{cnMobile, "2026-09-30T20:59:00+08:00", "", ""},
		{cnMobile, "2026-10-01T10:00:00+08:00", dialgate.CodeHoliday, "2026-10-08T09:00:00+08:00"},
		{cnMobile, "2026-09-30T21:30:00+08:00", dialgate.CodeOutsideWindow, "2026-10-08T09:00:00+08:00"},
		{cnMobile, "2026-10-08T09:00:00+08:00", "", ""},
		// The local date counts: 2026-10-07 23:30 UTC is 07:30 on 10-08 in Shanghai.
		{cnMobile, "2026-10-07T16:30:00Z", dialgate.CodeOutsideWindow, "2026-10-08T09:00:00+08:00"},
	})
	d := dialgate.Dial{To: dialgate.MustParseNumber(cnMobile), Purpose: dialgate.PurposeService, At: at(t, "2026-10-01T10:00:00+08:00")}
	rs, _ := w.Check(context.Background(), d)
	if len(rs) != 1 || !strings.Contains(rs[0].Message, "国庆节") {
		t.Errorf("reasons %+v", rs)
	}
	// Holidays listed but not forbidden: ordinary days.
	cfg.Holidays.Forbid = false
	w = mustCheck(t, cfg)
	runSteps(t, w, []step{{cnMobile, "2026-10-01T10:00:00+08:00", "", ""}})
}

func TestHolidaysUSMultiCalendar(t *testing.T) {
	// us-al style: weekdays and Saturday, no Sunday, no state or federal holiday.
	cfg := Config{
		Windows:  []Window{{Days: []string{"mon-sat"}, Ranges: []string{"08:00-20:00"}, Cite: citeU}},
		Holidays: &Holidays{Forbid: true, Calendars: []string{"us-federal-2026", "us-al-2026"}, Cite: citeU},
	}
	w := mustCheck(t, cfg)
	al := "+12055550100" // Birmingham, AL: America/Chicago
	runSteps(t, w, []step{
		{al, "2026-07-02T19:00:00-05:00", "", ""},
		{al, "2026-07-03T10:00:00-05:00", dialgate.CodeHoliday, "2026-07-06T08:00:00-05:00"}, // observed, then July 4, then Sunday
		{al, "2026-04-27T10:00:00-05:00", dialgate.CodeHoliday, "2026-04-28T08:00:00-05:00"}, // state-only holiday
	})
}

func TestMakeupWorkdays(t *testing.T) {
	// Weekday-only windows with the cn calendar: 2026-10-10 is a Saturday worked.
	cfg := Config{
		Windows:  []Window{{Days: []string{"mon-fri"}, Ranges: []string{"09:00-18:00"}, Cite: citeU}},
		Holidays: &Holidays{Forbid: true, Calendars: []string{"cn-2026"}, MakeupWorkdaysAs: "mon", Cite: citeU},
	}
	w := mustCheck(t, cfg)
	runSteps(t, w, []step{
		{cnMobile, "2026-10-10T10:00:00+08:00", "", ""},
		{cnMobile, "2026-10-11T10:00:00+08:00", dialgate.CodeOutsideWindow, "2026-10-12T09:00:00+08:00"},
		{cnMobile, "2026-10-09T19:00:00+08:00", dialgate.CodeOutsideWindow, "2026-10-10T09:00:00+08:00"},
	})
	cfg.Holidays.MakeupWorkdaysAs = ""
	w = mustCheck(t, cfg)
	runSteps(t, w, []step{{cnMobile, "2026-10-10T10:00:00+08:00", dialgate.CodeOutsideWindow, "2026-10-12T09:00:00+08:00"}}) // a plain Saturday
}

func TestWithCalendars(t *testing.T) {
	cal, err := ParseCalendar("own.cal", []byte("calendar acme-2026\nsource U company shutdown\n2026-12-24 holiday Shutdown\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := cnConfig()
	cfg.Holidays = &Holidays{Forbid: true, Calendars: []string{"acme-2026"}, Cite: citeU}
	if err := cfg.Validate(); err == nil {
		t.Fatal("Validate knows a calendar it was not given")
	}
	w := mustCheck(t, cfg, WithCalendars(cal))
	runSteps(t, w, []step{{cnMobile, "2026-12-24T10:00:00+08:00", dialgate.CodeHoliday, "2026-12-25T09:00:00+08:00"}})
}
