package dialgate_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// A reason code is "<check>.<code>", two lower-case identifiers (DESIGN
// §3). A check that reports a malformed code, or one of the Gate's own
// (audit.unavailable, dial.invalid), is broken: it denies with
// "<check>.unavailable", so that the audit log and the reports never carry
// a code no one can match, nor an audit failure or a malformed dial that
// did not happen. The same holds for a Committer's refusal. Another
// check's code (a custom "lunch" check reporting schedule.outside_window,
// as in ExampleGate_Check) is well formed.
func TestMalformedReasonCodeDeniesUnavailable(t *testing.T) {
	for _, code := range []dialgate.Code{
		"lunch",              // no dot
		"lunch.",             // nothing after the dot
		"lunch. closed",      // space
		"lunch.Closed",       // upper case
		"lunch.closed\n",     // control character
		"lunch.clos\u202eed", // bidi override
		"lunch.closed.",      // trailing dot
		"lunch.closed.x",     // two dots
		".closed",            // nothing before the dot
		"lunch._closed",      // not an identifier
		"lunch.9",            // not an identifier
		"lunch..closed",      // empty segment
		"audit.unavailable",  // the Gate's own
		"dial.invalid",       // the Gate's own
		"lunch.\xff",         // not UTF-8
		dialgate.Code("lunch." + strings.Repeat("a", 59)), // too long (65 bytes)
	} {
		t.Run(string(code), func(t *testing.T) {
			for _, kind := range []string{"check", "commit"} {
				var c dialgate.Checker = deny("lunch", code)
				if kind == "commit" {
					c = &refusingCommitter{Checker: pass("lunch"), code: code}
				}
				log := &memLog{}
				g := mustGate(t, []dialgate.Checker{c}, dialgate.WithAuditLog(log))
				dec, err := g.Check(context.Background(), serviceDial())
				if err != nil {
					t.Fatalf("%s: a broken check denies, it is no error: %v", kind, err)
				}
				if dec.Allowed || codes(dec) != "lunch.unavailable" {
					t.Fatalf("%s: code %q: decision %s allowed=%v, want lunch.unavailable", kind, code, codes(dec), dec.Allowed)
				}
				if len(log.decisions) != 1 || codes(log.decisions[0]) != "lunch.unavailable" {
					t.Fatalf("%s: recorded %+v", kind, log.decisions)
				}
			}
		})
	}
	for _, code := range []dialgate.Code{"lunch.closed", "lunch.too_early_2", "lunch.unavailable", "schedule.outside_window", "dnc.listed"} {
		g := mustGate(t, []dialgate.Checker{deny("lunch", code)}, dialgate.WithoutAuditLog())
		dec, err := g.Check(context.Background(), serviceDial())
		if err != nil || dec.Allowed || codes(dec) != string(code) {
			t.Fatalf("well-formed code %q: decision %s allowed=%v err=%v", code, codes(dec), dec.Allowed, err)
		}
	}
}

// refusingCommitter passes the check and refuses the commit with code.
type refusingCommitter struct {
	dialgate.Checker
	code dialgate.Code
}

func (c *refusingCommitter) Commit(context.Context, dialgate.Dial, string) ([]dialgate.Reason, error) {
	return []dialgate.Reason{{Code: c.code}}, nil
}
func (c *refusingCommitter) Release(context.Context, string) error { return nil }

// WithClock(ClockFunc(nil)) is a nil clock: New refuses it, as WithClock(nil).
func TestNilClockFuncRefused(t *testing.T) {
	if _, err := dialgate.New(nil, dialgate.WithoutAuditLog(), dialgate.WithClock(dialgate.ClockFunc(nil))); !errors.Is(err, dialgate.ErrInvalidConfig) {
		t.Fatalf("New with ClockFunc(nil): %v, want ErrInvalidConfig", err)
	}
	if _, err := dialgate.New(nil, dialgate.WithoutAuditLog(), dialgate.WithDecisionIDs(nil)); !errors.Is(err, dialgate.ErrInvalidConfig) {
		t.Fatalf("New with WithDecisionIDs(nil): %v, want ErrInvalidConfig", err)
	}
}

