package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// report quarterly --key --sealed checked that a log file it counted had
// the size it had when it was verified: a record edited in place between
// the verification and the counting, to the same length, was counted
// unverified while the report said the logs were verified and sealed. The
// report now counts only records whose Merkle tree is the one the
// verification checked (exit 1, naming the directory, otherwise).
func TestReportQuarterlyRecordEditedAfterVerify(t *testing.T) {
	data := t.TempDir()
	addLedgerAndCheck(t, data)
	pub := filepath.Join(data, "keys", "audit-signer.pub")
	dir := filepath.Join(data, "audit")
	file := filepath.Join(dir, "audit-000001.jsonl")
	edit := func() {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		// The decision is the last record (a checkpoint follows it, no
		// record carries its hash): the chain alone does not show the edit.
		edited := bytes.Replace(b, []byte(`"tenant":"acme","purpose"`), []byte(`"tenant":"acmf","purpose"`), 1)
		if bytes.Equal(edited, b) || len(edited) != len(b) {
			t.Fatalf("the decision record was not found to edit in %s", b)
		}
		if err := os.WriteFile(file, edited, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, sealed := range []bool{true, false} {
		args := []string{"--data", data, "report", "quarterly", "--quarter", "2026Q4", "--at", "2026-12-05T10:00:00+08:00", "--key", pub, "--tenant", "acmf"}
		if sealed {
			args = append(args, "--sealed")
		}
		var out, errb bytes.Buffer
		a := newApp(strings.NewReader(""), &out, &errb)
		a.afterReportVerify = edit
		err := a.run(context.Background(), args)
		if code := exitCode(err); code != 1 || out.Len() != 0 || !strings.Contains(errb.String(), dir) {
			t.Fatalf("report --key (sealed %v) with a record edited after the verification: exit %d, stdout %q, stderr %q; want exit 1 naming %s", sealed, code, out.String(), errb.String(), dir)
		}
		// Undo the edit for the next run.
		b, _ := os.ReadFile(file)
		if err := os.WriteFile(file, bytes.Replace(b, []byte(`"tenant":"acmf","purpose"`), []byte(`"tenant":"acme","purpose"`), 1), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
