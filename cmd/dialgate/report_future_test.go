package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/auditlog"
)

// TestReportKeyRefusesFutureCheckpoint: report quarterly --key verified the
// log without its clock, so a log whose checkpoints are dated years after
// it (written by a clock far ahead, or planted with the key) gave a report
// that audit verify, which the report's error points to, refuses (exit 1,
// "dated in the future"). The report now judges checkpoint dates against
// this machine's clock as audit verify does (not against --at, which may
// be the quarter's end): no report, exit 1.
func TestReportKeyRefusesFutureCheckpoint(t *testing.T) {
	data := t.TempDir()
	if code, _, errs := runCheckAt(t, "", "--data", data, "ledger", "add", "--tenant", "acme", "--number", "+861058001234", "--holder", "Acme Ltd", "--purposes", "service"); code != 0 {
		t.Fatalf("ledger add: %d %s", code, errs)
	}
	report := func(dir, prefix string) (int, string) {
		var out, errb bytes.Buffer
		a := newApp(strings.NewReader(""), &out, &errb)
		err := a.run(context.Background(), []string{"--data", data, "report", "quarterly", "--quarter", "2026Q4", "--at", "2026-12-31T10:00:00+08:00",
			"--audit", dir, "--key", prefix + ".pub"})
		return exitCode(err), errb.String()
	}
	future := time.Now().AddDate(3, 0, 0)
	dir, prefix := writeAuditLog(t, 3, auditlog.Options{Now: func() time.Time { return future }})
	if code, errs := report(dir, prefix); code != 1 || !strings.Contains(errs, "dated in the future") {
		t.Fatalf("report --key on a log checkpointed 3 years ahead: exit %d, stderr %q; want 1, dated in the future", code, errs)
	}
	dir, prefix = writeAuditLog(t, 3, auditlog.Options{})
	if code, errs := report(dir, prefix); code != 0 {
		t.Fatalf("report --key on a log checkpointed now: exit %d, stderr %q", code, errs)
	}
}
