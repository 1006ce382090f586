package policy

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
)

func TestCNSchedule(t *testing.T) {
	p, err := Builtin("cn")
	if err != nil {
		t.Fatal(err)
	}
	if p.Schedule == nil {
		t.Fatal("cn has no schedule section")
	}
	var now time.Time
	q := p.Clone()
	q.DNC = nil // only the schedule section matters here
	q.CallerID, q.Sweep, q.Frequency = nil, nil, nil
	q.Consent = nil
	g, err := Build(q, Deps{}, dialgate.WithoutAuditLog(), dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return now })))
	if err != nil {
		t.Fatal(err)
	}
	d := dialgate.Dial{To: dialgate.MustParseNumber("+8613800138000"), Purpose: dialgate.PurposeService, LeadID: "x"}
	for at, want := range map[string]bool{
		"2026-12-04T22:30:00+08:00": false,
		"2026-12-05T10:00:00+08:00": true,
		"2026-12-05T12:00:00+08:00": false,
		"2026-12-05T14:00:00+08:00": true,
	} {
		now, _ = time.Parse(time.RFC3339, at)
		dec, err := g.Check(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		if dec.Allowed != want || (!want && !dec.Has(dialgate.CodeOutsideWindow)) {
			t.Errorf("%s: allowed=%v %v, want %v", at, dec.Allowed, dec.Codes(), want)
		}
	}
	rules := explainSchedule(p.Schedule)
	if len(rules) < 4 {
		t.Errorf("explain gives %d rules", len(rules))
	}
}

