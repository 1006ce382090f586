package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSealedTrustedCheckpointCovers: --sealed (audit verify, report
// quarterly --key) refuses records "signed by nothing" (docs/auditors.md).
// It refused records that the trusted checkpoint (the directory's
// checkpoint file, or --checkpoint) signs when the log's own last
// checkpoint line was gone, saying no signature covered them. Those
// records are sealed: both commands now accept them, and a record after
// the trusted checkpoint is still refused.
func TestSealedTrustedCheckpointCovers(t *testing.T) {
	data := t.TempDir()
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return runCheckAt(t, "", append([]string{"--data", data}, args...)...)
	}
	if code, _, errs := run("ledger", "add", "--tenant", "acme", "--number", "+861058001234", "--holder", "Acme Ltd", "--purposes", "service"); code != 0 {
		t.Fatalf("ledger add: %d %s", code, errs)
	}
	if code, _, errs := run("check", "--tenant", "acme", "--to", "+8613900139001", "--from", "+861058001234", "--purpose", "service",
		"--lead-id", "crm-1", "--at", "2026-12-01T10:00:00+08:00"); code != 0 {
		t.Fatalf("check: %d %s", code, errs)
	}
	pub := filepath.Join(data, "keys", "audit-signer.pub")
	dir := filepath.Join(data, "audit")
	file := filepath.Join(dir, "audit-000001.jsonl")
	lines := strings.SplitAfter(mustRead(t, file), "\n")
	last := len(lines) - 2
	if !strings.Contains(lines[last], `"kind":"checkpoint"`) {
		t.Fatalf("last line %q is not a checkpoint", lines[last])
	}
	if err := os.WriteFile(file, []byte(strings.Join(lines[:last], "")), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := run("audit", "verify", dir, "--key", pub, "--sealed"); code != 0 || !strings.Contains(out, "the log contains the tree of the trusted checkpoint") {
		t.Fatalf("audit verify --sealed, the trusted checkpoint signing every record: %d\n%s%s", code, out, errs)
	}
	report := []string{"report", "quarterly", "--quarter", "2026Q4", "--at", "2026-12-05T10:00:00+08:00", "--key", pub, "--sealed"}
	if code, out, errs := run(report...); code != 0 || !strings.Contains(out, `"total": 1`) {
		t.Fatalf("report --key --sealed, the trusted checkpoint signing every record: %d\n%s%s", code, out, errs)
	}
	// Without the trusted checkpoint the records are unsealed.
	if code, out, _ := run("audit", "verify", dir, "--key", pub, "--sealed", "--no-checkpoint"); code != 1 || !strings.Contains(out, "unsealed") {
		t.Fatalf("audit verify --sealed --no-checkpoint: %d\n%s", code, out)
	}
	// A record appended after the trusted checkpoint is refused.
	appendForgedRecord(t, file)
	if code, out, _ := run("audit", "verify", dir, "--key", pub, "--sealed"); code != 1 || !strings.Contains(out, "unsealed: 1 record after the trusted checkpoint") {
		t.Fatalf("audit verify --sealed with a record after the trusted checkpoint: %d\n%s", code, out)
	}
	if code, _, errs := run(report...); code != 1 || !strings.Contains(errs, "unsealed") {
		t.Fatalf("report --key --sealed with a record after the trusted checkpoint: %d\n%s", code, errs)
	}
}
