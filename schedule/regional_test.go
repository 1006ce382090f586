package schedule

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
)

// Synthetic callees: Paris (+33 1), Guadeloupe (+590 590), Martinique
// (+596 596) and La Réunion (+262 262).
const (
	parisNumber      = "+33140000170"
	guadeloupeNumber = "+590590000171"
	martiniqueNumber = "+596596000172"
	reunionNumber    = "+262262000173"
)

// frOverseasConfig is weekdays 10:00–20:00, the national holidays of 2027 and
// the overseas ones by country code.
func frOverseasConfig() Config {
	return Config{
		Windows: []Window{{Days: []string{"mon-fri"}, Ranges: []string{"10:00-20:00"}, Cite: citeU}},
		Holidays: &Holidays{Forbid: true, Calendars: []string{"fr-2027"}, Cite: citeU,
			Regional: []RegionalHolidays{
				{Prefixes: []string{"+590"}, Calendars: []string{"fr-590-2027"}},
				{Prefixes: []string{"+596"}, Calendars: []string{"fr-596-2027"}},
				{Prefixes: []string{"+262"}, Calendars: []string{"fr-262-2027"}},
			}},
	}
}

// A regional holiday denies the callees of its prefixes only, in their local
// date; the next allowed instant skips it; a national holiday still counts
// for them; and their data ends with the regional series.
func TestRegionalHolidays(t *testing.T) {
	w := mustCheck(t, frOverseasConfig())
	runSteps(t, w, []step{
		// Thursday 27 May 2027: Guadeloupe's day, not Paris's nor Martinique's.
		{guadeloupeNumber, "2027-05-27T11:00:00-04:00", "schedule.holiday", "2027-05-31T10:00:00-04:00"},
		{parisNumber, "2027-05-27T11:00:00+02:00", "", ""},
		{martiniqueNumber, "2027-05-27T11:00:00-04:00", "", ""},
		// Saint-Martin's 28 May (also +590), then Monday 31 May.
		{guadeloupeNumber, "2027-05-28T11:00:00-04:00", "schedule.holiday", "2027-05-31T10:00:00-04:00"},
		{guadeloupeNumber, "2027-05-31T10:00:00-04:00", "", ""},
		// Saturday 22 May is Martinique's, a weekend anyway; Monday 20 December
		// is La Réunion's (UTC+4), in its local date.
		{reunionNumber, "2027-12-20T11:00:00+04:00", "schedule.holiday", "2027-12-21T10:00:00+04:00"},
		{reunionNumber, "2027-12-20T07:30:00Z", "schedule.holiday", ""},
		{reunionNumber, "2027-12-21T06:00:00Z", "", ""},
		// The national 14 July counts for an overseas callee too.
		{martiniqueNumber, "2027-07-14T11:00:00-04:00", "schedule.holiday", ""},
		// 2028: neither series covers it.
		{guadeloupeNumber, "2028-01-04T11:00:00-04:00", "schedule.unavailable", ""},
	})
}

// The regional holiday's name is the deny's evidence.
func TestRegionalHolidayEvidence(t *testing.T) {
	w := mustCheck(t, frOverseasConfig())
	d := dialgate.Dial{To: dialgate.MustParseNumber(guadeloupeNumber), Purpose: dialgate.PurposeMarketing, At: at(t, "2027-05-27T11:00:00-04:00")}
	rs, err := w.Check(context.Background(), d)
	if err != nil || len(rs) != 1 {
		t.Fatalf("%v %v", rs, err)
	}
	var got string
	for _, e := range rs[0].Evidence {
		if e.Key == EvidenceHoliday {
			got = e.Value
		}
	}
	if !strings.Contains(got, "Abolition de l'esclavage (Guadeloupe, Saint-Martin) (fr-590-2027)") {
		t.Errorf("holiday evidence %q", got)
	}
}

func TestRegionalHolidaysConfigErrors(t *testing.T) {
	base := func() Config { return frOverseasConfig() }
	for _, tt := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no prefixes", func(c *Config) { c.Holidays.Regional[0].Prefixes = nil }, "schedule.holidays.regional[0].prefixes: missing"},
		{"no calendars", func(c *Config) { c.Holidays.Regional[1].Calendars = nil }, "schedule.holidays.regional[1].calendars: missing"},
		{"bad prefix", func(c *Config) { c.Holidays.Regional[0].Prefixes = []string{"590"} }, `schedule.holidays.regional[0].prefixes[0]: "590" is not an E.164 prefix`},
		{"unknown calendar", func(c *Config) { c.Holidays.Regional[2].Calendars = []string{"fr-999-2027"} }, `schedule.holidays.regional[2].calendars[0]: unknown calendar "fr-999-2027"`},
		{"overlap", func(c *Config) { c.Holidays.Regional[2].Prefixes = []string{"+5905"} }, `schedule.holidays.regional[2].prefixes[0]: "+5905" overlaps holidays.regional[0].prefixes[0] "+590"`},
		{"overlap within an entry", func(c *Config) { c.Holidays.Regional[0].Prefixes = []string{"+590", "+590"} }, `overlaps holidays.regional[0].prefixes[0]`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.edit(&c)
			_, err := NewWindowCheck(c)
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}
