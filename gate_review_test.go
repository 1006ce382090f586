package dialgate_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// nilPtrErr is an error type whose Error method dereferences its receiver,
// as most do: a nil *nilPtrErr in an error interface is a non-nil error
// (the classic typed-nil mistake) whose Error panics.
type nilPtrErr struct{ msg string }

func (e *nilPtrErr) Error() string { return e.msg }

// typedNil returns a nil *nilPtrErr as a non-nil error.
func typedNil() error {
	var e *nilPtrErr
	return e
}

// typedNilCommitter is a Committer whose Commit fails with a typed nil.
type typedNilCommitter struct{ dialgate.Checker }

func (typedNilCommitter) Commit(context.Context, dialgate.Dial, string) ([]dialgate.Reason, error) {
	return nil, typedNil()
}
func (typedNilCommitter) Release(context.Context, string) error { return nil }

// A check (or a Committer) that returns a typed nil error — a non-nil
// error whose Error method panics — could not decide: the Gate denies with
// "<check>.unavailable" like for any other error, and must not panic while
// writing the reason's message (a panic there is outside the recover that
// guards the check, and would crash the dialer or the sidecar).
func TestTypedNilErrorDeniesWithoutPanic(t *testing.T) {
	for _, tc := range []struct {
		name   string
		checks []dialgate.Checker
		want   string
	}{
		{"check", []dialgate.Checker{dialgate.CheckerFunc("store", func(context.Context, dialgate.Dial) ([]dialgate.Reason, error) {
			return nil, typedNil()
		})}, "store.unavailable"},
		{"one committer", []dialgate.Checker{typedNilCommitter{pass("frequency")}}, "frequency.unavailable"},
		{"two committers", []dialgate.Checker{newCapacity("sweep", 5), typedNilCommitter{pass("frequency")}}, "frequency.unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := &memLog{}
			g := mustGate(t, tc.checks, dialgate.WithAuditLog(log))
			var (
				dec dialgate.Decision
				err error
			)
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("Check panicked on a typed nil error: %v", p)
					}
				}()
				dec, err = g.Check(context.Background(), serviceDial())
			}()
			if err != nil {
				t.Fatalf("a failing check must deny, not error: %v", err)
			}
			if dec.Allowed || codes(dec) != tc.want {
				t.Fatalf("decision %s allowed=%v, want a deny with %s", codes(dec), dec.Allowed, tc.want)
			}
			if len(log.decisions) != 1 || log.decisions[0].Allowed {
				t.Fatalf("audit log holds %d decisions, want the deny", len(log.decisions))
			}
		})
	}
}

// typedNilLog is an AuditLog whose RecordDecision fails with a typed nil.
type typedNilLog struct{ memLog }

func (*typedNilLog) RecordDecision(context.Context, dialgate.Decision) error { return typedNil() }

func TestTypedNilAuditErrorDenies(t *testing.T) {
	g := mustGate(t, []dialgate.Checker{pass("a")}, dialgate.WithAuditLog(&typedNilLog{}))
	dec, err := g.Check(context.Background(), serviceDial())
	if !errors.Is(err, dialgate.ErrAuditUnavailable) || dec.Allowed || !dec.Has(dialgate.CodeAuditUnavailable) {
		t.Fatalf("decision %s allowed=%v err=%v", codes(dec), dec.Allowed, err)
	}
}

// A Clock that reads before 2000 (a real-time clock reset to 1970, read
// before the time is synchronised; a zero test clock) gives no true
// instant, so Check decides nothing with it (TestZeroClockDenies). An
// outcome or a release stamped with it is as wrong: a pause it starts (uk's
// 72 hours after an abandoned call, us-collections' 7 days after a
// conversation), the abandoned-call counts and the release guard's marks
// would be recorded decades before any dial they must hold back, and would
// hold back none. ReportOutcome, Release and MarkPlaced refuse it with an
// error wrapping ErrInvalidConfig, telling no observer, the guard or the
// Committers and recording nothing: the dialer retries once the clock is
// right, and meanwhile the capacity stays reserved.
func TestOutcomeAndReleaseRefuseClockBefore2000(t *testing.T) {
	for _, bad := range []time.Time{{}, time.Unix(0, 0), time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC)} {
		t.Run(bad.Format(time.RFC3339), func(t *testing.T) {
			var now atomic.Pointer[time.Time]
			at := noon
			now.Store(&at)
			clock := dialgate.ClockFunc(func() time.Time { return *now.Load() })
			log := &memLog{}
			obs := &observer{Checker: pass("pause")}
			capc := newCapacity("frequency", 5)
			guard := &countingGuard{}
			g := mustGate(t, []dialgate.Checker{obs, capc}, dialgate.WithAuditLog(log), dialgate.WithClock(clock), dialgate.WithPlacedGuard(guard))
			ctx := context.Background()
			dec, err := g.Check(ctx, serviceDial())
			if err != nil || !dec.Allowed || capc.used() != 1 {
				t.Fatalf("check: allowed=%v err=%v used=%d", dec.Allowed, err, capc.used())
			}
			b := bad
			now.Store(&b)
			for name, call := range map[string]func() error{
				"ReportOutcome": func() error {
					return g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Answered: true, Abandoned: true})
				},
				"ReportOutcome released": func() error {
					return g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Released: true})
				},
				"ReportOutcome malformed": func() error {
					return g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, RingDuration: -1})
				},
				"Release":    func() error { return g.Release(ctx, dec) },
				"MarkPlaced": func() error { return g.MarkPlaced(ctx, dec.ID) },
			} {
				if err := call(); !errors.Is(err, dialgate.ErrInvalidConfig) {
					t.Errorf("%s with the clock at %v: %v, want an error wrapping ErrInvalidConfig", name, bad, err)
				}
			}
			if len(obs.got) != 0 || len(log.outcomes) != 0 || guard.placed.Load() != 0 || guard.released.Load() != 0 || capc.used() != 1 {
				t.Fatalf("clock at %v: observed %d, recorded %d outcomes, guard marked %d placed %d released, %d reserved; want nothing told and the reservation kept",
					bad, len(obs.got), len(log.outcomes), guard.placed.Load(), guard.released.Load(), capc.used())
			}
		})
	}
}
