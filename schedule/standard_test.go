package schedule

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// msNumber is a Mississippi number (Jackson, 601): America/Chicago.
const msNumber = "+16015550100"

// msConfig is the Mississippi rule: 08:00–20:00 Monday to Saturday, read
// also in the standard time of zone ("" : the callee's own zones).
func msConfig(zone string) Config {
	return Config{
		Windows:            []Window{{Days: []string{"mon-sat"}, Ranges: []string{"08:00-20:00"}, Cite: citeU}},
		AlsoInStandardTime: &StandardTime{Zone: zone, Cite: citeU},
	}
}

// TestStandardTimeMississippi: during daylight-saving time 8:00 a.m. Central
// Standard Time is 9:00 a.m. CDT, so 08:00–09:00 CDT is denied; 20:00–21:00
// CDT stays denied by the local reading. In winter both readings agree.
func TestStandardTimeMississippi(t *testing.T) {
	for _, zone := range []string{"", "America/Chicago"} {
		t.Run("zone="+zone, func(t *testing.T) {
			w := mustCheck(t, msConfig(zone))
			runSteps(t, w, []step{
				// Monday 2026-07-06, CDT (UTC-5).
				{msNumber, "2026-07-06T08:30:00-05:00", dialgate.CodeOutsideWindow, "2026-07-06T09:00:00-05:00"},
				{msNumber, "2026-07-06T08:59:59-05:00", dialgate.CodeOutsideWindow, "2026-07-06T09:00:00-05:00"},
				{msNumber, "2026-07-06T09:00:00-05:00", "", ""},
				{msNumber, "2026-07-06T19:30:00-05:00", "", ""},
				{msNumber, "2026-07-06T19:59:59-05:00", "", ""},
				{msNumber, "2026-07-06T20:00:00-05:00", dialgate.CodeOutsideWindow, "2026-07-07T09:00:00-05:00"},
				{msNumber, "2026-07-06T20:30:00-05:00", dialgate.CodeOutsideWindow, "2026-07-07T09:00:00-05:00"},
				// Saturday evening → Monday (no Sunday).
				{msNumber, "2026-07-11T20:30:00-05:00", dialgate.CodeOutsideWindow, "2026-07-13T09:00:00-05:00"},
				// Monday 2026-01-05, CST (UTC-6): the readings agree.
				{msNumber, "2026-01-05T07:59:00-06:00", dialgate.CodeOutsideWindow, "2026-01-05T08:00:00-06:00"},
				{msNumber, "2026-01-05T08:00:00-06:00", "", ""},
				{msNumber, "2026-01-05T08:30:00-06:00", "", ""},
				{msNumber, "2026-01-05T19:59:00-06:00", "", ""},
				{msNumber, "2026-01-05T20:00:00-06:00", dialgate.CodeOutsideWindow, "2026-01-06T08:00:00-06:00"},
				// Across the changes: Saturday 2026-03-07 (CST) to Monday
				// 2026-03-09 (CDT); Saturday 2026-10-31 (CDT) to Monday
				// 2026-11-02 (CST).
				{msNumber, "2026-03-07T20:00:00-06:00", dialgate.CodeOutsideWindow, "2026-03-09T09:00:00-05:00"},
				{msNumber, "2026-10-31T20:00:00-05:00", dialgate.CodeOutsideWindow, "2026-11-02T08:00:00-06:00"},
				{msNumber, "2026-11-02T08:00:00-06:00", "", ""},
			})
		})
	}
	// Without the setting the same window allows 08:30 CDT: the setting is
	// what denies it.
	cfg := msConfig("")
	cfg.AlsoInStandardTime = nil
	runSteps(t, mustCheck(t, cfg), []step{{msNumber, "2026-07-06T08:30:00-05:00", "", ""}})
}

