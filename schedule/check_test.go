package schedule

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

var citeU = dialgate.Citation{Source: dialgate.SourceConvention, Ref: "test"}

func daily(ranges ...string) Window {
	return Window{Days: []string{"mon-sun"}, Ranges: ranges, Cite: citeU}
}

func cnConfig() Config {
	return Config{
		Windows:     []Window{daily("09:00-12:00", "14:00-21:00")},
		DefaultZone: &Zone{Name: "Asia/Shanghai", Cite: citeU},
		Callback:    &Callback{MaxTriggerAge: dialgate.Duration(30 * time.Minute), Cite: citeU},
	}
}

func mustCheck(t testing.TB, cfg Config, opts ...Option) *WindowCheck {
	t.Helper()
	w, err := NewWindowCheck(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

const (
	cnMobile = "+8613800138000"
	nyNumber = "+12125550100"
	// South Dakota: America/Denver and America/North_Dakota/Center, and
	// America/Chicago for an exchange the data does not list (555).
	sdNumber = "+16055550100"
)

type step struct {
	to, at string
	want   dialgate.Code // "" = allowed
	next   string        // expected NextAllowedAt, RFC 3339
}

func runSteps(t *testing.T, w *WindowCheck, steps []step) {
	t.Helper()
	for _, s := range steps {
		d := dialgate.Dial{To: dialgate.MustParseNumber(s.to), Purpose: dialgate.PurposeService, At: at(t, s.at)}
		rs, err := w.Check(context.Background(), d)
		if err != nil {
			t.Fatalf("%s at %s: %v", s.to, s.at, err)
		}
		if s.want == "" {
			if len(rs) != 0 {
				t.Errorf("%s at %s: denied %v (%s), want allowed", s.to, s.at, rs[0].Code, rs[0].Message)
			}
			continue
		}
		if len(rs) == 0 {
			t.Errorf("%s at %s: allowed, want %s", s.to, s.at, s.want)
			continue
		}
		if rs[0].Code != s.want {
			t.Errorf("%s at %s: code %s, want %s", s.to, s.at, rs[0].Code, s.want)
		}
		if s.next != "" && !rs[0].NextAllowedAt.Equal(at(t, s.next)) {
			t.Errorf("%s at %s: next allowed %s, want %s", s.to, s.at, rs[0].NextAllowedAt.Format(time.RFC3339), s.next)
		}
		if strings.Contains(rs[0].Message, s.to[1:]) {
			t.Errorf("message holds the callee number: %s", rs[0].Message)
		}
	}
}

func TestWindowBoundariesCN(t *testing.T) {
	w := mustCheck(t, cnConfig())
	runSteps(t, w, []step{
		{cnMobile, "2026-12-04T08:59:59+08:00", dialgate.CodeOutsideWindow, "2026-12-04T09:00:00+08:00"},
		{cnMobile, "2026-12-04T09:00:00+08:00", "", ""}, // start inclusive
		{cnMobile, "2026-12-04T11:59:59+08:00", "", ""},
		{cnMobile, "2026-12-04T12:00:00+08:00", dialgate.CodeOutsideWindow, "2026-12-04T14:00:00+08:00"}, // end exclusive
		{cnMobile, "2026-12-04T13:59:00+08:00", dialgate.CodeOutsideWindow, "2026-12-04T14:00:00+08:00"},
		{cnMobile, "2026-12-04T14:00:00+08:00", "", ""},
		{cnMobile, "2026-12-04T20:59:59+08:00", "", ""},
		{cnMobile, "2026-12-04T21:00:00+08:00", dialgate.CodeOutsideWindow, "2026-12-05T09:00:00+08:00"},
		{cnMobile, "2026-12-04T22:30:00+08:00", dialgate.CodeOutsideWindow, "2026-12-05T09:00:00+08:00"},
		{cnMobile, "2026-12-04T14:30:00Z", dialgate.CodeOutsideWindow, "2026-12-05T09:00:00+08:00"}, // 22:30 in Shanghai
		{"+861058001234", "2026-12-05T01:00:00+08:00", dialgate.CodeOutsideWindow, "2026-12-05T09:00:00+08:00"},
	})
}

func TestWindowsSpanMidnightAndWeekends(t *testing.T) {
	cfg := Config{Windows: []Window{
		{Days: []string{"fri"}, Ranges: []string{"21:00-02:00"}, Cite: citeU},
		{Days: []string{"mon-thu"}, Ranges: []string{"10:00-13:00", "14:00-20:00"}, Cite: citeU},
	}}
	w := mustCheck(t, cfg)
	runSteps(t, w, []step{
		{cnMobile, "2026-12-04T20:59:00+08:00", dialgate.CodeOutsideWindow, "2026-12-04T21:00:00+08:00"}, // Friday
		{cnMobile, "2026-12-04T23:00:00+08:00", "", ""},
		{cnMobile, "2026-12-05T01:59:59+08:00", "", ""}, // Saturday, still Friday's range
		{cnMobile, "2026-12-05T02:00:00+08:00", dialgate.CodeOutsideWindow, "2026-12-07T10:00:00+08:00"},
		{cnMobile, "2026-12-06T12:00:00+08:00", dialgate.CodeOutsideWindow, "2026-12-07T10:00:00+08:00"}, // Sunday
		{cnMobile, "2026-12-07T13:30:00+08:00", dialgate.CodeOutsideWindow, "2026-12-07T14:00:00+08:00"},
		{cnMobile, "2026-12-10T20:00:00+08:00", dialgate.CodeOutsideWindow, "2026-12-11T21:00:00+08:00"}, // Thu evening → Fri night
	})
}

func TestDSTNewYork(t *testing.T) {
	w := mustCheck(t, Config{Windows: []Window{daily("08:00-21:00")}})
	runSteps(t, w, []step{
		// 2026-03-08: clocks go from 02:00 EST to 03:00 EDT.
		{nyNumber, "2026-03-07T21:30:00-05:00", dialgate.CodeOutsideWindow, "2026-03-08T08:00:00-04:00"},
		{nyNumber, "2026-03-08T07:59:00-04:00", dialgate.CodeOutsideWindow, "2026-03-08T08:00:00-04:00"},
		{nyNumber, "2026-03-08T12:00:00Z", "", ""}, // 08:00 EDT
		{nyNumber, "2026-03-08T11:59:59Z", dialgate.CodeOutsideWindow, "2026-03-08T12:00:00Z"},
		{nyNumber, "2026-03-09T00:59:00Z", "", ""}, // 20:59 EDT
		{nyNumber, "2026-03-09T01:00:00Z", dialgate.CodeOutsideWindow, "2026-03-09T12:00:00Z"},
		// 2026-11-01: clocks go from 02:00 EDT back to 01:00 EST.
		{nyNumber, "2026-10-31T21:00:00-04:00", dialgate.CodeOutsideWindow, "2026-11-01T08:00:00-05:00"},
		{nyNumber, "2026-11-01T12:59:00Z", dialgate.CodeOutsideWindow, "2026-11-01T13:00:00Z"}, // 07:59 EST
		{nyNumber, "2026-11-01T13:00:00Z", "", ""},
		{nyNumber, "2026-11-02T01:59:00Z", "", ""}, // 20:59 EST
		{nyNumber, "2026-11-02T02:00:00Z", dialgate.CodeOutsideWindow, "2026-11-02T13:00:00Z"},
	})
}

func TestDSTWindowInsideTheGap(t *testing.T) {
	// A window that starts in the skipped hour opens at the first real instant.
	w := mustCheck(t, Config{Windows: []Window{daily("02:00-05:00")}})
	runSteps(t, w, []step{
		{nyNumber, "2026-03-08T01:30:00-05:00", dialgate.CodeOutsideWindow, "2026-03-08T03:00:00-04:00"},
		{nyNumber, "2026-03-08T03:00:00-04:00", "", ""},
	})
	// A window wholly inside the skipped hour does not exist that day.
	w = mustCheck(t, Config{Windows: []Window{daily("02:10-02:40")}})
	runSteps(t, w, []step{
		{nyNumber, "2026-03-08T01:30:00-05:00", dialgate.CodeOutsideWindow, "2026-03-09T02:10:00-04:00"},
	})
	// The repeated hour: 01:30-01:45 happens twice on 2026-11-01.
	w = mustCheck(t, Config{Windows: []Window{daily("01:30-01:45")}})
	runSteps(t, w, []step{
		{nyNumber, "2026-11-01T01:00:00-04:00", dialgate.CodeOutsideWindow, "2026-11-01T01:30:00-04:00"},
		{nyNumber, "2026-11-01T01:50:00-04:00", dialgate.CodeOutsideWindow, "2026-11-01T01:30:00-05:00"},
		{nyNumber, "2026-11-01T01:35:00-05:00", "", ""},
	})
}

func TestMultiZoneIntersection(t *testing.T) {
	w := mustCheck(t, Config{Windows: []Window{daily("08:00-21:00")}})
	runSteps(t, w, []step{
		// 08:30 Central is 07:30 Mountain: Denver is not open yet.
		{sdNumber, "2026-06-10T08:30:00-05:00", dialgate.CodeOutsideWindow, "2026-06-10T08:00:00-06:00"},
		{sdNumber, "2026-06-10T08:00:00-06:00", "", ""},
		{sdNumber, "2026-06-10T20:59:00-05:00", "", ""},
		// 21:00 Central is 20:00 Mountain: Central has closed.
		{sdNumber, "2026-06-10T21:00:00-05:00", dialgate.CodeOutsideWindow, "2026-06-11T08:00:00-06:00"},
	})
	// The evidence names every zone.
	d := dialgate.Dial{To: dialgate.MustParseNumber(sdNumber), Purpose: dialgate.PurposeService, At: at(t, "2026-06-10T21:00:00-05:00")}
	rs, _ := w.Check(context.Background(), d)
	var zones []string
	for _, e := range rs[0].Evidence {
		if e.Key == EvidenceZone {
			zones = append(zones, e.Value)
		}
	}
	if !slices.Equal(zones, []string{"America/Chicago", "America/Denver", "America/North_Dakota/Center"}) {
		t.Errorf("evidence zones %v", zones)
	}
	_, ev, _ := w.Attest(context.Background(), dialgate.Dial{To: d.To, Purpose: d.Purpose, At: at(t, "2026-06-10T12:00:00-05:00")})
	if len(ev) != 3 {
		t.Errorf("attest evidence %v, want every zone", ev)
	}
}

func TestNoIntersection(t *testing.T) {
	// Zones an hour apart and a one-hour window never overlap.
	w := mustCheck(t, Config{Windows: []Window{daily("08:00-09:00")}})
	d := dialgate.Dial{To: dialgate.MustParseNumber(sdNumber), Purpose: dialgate.PurposeService, At: at(t, "2026-06-10T12:00:00Z")}
	rs, err := w.Check(context.Background(), d)
	if err != nil || len(rs) != 1 || rs[0].Code != dialgate.CodeOutsideWindow || !rs[0].NextAllowedAt.IsZero() {
		t.Fatalf("got %+v, %v; want outside_window without a next instant", rs, err)
	}
}

func TestZoneUnknown(t *testing.T) {
	intl := "+8821234567890" // international networks: no zone
	cfg := Config{Windows: []Window{daily("09:00-21:00")}}
	w := mustCheck(t, cfg)
	runSteps(t, w, []step{{intl, "2026-06-10T12:00:00Z", dialgate.CodeZoneUnknown, ""}})

	cfg.DefaultZone = &Zone{Name: "Asia/Shanghai", Cite: citeU}
	w = mustCheck(t, cfg)
	runSteps(t, w, []step{
		{intl, "2026-06-10T12:00:00+08:00", "", ""},
		{intl, "2026-06-10T22:00:00+08:00", dialgate.CodeOutsideWindow, "2026-06-11T09:00:00+08:00"},
	})
	_, ev, _ := w.Attest(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber(intl), Purpose: dialgate.PurposeService, At: at(t, "2026-06-10T12:00:00+08:00")})
	if !slices.Contains(ev, dialgate.Evidence{Key: EvidenceZoneSource, Value: "default_zone"}) {
		t.Errorf("evidence %v lacks the default-zone marker", ev)
	}
}

func TestCallbackExemption(t *testing.T) {
	w := mustCheck(t, cnConfig())
	night := at(t, "2026-12-04T23:00:00+08:00")
	tests := []struct {
		name    string
		purpose dialgate.Purpose
		trigger time.Time
		allowed bool
	}{
		{"fresh trigger", dialgate.PurposeCallback, night.Add(-29 * time.Minute), true},
		{"exactly the limit", dialgate.PurposeCallback, night.Add(-30 * time.Minute), true},
		{"stale trigger", dialgate.PurposeCallback, night.Add(-31 * time.Minute), false},
		{"future trigger", dialgate.PurposeCallback, night.Add(time.Minute), false},
		{"missing trigger", dialgate.PurposeCallback, time.Time{}, false},
		{"not a callback", dialgate.PurposeService, night.Add(-time.Minute), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := dialgate.Dial{To: dialgate.MustParseNumber(cnMobile), Purpose: tt.purpose, TriggerAt: tt.trigger, At: night}
			rs, ev, err := w.Attest(context.Background(), d)
			if err != nil {
				t.Fatal(err)
			}
			if (len(rs) == 0) != tt.allowed {
				t.Fatalf("reasons %v, want allowed=%v", rs, tt.allowed)
			}
			if tt.allowed && !slices.Contains(ev, dialgate.Evidence{Key: EvidenceCallbackExempt, Value: "true"}) {
				t.Errorf("evidence %v lacks the exemption", ev)
			}
		})
	}
	// Without a limit there is no exemption.
	cfg := cnConfig()
	cfg.Callback = nil
	w = mustCheck(t, cfg)
	d := dialgate.Dial{To: dialgate.MustParseNumber(cnMobile), Purpose: dialgate.PurposeCallback, TriggerAt: night.Add(-time.Minute), At: night}
	if rs, _ := w.Check(context.Background(), d); len(rs) == 0 {
		t.Fatal("callback exempt without a configured limit")
	}
}

