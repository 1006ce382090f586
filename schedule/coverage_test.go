package schedule

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// TestHolidayCoverage: a profile that forbids calls on holidays cannot decide
// a date outside the years its calendars cover, so the check denies it with
// schedule.unavailable instead of silently allowing (fail closed). A profile
// whose holidays do not forbid (cn) is unaffected.
func TestHolidayCoverage(t *testing.T) {
	al := Config{
		Windows:  []Window{{Days: []string{"mon-sat"}, Ranges: []string{"08:00-20:00"}, Cite: citeU}},
		Holidays: &Holidays{Forbid: true, Calendars: []string{"us-federal-2026", "us-al-2026"}, Cite: citeU},
	}
	notForbid := al
	notForbid.Holidays = &Holidays{Forbid: false, Calendars: al.Holidays.Calendars, Cite: citeU}
	extra, err := ParseCalendar("x.cal", []byte("calendar x-2026-2027\nsource U test\n2026-03-02 holiday a\n2027-03-01 holiday b\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := extra.Years(); len(got) != 2 || got[0] != 2026 || got[1] != 2027 {
		t.Fatalf("Years() = %v", got)
	}
	mixed := al
	mixed.Holidays = &Holidays{Forbid: true, Calendars: []string{"x-2026-2027", "us-al-2026"}, Cite: citeU}
	only := al
	only.Holidays = &Holidays{Forbid: true, Calendars: []string{"x-2026-2027"}, Cite: citeU}

	unavailable := dialgate.UnavailableCode(Name)
	tests := []struct {
		name string
		cfg  Config
		at   string
		want dialgate.Code // "" allowed
	}{
		{"2026 workday", al, "2026-07-06T10:00:00-05:00", ""},
		{"2026 holiday", al, "2026-07-03T10:00:00-05:00", dialgate.CodeHoliday},
		{"2027 no data", al, "2027-01-05T10:00:00-06:00", unavailable},
		{"2025 no data", al, "2025-12-30T10:00:00-06:00", unavailable},
		{"local date decides: 2026-12-31 19:00 CST is 2027 in UTC", al, "2027-01-01T01:00:00Z", ""},
		{"local date decides: 2027-01-01 00:30 CST", al, "2027-01-01T06:30:00Z", unavailable},
		{"not forbidding: 2027 allowed", notForbid, "2027-01-05T10:00:00-06:00", ""},
		{"calendars disagree: 2027 only in one", mixed, "2027-01-05T10:00:00-06:00", unavailable},
		{"one calendar covering 2027", only, "2027-01-05T10:00:00-06:00", ""},
		{"one calendar covering 2027, holiday", only, "2027-03-01T10:00:00-06:00", dialgate.CodeHoliday},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := mustCheck(t, tt.cfg, WithCalendars(extra))
			d := dialgate.Dial{To: dialgate.MustParseNumber("+12055550100"), Purpose: dialgate.PurposeMarketing, At: at(t, tt.at)}
			rs, err := w.Check(context.Background(), d)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if len(rs) != 0 {
					t.Fatalf("want allowed, got %+v", rs)
				}
				return
			}
			if len(rs) == 0 || rs[0].Code != tt.want {
				t.Fatalf("want %s, got %+v", tt.want, rs)
			}
			if tt.want == unavailable && (!strings.Contains(rs[0].Message, "no holiday data") || !strings.Contains(rs[0].Message, "cover 2026")) {
				t.Errorf("message %q", rs[0].Message)
			}
		})
	}
	// The next allowed instant is never searched into a year without data:
	// after the last window of 2026 there is none.
	w := mustCheck(t, al)
	rs, _ := w.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber("+12055550100"), Purpose: dialgate.PurposeMarketing, At: at(t, "2026-12-31T20:30:00-06:00")})
	if len(rs) == 0 || !rs[0].NextAllowedAt.IsZero() || !strings.Contains(rs[0].Message, "no allowed time found") {
		t.Errorf("after the last 2026 window: %+v", rs)
	}
	// An exempt instant callback does not need holiday data.
	cb := al
	cb.Callback = &Callback{MaxTriggerAge: dialgate.Duration(30 * time.Minute), Cite: citeU}
	w = mustCheck(t, cb)
	t0 := at(t, "2027-01-05T10:00:00-06:00")
	if rs, _ := w.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber("+12055550100"), Purpose: dialgate.PurposeCallback, TriggerAt: t0.Add(-time.Minute), At: t0}); len(rs) != 0 {
		t.Errorf("exempt callback in 2027: %+v", rs)
	}
}

