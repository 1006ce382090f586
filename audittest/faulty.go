package audittest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/dialgate/dialgate"
)

// ErrInjected is the error a Fault injects when it is not given one.
var ErrInjected = errors.New("audittest: injected fault")

// Fault is a switch that makes the faulty wrappers of this package fail on
// demand: a store outage, a log that cannot write.
//
// The zero Fault is healthy (injects nothing). A Fault is safe for concurrent
// use and may be shared by several wrappers (one outage taking down several
// checks); do not copy it after first use.
type Fault struct {
	mu       sync.Mutex
	err      error
	left     int // calls left to fail; -1 = until Heal
	injected int
}

// Fail makes every call fail with err (ErrInjected when err is nil) until Heal.
func (f *Fault) Fail(err error) { f.set(-1, err) }

// FailNext makes the next n calls fail with err (ErrInjected when err is nil).
func (f *Fault) FailNext(n int, err error) { f.set(n, err) }

// Heal stops injecting failures.
func (f *Fault) Heal() { f.set(0, nil) }

func (f *Fault) set(n int, err error) {
	if err == nil && n != 0 {
		err = ErrInjected
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err, f.left = err, n
}

// Err returns the error to inject for one call, or nil when healthy. Each
// non-nil result counts against FailNext.
func (f *Fault) Err() error {
	if f == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.left == 0 {
		return nil
	}
	if f.left > 0 {
		f.left--
	}
	f.injected++
	return f.err
}

// Injected returns how many failures the Fault has injected.
func (f *Fault) Injected() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.injected
}

// FaultyChecker wraps a Checker so that it fails when its Fault says so, as a
// check whose store is down does. It forwards Attest, AttestUntil, Commit,
// Recount, Release and ObserveOutcome to the wrapped check when it implements
// them, so wrapping does not change a healthy check's behaviour. Check,
// Attest, AttestUntil, Commit and Recount consult the Fault; Release and
// ObserveOutcome do not.
//
// Create it with NewFaultyChecker. It is safe for concurrent use when the
// wrapped check is.
type FaultyChecker struct {
	name  string
	inner dialgate.Checker
	fault *Fault
}

// NewFaultyChecker wraps inner (nil: a check that always passes) under name
// (inner's name when empty), failing while f says so.
func NewFaultyChecker(name string, inner dialgate.Checker, f *Fault) *FaultyChecker {
	if name == "" && inner != nil {
		name = inner.Name()
	}
	return &FaultyChecker{name: name, inner: inner, fault: f}
}

var (
	_ dialgate.Attester        = (*FaultyChecker)(nil)
	_ dialgate.Expirer         = (*FaultyChecker)(nil)
	_ dialgate.Committer       = (*FaultyChecker)(nil)
	_ dialgate.Recounter       = (*FaultyChecker)(nil)
	_ dialgate.OutcomeObserver = (*FaultyChecker)(nil)
)

// Name returns the check's name.
func (c *FaultyChecker) Name() string { return c.name }

// Check fails with the Fault's error, or asks the wrapped check.
func (c *FaultyChecker) Check(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, error) {
	rs, _, err := c.Attest(ctx, d)
	return rs, err
}

// Attest fails with the Fault's error, or asks the wrapped check (Attest when
// it is an Attester, Check otherwise).
func (c *FaultyChecker) Attest(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, []dialgate.Evidence, error) {
	if err := c.fault.Err(); err != nil {
		return nil, nil, err
	}
	switch in := c.inner.(type) {
	case nil:
		return nil, nil, nil
	case dialgate.Attester:
		return in.Attest(ctx, d)
	default:
		rs, err := in.Check(ctx, d)
		return rs, nil, err
	}
}

// AttestUntil fails with the Fault's error, or asks the wrapped check
// (AttestUntil when it is a dialgate.Expirer; otherwise Attest, with no end).
func (c *FaultyChecker) AttestUntil(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, []dialgate.Evidence, time.Time, error) {
	if in, ok := c.inner.(dialgate.Expirer); ok {
		if err := c.fault.Err(); err != nil {
			return nil, nil, time.Time{}, err
		}
		return in.AttestUntil(ctx, d)
	}
	rs, ev, err := c.Attest(ctx, d)
	return rs, ev, time.Time{}, err
}

// Recount fails with the Fault's error, or counts d again with the wrapped
// check (dialgate.Recounter: whatever its limits say). A wrapped Committer
// that is no Recounter is asked to Commit, as the Gate would ask it, and a
// refusal is returned as an error (the call is left uncounted).
func (c *FaultyChecker) Recount(ctx context.Context, d dialgate.Dial, id string) error {
	if err := c.fault.Err(); err != nil {
		return err
	}
	switch in := c.inner.(type) {
	case dialgate.Recounter:
		return in.Recount(ctx, d, id)
	case dialgate.Committer:
		rs, err := in.Commit(ctx, d, id)
		if err != nil {
			return err
		}
		if len(rs) > 0 {
			return fmt.Errorf("recount %s: %s refused it: %s", id, c.name, rs[0].Code)
		}
	}
	return nil
}

// Commit fails with the Fault's error, or reserves with the wrapped check
// when it is a Committer.
func (c *FaultyChecker) Commit(ctx context.Context, d dialgate.Dial, decisionID string) ([]dialgate.Reason, error) {
	if err := c.fault.Err(); err != nil {
		return nil, err
	}
	if in, ok := c.inner.(dialgate.Committer); ok {
		return in.Commit(ctx, d, decisionID)
	}
	return nil, nil
}

// Release forwards to the wrapped check when it is a Committer.
func (c *FaultyChecker) Release(ctx context.Context, decisionID string) error {
	if in, ok := c.inner.(dialgate.Committer); ok {
		return in.Release(ctx, decisionID)
	}
	return nil
}

// ObserveOutcome forwards to the wrapped check when it is an OutcomeObserver.
func (c *FaultyChecker) ObserveOutcome(ctx context.Context, o dialgate.Outcome) error {
	if in, ok := c.inner.(dialgate.OutcomeObserver); ok {
		return in.ObserveOutcome(ctx, o)
	}
	return nil
}

// FaultyLog wraps an AuditLog so that recording fails when its Fault says so,
// as a full disk does; the Gate must then deny with audit.unavailable.
//
// Create it with NewFaultyLog. It is safe for concurrent use when the wrapped
// log is.
type FaultyLog struct {
	inner dialgate.AuditLog
	fault *Fault
}

// NewFaultyLog wraps inner (nil: a log that discards) failing while f says so.
func NewFaultyLog(inner dialgate.AuditLog, f *Fault) *FaultyLog {
	return &FaultyLog{inner: inner, fault: f}
}

var _ dialgate.AuditLog = (*FaultyLog)(nil)

// RecordDecision fails with the Fault's error or records with the wrapped log.
func (l *FaultyLog) RecordDecision(ctx context.Context, d dialgate.Decision) error {
	if err := l.fault.Err(); err != nil {
		return err
	}
	if l.inner == nil {
		return nil
	}
	return l.inner.RecordDecision(ctx, d)
}

// RecordOutcome fails with the Fault's error or records with the wrapped log.
func (l *FaultyLog) RecordOutcome(ctx context.Context, o dialgate.Outcome) error {
	if err := l.fault.Err(); err != nil {
		return err
	}
	if l.inner == nil {
		return nil
	}
	return l.inner.RecordOutcome(ctx, o)
}