func TestProfileWindows(t *testing.T) {
	tests := []struct {
		profile, to, at string
		allowed         bool
		code            dialgate.Code
	}{
		{"us", "+12125550100", "2026-06-10T08:00:00-04:00", true, ""},
		{"us", "+12125550100", "2026-06-10T21:00:00-04:00", false, dialgate.CodeOutsideWindow},
		{"us", "+12125550100", "2026-07-03T10:00:00-04:00", true, ""}, // federal holiday: not a federal no-call day
		{"us-fl", "+13055550100", "2026-06-10T20:00:00-04:00", false, dialgate.CodeOutsideWindow},
		{"us-fl", "+13055550100", "2026-06-10T19:59:00-04:00", true, ""},
		{"us-fl", "+13055550100", "2026-06-10T07:59:00-04:00", false, dialgate.CodeOutsideWindow},
		{"us-fl", "+13055550100", "2026-06-10T08:00:00-04:00", true, ""},
		{"us-ok", "+14055550100", "2026-06-10T20:00:00-05:00", false, dialgate.CodeOutsideWindow},
		{"us-ok", "+14055550100", "2026-06-10T19:59:00-05:00", true, ""},
		{"us-ok", "+14055550100", "2026-06-10T07:59:00-05:00", false, dialgate.CodeOutsideWindow},
		{"us-ok", "+14055550100", "2026-06-10T08:00:00-05:00", true, ""},
		{"us-al", "+12055550100", "2026-06-14T10:00:00-05:00", false, dialgate.CodeOutsideWindow}, // Sunday
		{"us-al", "+12055550100", "2026-07-03T10:00:00-05:00", false, dialgate.CodeHoliday},
		{"us-al", "+12055550100", "2026-06-13T10:00:00-05:00", true, ""},
		{"us-la", "+15045550100", "2026-02-17T10:00:00-06:00", false, dialgate.CodeHoliday}, // Mardi Gras
		{"us-ms", "+16015550100", "2026-06-14T10:00:00-05:00", false, dialgate.CodeOutsideWindow},
		// Miss. Code Ann. § 77-3-723(1), "8:00 a.m. and 8:00 p.m. Central
		// Standard Time": what both the local and the literal reading allow.
		{"us-ms", "+16015550100", "2026-07-06T08:30:00-05:00", false, dialgate.CodeOutsideWindow}, // 07:30 CST
		{"us-ms", "+16015550100", "2026-07-06T09:00:00-05:00", true, ""},
		{"us-ms", "+16015550100", "2026-07-06T19:30:00-05:00", true, ""},
		{"us-ms", "+16015550100", "2026-07-06T20:30:00-05:00", false, dialgate.CodeOutsideWindow}, // local reading
		{"us-ms", "+16015550100", "2026-01-05T08:30:00-06:00", true, ""},
		{"us-ms", "+16015550100", "2026-01-05T20:00:00-06:00", false, dialgate.CodeOutsideWindow},
		{"us-ms", "+12125550100", "2026-07-06T09:30:00-04:00", false, dialgate.CodeOutsideWindow}, // 07:30 CST
		{"us-collections", "+12125550100", "2026-06-10T20:59:00-04:00", true, ""},
		{"uk", "+442071234567", "2026-06-10T21:00:00+01:00", false, dialgate.CodeOutsideWindow},
		{"ca", "+14165550100", "2026-06-10T21:29:00-04:00", true, ""},
		{"ca", "+14165550100", "2026-06-13T18:00:00-04:00", false, dialgate.CodeOutsideWindow}, // Saturday
		{"fr", "+33140000000", "2026-06-10T13:30:00+02:00", false, dialgate.CodeOutsideWindow},
		{"fr", "+33140000000", "2026-06-13T11:00:00+02:00", false, dialgate.CodeOutsideWindow}, // Saturday
		{"fr", "+33140000000", "2026-07-14T11:00:00+02:00", false, dialgate.CodeHoliday},
		{"fr", "+33140000000", "2026-06-10T10:00:00+02:00", true, ""},
		{"au", "+61390000000", "2026-06-13T16:59:00+10:00", true, ""}, // Saturday
		{"au", "+61390000000", "2026-06-14T10:00:00+10:00", false, dialgate.CodeOutsideWindow},
		// +61 2 may be Lord Howe Island (17:29 there): numbering.LookupZones.
		{"au", "+61290000000", "2026-06-13T16:59:00+10:00", false, dialgate.CodeOutsideWindow},
		{"au", "+61290000000", "2026-06-13T16:29:00+10:00", true, ""},
		{"au", "+61390000000", "2026-01-26T10:00:00+11:00", false, dialgate.CodeHoliday},
		// An Australian mobile may be anywhere in Australia: 09:30 in Sydney is
		// 07:30 in Perth (and earlier on Christmas Island, whose numbers are
		// Australian too); 15:00 Sydney is inside the window everywhere.
		{"au", "+61412345678", "2026-06-10T09:30:00+10:00", false, dialgate.CodeOutsideWindow},
		{"au", "+61412345678", "2026-06-10T15:00:00+10:00", true, ""},
		// 2027: every forbidding profile lists both years of its calendars.
		{"us", "+12125550100", "2027-07-05T10:00:00-04:00", true, ""},
		{"us-al", "+12055550100", "2027-01-05T10:00:00-06:00", true, ""},
		{"us-al", "+12055550100", "2027-07-05T10:00:00-05:00", false, dialgate.CodeHoliday},
		{"us-al", "+12055550100", "2027-04-26T10:00:00-05:00", false, dialgate.CodeHoliday}, // Confederate Memorial Day
		{"us-la", "+15045550100", "2027-01-05T10:00:00-06:00", true, ""},
		{"us-la", "+15045550100", "2027-02-09T10:00:00-06:00", false, dialgate.CodeHoliday}, // Mardi Gras
		// The other statewide legal holidays of La. R.S. 1:55(A)(1) besides
		// the federal ones: Battle of New Orleans, Washington's Birthday and
		// Presidents' Day, Huey P. Long Day, Christopher Columbus Day, All
		// Saints' Day (the profile lists no federal calendar).
		{"us-la", "+15045550100", "2027-01-08T10:00:00-06:00", false, dialgate.CodeHoliday},
		{"us-la", "+15045550100", "2027-02-15T10:00:00-06:00", false, dialgate.CodeHoliday},
		{"us-la", "+15045550100", "2027-08-30T10:00:00-05:00", false, dialgate.CodeHoliday},
		{"us-la", "+15045550100", "2027-10-11T10:00:00-05:00", false, dialgate.CodeHoliday},
		{"us-la", "+15045550100", "2027-11-01T10:00:00-06:00", false, dialgate.CodeHoliday},
		{"us-la", "+15045550100", "2027-11-02T10:00:00-06:00", true, ""},
		{"fr", "+33140000000", "2027-01-05T11:00:00+01:00", true, ""},
		{"fr", "+33140000000", "2027-05-06T11:00:00+02:00", false, dialgate.CodeHoliday}, // Ascension
		{"au", "+61390000000", "2027-01-05T10:00:00+11:00", true, ""},
		{"au", "+61390000000", "2027-12-28T10:00:00+11:00", false, dialgate.CodeHoliday}, // Boxing Day (substitute)
		{"fr", "+33140000000", "2028-01-04T11:00:00+01:00", false, dialgate.UnavailableCode(schedule.Name)},
		{"cn", "+8613800138000", "2027-01-05T10:00:00+08:00", true, ""},                                    // no cn-2027: holidays do not forbid
		{"cn-insurance", "+8613800138000", "2026-06-10T12:30:00+08:00", false, dialgate.CodeOutsideWindow}, // cn's rest hours kept
		{"cn-insurance", "+8613800138000", "2026-06-10T21:00:00+08:00", false, dialgate.CodeOutsideWindow},
		// cn knows the zone of +86 numbers; a number whose zone is unknown (a
		// satellite service) is not assumed to be in China (REQUIREMENTS §4).
		{"cn", "+8613800138000", "2026-06-10T10:00:00+08:00", true, ""},
		{"cn", "+881612345678", "2026-06-10T10:00:00+08:00", false, dialgate.CodeZoneUnknown},
		{"cn-insurance", "+881612345678", "2026-06-10T10:00:00+08:00", false, dialgate.CodeZoneUnknown},
	}
	for _, tt := range tests {
		p, err := Builtin(tt.profile)
		if err != nil {
			t.Fatalf("%s: %v", tt.profile, err)
		}
		c, err := schedule.NewWindowCheck(*p.Schedule)
		if err != nil {
			t.Fatalf("%s: %v", tt.profile, err)
		}
		at, _ := time.Parse(time.RFC3339, tt.at)
		rs, err := c.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber(tt.to), Purpose: dialgate.PurposeMarketing, At: at})
		if err != nil {
			t.Fatal(err)
		}
		if (len(rs) == 0) != tt.allowed || (!tt.allowed && rs[0].Code != tt.code) {
			t.Errorf("%s %s: %+v, want allowed=%v %s", tt.profile, tt.at, rs, tt.allowed, tt.code)
		}
	}
}

