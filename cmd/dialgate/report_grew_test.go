package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// report quarterly --key --sealed verified each log directory, then read the files
// again to count them: a record a sidecar (or anyone) appended in between
// was counted unverified, and with --sealed the report still said
// "sealed": true. The report now fails (exit 1, naming the file) when a log
// file it counts changed since it was verified.
func TestReportQuarterlyLogGrewAfterVerify(t *testing.T) {
	data := t.TempDir()
	addLedgerAndCheck(t, data)
	pub := filepath.Join(data, "keys", "audit-signer.pub")
	file := filepath.Join(data, "audit", "audit-000001.jsonl")
	var out, errb bytes.Buffer
	a := newApp(strings.NewReader(""), &out, &errb)
	a.afterReportVerify = func() { appendForgedRecord(t, file) }
	err := a.run(context.Background(), []string{"--data", data, "report", "quarterly", "--quarter", "2026Q4", "--at", "2026-12-05T10:00:00+08:00", "--key", pub, "--sealed"})
	if code := exitCode(err); code != 1 || out.Len() != 0 || !strings.Contains(errb.String(), file) {
		t.Fatalf("report --key --sealed with a record appended after the verification: exit %d, stdout %q, stderr %q; want exit 1 naming %s", code, out.String(), errb.String(), file)
	}
}

// addLedgerAndCheck adds acme's caller ID +861058001234 to the ledger of the
// data directory data and checks one allowed dial from it (a decision
// record in the audit log's first file), through the CLI.
func addLedgerAndCheck(t *testing.T, data string) {
	t.Helper()
	if code, _, errs := runCheckAt(t, "", "--data", data, "ledger", "add", "--tenant", "acme", "--number", "+861058001234", "--holder", "Acme Ltd", "--purposes", "service"); code != 0 {
		t.Fatalf("ledger add: %d %s", code, errs)
	}
	if code, _, errs := runCheckAt(t, "", "--data", data, "check", "--tenant", "acme", "--to", "+8613900139001", "--from", "+861058001234", "--purpose", "service",
		"--lead-id", "crm-1", "--at", "2026-12-01T10:00:00+08:00"); code != 0 {
		t.Fatalf("check: %d %s", code, errs)
	}
}