// TestStandardTimeEvidence: a deny names the standard time and the zone it
// is of; a pass attests the zone whose standard time was read.
func TestStandardTimeEvidence(t *testing.T) {
	w := mustCheck(t, msConfig("America/Chicago"))
	d := dialgate.Dial{To: dialgate.MustParseNumber(msNumber), Purpose: dialgate.PurposeMarketing, At: at(t, "2026-07-06T08:30:00-05:00")}
	rs, _, err := w.Attest(context.Background(), d)
	if err != nil || len(rs) != 1 {
		t.Fatalf("reasons %v, %v", rs, err)
	}
	for _, e := range []dialgate.Evidence{
		{Key: EvidenceZone, Value: "America/Chicago"},
		{Key: EvidenceLocalTime, Value: "2026-07-06T08:30:00-05:00"},
		{Key: EvidenceStandardZone, Value: "America/Chicago"},
		{Key: EvidenceStandardTime, Value: "2026-07-06T07:30:00-06:00"},
		{Key: EvidenceNextAllowedAt, Value: "2026-07-06T09:00:00-05:00"},
	} {
		if !slices.Contains(rs[0].Evidence, e) {
			t.Errorf("evidence %v lacks %v", rs[0].Evidence, e)
		}
	}
	for _, s := range []string{"07:30 in the standard time of America/Chicago (UTC-06:00)", "in local and in standard time"} {
		if !strings.Contains(rs[0].Message, s) {
			t.Errorf("message %q lacks %q", rs[0].Message, s)
		}
	}
	if strings.Contains(rs[0].Message, "08:30 in America/Chicago") {
		t.Errorf("message %q calls the local time outside the windows", rs[0].Message)
	}
	d.At = at(t, "2026-07-06T10:00:00-05:00")
	rs, ev, _ := w.Attest(context.Background(), d)
	if len(rs) != 0 || !slices.Contains(ev, dialgate.Evidence{Key: EvidenceStandardZone, Value: "America/Chicago"}) {
		t.Errorf("allowed dial: reasons %v, evidence %v", rs, ev)
	}
}

// TestStandardTimeFixedZone: with a zone, its standard time binds every
// callee: 09:30 EDT in New York is 07:30 CST. Without one, each callee's own
// standard time is read (08:30 EST).
func TestStandardTimeFixedZone(t *testing.T) {
	runSteps(t, mustCheck(t, msConfig("America/Chicago")), []step{
		{nyNumber, "2026-07-06T09:30:00-04:00", dialgate.CodeOutsideWindow, "2026-07-06T10:00:00-04:00"},
		{nyNumber, "2026-07-06T10:00:00-04:00", "", ""},
		{nyNumber, "2026-07-06T19:59:00-04:00", "", ""},
		{nyNumber, "2026-07-06T20:00:00-04:00", dialgate.CodeOutsideWindow, "2026-07-07T10:00:00-04:00"},
		// Winter: 08:30 EST is 07:30 CST.
		{nyNumber, "2026-01-05T08:30:00-05:00", dialgate.CodeOutsideWindow, "2026-01-05T09:00:00-05:00"},
	})
	runSteps(t, mustCheck(t, msConfig("")), []step{
		{nyNumber, "2026-07-06T08:30:00-04:00", dialgate.CodeOutsideWindow, "2026-07-06T09:00:00-04:00"},
		{nyNumber, "2026-07-06T09:30:00-04:00", "", ""},
		{nyNumber, "2026-01-05T08:30:00-05:00", "", ""},
	})
}

// TestStandardTimeMultiZone: a number in several zones is judged in the local
// and the standard time of each: 09:00–20:00 MDT is what all four allow in
// summer for 08:00–21:00.
func TestStandardTimeMultiZone(t *testing.T) {
	cfg := Config{Windows: []Window{daily("08:00-21:00")}, AlsoInStandardTime: &StandardTime{Cite: citeU}}
	w := mustCheck(t, cfg)
	runSteps(t, w, []step{
		{sdNumber, "2026-06-10T08:30:00-06:00", dialgate.CodeOutsideWindow, "2026-06-10T09:00:00-06:00"}, // 07:30 MST
		{sdNumber, "2026-06-10T09:00:00-06:00", "", ""},
		{sdNumber, "2026-06-10T19:59:00-06:00", "", ""},
		{sdNumber, "2026-06-10T20:00:00-06:00", dialgate.CodeOutsideWindow, "2026-06-11T09:00:00-06:00"}, // 21:00 CDT
		// Winter: 08:00–20:00 MST.
		{sdNumber, "2026-01-06T08:00:00-07:00", "", ""},
		{sdNumber, "2026-01-06T07:59:00-07:00", dialgate.CodeOutsideWindow, "2026-01-06T08:00:00-07:00"},
	})
	d := dialgate.Dial{To: dialgate.MustParseNumber(sdNumber), Purpose: dialgate.PurposeService, At: at(t, "2026-06-10T12:00:00-06:00")}
	_, ev, _ := w.Attest(context.Background(), d)
	var std []string
	for _, e := range ev {
		if e.Key == EvidenceStandardZone {
			std = append(std, e.Value)
		}
	}
	if !slices.Equal(std, []string{"America/Chicago", "America/Denver", "America/North_Dakota/Center"}) {
		t.Errorf("standard zones attested %v", std)
	}
}

