package schedule

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// Synthetic callees: Baton Rouge (+1 225), New Orleans (+1 504), both
// America/Chicago, and New York (+1 212), America/New_York.
const (
	brNumber  = "+12255550101"
	nolNumber = "+15045550102"
)

// emergency returns a blackout over the Louisiana area codes +1225 and +1504.
func emergency(t testing.TB, from, until string) Blackout {
	return Blackout{
		From:     at(t, from),
		Until:    at(t, until),
		Prefixes: []string{"+1225", "+1504"},
		Reason:   "Hurricane Test, Proclamation 1 JBE 2026",
		Cite:     citeU,
	}
}

// usConfig is the us federal window, every day 08:00–21:00.
func usConfig(bs ...Blackout) Config {
	return Config{Windows: []Window{daily("08:00-21:00")}, Blackouts: bs}
}

func TestBlackoutBoundaries(t *testing.T) {
	w := mustCheck(t, usConfig(emergency(t, "2026-08-26T10:00:00-05:00", "2026-08-28T15:00:00-05:00")))
	runSteps(t, w, []step{
		{brNumber, "2026-08-26T09:59:59-05:00", "", ""},
		// from is inclusive.
		{brNumber, "2026-08-26T10:00:00-05:00", dialgate.CodeOutsideWindow, "2026-08-28T15:00:00-05:00"},
		{nolNumber, "2026-08-27T12:00:00-05:00", dialgate.CodeOutsideWindow, "2026-08-28T15:00:00-05:00"},
		{brNumber, "2026-08-28T14:59:59-05:00", dialgate.CodeOutsideWindow, "2026-08-28T15:00:00-05:00"},
		// until is exclusive.
		{brNumber, "2026-08-28T15:00:00-05:00", "", ""},
		// The same instants written in UTC.
		{brNumber, "2026-08-26T15:00:00Z", dialgate.CodeOutsideWindow, "2026-08-28T20:00:00Z"},
		{brNumber, "2026-08-28T20:00:00Z", "", ""},
		// A callee outside the prefixes is unaffected.
		{nyNumber, "2026-08-27T12:00:00-04:00", "", ""},
		{nyNumber, "2026-08-27T22:00:00-04:00", dialgate.CodeOutsideWindow, "2026-08-28T08:00:00-04:00"},
	})
}

