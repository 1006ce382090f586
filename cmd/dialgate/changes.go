package main

import (
	"context"
	"errors"
	"fmt"
	"os/user"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/internal/sidecar"
	"github.com/dialgate/dialgate/storage"
)

// changeLog records the changes a command makes to the state decisions
// depend on in the audit log `dialgate check` records its decisions in:
// DIR/audit of --data (with --config, of the config's data directory) with
// that directory's keys (the config's hmac_key_file), as change records
// like those of the sidecar's AdminService (auditlog.ApplyThenRecord,
// auditlog.RecordThenApply). A log that could not be opened fails every
// record, as a failed write would: the change is then refused or made
// according to its kind, never before that is decided.
type changeLog struct {
	a   *app
	log *auditlog.Log
	err error // why the log could not be opened
}

// openChangeLog opens the audit log of --data for the command's changes;
// close it. Open it before a store the command creates: on a new data
// directory the keys are made first (a store without its key is refused,
// sidecar.CheckStoreKey).
func (a *app) openChangeLog(ctx context.Context) *changeLog {
	var keyFile string
	if fleet := a.fleet(); fleet != nil {
		keyFile = fleet.HMACKeyFile
	}
	l := &changeLog{a: a}
	// A new --data is made durable in its parent, as the store's is.
	if l.err = mkdirData(a.data); l.err != nil {
		return l
	}
	// Change records carry no profile: a decision's profile field is not
	// theirs.
	l.log, _, l.err = sidecar.OpenAuditLog(ctx, a.data, keyFile, "")
	return l
}

// RecordChange implements auditlog.ChangeRecorder.
func (l *changeLog) RecordChange(ctx context.Context, c auditlog.Change) error {
	if l.err != nil {
		return l.err
	}
	return l.log.RecordChange(ctx, c)
}

// close closes the log, if it was opened, saying on stderr when that
// failed (every record was durable when RecordChange returned).
func (l *changeLog) close() {
	if l.log == nil {
		return
	}
	if err := l.log.Close(); err != nil {
		fmt.Fprintf(l.a.stderr, "dialgate: audit log: %v\n", err)
	}
}

// cliActor is the change records' actor: the name of the OS user running
// the command (never a secret), or "cli" when it is unknown.
func cliActor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "cli"
}

// newCLIChange returns the change op made now by the OS user, with a fresh
// change id.
func newCLIChange(op string, now time.Time) (auditlog.Change, error) {
	id, err := auditlog.NewChangeID()
	if err != nil {
		return auditlog.Change{}, failErr(fmt.Errorf("%s: nothing changed: no change id: %w", op, err))
	}
	return auditlog.Change{Op: op, ChangeID: id, Actor: cliActor(), At: now.UTC()}, nil
}

// changeCode is the ErrorCode of a change the store refused or failed, in
// the status code names the sidecar records.
func changeCode(err error) string {
	var fe *dialgate.FieldError
	var ce *consent.FieldError
	switch {
	case errors.Is(err, context.Canceled):
		return "Canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "DeadlineExceeded"
	case errors.Is(err, storage.ErrNotFound):
		return "NotFound"
	case errors.Is(err, storage.ErrConflict):
		return "AlreadyExists"
	case errors.Is(err, storage.ErrInvalid), errors.As(err, &fe), errors.As(err, &ce):
		return "InvalidArgument"
	}
	return "Unavailable"
}

// applyThenRecord makes a change that can only deny more dials or keep
// more data (auditlog.ApplyThenRecord): apply first, then c is recorded.
// applyErr is apply's error (nothing changed, nothing recorded), for the
// caller to report; notRecorded, when the change was applied but could not
// be recorded, is the command's exit 1 saying it is in force, returned
// after the caller printed what was done.
func applyThenRecord(ctx context.Context, l *changeLog, c *auditlog.Change, apply func() error) (applyErr, notRecorded error) {
	aerr, rerr := auditlog.ApplyThenRecord(ctx, l, c, apply)
	if aerr != nil {
		return aerr, nil
	}
	if rerr != nil {
		return nil, failErr(fmt.Errorf("%s: applied and in force, but not recorded in the audit log (%w); run the command again once the log is available to record it", c.Op, rerr))
	}
	return nil, nil
}

// recordThenApply makes a change that may allow a dial or lose a record
// (auditlog.RecordThenApply): c is recorded as requested first, and when
// that fails nothing is changed (refused: exit 1, returned as refused).
// applyErr is apply's error, for the caller to report (its failure is
// recorded too; when that record fails, stderr says so). notRecorded, when
// the change was applied but its completion could not be recorded, is the
// command's exit 1 saying it is in force, returned after the caller
// printed what was done.
func (a *app) recordThenApply(ctx context.Context, l auditlog.ChangeRecorder, c auditlog.Change, apply func() error) (refused, applyErr, notRecorded error) {
	qerr, aerr, rerr := auditlog.RecordThenApply(ctx, l, c, changeCode, apply)
	if errors.Is(qerr, auditlog.ErrInvalidRecord) {
		// A record the log refuses (too long, a field out of range) is
		// refused again: no retry cures it.
		return failErr(fmt.Errorf("%s: nothing changed: the audit log refused its record (%w); a change that may allow a dial or delete a record is made only once it is recorded", c.Op, qerr)), nil, nil
	}
	if qerr != nil {
		return failErr(fmt.Errorf("%s: nothing changed: the audit log could not record it (%w); a change that may allow a dial or delete a record is made only once it is recorded: retry once the log is available", c.Op, qerr)), nil, nil
	}
	if aerr != nil {
		if rerr != nil {
			fmt.Fprintf(a.stderr, "dialgate: %s: its failure was not recorded in the audit log: %v\n", c.Op, rerr)
		}
		return nil, aerr, nil
	}
	if rerr != nil {
		return nil, nil, failErr(fmt.Errorf("%s: applied and in force (recorded as requested, change %s), but its completion was not recorded in the audit log (%w)", c.Op, c.ChangeID, rerr))
	}
	return nil, nil, nil
}