// TestStandardTimeHoliday: the standard-time date decides too. 00:30 CDT on
// Saturday 2026-07-04 is 23:30 CST on Friday 3 July, the observed
// Independence Day.
func TestStandardTimeHoliday(t *testing.T) {
	cfg := Config{
		Windows:  []Window{daily("00:00-24:00")},
		Holidays: &Holidays{Forbid: true, Calendars: []string{"us-federal-2026"}, Cite: citeU},
	}
	runSteps(t, mustCheck(t, cfg), []step{{msNumber, "2026-07-04T00:30:00-05:00", "", ""}})
	cfg.AlsoInStandardTime = &StandardTime{Cite: citeU}
	runSteps(t, mustCheck(t, cfg), []step{
		{msNumber, "2026-07-03T12:00:00-05:00", dialgate.CodeHoliday, "2026-07-04T01:00:00-05:00"},
		{msNumber, "2026-07-04T00:30:00-05:00", dialgate.CodeHoliday, "2026-07-04T01:00:00-05:00"},
		{msNumber, "2026-07-04T01:00:00-05:00", "", ""},
	})
}

// TestStandardTimeCallbackAndBlackout: an instant callback is exempt from
// both readings; the next instant after a blackout respects both.
func TestStandardTimeCallbackAndBlackout(t *testing.T) {
	cfg := msConfig("America/Chicago")
	cfg.Callback = &Callback{MaxTriggerAge: dialgate.Duration(30 * time.Minute), Cite: citeU}
	cfg.Blackouts = []Blackout{{
		From: at(t, "2026-07-06T00:00:00-05:00"), Until: at(t, "2026-07-07T08:15:00-05:00"),
		Reason: "test emergency", Cite: citeU,
	}}
	w := mustCheck(t, cfg)
	now := at(t, "2026-07-08T08:30:00-05:00")
	d := dialgate.Dial{To: dialgate.MustParseNumber(msNumber), Purpose: dialgate.PurposeCallback, TriggerAt: now.Add(-5 * time.Minute), At: now}
	rs, ev, err := w.Attest(context.Background(), d)
	if err != nil || len(rs) != 0 || !slices.Contains(ev, dialgate.Evidence{Key: EvidenceCallbackExempt, Value: "true"}) {
		t.Errorf("fresh callback at 08:30 CDT: %v, %v, %v", rs, ev, err)
	}
	runSteps(t, w, []step{
		{msNumber, "2026-07-08T08:30:00-05:00", dialgate.CodeOutsideWindow, "2026-07-08T09:00:00-05:00"},
		{msNumber, "2026-07-06T12:00:00-05:00", dialgate.CodeOutsideWindow, "2026-07-07T09:00:00-05:00"},
	})
}

// TestStandardTimeNextAllowedIsAllowed: every NextAllowedAt the check gives
// is an instant it allows, across a year of hourly probes in both zones.
func TestStandardTimeNextAllowedIsAllowed(t *testing.T) {
	for _, zone := range []string{"", "America/Chicago"} {
		w := mustCheck(t, msConfig(zone))
		for _, to := range []string{msNumber, nyNumber, sdNumber} {
			n := dialgate.MustParseNumber(to)
			for c := at(t, "2026-01-01T00:17:00Z"); c.Year() == 2026; c = c.Add(7*time.Hour + 13*time.Minute) {
				rs, _ := w.Check(context.Background(), dialgate.Dial{To: n, Purpose: dialgate.PurposeService, At: c})
				if len(rs) == 0 {
					continue
				}
				next := rs[0].NextAllowedAt
				if next.IsZero() {
					t.Fatalf("zone %q %s at %s: no next instant", zone, to, c.Format(time.RFC3339))
				}
				if again, _ := w.Check(context.Background(), dialgate.Dial{To: n, Purpose: dialgate.PurposeService, At: next}); len(again) != 0 {
					t.Fatalf("zone %q %s at %s: next %s is denied: %s", zone, to, c.Format(time.RFC3339), next.Format(time.RFC3339), again[0].Message)
				}
				if before, _ := w.Check(context.Background(), dialgate.Dial{To: n, Purpose: dialgate.PurposeService, At: next.Add(-time.Second)}); len(before) == 0 && next.After(c) {
					t.Fatalf("zone %q %s at %s: next %s is not the first allowed instant", zone, to, c.Format(time.RFC3339), next.Format(time.RFC3339))
				}
			}
		}
	}
}

