package dialgate_test

import (
	"context"
	"errors"
	"testing"

	"github.com/dialgate/dialgate"
)

// cancellingLog is a memLog that ignores its context, and cancels the
// caller's while it writes a decision (the client gives up mid-write).
type cancellingLog struct {
	memLog
	cancel context.CancelFunc
}

func (l *cancellingLog) RecordDecision(ctx context.Context, d dialgate.Decision) error {
	l.cancel()
	return l.memLog.RecordDecision(ctx, d)
}

// TestDoneContextDeniesWithoutChecks: a decision asked under a context
// already done (cancelled, or past its deadline) denies, whatever the
// Gate's checks — also a Gate with none (every check that runs already
// denies "<check>.unavailable" then) — and whether or not its audit log
// heeds the context: the Gate's own audit.unavailable and an error wrapping
// ErrAuditUnavailable and the context's error, as when the log gives up on
// the context. Nothing is recorded as an allow. Before, a Gate with no
// checks and a log that ignores the context (or none) allowed.
func TestDoneContextDeniesWithoutChecks(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), noon)
	defer cancel2()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want error
		opts []dialgate.Option
	}{
		{"cancelled, log", cancelled, context.Canceled, nil},
		{"cancelled, no log", cancelled, context.Canceled, []dialgate.Option{dialgate.WithoutAuditLog()}},
		{"deadline passed, log", expired, context.DeadlineExceeded, nil},
		{"cancelled, shadow", cancelled, context.Canceled, []dialgate.Option{dialgate.WithShadowMode(true)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := &memLog{}
			opts := append([]dialgate.Option{dialgate.WithClock(fixedClock(noon))}, tc.opts...)
			if tc.name != "cancelled, no log" {
				opts = append(opts, dialgate.WithAuditLog(log))
			}
			for _, checks := range [][]dialgate.Checker{nil, {newCapacity("frequency", 5)}} {
				g := mustGate(t, checks, opts...)
				dec, err := g.Check(tc.ctx, serviceDial())
				if dec.Allowed {
					t.Fatalf("%d checks: allowed under a done context (%s, %v)", len(checks), codes(dec), err)
				}
				if len(checks) == 0 && (!dec.Has(dialgate.CodeAuditUnavailable) || !errors.Is(err, dialgate.ErrAuditUnavailable) || !errors.Is(err, tc.want)) {
					t.Fatalf("no checks: %s, %v; want audit.unavailable and an error wrapping ErrAuditUnavailable and %v", codes(dec), err, tc.want)
				}
				if len(checks) == 1 && checks[0].(*capacity).used() != 0 {
					t.Fatal("capacity kept for a decision denied under a done context")
				}
			}
			for _, d := range log.decisions {
				if d.Allowed {
					t.Fatalf("an allow was recorded under a done context: %s", d.ID)
				}
			}
		})
	}
}

// TestContextDoneDuringRecordDenies: the caller's context ends while the
// audit log (which ignores it) writes an allow. The decision returned
// denies (audit.unavailable), the reservations are given back, and the
// allow in the log is followed by a released outcome — as when the log
// heeds the context and cannot confirm the write.
func TestContextDoneDuringRecordDenies(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := &cancellingLog{cancel: cancel}
	capc := newCapacity("frequency", 5)
	g := mustGate(t, []dialgate.Checker{capc}, dialgate.WithAuditLog(log), dialgate.WithClock(fixedClock(noon)))
	dec, err := g.Check(ctx, serviceDial())
	if dec.Allowed || !dec.Has(dialgate.CodeAuditUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("context ended during the record: allowed %v %s %v; want audit.unavailable and an error wrapping context.Canceled", dec.Allowed, codes(dec), err)
	}
	if capc.used() != 0 {
		t.Fatal("capacity kept")
	}
	if len(log.decisions) != 1 || len(log.outcomes) != 1 || !log.outcomes[0].Released || log.outcomes[0].DecisionID != dec.ID {
		t.Fatalf("log: %d decisions, outcomes %+v; want the allow followed by its release", len(log.decisions), log.outcomes)
	}
}
