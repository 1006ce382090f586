package schedule

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

var _ dialgate.Expirer = (*WindowCheck)(nil)

// passes reports whether w passes d at t.
func passes(t *testing.T, w *WindowCheck, d dialgate.Dial, at time.Time) bool {
	t.Helper()
	d.At = at
	rs, err := w.Check(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	return len(rs) == 0
}

// TestAttestUntilWindowEnd: a pass ends at the end of the calling window
// the dial is in, in the callee's local time — an allow at 20:59:30 in
// Shanghai is good until 21:00 there, not into the rest hours.
func TestAttestUntilWindowEnd(t *testing.T) {
	blackout := Blackout{From: at(t, "2026-12-05T10:30:00+08:00"), Until: at(t, "2026-12-05T11:00:00+08:00"), Reason: "test emergency", Cite: citeU}
	withBlackout := cnConfig()
	withBlackout.Blackouts = []Blackout{blackout}
	otherPrefix := blackout
	otherPrefix.Prefixes = []string{"+1"}
	otherBlackout := cnConfig()
	otherBlackout.Blackouts = []Blackout{otherPrefix}
	ny := Config{Windows: []Window{daily("08:00-21:00")}}
	anyHour := Config{Windows: []Window{daily("00:00-24:00")}, DefaultZone: &Zone{Name: "Asia/Shanghai", Cite: citeU}}
	for _, tc := range []struct {
		name   string
		cfg    Config
		d      dialgate.Dial
		at     string
		want   string // "" : zero (no end), else exact
		atMost string // else: until ≤ atMost and every instant before it passes
	}{
		{name: "cn 20:59:30", cfg: cnConfig(), at: "2026-12-04T20:59:30+08:00", want: "2026-12-04T21:00:00+08:00"},
		{name: "cn morning", cfg: cnConfig(), at: "2026-12-04T09:00:00+08:00", want: "2026-12-04T12:00:00+08:00"},
		{name: "cn 11:59:59.9", cfg: cnConfig(), at: "2026-12-04T11:59:59.9+08:00", want: "2026-12-04T12:00:00+08:00"},
		{name: "cn afternoon", cfg: cnConfig(), at: "2026-12-04T14:00:00+08:00", want: "2026-12-04T21:00:00+08:00"},
		{name: "cn blackout ahead", cfg: withBlackout, at: "2026-12-05T10:00:00+08:00", want: "2026-12-05T10:30:00+08:00"},
		{name: "cn blackout of others", cfg: otherBlackout, at: "2026-12-05T10:00:00+08:00", want: "2026-12-05T12:00:00+08:00"},
		{name: "cn blackout past", cfg: withBlackout, at: "2026-12-05T11:00:00+08:00", want: "2026-12-05T12:00:00+08:00"},
		// The callee-local window, not the server's: New York is 13 hours behind.
		{name: "us 20:59 New York", cfg: ny, d: dialgate.Dial{To: dialgate.MustParseNumber(nyNumber)}, at: "2026-12-04T20:59:00-05:00", want: "2026-12-04T21:00:00-05:00"},
		// Multi-zone: the intersection ends at the earliest zone's end.
		{name: "us multizone", cfg: ny, d: dialgate.Dial{To: dialgate.MustParseNumber(sdNumber)}, at: "2026-12-04T19:59:00-07:00", atMost: "2026-12-04T21:00:00-06:00"},
		// A window through midnight may end at midnight (a safe, earlier end).
		{name: "any hour", cfg: anyHour, at: "2026-12-04T23:59:30+08:00", atMost: "2026-12-06T00:00:00+08:00"},
		// An exempt callback outside the window: its exemption ends 30 min after the trigger.
		{name: "callback exempt", cfg: cnConfig(), d: dialgate.Dial{Purpose: dialgate.PurposeCallback, TriggerAt: at(t, "2026-12-04T21:50:00+08:00")}, at: "2026-12-04T22:00:00+08:00", want: "2026-12-04T22:20:00.000000001+08:00"},
		// The exemption holds at TriggerAt+30min itself: decided at that
		// very instant, it ends 1 ns later (an end at the decision instant
		// would make the Gate deny the check unavailable).
		{name: "callback exempt at its last instant", cfg: cnConfig(), d: dialgate.Dial{Purpose: dialgate.PurposeCallback, TriggerAt: at(t, "2026-12-04T22:00:00+08:00")}, at: "2026-12-04T22:30:00+08:00", want: "2026-12-04T22:30:00.000000001+08:00"},
		// A callback inside the window is allowed by both: the later end.
		{name: "callback in window", cfg: cnConfig(), d: dialgate.Dial{Purpose: dialgate.PurposeCallback, TriggerAt: at(t, "2026-12-04T20:50:00+08:00")}, at: "2026-12-04T20:55:00+08:00", want: "2026-12-04T21:20:00.000000001+08:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := mustCheck(t, tc.cfg)
			d := tc.d
			if !d.To.IsValid() {
				d.To = dialgate.MustParseNumber(cnMobile)
			}
			if d.Purpose == "" {
				d.Purpose = dialgate.PurposeMarketing
			}
			d.At = at(t, tc.at)
			rs, ev, until, err := w.AttestUntil(context.Background(), d)
			if err != nil || len(rs) != 0 || len(ev) == 0 {
				t.Fatalf("AttestUntil: %v %v %v", rs, ev, err)
			}
			if !until.After(d.At) {
				t.Fatalf("until %v not after the instant %v", until, d.At)
			}
			if tc.want != "" && !until.Equal(at(t, tc.want)) {
				t.Fatalf("until = %v, want %v", until, tc.want)
			}
			if tc.atMost != "" && (until.After(at(t, tc.atMost)) || until.Before(at(t, tc.atMost).Add(-2*time.Hour))) {
				t.Fatalf("until = %v, want at most %v", until, tc.atMost)
			}
			// Never a wrong allow: every instant before until passes.
			for c := d.At; c.Before(until); c = c.Add(time.Minute).Truncate(time.Minute) {
				if !passes(t, w, d, c) {
					t.Fatalf("until %v, but the dial fails at %v", until, c)
				}
			}
			if !passes(t, w, d, until.Add(-time.Nanosecond)) {
				t.Fatalf("the dial fails just before until %v", until)
			}
			if tc.want != "" && passes(t, w, d, until) {
				t.Fatalf("the dial still passes at until %v: not the window's end", until)
			}
		})
	}
}