func TestStandardTimeAllowedPathDoesNotAllocate(t *testing.T) {
	for _, zone := range []string{"", "America/Chicago"} {
		w := mustCheck(t, msConfig(zone))
		d := dialgate.Dial{To: dialgate.MustParseNumber(msNumber), Purpose: dialgate.PurposeService, At: at(t, "2026-07-06T12:00:00-05:00")}
		w.Attest(context.Background(), d)
		if a := testing.AllocsPerRun(200, func() {
			if rs, _, _ := w.Attest(context.Background(), d); len(rs) != 0 {
				panic("denied")
			}
		}); a != 0 {
			t.Errorf("zone %q: %v allocs per allowed check", zone, a)
		}
	}
}

func TestStandardTimeValidate(t *testing.T) {
	for _, tt := range []struct {
		name  string
		st    *StandardTime
		field string
	}{
		{"unknown zone", &StandardTime{Zone: "America/Nowhere", Cite: citeU}, `schedule.also_in_standard_time.zone: unknown zone "America/Nowhere"`},
		{"local zone", &StandardTime{Zone: "Local", Cite: citeU}, "schedule.also_in_standard_time.zone"},
		{"no cite", &StandardTime{}, "schedule.also_in_standard_time.cite.source: missing"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := msConfig("")
			c.AlsoInStandardTime = tt.st
			wantInvalidConfig(t, c, tt.field)
		})
	}
	if err := msConfig("America/Chicago").Validate(); err != nil {
		t.Errorf("valid config: %v", err)
	}
}

// TestStdOffsetTable: the standard offset takes out the daylight-saving
// shift as the zone database marks it.
func TestStdOffsetTable(t *testing.T) {
	load := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	for _, tt := range []struct {
		zone string
		at   string
		want int64 // seconds
	}{
		{"America/Chicago", "2026-07-06T12:00:00Z", -6 * 3600},
		{"America/Chicago", "2026-01-06T12:00:00Z", -6 * 3600},
		{"America/Chicago", "1974-07-01T12:00:00Z", -6 * 3600}, // year-round DST of 1974
		{"America/Chicago", "2150-07-01T12:00:00Z", -6 * 3600}, // after the table
		{"America/Chicago", "1950-07-01T12:00:00Z", -6 * 3600}, // before it
		{"Europe/London", "2026-07-06T12:00:00Z", 0},
		{"Europe/London", "1970-07-01T12:00:00Z", 3600}, // British Standard Time, 1968–1971
		{"Asia/Shanghai", "2026-07-06T12:00:00Z", 8 * 3600},
		{"Australia/Sydney", "2026-01-06T12:00:00Z", 10 * 3600},
	} {
		tab := newStdOffsetTable(load(tt.zone))
		s := at(t, tt.at).Unix()
		if got := tab.offset(s); got != tt.want {
			t.Errorf("%s at %s: standard offset %d, want %d", tt.zone, tt.at, got, tt.want)
		}
		if off, end := tab.period(s); off != tt.want || end <= s {
			t.Errorf("%s at %s: period %d until %d", tt.zone, tt.at, off, end)
		}
	}
	// A slim zone (offsets from its TZ string, as in Go's embedded tzdata)
	// is standard time all along.
	loc, err := time.LoadLocationFromTZData("Slim/New_York", slimTZif(-5*3600, "EST", "EST5EDT,M3.2.0,M11.1.0"))
	if err != nil {
		t.Fatal(err)
	}
	tab := newStdOffsetTable(loc)
	for s := tableFrom; s < tableTo; s += 86400 * 37 {
		if got := tab.offset(s); got != -5*3600 {
			t.Fatalf("slim New York at %s: standard offset %d", time.Unix(s, 0).UTC(), got)
		}
	}
}