// cn counts complaint deadlines in Beijing time from its complaint section
// (it has no schedule.default_zone, which would also place callees of
// unknown zone in China).
func TestComplaintZone(t *testing.T) {
	for _, name := range []string{"cn", "cn-insurance"} {
		p, err := Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := ComplaintZone(p); got != "Asia/Shanghai" {
			t.Errorf("%s: complaint zone %q, want Asia/Shanghai", name, got)
		}
		if p.Schedule.DefaultZone != nil {
			t.Errorf("%s: schedule.default_zone %q is set", name, p.Schedule.DefaultZone.Name)
		}
	}
}

func TestComplaintZoneValidated(t *testing.T) {
	p, err := Builtin("cn")
	if err != nil {
		t.Fatal(err)
	}
	c := *p.Complaint
	c.Zone = "Asia/Nowhere"
	p.Complaint = &c
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "complaint.zone") {
		t.Errorf("profile with complaint.zone Asia/Nowhere: %v, want an error naming complaint.zone", err)
	}
}

// TestStandardTimeSection: schedule.also_in_standard_time is parsed
// strictly, validated with errors naming the key, explained, and its removal
// from us-ms draws a lint warning.
func TestStandardTimeSection(t *testing.T) {
	head := "schema: dialgate.profile.v1\nname: mine\nextends: us\nschedule:\n  also_in_standard_time:\n"
	for _, tt := range []struct{ name, src, want string }{
		{"unknown key", head + "    zone: America/Chicago\n    standard: also\n    cite: {source: L, ref: x}\n", `also_in_standard_time.standard: unknown key "standard"`},
		{"not a mapping", "schema: dialgate.profile.v1\nname: mine\nextends: us\nschedule:\n  also_in_standard_time: true\n", "schedule.also_in_standard_time: cannot use a bool here"},
		{"unknown zone", head + "    zone: Central\n    cite: {source: L, ref: x}\n", `schedule.also_in_standard_time.zone: unknown zone "Central"`},
		{"no cite", head + "    zone: America/Chicago\n", "schedule.also_in_standard_time.cite.source: missing"},
		{"zone type", head + "    zone: [America/Chicago]\n    cite: {source: L, ref: x}\n", "also_in_standard_time.zone: cannot use a array here"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("mine.yaml", []byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v\nwant an error containing %q", err, tt.want)
			}
		})
	}
	p, err := Parse("mine.yaml", []byte(head+"    cite: {source: L, ref: x}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if st := p.Schedule.AlsoInStandardTime; st == nil || st.Zone != "" {
		t.Fatalf("also_in_standard_time without a zone: %+v", st)
	}

	ms, err := Builtin("us-ms")
	if err != nil {
		t.Fatal(err)
	}
	if st := ms.Schedule.AlsoInStandardTime; st == nil || st.Zone != "America/Chicago" || st.Cite.Source != dialgate.SourceLaw || !strings.Contains(st.Cite.Ref, "77-3-723(1)") {
		t.Fatalf("us-ms also_in_standard_time = %+v", st)
	}
	var found bool
	for _, r := range Explain(ms) {
		if r.Path == "schedule.also_in_standard_time" {
			found = strings.Contains(r.Text, "standard time (the UTC offset without daylight saving) of America/Chicago, for every callee") && r.Cite == ms.Schedule.AlsoInStandardTime.Cite
		}
	}
	if !found {
		t.Errorf("explain us-ms: no rule for schedule.also_in_standard_time naming America/Chicago")
	}

	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	over := "schema: dialgate.profile.v1\nname: mine\nextends: us-ms\n"
	for src, want := range map[string]string{
		over + "schedule: {also_in_standard_time: null}\n":                     "schedule.also_in_standard_time: removed; base us-ms reads the windows also in standard time (Miss. Code Ann. § 77-3-723(1))",
		over + "schedule: {also_in_standard_time: {zone: America/New_York}}\n": "schedule.also_in_standard_time.zone: America/New_York, base us-ms reads the windows in the standard time of America/Chicago",
		over + "schedule: {also_in_standard_time: {zone: null}}\n":             "schedule.also_in_standard_time.zone: the callee's zones, base us-ms reads",
		over + "schedule: {also_in_standard_time: {cite: {note: shorter}}}\n":  "",
	} {
		p, err := Parse("mine.yaml", []byte(src))
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		var got []string
		for _, w := range Lint(p, now) {
			if !strings.HasPrefix(w.Path, "schedule.holidays.calendars") {
				got = append(got, w.String())
			}
		}
		if (want == "" && len(got) != 0) || (want != "" && (len(got) != 1 || !strings.Contains(got[0], want))) {
			t.Errorf("%q: Lint = %q, want %q", src, got, want)
		}
	}
}