func TestBlackoutReasonAndEvidence(t *testing.T) {
	w := mustCheck(t, usConfig(emergency(t, "2026-08-26T10:00:00-05:00", "2026-08-28T15:00:00-05:00")))
	for _, tt := range []struct {
		at      string
		outside bool // also outside the windows
	}{
		{"2026-08-27T12:00:00-05:00", false},
		{"2026-08-27T22:00:00-05:00", true},
	} {
		d := dialgate.Dial{To: dialgate.MustParseNumber(brNumber), Purpose: dialgate.PurposeMarketing, At: at(t, tt.at)}
		rs, err := w.Check(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		// One reason, never the same code twice.
		if len(rs) != 1 || rs[0].Code != dialgate.CodeOutsideWindow {
			t.Fatalf("%s: reasons %+v, want one schedule.outside_window", tt.at, rs)
		}
		r := rs[0]
		for _, want := range []string{"Hurricane Test, Proclamation 1 JBE 2026", "until 2026-08-28T15:00:00-05:00",
			"schedule.blackouts[0]", "next allowed at 2026-08-28T15:00:00-05:00"} {
			if !strings.Contains(r.Message, want) {
				t.Errorf("%s: message %q lacks %q", tt.at, r.Message, want)
			}
		}
		if got := strings.Contains(r.Message, "also outside the calling windows"); got != tt.outside {
			t.Errorf("%s: message %q: outside the windows %v, want %v", tt.at, r.Message, got, tt.outside)
		}
		if strings.Contains(r.Message, brNumber[1:]) {
			t.Errorf("message holds the callee number: %s", r.Message)
		}
		for _, e := range []dialgate.Evidence{
			{Key: EvidenceBlackout, Value: "Hurricane Test, Proclamation 1 JBE 2026"},
			{Key: EvidenceBlackoutUntil, Value: "2026-08-28T15:00:00-05:00"},
			{Key: EvidenceZone, Value: "America/Chicago"},
			{Key: EvidenceNextAllowedAt, Value: "2026-08-28T15:00:00-05:00"},
		} {
			if !slices.Contains(r.Evidence, e) {
				t.Errorf("%s: evidence %v lacks %v", tt.at, r.Evidence, e)
			}
		}
	}
}

func TestBlackoutPrefixes(t *testing.T) {
	b := emergency(t, "2026-08-26T10:00:00-05:00", "2026-08-28T15:00:00-05:00")
	inside := "2026-08-27T12:00:00-05:00"
	tests := []struct {
		name     string
		prefixes []string
		to       string
		denied   bool
	}{
		{"area code", []string{"+1225"}, brNumber, true},
		{"other area code", []string{"+1225"}, nolNumber, false},
		{"country code only", []string{"+1"}, nyNumber, true},
		{"other country", []string{"+44"}, brNumber, false},
		{"the whole number", []string{brNumber}, brNumber, true},
		{"one digit more than the number", []string{brNumber + "9"}, brNumber, false},
		{"15 digits", []string{"+122555501019999"}, brNumber, false},
		{"a neighbour", []string{"+12255550102"}, brNumber, false},
		{"second of two", []string{"+1504", "+1225"}, brNumber, true},
		{"none: every callee", nil, nyNumber, true},
		{"none: every callee, +86 too", nil, cnMobile, true},
		{"empty list: every callee", []string{}, nyNumber, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := b
			b.Prefixes = tt.prefixes
			w := mustCheck(t, Config{Windows: []Window{daily("00:00-24:00")}, DefaultZone: &Zone{Name: "America/Chicago", Cite: citeU}, Blackouts: []Blackout{b}})
			rs, err := w.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber(tt.to), Purpose: dialgate.PurposeService, At: at(t, inside)})
			if err != nil {
				t.Fatal(err)
			}
			if (len(rs) > 0) != tt.denied {
				t.Fatalf("reasons %v, want denied=%v", rs, tt.denied)
			}
		})
	}
}

func TestBlackoutPurposes(t *testing.T) {
	cfg := usConfig(emergency(t, "2026-08-26T10:00:00-05:00", "2026-08-28T15:00:00-05:00"))
	cfg.Purposes = []dialgate.Purpose{dialgate.PurposeMarketing}
	w := mustCheck(t, cfg)
	inside := at(t, "2026-08-27T12:00:00-05:00")
	for p, denied := range map[dialgate.Purpose]bool{
		dialgate.PurposeMarketing:   true,
		dialgate.PurposeService:     false, // the schedule does not apply to it at all
		dialgate.PurposeCollections: false,
	} {
		rs, _ := w.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber(brNumber), Purpose: p, At: inside})
		if (len(rs) > 0) != denied {
			t.Errorf("%s: reasons %v, want denied=%v", p, rs, denied)
		}
	}
	// Without Purposes every purpose is covered.
	w = mustCheck(t, usConfig(emergency(t, "2026-08-26T10:00:00-05:00", "2026-08-28T15:00:00-05:00")))
	for _, p := range []dialgate.Purpose{dialgate.PurposeMarketing, dialgate.PurposeService, dialgate.PurposeCollections, dialgate.PurposeSurvey} {
		if rs, _ := w.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber(brNumber), Purpose: p, At: inside}); len(rs) == 0 {
			t.Errorf("%s allowed in a blackout", p)
		}
	}
}

