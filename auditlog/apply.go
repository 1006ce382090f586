package auditlog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"
)

// ChangeRecorder records changes to the state decisions depend on, as
// Log.RecordChange does: durably before it returns nil.
type ChangeRecorder interface {
	RecordChange(ctx context.Context, c Change) error
}

// NewChangeID returns "chg-<16 random hex digits>": the id linking a
// change's ResultRequested record to the record of its result.
func NewChangeID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "chg-" + hex.EncodeToString(b[:]), nil
}

// ErrUnchanged is returned (wrapped) by the apply function of
// ApplyThenRecord or RecordThenApply whose request succeeded but changed
// nothing, what it asked for being so already (a retried grant of the same
// consent, a consent revoked again): the change is recorded as
// ResultApplied with Unchanged, and the apply error returned is nil.
var ErrUnchanged = errors.New("auditlog: the change was in force already")

// RecordTimeout bounds the wait for a change record written after the
// change was applied: it is written even when the caller has given up.
const RecordTimeout = 30 * time.Second

// detached is ctx without its cancellation, bounded by RecordTimeout: the
// record of a change already applied is written whatever the caller does.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), RecordTimeout)
}

// ApplyThenRecord makes a change that can only deny more dials or keep
// more data (an opt-out added, a consent revoked, a complaint filed, a
// recording registered, a hold placed): apply runs first, since such a
// change must never be refused because the audit log cannot be written,
// then *c is recorded with r as ResultApplied (with ctx's cancellation
// detached, bounded by RecordTimeout). apply may complete *c (a
// complaint's id) before it is recorded.
//
// applyErr is apply's error: nothing changed and nothing is recorded;
// except ErrUnchanged (wrapped), which is no error: the request is recorded
// as ResultApplied with Unchanged (a retry), and applyErr is nil.
// recordErr is the record's error when apply succeeded: the change is in
// force but not recorded.
func ApplyThenRecord(ctx context.Context, r ChangeRecorder, c *Change, apply func() error) (applyErr, recordErr error) {
	unchanged := false
	if err := apply(); errors.Is(err, ErrUnchanged) {
		unchanged = true
	} else if err != nil {
		return err, nil
	}
	rctx, cancel := detached(ctx)
	defer cancel()
	rc := *c
	rc.Result, rc.Unchanged = ResultApplied, unchanged
	return nil, r.RecordChange(rctx, rc)
}

// RecordThenApply makes a change that may allow a dial, or lose a record
// (an opt-out removed, a consent granted, a ledger entry added, a
// recording's end set, a hold lifted): c is recorded with r as
// ResultRequested first, and a change that cannot be recorded is not made,
// as a Gate denies a dial it cannot record. After apply, c is recorded
// again with the same ChangeID, as ResultApplied, or as ResultFailed with
// ErrorCode code(apply's error). When ctx ends while the request is being
// written it may still be, so a failed record (ErrorCode code(ctx's
// error)) is attempted too.
//
// requestErr is the requested record's error: apply did not run, nothing
// changed. applyErr is apply's error; an error wrapping ErrUnchanged is
// none: the result is recorded as ResultApplied with Unchanged, and
// applyErr is nil. resultErr is the error of the
// record of the result: with a nil applyErr the change is in force, and
// the requested record stands as its proof.
func RecordThenApply(ctx context.Context, r ChangeRecorder, c Change, code func(error) string, apply func() error) (requestErr, applyErr, resultErr error) {
	c.Result = ResultRequested
	if err := r.RecordChange(ctx, c); err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			rctx, cancel := detached(ctx)
			f := c
			f.Result, f.ErrorCode = ResultFailed, code(err)
			_ = r.RecordChange(rctx, f)
			cancel()
		}
		return err, nil, nil
	}
	applyErr = apply()
	rctx, cancel := detached(ctx)
	defer cancel()
	if errors.Is(applyErr, ErrUnchanged) {
		applyErr, c.Unchanged = nil, true
	}
	if applyErr != nil {
		c.Result, c.ErrorCode = ResultFailed, code(applyErr)
	} else {
		c.Result = ResultApplied
	}
	return nil, applyErr, r.RecordChange(rctx, c)
}