// A dial of a purpose the windows do not cover has no end from the schedule;
// a denied dial's until is zero.
func TestAttestUntilNoEnd(t *testing.T) {
	cfg := cnConfig()
	cfg.Purposes = []dialgate.Purpose{dialgate.PurposeMarketing}
	w := mustCheck(t, cfg)
	d := dialgate.Dial{To: dialgate.MustParseNumber(cnMobile), Purpose: dialgate.PurposeService, At: at(t, "2026-12-04T20:59:30+08:00")}
	if rs, _, until, err := w.AttestUntil(context.Background(), d); err != nil || len(rs) != 0 || !until.IsZero() {
		t.Fatalf("uncovered purpose: %v %v %v", rs, until, err)
	}
	d.Purpose, d.At = dialgate.PurposeMarketing, at(t, "2026-12-04T21:00:00+08:00")
	if rs, _, until, err := w.AttestUntil(context.Background(), d); err != nil || len(rs) == 0 || !until.IsZero() {
		t.Fatalf("denied: %v %v %v", rs, until, err)
	}
}

func TestAttestUntilDoesNotAllocate(t *testing.T) {
	w := mustCheck(t, cnConfig())
	d := dialgate.Dial{To: dialgate.MustParseNumber(cnMobile), Purpose: dialgate.PurposeMarketing, At: at(t, "2026-12-04T20:59:30+08:00")}
	if a := testing.AllocsPerRun(200, func() {
		if rs, _, _, _ := w.AttestUntil(context.Background(), d); len(rs) != 0 {
			panic("denied")
		}
	}); a != 0 {
		t.Errorf("%v allocs per allowed AttestUntil", a)
	}
}

// TestGateValidUntilCallee: through a Gate, an allow at 20:59:30 in the
// callee's zone (cn) is good until 21:00 there, not for the Gate's whole
// allow lifetime into the rest hours.
func TestGateValidUntilCallee(t *testing.T) {
	w := mustCheck(t, cnConfig())
	now := at(t, "2026-12-04T20:59:30+08:00")
	g, err := dialgate.New([]dialgate.Checker{w}, dialgate.WithoutAuditLog(),
		dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return now })))
	if err != nil {
		t.Fatal(err)
	}
	d := dialgate.Dial{To: dialgate.MustParseNumber(cnMobile), From: dialgate.MustParseNumber("+861058001234"),
		Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"}
	dec, err := g.Check(context.Background(), d)
	if err != nil || !dec.Allowed {
		t.Fatalf("%+v %v", dec, err)
	}
	if end := at(t, "2026-12-04T21:00:00+08:00"); dec.ValidUntil.After(end) || !dec.ValidUntil.After(now) {
		t.Fatalf("ValidUntil = %v, want in (%v, %v]", dec.ValidUntil, now, end)
	}
	if dec.DialableAt(at(t, "2026-12-04T21:00:00+08:00")) || !dec.DialableAt(now) {
		t.Fatal("DialableAt disagrees with ValidUntil")
	}
	// At 10:00 the lifetime ends first.
	now = at(t, "2026-12-04T10:00:00+08:00")
	if dec, _ = g.Check(context.Background(), d); !dec.ValidUntil.Equal(now.Add(dialgate.DefaultAllowLifetime)) {
		t.Fatalf("ValidUntil = %v, want %v", dec.ValidUntil, now.Add(dialgate.DefaultAllowLifetime))
	}
}