// TestBlackoutCallbacksNotExempt: the instant-callback exemption is from rest
// hours; a declared emergency is not rest hours.
func TestBlackoutCallbacksNotExempt(t *testing.T) {
	cfg := cnConfig()
	cfg.Blackouts = []Blackout{{From: at(t, "2026-12-04T08:00:00+08:00"), Until: at(t, "2026-12-06T08:00:00+08:00"), Reason: "test emergency", Cite: citeU}}
	w := mustCheck(t, cfg)
	for _, when := range []string{"2026-12-04T10:00:00+08:00", "2026-12-04T23:00:00+08:00"} {
		now := at(t, when)
		d := dialgate.Dial{To: dialgate.MustParseNumber(cnMobile), Purpose: dialgate.PurposeCallback, TriggerAt: now.Add(-time.Minute), At: now}
		rs, ev, err := w.Attest(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 1 || rs[0].Code != dialgate.CodeOutsideWindow || !rs[0].NextAllowedAt.Equal(at(t, "2026-12-06T09:00:00+08:00")) {
			t.Errorf("%s: callback reasons %+v, want outside_window until 2026-12-06 09:00", when, rs)
		}
		if slices.Contains(ev, dialgate.Evidence{Key: EvidenceCallbackExempt, Value: "true"}) {
			t.Errorf("%s: callback exempt in a blackout", when)
		}
	}
	// After the blackout the exemption applies again.
	now := at(t, "2026-12-06T23:00:00+08:00")
	d := dialgate.Dial{To: dialgate.MustParseNumber(cnMobile), Purpose: dialgate.PurposeCallback, TriggerAt: now.Add(-time.Minute), At: now}
	if rs, _ := w.Check(context.Background(), d); len(rs) != 0 {
		t.Errorf("fresh callback after the blackout: %v", rs)
	}
}

func TestBlackoutNextAllowed(t *testing.T) {
	la := Config{
		Windows:  []Window{{Days: []string{"mon-sat"}, Ranges: []string{"08:00-20:00"}, Cite: citeU}},
		Holidays: &Holidays{Forbid: true, Calendars: []string{"us-federal-2026", "us-la-2026"}, Cite: citeU},
	}
	tests := []struct {
		name      string
		blackouts []Blackout
		at, next  string
	}{
		// Ends on Saturday 21:00: Saturday evening, Sunday and Labor Day
		// (Monday 2026-09-07) are closed.
		{"windows and holidays after the end",
			[]Blackout{emergency(t, "2026-08-26T06:00:00-05:00", "2026-09-05T21:00:00-05:00")},
			"2026-09-01T12:00:00-05:00", "2026-09-08T08:00:00-05:00"},
		// Ends inside a window: the end itself.
		{"end inside a window",
			[]Blackout{emergency(t, "2026-08-26T06:00:00-05:00", "2026-09-01T12:30:00-05:00")},
			"2026-09-01T12:00:00-05:00", "2026-09-01T12:30:00-05:00"},
		// Overlapping entries: the later end counts.
		{"overlapping",
			[]Blackout{
				emergency(t, "2026-08-26T06:00:00-05:00", "2026-08-28T15:00:00-05:00"),
				emergency(t, "2026-08-28T12:00:00-05:00", "2026-08-31T09:00:00-05:00"),
			},
			"2026-08-27T12:00:00-05:00", "2026-08-31T09:00:00-05:00"},
		// The first ends at night; the second starts before the window
		// opens: the next instant is after the second.
		{"chained through the night",
			[]Blackout{
				emergency(t, "2026-08-26T06:00:00-05:00", "2026-08-27T22:00:00-05:00"),
				emergency(t, "2026-08-28T07:00:00-05:00", "2026-08-28T12:00:00-05:00"),
			},
			"2026-08-27T12:00:00-05:00", "2026-08-28T12:00:00-05:00"},
		// Listed in the other order.
		{"chained, listed backwards",
			[]Blackout{
				emergency(t, "2026-08-28T07:00:00-05:00", "2026-08-28T12:00:00-05:00"),
				emergency(t, "2026-08-26T06:00:00-05:00", "2026-08-27T22:00:00-05:00"),
			},
			"2026-08-27T12:00:00-05:00", "2026-08-28T12:00:00-05:00"},
		// Outside the windows before a blackout: the window's opening falls
		// inside the blackout, so the next instant is the blackout's end.
		{"window opens inside a blackout",
			[]Blackout{emergency(t, "2026-08-26T06:00:00-05:00", "2026-08-26T12:00:00-05:00")},
			"2026-08-25T22:00:00-05:00", "2026-08-26T12:00:00-05:00"},
		// A long blackout: the next instant is searched after its end, not
		// within 400 days of the decision.
		{"longer than the search horizon",
			[]Blackout{{From: at(t, "2026-08-26T06:00:00-05:00"), Until: at(t, "2028-01-04T12:00:00-06:00"), Reason: "x", Cite: citeU}},
			"2026-09-01T12:00:00-05:00", "2028-01-04T12:00:00-06:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := la
			cfg.Blackouts = tt.blackouts
			if tt.name == "longer than the search horizon" {
				cfg.Holidays = nil // no 2028 calendar
			}
			w := mustCheck(t, cfg)
			runSteps(t, w, []step{{brNumber, tt.at, dialgate.CodeOutsideWindow, tt.next}})
		})
	}
}