// TestGateRejectsBadCallbacks checks that the Gate (root Dial.Validate) turns a
// callback with a future or missing trigger into dial.invalid before this check runs.
func TestGateRejectsBadCallbacks(t *testing.T) {
	night := at(t, "2026-12-04T23:00:00+08:00")
	g, err := dialgate.New([]dialgate.Checker{mustCheck(t, cnConfig())}, dialgate.WithoutAuditLog(), dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return night })))
	if err != nil {
		t.Fatal(err)
	}
	for name, trig := range map[string]time.Time{"future": night.Add(time.Second), "missing": {}} {
		dec, err := g.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber(cnMobile), Purpose: dialgate.PurposeCallback, LeadID: "x", TriggerAt: trig})
		if !errors.Is(err, dialgate.ErrInvalidDial) || !dec.Has(dialgate.CodeDialInvalid) || dec.Allowed {
			t.Errorf("%s trigger: %v, %v", name, dec.Codes(), err)
		}
	}
	dec, err := g.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber(cnMobile), Purpose: dialgate.PurposeCallback, TriggerAt: night.Add(-10 * time.Minute)})
	if err != nil || !dec.Allowed {
		t.Errorf("fresh callback at night: %v, %v", dec.Codes(), err)
	}
}

func TestPurposes(t *testing.T) {
	cfg := cnConfig()
	cfg.Purposes = []dialgate.Purpose{dialgate.PurposeMarketing}
	w := mustCheck(t, cfg)
	night := at(t, "2026-12-04T23:00:00+08:00")
	for p, denied := range map[dialgate.Purpose]bool{dialgate.PurposeMarketing: true, dialgate.PurposeService: false} {
		rs, _ := w.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber(cnMobile), Purpose: p, At: night})
		if (len(rs) > 0) != denied {
			t.Errorf("%s: reasons %v", p, rs)
		}
	}
}

