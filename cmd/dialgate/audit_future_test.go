package main

import (
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/auditlog"
)

// TestAuditVerifyFutureCheckpoint: audit verify checked checkpoint dates
// only against each other, so a log whose checkpoints are dated years
// after the verifier's clock (written by a clock far ahead, or planted
// with the key) verified, exit 0. verify now judges them against the
// clock, as Open does: exit 1 naming the checkpoint's file and line.
func TestAuditVerifyFutureCheckpoint(t *testing.T) {
	future := time.Now().AddDate(3, 0, 0)
	dir, prefix := writeAuditLog(t, 3, auditlog.Options{Now: func() time.Time { return future }})
	code, out, errs := runCLI(t, "", "audit", "verify", dir, "--key", prefix+".pub")
	if code != 1 || !strings.Contains(out+errs, "dated in the future") || !strings.Contains(out+errs, "audit-000001.jsonl:") {
		t.Fatalf("verify of a log checkpointed 3 years ahead: exit %d, want 1 naming the checkpoint's line\n%s%s", code, out, errs)
	}
	dir, prefix = writeAuditLog(t, 3, auditlog.Options{})
	if code, out, errs := runCLI(t, "", "audit", "verify", dir, "--key", prefix+".pub", "--sealed"); code != 0 {
		t.Fatalf("verify of a log checkpointed now: exit %d\n%s%s", code, out, errs)
	}
}