// TestBlackoutInstantsAreAbsolute: a blackout ending in the repeated hour of
// a daylight-saving change ends at the instant it names, not at a wall-clock
// time.
func TestBlackoutInstantsAreAbsolute(t *testing.T) {
	// 2026-11-01: Chicago goes from 02:00 CDT (-05:00) back to 01:00 CST
	// (-06:00); 01:30 happens twice. The blackout ends at the second one.
	b := emergency(t, "2026-10-31T00:00:00-05:00", "2026-11-01T01:30:00-06:00")
	w := mustCheck(t, Config{Windows: []Window{daily("00:00-24:00")}, Blackouts: []Blackout{b}})
	runSteps(t, w, []step{
		{brNumber, "2026-11-01T01:30:00-05:00", dialgate.CodeOutsideWindow, "2026-11-01T01:30:00-06:00"}, // the first 01:30
		{brNumber, "2026-11-01T01:45:00-05:00", dialgate.CodeOutsideWindow, "2026-11-01T07:30:00Z"},
		{brNumber, "2026-11-01T01:29:59-06:00", dialgate.CodeOutsideWindow, "2026-11-01T01:30:00-06:00"},
		{brNumber, "2026-11-01T01:30:00-06:00", "", ""},
	})
}

func TestBlackoutZoneUnknown(t *testing.T) {
	intl := "+8821234567890" // international networks: no zone
	b := Blackout{From: at(t, "2026-08-26T06:00:00-05:00"), Until: at(t, "2026-08-28T15:00:00-05:00"), Reason: "everyone", Cite: citeU}
	w := mustCheck(t, usConfig(b))
	rs, err := w.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber(intl), Purpose: dialgate.PurposeService, At: at(t, "2026-08-27T12:00:00-05:00")})
	if err != nil {
		t.Fatal(err)
	}
	codes := make([]dialgate.Code, len(rs))
	for i, r := range rs {
		codes[i] = r.Code
		if !r.NextAllowedAt.IsZero() {
			t.Errorf("%s: next allowed %v for a callee whose zone is unknown", r.Code, r.NextAllowedAt)
		}
	}
	if !slices.Equal(codes, []dialgate.Code{dialgate.CodeOutsideWindow, dialgate.CodeZoneUnknown}) {
		t.Fatalf("codes %v", codes)
	}
	if !strings.Contains(rs[0].Message, "everyone") || !strings.Contains(rs[0].Message, "until 2026-08-28T15:00:00-05:00") {
		t.Errorf("message %q", rs[0].Message)
	}
}

