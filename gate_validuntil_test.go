package dialgate_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// expirer is a passing check whose pass ends at until (zero: it cannot tell).
type expirer struct {
	dialgate.Checker
	until time.Time
}

func (e expirer) Attest(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, []dialgate.Evidence, error) {
	rs, ev, _, err := e.AttestUntil(ctx, d)
	return rs, ev, err
}

func (e expirer) AttestUntil(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, []dialgate.Evidence, time.Time, error) {
	return nil, []dialgate.Evidence{{Key: e.Name() + ".seen", Value: "yes"}}, e.until, nil
}

func TestValidUntilDefaultLifetime(t *testing.T) {
	g := mustGate(t, []dialgate.Checker{pass("dnc")}, dialgate.WithoutAuditLog(), dialgate.WithClock(fixedClock(noon)))
	dec, err := g.Check(context.Background(), serviceDial())
	if err != nil || !dec.Allowed {
		t.Fatalf("%+v %v", dec, err)
	}
	if want := noon.Add(dialgate.DefaultAllowLifetime); !dec.ValidUntil.Equal(want) {
		t.Fatalf("ValidUntil = %v, want %v (the decision instant + the default lifetime)", dec.ValidUntil, want)
	}
	if dialgate.DefaultAllowLifetime != 60*time.Second {
		t.Fatalf("DefaultAllowLifetime = %v, want 60s", dialgate.DefaultAllowLifetime)
	}
}

func TestValidUntilOption(t *testing.T) {
	g := mustGate(t, nil, dialgate.WithoutAuditLog(), dialgate.WithClock(fixedClock(noon)), dialgate.WithAllowLifetime(5*time.Second))
	dec, err := g.Check(context.Background(), serviceDial())
	if err != nil || !dec.Allowed || !dec.ValidUntil.Equal(noon.Add(5*time.Second)) {
		t.Fatalf("ValidUntil = %v, want %v (%v)", dec.ValidUntil, noon.Add(5*time.Second), err)
	}
}

func TestValidUntilCappedByTheEarliestCheckEnd(t *testing.T) {
	early, late := noon.Add(20*time.Second), noon.Add(40*time.Second)
	g := mustGate(t, []dialgate.Checker{
		expirer{pass("schedule"), late},
		expirer{pass("consent"), early},
		expirer{pass("callerid"), time.Time{}}, // no end it can tell
	}, dialgate.WithoutAuditLog(), dialgate.WithClock(fixedClock(noon)))
	dec, err := g.Check(context.Background(), serviceDial())
	if err != nil || !dec.Allowed || !dec.ValidUntil.Equal(early) {
		t.Fatalf("ValidUntil = %v, want %v (%v)", dec.ValidUntil, early, err)
	}
	// The Expirer's evidence is kept as an Attester's.
	if len(dec.Evidence) != 3 || dec.Evidence[1].Key != "consent.seen" {
		t.Fatalf("evidence %+v", dec.Evidence)
	}
	// An end after the lifetime does not extend it.
	g = mustGate(t, []dialgate.Checker{expirer{pass("schedule"), noon.Add(time.Hour)}},
		dialgate.WithoutAuditLog(), dialgate.WithClock(fixedClock(noon)))
	if dec, _ = g.Check(context.Background(), serviceDial()); !dec.ValidUntil.Equal(noon.Add(dialgate.DefaultAllowLifetime)) {
		t.Fatalf("ValidUntil = %v, want the lifetime's end", dec.ValidUntil)
	}
}

// A check that passes a dial but says its pass ended at or before the
// decision instant broke its contract: the Gate cannot give the dialer any
// time to dial, so it denies (fail closed) rather than allow with a
// ValidUntil already past.
func TestValidUntilPassEndingAtTheInstantDenies(t *testing.T) {
	for _, until := range []time.Time{noon, noon.Add(-time.Second)} {
		g := mustGate(t, []dialgate.Checker{expirer{pass("schedule"), until}}, dialgate.WithoutAuditLog(), dialgate.WithClock(fixedClock(noon)))
		dec, err := g.Check(context.Background(), serviceDial())
		if err != nil || dec.Allowed || !dec.Has(dialgate.UnavailableCode("schedule")) || !dec.ValidUntil.IsZero() {
			t.Fatalf("until %v: %+v %v", until, dec, err)
		}
	}
}

