package schedule_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage/memstore"
)

// TestCapCountsAllowLifetime: a cap counts each allowed dial as if it were
// placed up to the allow lifetime after its decision. With the default
// lifetime (60 s), A allowed at T may be dialled at T+59s, so B decided at
// T+5m (placed at once) would fall 4m01s after it under "1 call per 5m":
// denied until T+6m.
func TestCapCountsAllowLifetime(t *testing.T) {
	r := newRig(t, schedule.CapsCN(), memstore.New())
	d := dialgate.Dial{To: callee, From: from1, Campaign: "winter"}
	a := r.want(start, d, true)
	if want := start.Add(dialgate.DefaultAllowLifetime); !a.ValidUntil.Equal(want) {
		t.Fatalf("A's ValidUntil = %s, want %s", a.ValidUntil, want)
	}
	dec := r.want(start.Add(5*time.Minute), d, false)
	rs := dec.Reasons[0]
	if want := start.Add(6 * time.Minute); !rs.NextAllowedAt.Equal(want) {
		t.Errorf("NextAllowedAt = %s, want %s", rs.NextAllowedAt, want)
	}
	if got := evidence(rs, "frequency.next_allowed_at"); got != "2026-12-05T09:06:00+08:00" {
		t.Errorf("next_allowed_at evidence = %q", got)
	}
	if want := "frequency cap reached: 1 call in the window, cap 1 call per 5m per callee (counted over 6m: an allow may be dialled up to 1m after its decision)"; rs.Message != want {
		t.Errorf("message = %q, want %q", rs.Message, want)
	}
	if got := evidence(rs, "frequency.cap"); got != "1 call per 5m per callee" {
		t.Errorf("cap evidence = %q (the cap as configured)", got)
	}
	r.want(start.Add(6*time.Minute-time.Nanosecond), d, false)
	r.want(start.Add(6*time.Minute), d, true)
}

// TestCapAllowLifetimeOption: WithAllowLifetime widens every cap by the
// lifetime given, and refuses one outside (0, dialgate.MaxAllowLifetime].
func TestCapAllowLifetimeOption(t *testing.T) {
	for _, bad := range []time.Duration{0, -time.Second, dialgate.MaxAllowLifetime + time.Nanosecond} {
		_, err := schedule.NewCapCheck(schedule.CapsCN(), memstore.New(), schedule.WithAllowLifetime(bad))
		if !errors.Is(err, schedule.ErrInvalidCaps) || err == nil || !strings.Contains(err.Error(), "WithAllowLifetime") {
			t.Errorf("WithAllowLifetime(%v): error %v, want one naming WithAllowLifetime wrapping ErrInvalidCaps", bad, err)
		}
	}
	caps, err := schedule.NewCapCheck(schedule.CapsCN(), memstore.New(), schedule.WithCapHashKey(testHK), schedule.WithAllowLifetime(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got := caps.AllowLifetimeCounted(); got != 10*time.Minute {
		t.Errorf("AllowLifetimeCounted = %v", got)
	}
	def, err := schedule.NewCapCheck(schedule.CapsCN(), memstore.New())
	if err != nil {
		t.Fatal(err)
	}
	if got := def.AllowLifetimeCounted(); got != dialgate.DefaultAllowLifetime {
		t.Errorf("default AllowLifetimeCounted = %v, want %v", got, dialgate.DefaultAllowLifetime)
	}
	clk := &clock{t: start}
	g, err := dialgate.New([]dialgate.Checker{caps}, dialgate.WithoutAuditLog(), dialgate.WithClock(clk), dialgate.WithAllowLifetime(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, gate: g, clock: clk, caps: caps}
	d := dialgate.Dial{To: callee, From: from1}
	r.want(start, d, true)
	dec := r.want(start.Add(15*time.Minute-time.Nanosecond), d, false)
	if want := start.Add(15 * time.Minute); !dec.Reasons[0].NextAllowedAt.Equal(want) {
		t.Errorf("NextAllowedAt = %s, want %s", dec.Reasons[0].NextAllowedAt, want)
	}
	if !strings.Contains(dec.Reasons[0].Message, "(counted over 15m: an allow may be dialled up to 10m after its decision)") {
		t.Errorf("message = %q", dec.Reasons[0].Message)
	}
	r.want(start.Add(15*time.Minute), d, true)
	// The 24-hour cap: the first call counts until T+24h10m.
	dec = r.want(start.Add(24*time.Hour), d, false)
	if want := start.Add(24*time.Hour + 10*time.Minute); len(dec.Reasons) != 1 || !dec.Reasons[0].NextAllowedAt.Equal(want) {
		t.Errorf("reasons = %+v, want one 24-hour cap until %s", dec.Reasons, want)
	}
	if !strings.Contains(dec.Reasons[0].Message, "counted over 24h10m") {
		t.Errorf("message = %q", dec.Reasons[0].Message)
	}
}

// TestGateRefusesLifetimeLongerThanCapsCount: a Gate whose allow lifetime
// is longer than the frequency check counts is refused, naming the check,
// both lifetimes and the fix.
func TestGateRefusesLifetimeLongerThanCapsCount(t *testing.T) {
	caps, err := schedule.NewCapCheck(schedule.CapsCN(), memstore.New())
	if err != nil {
		t.Fatal(err)
	}
	_, err = dialgate.New([]dialgate.Checker{caps}, dialgate.WithoutAuditLog(), dialgate.WithAllowLifetime(10*time.Minute))
	if !errors.Is(err, dialgate.ErrInvalidConfig) {
		t.Fatalf("New: %v, want ErrInvalidConfig", err)
	}
	for _, s := range []string{"frequency", "10m0s", "1m0s", "schedule.WithAllowLifetime"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not name %q", err, s)
		}
	}
	// A lifetime at most the counted one is accepted.
	for _, l := range []time.Duration{time.Second, dialgate.DefaultAllowLifetime} {
		if _, err := dialgate.New([]dialgate.Checker{caps}, dialgate.WithoutAuditLog(), dialgate.WithAllowLifetime(l)); err != nil {
			t.Errorf("New with lifetime %v: %v", l, err)
		}
	}
}