func TestNoInstant(t *testing.T) {
	w := mustCheck(t, cnConfig())
	if _, err := w.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber(cnMobile), Purpose: dialgate.PurposeService}); !errors.Is(err, ErrNoInstant) {
		t.Fatalf("err = %v", err)
	}
}

func TestAllowedPathDoesNotAllocate(t *testing.T) {
	w := mustCheck(t, cnConfig())
	for _, n := range []string{cnMobile, nyNumber, sdNumber} {
		d := dialgate.Dial{To: dialgate.MustParseNumber(n), Purpose: dialgate.PurposeService, At: at(t, "2026-06-10T21:00:00Z")}
		if n == cnMobile {
			d.At = at(t, "2026-06-10T10:00:00+08:00")
		}
		w.Attest(context.Background(), d) // warm the zone cache
		if a := testing.AllocsPerRun(200, func() {
			rs, _, _ := w.Attest(context.Background(), d)
			if len(rs) != 0 {
				panic("denied")
			}
		}); a != 0 {
			t.Errorf("%s: %v allocs per allowed check", n, a)
		}
	}
}

// TestDSTHourAfterChangeInCalleeZone: the hour after a change of UTC offset
// is judged in the new offset. America/Santiago sets its clocks back at
// midnight (Sunday 00:00 -03 becomes Saturday 23:00 -04): with a Sunday-only
// window, 23:30 on that Saturday is outside it, although the old offset would
// read 00:30 on Sunday. (No shipped window reaches the hours around a DST
// change; a custom window near midnight does.)
func TestDSTHourAfterChangeInCalleeZone(t *testing.T) {
	cfg := Config{Windows: []Window{{Days: []string{"sun"}, Ranges: []string{"00:00-02:00"}, Cite: citeU}}}
	w := mustCheck(t, cfg)
	const santiago = "+56221234567"
	runSteps(t, w, []step{
		{santiago, "2026-04-05T02:30:00Z", dialgate.CodeOutsideWindow, "2026-04-05T00:00:00-04:00"}, // Saturday 23:30 -03
		{santiago, "2026-04-05T03:30:00Z", dialgate.CodeOutsideWindow, "2026-04-05T00:00:00-04:00"}, // Saturday 23:30 -04, the hour repeated
		{santiago, "2026-04-05T04:30:00Z", "", ""},                                                  // Sunday 00:30 -04
	})
}