// A Clock or a decision-id source that panics (a host's bug) must not crash
// the dialer: Check denies with audit.unavailable and an error wrapping
// ErrInvalidConfig, as for a clock before 2000 or an empty id, and Release,
// ReportOutcome and MarkPlaced refuse with that error, giving nothing back.
func TestPanickingClockOrIDsDenies(t *testing.T) {
	panicking := dialgate.ClockFunc(func() time.Time { panic("clock bug") })
	for _, tc := range []struct {
		name string
		opts []dialgate.Option
	}{
		{"clock", []dialgate.Option{dialgate.WithClock(panicking)}},
		{"ids", []dialgate.Option{dialgate.WithDecisionIDs(func() string { panic("id bug") })}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := &memLog{}
			c := newCapacity("frequency", 5)
			g := mustGate(t, []dialgate.Checker{c}, append(tc.opts, dialgate.WithAuditLog(log))...)
			var (
				dec dialgate.Decision
				err error
			)
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("Check panicked: %v", p)
					}
				}()
				dec, err = g.Check(context.Background(), serviceDial())
			}()
			if dec.Allowed || codes(dec) != "audit.unavailable" || !errors.Is(err, dialgate.ErrInvalidConfig) {
				t.Fatalf("decision %s allowed=%v err=%v", codes(dec), dec.Allowed, err)
			}
			if c.used() != 0 || len(log.decisions) != 0 {
				t.Fatalf("reserved %d, recorded %d", c.used(), len(log.decisions))
			}
			if tc.name != "clock" {
				return
			}
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("Release/ReportOutcome/MarkPlaced panicked: %v", p)
					}
				}()
				if err := g.Release(context.Background(), dialgate.Decision{ID: "dg-x"}); !errors.Is(err, dialgate.ErrInvalidConfig) {
					t.Fatalf("Release: %v", err)
				}
				if err := g.ReportOutcome(context.Background(), dialgate.Outcome{DecisionID: "dg-x", Answered: true}); !errors.Is(err, dialgate.ErrInvalidConfig) {
					t.Fatalf("ReportOutcome: %v", err)
				}
				if err := g.MarkPlaced(context.Background(), "dg-x"); !errors.Is(err, dialgate.ErrInvalidConfig) {
					t.Fatalf("MarkPlaced: %v", err)
				}
			}()
			if len(log.outcomes) != 0 {
				t.Fatalf("recorded outcomes %+v", log.outcomes)
			}
		})
	}
}

// nopGuard is a PlacedGuard that never refuses.
type nopGuard struct{}

func (nopGuard) MarkPlaced(context.Context, string, time.Time) (bool, error)   { return false, nil }
func (nopGuard) MarkReleased(context.Context, string, time.Time) (bool, error) { return false, nil }

// An audit log or a placed guard given twice is a configuration mistake:
// the second silently replaced the first, so that a log the host believed
// wired recorded nothing (a gap in the record) or a guard it believed on
// refused nothing. New refuses it.
func TestOptionGivenTwiceRefused(t *testing.T) {
	for name, opts := range map[string][]dialgate.Option{
		"audit log": {dialgate.WithAuditLog(&memLog{}), dialgate.WithAuditLog(&memLog{})},
		"guard":     {dialgate.WithoutAuditLog(), dialgate.WithPlacedGuard(nopGuard{}), dialgate.WithPlacedGuard(nopGuard{})},
	} {
		if _, err := dialgate.New(nil, opts...); !errors.Is(err, dialgate.ErrInvalidConfig) {
			t.Errorf("%s given twice: %v, want ErrInvalidConfig", name, err)
		}
	}
}
