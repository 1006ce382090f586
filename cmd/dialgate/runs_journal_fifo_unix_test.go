//go:build unix

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCheckRefusesFIFOSweepRuns: a FIFO planted at DIR/sweep-runs.jsonl
// hung `dialgate check --data DIR` in open(2) (os.ReadFile waits for a
// writer): the dialer waited for ever for its decision. The journal is
// opened as a regular file only: check is DENIED (exit 1, do not dial) at
// once, naming the file.
func TestCheckRefusesFIFOSweepRuns(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if code, _, errs := runCLI(t, "", "--data", data, "ledger", "add", "--tenant", "acme", "--number", "+861058001234", "--holder", "Acme Ltd", "--purposes", "service"); code != 0 {
		t.Fatalf("ledger add: %d %s", code, errs)
	}
	if err := syscall.Mkfifo(filepath.Join(data, runsJournalFile), 0o600); err != nil {
		t.Skip(err)
	}
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	done := make(chan string, 1)
	go func() {
		code, out, errs := runCLIAt(t, at, "", "--data", data, "check", "--tenant", "acme",
			"--to", "+8613900131000", "--from", "+861058001234", "--purpose", "service", "--lead-id", "crm-1")
		if code != 1 || !strings.Contains(errs, runsJournalFile) || !strings.Contains(errs, "not a regular file") {
			done <- fmt.Sprintf("exit %d\n%s%s", code, out, errs)
			return
		}
		done <- ""
	}()
	select {
	case msg := <-done:
		if msg != "" {
			t.Errorf("check with a FIFO at %s: %s, want exit 1 naming the file, not a regular file", runsJournalFile, msg)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("check blocked on a FIFO at %s", runsJournalFile)
	}
}

// TestRunsJournalRemovesStaleTemps: a check that crashed while rewriting
// the journal left its .sweep-runs.jsonl.*.tmp file behind, and every such
// crash left one more. Opening the journal (under the store's lock: no
// other rewrite is under way) removes them — regular files of that
// pattern only.
func TestRunsJournalRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	stale := []string{"." + runsJournalFile + ".123456.tmp", "." + runsJournalFile + ".9.tmp"}
	for _, name := range stale {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("{\"op\":"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Not the journal's temp files, or not regular files: left alone.
	kept := []string{"." + runsJournalFile + ".tmp", "." + runsJournalFile + ".x1.tmp", runsJournalFile + ".1.tmp", ".other.jsonl.1.tmp", "." + runsJournalFile + ".1.tmp.bak"}
	for _, name := range kept {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sub := "." + runsJournalFile + ".77.tmp"
	if err := os.Mkdir(filepath.Join(dir, sub), 0o700); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "target")
	if err := os.WriteFile(target, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := "." + runsJournalFile + ".88.tmp"
	if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
		t.Fatal(err)
	}
	fifo := "." + runsJournalFile + ".99.tmp"
	if err := syscall.Mkfifo(filepath.Join(dir, fifo), 0o600); err != nil {
		t.Fatal(err)
	}
	j, err := openRunsJournal(context.Background(), dir, time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for _, name := range stale {
		if _, err := os.Lstat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("%s: still there after the journal was opened (%v)", name, err)
		}
	}
	for _, name := range append(kept, sub, link, fifo) {
		if _, err := os.Lstat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v, want it left alone", name, err)
		}
	}
	if _, err := os.Stat(target); err != nil {
		t.Errorf("the link's target: %v", err)
	}
}