// TestCoverageOfASeries: calendars of one series (fr-2026, fr-2027) add their
// years up; different series (us-federal, us-al) must each cover a year for
// it to be decided.
func TestCoverageOfASeries(t *testing.T) {
	cfg := func(forbid bool, cals ...string) Config {
		return Config{
			Windows:  []Window{{Days: []string{"mon-sat"}, Ranges: []string{"08:00-20:00"}, Cite: citeU}},
			Holidays: &Holidays{Forbid: forbid, Calendars: cals, Cite: citeU},
		}
	}
	fr := cfg(true, "fr-2026", "fr-2027")
	al := cfg(true, "us-federal-2026", "us-federal-2027", "us-al-2026", "us-al-2027")
	alShort := cfg(true, "us-federal-2026", "us-federal-2027", "us-al-2026")
	unavailable := dialgate.UnavailableCode(Name)
	tests := []struct {
		name string
		cfg  Config
		to   string
		at   string
		want dialgate.Code // "" allowed
	}{
		{"fr 2026 workday", fr, "+33140000150", "2026-12-08T11:00:00+01:00", ""},
		{"fr 2027 workday", fr, "+33140000150", "2027-01-05T11:00:00+01:00", ""},
		{"fr 2027 Ascension", fr, "+33140000150", "2027-05-06T11:00:00+02:00", dialgate.CodeHoliday},
		{"fr 2028 no data", fr, "+33140000150", "2028-01-04T11:00:00+01:00", unavailable},
		{"fr 2025 no data", fr, "+33140000150", "2025-12-30T11:00:00+01:00", unavailable},
		{"al 2027 workday", al, "+12055550100", "2027-01-05T10:00:00-06:00", ""},
		{"al 2027 Confederate Memorial Day (us-al only)", al, "+12055550100", "2027-04-26T10:00:00-05:00", dialgate.CodeHoliday},
		{"al 2027 Independence Day observed", al, "+12055550100", "2027-07-05T10:00:00-05:00", dialgate.CodeHoliday},
		{"al 2027 without us-al-2027", alShort, "+12055550100", "2027-01-05T10:00:00-06:00", unavailable},
		{"al 2026 without us-al-2027", alShort, "+12055550100", "2026-12-08T10:00:00-06:00", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := mustCheck(t, tt.cfg)
			d := dialgate.Dial{To: dialgate.MustParseNumber(tt.to), Purpose: dialgate.PurposeMarketing, At: at(t, tt.at)}
			rs, err := w.Check(context.Background(), d)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if len(rs) != 0 {
					t.Fatalf("want allowed, got %+v", rs)
				}
				return
			}
			if len(rs) == 0 || rs[0].Code != tt.want {
				t.Fatalf("want %s, got %+v", tt.want, rs)
			}
		})
	}
	// The message says what the calendars cover.
	w := mustCheck(t, alShort)
	rs, _ := w.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber("+12055550100"), Purpose: dialgate.PurposeMarketing, At: at(t, "2027-01-05T10:00:00-06:00")})
	if len(rs) == 0 || !strings.Contains(rs[0].Message, "us-al-2026 cover 2026)") {
		t.Errorf("message: %+v", rs)
	}
}

func TestSeriesAndCoverageFrom(t *testing.T) {
	for name, want := range map[string]string{
		"us-federal-2027": "us-federal", "fr-2026": "fr", "acme": "acme", "x-2026-2027": "x-2026",
		"2027": "2027", "-2027": "-2027", "a-20x7": "a-20x7", "a2027": "a2027",
	} {
		if got := (&Calendar{Name: name}).Series(); got != want {
			t.Errorf("Series(%q) = %q, want %q", name, got, want)
		}
	}
	cal := func(name string, years ...int) *Calendar {
		c := &Calendar{Name: name}
		for _, y := range years {
			c.Days = append(c.Days, Day{Date: time.Date(y, 5, 1, 0, 0, 0, 0, time.UTC), Kind: Holiday, Name: "x"})
		}
		return c
	}
	fed26, fed27, al26, fr28 := cal("us-federal-2026", 2026), cal("us-federal-2027", 2027), cal("us-al-2026", 2026), cal("fr-2028", 2028)
	str := func(cs []SeriesCoverage) string {
		var parts []string
		for _, c := range cs {
			s := c.Series + ":"
			if !c.Through.IsZero() {
				s += c.Through.Format(time.DateOnly) + "/" + c.Calendar.Name
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, " ")
	}
	for _, tt := range []struct {
		year int
		cals []*Calendar
		want string
	}{
		{2026, []*Calendar{fed26, fed27, al26}, "us-federal:2027-12-31/us-federal-2027 us-al:2026-12-31/us-al-2026"},
		{2027, []*Calendar{fed27, al26, fed26}, "us-federal:2027-12-31/us-federal-2027 us-al:2026-12-31/us-al-2026"},
		{2028, []*Calendar{fed26, fed27}, "us-federal:2027-12-31/us-federal-2027"},
		{2025, []*Calendar{fed26}, "us-federal:"},
		{2026, []*Calendar{fed26, fr28, nil}, "us-federal:2026-12-31/us-federal-2026 fr:"},
		{2026, []*Calendar{cal("x", 2026, 2027, 2029)}, "x:2027-12-31/x"},
		{2026, nil, ""},
	} {
		if got := str(CoverageFrom(tt.year, tt.cals...)); got != tt.want {
			t.Errorf("CoverageFrom(%d) = %q, want %q", tt.year, got, tt.want)
		}
	}
}