func TestValidUntilZeroOnDeny(t *testing.T) {
	log := &memLog{}
	g := mustGate(t, []dialgate.Checker{deny("dnc", dialgate.CodeDNCListed)}, dialgate.WithAuditLog(log), dialgate.WithClock(fixedClock(noon)))
	dec, _ := g.Check(context.Background(), serviceDial())
	if dec.Allowed || !dec.ValidUntil.IsZero() {
		t.Fatalf("deny: %+v", dec)
	}
	// An allow the audit log failed to record becomes a deny: no ValidUntil.
	log.fail.Store(true)
	g = mustGate(t, nil, dialgate.WithAuditLog(log), dialgate.WithClock(fixedClock(noon)))
	dec, err := g.Check(context.Background(), serviceDial())
	if dec.Allowed || err == nil || !dec.ValidUntil.IsZero() {
		t.Fatalf("audit failure: %+v %v", dec, err)
	}
	if !(dialgate.Decision{}).ValidUntil.IsZero() {
		t.Fatal("the zero Decision has a ValidUntil")
	}
}

func TestValidUntilShadowAllow(t *testing.T) {
	g := mustGate(t, []dialgate.Checker{deny("dnc", dialgate.CodeDNCListed)}, dialgate.WithoutAuditLog(),
		dialgate.WithClock(fixedClock(noon)), dialgate.WithShadowMode(true))
	dec, _ := g.Check(context.Background(), serviceDial())
	if !dec.Allowed || !dec.ValidUntil.Equal(noon.Add(dialgate.DefaultAllowLifetime)) {
		t.Fatalf("shadow allow: %+v", dec)
	}
}

func TestWithAllowLifetimeValidates(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second, dialgate.MaxAllowLifetime + time.Nanosecond, 24 * time.Hour} {
		_, err := dialgate.New(nil, dialgate.WithoutAuditLog(), dialgate.WithAllowLifetime(d))
		if !errors.Is(err, dialgate.ErrInvalidConfig) || !strings.Contains(err.Error(), "WithAllowLifetime") {
			t.Errorf("WithAllowLifetime(%v): err = %v, want ErrInvalidConfig naming WithAllowLifetime", d, err)
		}
	}
	for _, d := range []time.Duration{time.Nanosecond, time.Second, dialgate.MaxAllowLifetime} {
		if _, err := dialgate.New(nil, dialgate.WithoutAuditLog(), dialgate.WithAllowLifetime(d)); err != nil {
			t.Errorf("WithAllowLifetime(%v): %v", d, err)
		}
	}
}

// faultyExpirer is an Expirer whose AttestUntil fails: it panics, errors, or
// fails the dial while telling an end.
type faultyExpirer struct {
	dialgate.Checker
	mode string
}

func (e faultyExpirer) Attest(context.Context, dialgate.Dial) ([]dialgate.Reason, []dialgate.Evidence, error) {
	return nil, nil, nil // a pass: the Gate must not fall back to it
}

func (e faultyExpirer) AttestUntil(_ context.Context, d dialgate.Dial) ([]dialgate.Reason, []dialgate.Evidence, time.Time, error) {
	switch e.mode {
	case "panic":
		panic("broken")
	case "error":
		return nil, nil, d.At.Add(time.Hour), errors.New("store down")
	}
	return []dialgate.Reason{{Code: dialgate.CodeOutsideWindow, Message: "no"}}, nil, d.At.Add(time.Hour), nil
}

// TestValidUntilFaultyExpirerDenies: a panicking or erroring AttestUntil is
// "<check>.unavailable" and a deny without ValidUntil, as from Attest; a
// failing one's end is ignored, in shadow mode too (the allow's end is the
// lifetime's, or a passing check's).
func TestValidUntilFaultyExpirerDenies(t *testing.T) {
	for _, mode := range []string{"panic", "error"} {
		g := mustGate(t, []dialgate.Checker{faultyExpirer{pass("schedule"), mode}}, dialgate.WithoutAuditLog(), dialgate.WithClock(fixedClock(noon)))
		dec, err := g.Check(context.Background(), serviceDial())
		if err != nil || dec.Allowed || !dec.Has(dialgate.UnavailableCode("schedule")) || !dec.ValidUntil.IsZero() {
			t.Fatalf("%s: %+v %v, want a deny schedule.unavailable without ValidUntil", mode, dec, err)
		}
	}
	g := mustGate(t, []dialgate.Checker{faultyExpirer{pass("schedule"), "deny"}, expirer{pass("consent"), noon.Add(10 * time.Second)}},
		dialgate.WithoutAuditLog(), dialgate.WithClock(fixedClock(noon)), dialgate.WithShadowMode(true))
	dec, _ := g.Check(context.Background(), serviceDial())
	if !dec.Allowed || dec.Compliant() || !dec.ValidUntil.Equal(noon.Add(10*time.Second)) {
		t.Fatalf("shadow: %+v, want an allow until the passing check's end", dec)
	}
}
