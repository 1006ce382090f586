package main

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestAdminUnrecordedChange: the sidecar's answer that a change is in force
// but its audit record is missing is not turned into "may not have been
// applied"; its refusal of a removal it could not record says "not
// applied".
func TestAdminUnrecordedChange(t *testing.T) {
	c := &adminConn{where: "127.0.0.1:7443"}
	err := c.rpcErr(status.Error(codes.Unavailable, "AddDncEntry: applied and in force, but not recorded: the audit log is unavailable (the log is closed); retry to record it once the log is available"), nil)
	if msg := err.Error(); strings.Contains(msg, "may not have been applied") || !strings.Contains(msg, "applied and in force") {
		t.Errorf("applied, unrecorded: %v", err)
	}
	err = c.rpcErr(status.Error(codes.Unavailable, "RemoveDncEntry: not applied: the audit log could not record it (the log is closed); a change that may allow a dial is made only once it is recorded: retry once the log is available"), nil)
	if msg := err.Error(); strings.Contains(msg, "may not have been applied") || !strings.Contains(msg, "not applied") {
		t.Errorf("refused, unrecorded: %v", err)
	}
}

// TestAdminLedgerConflictSaysRunAgain: AddLedgerEntry refused because
// another writer changed the entry between the server's read and its write
// is reported as not applied, naming the number, and to be run again — not
// as a refusal a retry cannot cure.
func TestAdminLedgerConflictSaysRunAgain(t *testing.T) {
	c := &adminConn{where: "127.0.0.1:7443"}
	err := c.rpcErr(status.Error(codes.FailedPrecondition, `AddLedgerEntry: ledger entry +861058001234 of tenant "acme": another writer changed it: the ledger holds none, expected the one read before: storage: conflict; nothing changed; retry: sidecar: failed precondition`), nil)
	msg := err.Error()
	if !strings.Contains(msg, "+861058001234") || !strings.Contains(msg, "run the command again") || strings.Contains(msg, "will not succeed") {
		t.Errorf("conflict: %v", err)
	}
	if code := exitCode(err); code != exitFailed {
		t.Errorf("conflict: exit %d, want %d", code, exitFailed)
	}
}

// TestAdminMaybeApplied: the sidecar's answer that a write may have been
// applied (its store lost the answer: storage.ErrMaybeApplied) is not
// turned into "may not have been applied": an operator told that of an
// opt-out removal takes the number for still opted out, while the removal
// may be in force.
func TestAdminMaybeApplied(t *testing.T) {
	c := &adminConn{where: "127.0.0.1:7443"}
	err := c.rpcErr(status.Error(codes.Unavailable, "RemoveDncEntry: may have been applied: the store's answer was lost; retry (the same request again is safe; the cause is in the server's log)"), nil)
	msg := err.Error()
	if strings.Contains(msg, "may not have been applied") || !strings.Contains(msg, "may have been applied") || !strings.Contains(msg, "run the command again") {
		t.Errorf("may have been applied: %v", err)
	}
	if code := exitCode(err); code != exitFailed {
		t.Errorf("may have been applied: exit %d, want %d", code, exitFailed)
	}
}
