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

// An outcome marked Released says the capacity was given back: given to
// ReportOutcome it must be (Gate.Release does both), or the record says
// "not placed, capacity returned" while every reservation stays held. With
// anything of a placed call it contradicts itself and is refused.
func TestReportOutcomeReleasedGivesCapacityBack(t *testing.T) {
	log := &memLog{}
	capc := newCapacity("frequency", 1)
	g := mustGate(t, []dialgate.Checker{capc}, dialgate.WithAuditLog(log), dialgate.WithClock(fixedClock(noon)))
	ctx := context.Background()
	dec, err := g.Check(ctx, serviceDial())
	if err != nil || !dec.Allowed {
		t.Fatalf("Check = %+v, %v", dec, err)
	}
	err = g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Released: true, Answered: true})
	var fe *dialgate.FieldError
	if !errors.Is(err, dialgate.ErrInvalidOutcome) || !errors.As(err, &fe) || fe.Field != "released" {
		t.Fatalf("ReportOutcome(Released, Answered) = %v; want an invalid outcome naming released", err)
	}
	if err := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Released: true}); err != nil {
		t.Fatal(err)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.outcomes) != 1 || !log.outcomes[0].Released {
		t.Fatalf("outcomes %+v", log.outcomes)
	}
	if capc.used() != 0 {
		t.Fatal("the log says the capacity was given back; it is still held")
	}
}

// panickyObserver is an OutcomeObserver whose ObserveOutcome panics.
type panickyObserver struct{ dialgate.Checker }

func (panickyObserver) ObserveOutcome(context.Context, dialgate.Outcome) error {
	panic("observer bug")
}

// panickyLog is an AuditLog whose RecordDecision panics.
type panickyLog struct{ memLog }

func (*panickyLog) RecordDecision(context.Context, dialgate.Decision) error { panic("log bug") }

// A panic in one outcome observer is an error, as in a check, a Commit or a
// Release: it must not crash the dialer, nor keep the outcome from the other
// observers (a conversation that starts a no-call pause) and the audit log.
func TestPanickingObserverDoesNotLoseTheOutcome(t *testing.T) {
	log := &memLog{}
	obs := &observer{Checker: pass("pause")}
	g := mustGate(t, []dialgate.Checker{panickyObserver{pass("ring")}, obs}, dialgate.WithAuditLog(log), dialgate.WithClock(fixedClock(noon)))
	ctx := context.Background()
	dec, err := g.Check(ctx, serviceDial())
	if err != nil || !dec.Allowed {
		t.Fatalf("Check = %+v, %v", dec, err)
	}
	var rerr error
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Errorf("ReportOutcome panicked: %v", p)
			}
		}()
		rerr = g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Answered: true, Conversation: true})
	}()
	if rerr == nil {
		t.Error("ReportOutcome with a panicking observer returned nil")
	}
	if len(obs.got) != 1 {
		t.Errorf("the other observer saw %d outcomes, want 1", len(obs.got))
	}
	if len(log.outcomes) != 1 {
		t.Errorf("%d outcomes recorded, want 1", len(log.outcomes))
	}
}

// A panic in the audit log is an audit failure: a deny, not a crash.
func TestPanickingAuditLogDenies(t *testing.T) {
	capc := newCapacity("frequency", 1)
	g := mustGate(t, []dialgate.Checker{capc}, dialgate.WithAuditLog(&panickyLog{}), dialgate.WithClock(fixedClock(noon)))
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
	if !errors.Is(err, dialgate.ErrAuditUnavailable) || dec.Allowed || !dec.Has(dialgate.CodeAuditUnavailable) || capc.used() != 0 {
		t.Fatalf("Check = %+v, %v (capacity used %d)", dec, err, capc.used())
	}
}

// panickyOutcomeLog is an AuditLog whose RecordOutcome panics.
type panickyOutcomeLog struct{ memLog }

func (*panickyOutcomeLog) RecordOutcome(context.Context, dialgate.Outcome) error {
	panic("log bug")
}

// A panic in the audit log while recording a release or an outcome is an
// error, not a crash; the capacity is given back all the same.
func TestPanickingOutcomeLogIsAnError(t *testing.T) {
	capc := newCapacity("frequency", 1)
	g := mustGate(t, []dialgate.Checker{capc}, dialgate.WithAuditLog(&panickyOutcomeLog{}), dialgate.WithClock(fixedClock(noon)))
	ctx := context.Background()
	dec, err := g.Check(ctx, serviceDial())
	if err != nil || !dec.Allowed {
		t.Fatalf("Check = %+v, %v", dec, err)
	}
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Errorf("panicked: %v", p)
			}
		}()
		if err := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Answered: true}); !errors.Is(err, dialgate.ErrAuditUnavailable) {
			t.Errorf("ReportOutcome = %v, want ErrAuditUnavailable", err)
		}
		if err := g.Release(ctx, dec); !errors.Is(err, dialgate.ErrAuditUnavailable) {
			t.Errorf("Release = %v, want ErrAuditUnavailable", err)
		}
	}()
	if capc.used() != 0 {
		t.Error("capacity kept after Release")
	}
}

// A text field of a Dial that is not UTF-8 is malformed: the audit log
// writes every invalid byte as U+FFFD, so "acme\xff" and "acme\xfe" — two
// tenants to the checks and the stores (caps, tenant lists) — would be the
// same tenant in the record. (The wire cannot carry such strings; the Go
// API and the command line can.)
func TestInvalidUTF8DialFieldIsInvalid(t *testing.T) {
	log := &memLog{}
	g := mustGate(t, []dialgate.Checker{pass("a")}, dialgate.WithClock(fixedClock(noon)), dialgate.WithAuditLog(log))
	for _, tc := range []struct {
		field string
		mod   func(*dialgate.Dial)
	}{
		{"tenant", func(d *dialgate.Dial) { d.Tenant = "acme\xff" }},
		{"industry", func(d *dialgate.Dial) { d.Industry = "fin\xc3" }},
		{"business_line", func(d *dialgate.Dial) { d.BusinessLine = "\xfeloans" }},
		{"campaign", func(d *dialgate.Dial) { d.Campaign = "winter\xed\xa0\x80" }}, // a surrogate half
		{"subject", func(d *dialgate.Dial) { d.Subject = "debt-\x80" }},
		{"consent_id", func(d *dialgate.Dial) { d.ConsentID = "c-\xff" }},
		{"lead_id", func(d *dialgate.Dial) { d.LeadID = "crm-\xff" }},
	} {
		t.Run(tc.field, func(t *testing.T) {
			d := serviceDial()
			tc.mod(&d)
			dec, err := g.Check(context.Background(), d)
			var fe *dialgate.FieldError
			if !errors.Is(err, dialgate.ErrInvalidDial) || !errors.As(err, &fe) || fe.Field != tc.field {
				t.Fatalf("err = %v, want an invalid dial naming %s", err, tc.field)
			}
			if dec.Allowed || codes(dec) != "dial.invalid" {
				t.Fatalf("decision %+v", dec)
			}
		})
	}
	d := serviceDial()
	d.Tenant = "华夏银行" // valid UTF-8 is fine
	if dec, err := g.Check(context.Background(), d); err != nil || !dec.Allowed {
		t.Fatalf("UTF-8 tenant: %+v, %v", dec, err)
	}
}
