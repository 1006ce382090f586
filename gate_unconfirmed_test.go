package dialgate_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/dialgate/dialgate"
)

// unconfirmedLog is an AuditLog whose RecordDecision writes the record, then
// sees the caller's context end before it can confirm the write (a client
// that gives up during the fsync): it returns an error although the record
// is in the log, as auditlog.Log does ("the record may still be written").
// Its RecordOutcome fails on an ended context, like a real log.
type unconfirmedLog struct {
	cancel context.CancelFunc

	mu        sync.Mutex
	decisions []dialgate.Decision
	outcomes  []dialgate.Outcome
}

func (l *unconfirmedLog) RecordDecision(ctx context.Context, d dialgate.Decision) error {
	l.mu.Lock()
	l.decisions = append(l.decisions, d)
	l.mu.Unlock()
	l.cancel()
	<-ctx.Done()
	return fmt.Errorf("append not confirmed (the record may still be written): %w", ctx.Err())
}

func (l *unconfirmedLog) RecordOutcome(ctx context.Context, o dialgate.Outcome) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	l.outcomes = append(l.outcomes, o)
	l.mu.Unlock()
	return nil
}

// TestUnconfirmedRecordIsFollowedByRelease: when the audit log cannot
// confirm an allow it may nevertheless have written, the Gate answers a
// deny and gives the reservations back. The log must then say so too: an
// allow in the log with nothing after it reads as a call placed (the
// quarterly report and an auditor count it), while the dialer was told not
// to dial and its capacity is free again.
func TestUnconfirmedRecordIsFollowedByRelease(t *testing.T) {
	for _, shadow := range []bool{false, true} {
		t.Run(fmt.Sprintf("shadow=%v", shadow), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			log := &unconfirmedLog{cancel: cancel}
			capc := newCapacity("frequency", 1)
			g := mustGate(t, []dialgate.Checker{capc}, dialgate.WithAuditLog(log), dialgate.WithClock(fixedClock(noon)), dialgate.WithShadowMode(shadow))
			dec, err := g.Check(ctx, serviceDial())
			if !errors.Is(err, dialgate.ErrAuditUnavailable) || dec.Allowed || !dec.Has(dialgate.CodeAuditUnavailable) {
				t.Fatalf("Check = %+v, %v; want an audit.unavailable deny", dec, err)
			}
			if capc.used() != 0 {
				t.Fatal("capacity kept for a decision answered deny")
			}
			log.mu.Lock()
			defer log.mu.Unlock()
			if len(log.decisions) != 1 || !log.decisions[0].Allowed {
				t.Fatalf("recorded %+v: the test proves nothing", log.decisions)
			}
			if len(log.outcomes) != 1 || !log.outcomes[0].Released || log.outcomes[0].DecisionID != dec.ID {
				t.Fatalf("the log holds an allow for decision %s answered deny, followed by %+v; want its release", dec.ID, log.outcomes)
			}
		})
	}
}

// A deny whose record is unconfirmed needs no release record: the log and
// the answer agree.
func TestUnconfirmedDenyRecordsNoRelease(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := &unconfirmedLog{cancel: cancel}
	g := mustGate(t, []dialgate.Checker{deny("dnc", dialgate.CodeDNCListed)}, dialgate.WithAuditLog(log), dialgate.WithClock(fixedClock(noon)))
	dec, err := g.Check(ctx, serviceDial())
	if err == nil || dec.Allowed {
		t.Fatalf("Check = %+v, %v", dec, err)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.outcomes) != 0 {
		t.Fatalf("outcomes %+v after a deny", log.outcomes)
	}
}

// ReportOutcome is for placed calls: an outcome marked Released would
// record a release that gave no capacity back (Gate.Release does both).
func TestReportOutcomeRefusesReleased(t *testing.T) {
	log := &memLog{}
	capc := newCapacity("frequency", 1)
	g := mustGate(t, []dialgate.Checker{capc}, dialgate.WithAuditLog(log), dialgate.WithClock(fixedClock(noon)))
	dec, err := g.Check(context.Background(), serviceDial())
	if err != nil || !dec.Allowed {
		t.Fatalf("Check = %+v, %v", dec, err)
	}
	err = g.ReportOutcome(context.Background(), dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Released: true})
	var fe *dialgate.FieldError
	if !errors.Is(err, dialgate.ErrInvalidOutcome) || !errors.As(err, &fe) || fe.Field != "released" {
		t.Fatalf("ReportOutcome(Released) = %v; want an invalid outcome naming released", err)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.outcomes) != 0 || capc.used() != 1 {
		t.Fatalf("outcomes %+v, capacity used %d", log.outcomes, capc.used())
	}
}