func TestBlackoutAllowedPathDoesNotAllocate(t *testing.T) {
	// Blackouts configured, none in force (or none covering the callee).
	w := mustCheck(t, usConfig(
		emergency(t, "2026-08-26T06:00:00-05:00", "2026-08-28T15:00:00-05:00"),
		Blackout{From: at(t, "2026-05-01T00:00:00Z"), Until: at(t, "2026-05-02T00:00:00Z"), Reason: "past", Cite: citeU},
	))
	for _, tc := range []struct{ to, at string }{
		{brNumber, "2026-09-01T12:00:00-05:00"},
		{nyNumber, "2026-08-27T12:00:00-04:00"},
	} {
		d := dialgate.Dial{To: dialgate.MustParseNumber(tc.to), Purpose: dialgate.PurposeService, At: at(t, tc.at)}
		w.Attest(context.Background(), d) // warm the zone cache
		if a := testing.AllocsPerRun(200, func() {
			if rs, _, _ := w.Attest(context.Background(), d); len(rs) != 0 {
				panic("denied")
			}
		}); a != 0 {
			t.Errorf("%s at %s: %v allocs per allowed check", tc.to, tc.at, a)
		}
	}
}

func TestBlackoutValidate(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(b *Blackout)
		field string // must appear in the error
	}{
		{"no from", func(b *Blackout) { b.From = time.Time{} }, "schedule.blackouts[0].from: missing"},
		{"no until", func(b *Blackout) { b.Until = time.Time{} }, "schedule.blackouts[0].until: missing (an RFC 3339 instant with its offset, e.g. 2026-08-26T06:00:00-05:00; a blackout must end"},
		{"until before from", func(b *Blackout) { b.Until = b.From.Add(-time.Hour) }, "schedule.blackouts[0].until: 2026-08-26T05:00:00-05:00 is not after from (2026-08-26T06:00:00-05:00)"},
		{"until equals from", func(b *Blackout) { b.Until = b.From }, "schedule.blackouts[0].until: 2026-08-26T06:00:00-05:00 is not after from"},
		{"year 0202", func(b *Blackout) { b.From = time.Date(202, 8, 26, 0, 0, 0, 0, time.UTC) }, "schedule.blackouts[0].from: 0202-08-26T00:00:00Z is outside the years 1970–2099"},
		{"year 2100", func(b *Blackout) { b.Until = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC) }, "schedule.blackouts[0].until: 2100-01-01T00:00:00Z is outside"},
		{"no reason", func(b *Blackout) { b.Reason = " " }, "schedule.blackouts[0].reason: missing"},
		{"long reason", func(b *Blackout) { b.Reason = strings.Repeat("é", 201) }, "schedule.blackouts[0].reason: longer than 200 characters"},
		{"reason with a line break", func(b *Blackout) { b.Reason = "a\nb" }, "schedule.blackouts[0].reason: contains a control character"},
		{"reason not UTF-8", func(b *Blackout) { b.Reason = "a\xffb" }, "schedule.blackouts[0].reason: not valid UTF-8"},
		{"no cite", func(b *Blackout) { b.Cite = dialgate.Citation{} }, "schedule.blackouts[0].cite.source: missing"},
		{"cite without ref", func(b *Blackout) { b.Cite.Ref = "" }, "schedule.blackouts[0].cite.ref: missing"},
		{"prefix without +", func(b *Blackout) { b.Prefixes = []string{"+1225", "1504"} }, `schedule.blackouts[0].prefixes[1]: "1504" is not an E.164 prefix (no leading +`},
		{"bare +", func(b *Blackout) { b.Prefixes = []string{"+"} }, `schedule.blackouts[0].prefixes[0]: "+" is not an E.164 prefix (no digits`},
		{"prefix with a space", func(b *Blackout) { b.Prefixes = []string{"+1 504"} }, "only digits may follow the +"},
		{"prefix with a dash", func(b *Blackout) { b.Prefixes = []string{"+1-504"} }, "only digits may follow the +"},
		{"16 digits", func(b *Blackout) { b.Prefixes = []string{"+1234567890123456"} }, "more than 15 digits"},
		{"leading 0", func(b *Blackout) { b.Prefixes = []string{"+0504"} }, "never starts with 0"},
		{"trunk 0 after the country code", func(b *Blackout) { b.Prefixes = []string{"+44020"} }, `schedule.blackouts[0].prefixes[0]: "+44020" is not an E.164 prefix (no E.164 number starts with it`},
		{"trunk 0 after +1", func(b *Blackout) { b.Prefixes = []string{"+1225", "+10504"} }, `schedule.blackouts[0].prefixes[1]: "+10504" is not an E.164 prefix (no E.164 number starts with it`},
		{"unassigned country code", func(b *Blackout) { b.Prefixes = []string{"+28"} }, `schedule.blackouts[0].prefixes[0]: "+28" is not an E.164 prefix (no E.164 number starts with it`},
		{"empty prefix", func(b *Blackout) { b.Prefixes = []string{""} }, `schedule.blackouts[0].prefixes[0]: "" is not an E.164 prefix`},
		{"repeated prefix", func(b *Blackout) { b.Prefixes = []string{"+1504", "+1225", "+1504"} }, `schedule.blackouts[0].prefixes[2]: "+1504" repeats prefixes[0]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := emergency(t, "2026-08-26T06:00:00-05:00", "2026-08-28T15:00:00-05:00")
			tt.edit(&b)
			c := usConfig(b)
			wantInvalidConfig(t, c, tt.field)
		})
	}
	// The second entry is named by its index; overlapping entries are fine.
	c := usConfig(emergency(t, "2026-08-26T06:00:00-05:00", "2026-08-28T15:00:00-05:00"),
		emergency(t, "2026-08-27T06:00:00-05:00", "2026-08-29T15:00:00-05:00"))
	if err := c.Validate(); err != nil {
		t.Fatalf("overlapping blackouts: %v", err)
	}
	c.Blackouts[1].Until = time.Time{}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "schedule.blackouts[1].until: missing") {
		t.Errorf("second entry: %v", err)
	}
}

func TestBlackoutJSON(t *testing.T) {
	in := `{"windows":[{"days":["mon-sat"],"ranges":["08:00-20:00"],"cite":{"source":"L","ref":"x"}}],
	  "blackouts":[{"from":"2026-08-26T06:00:00-05:00","until":"2026-09-25T06:00:00-05:00",
	    "prefixes":["+1225","+1504"],"reason":"Hurricane Test","cite":{"source":"S","ref":"La. R.S. 45:844.31"}}]}`
	var c Config
	if err := json.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if b := c.Blackouts[0]; b.Until.Sub(b.From) != 30*24*time.Hour || len(b.Prefixes) != 2 {
		t.Errorf("decoded %+v", b)
	}
	// An instant without an offset, or a date alone, is not RFC 3339.
	for _, bad := range []string{`"2026-08-26T06:00:00"`, `"2026-08-26"`} {
		var b Blackout
		if err := json.Unmarshal([]byte(`{"from":`+bad+`}`), &b); err == nil {
			t.Errorf("accepted from %s", bad)
		}
	}
}

func FuzzParsePrefix(f *testing.F) {
	for _, s := range []string{"+1225", "+1", "+", "1504", "+0504", "+1234567890123456", "+123456789012345", "+1 504", "+１"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePrefix(s)
		if err != nil {
			return
		}
		if p.n < 1 || p.n > 15 || s[0] != '+' || len(s) != p.n+1 {
			t.Fatalf("parsePrefix(%q) = %+v", s, p)
		}
		// A number whose digits are the prefix's is covered by it.
		if n, err := dialgate.ParseNumber(s); err == nil {
			b := blackoutPlan{prefixes: []e164Prefix{p}}
			if !b.covers(n) {
				t.Fatalf("%q does not cover %v", s, n)
			}
		}
	})
}

// Prefixes that some valid number has are accepted: a bare or partial country
// code, and a 0 after the codes whose national numbers may start with it.
func TestBlackoutPrefixCanMatch(t *testing.T) {
	for _, s := range []string{"+1", "+1504", "+3", "+85", "+852", "+3906", "+4420", "+86", "+8613800138000", "+800", "+122555501301234"[:13]} {
		if _, err := parsePrefix(s); err != nil {
			t.Errorf("parsePrefix(%q): %v", s, err)
		}
	}
}
