package report_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/report"
)

// TestBuildLiveLogWriteInProgress: Build reading the log of a running
// sidecar read its last file while a write was under way: it saw the first
// part of the last record (no newline yet) and failed, although nobody
// changed the log. audit verify waits for such a write (up to half a
// second, auditlog.ReadLines); Build now reads the last file of a log
// directory the same way, and counts the record once whole. A last line
// that stays incomplete (a crash) is still refused as torn.
func TestBuildLiveLogWriteInProgress(t *testing.T) {
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	file := closedLogFile(t, now, "winter", 3)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(b, []byte("\n"))
	// The file before the last decision's write ended: no closing
	// checkpoint yet, and half of the last record.
	recs := bytes.Join(lines[:len(lines)-3], nil)
	last := lines[len(lines)-3]
	if !bytes.Contains(last, []byte(`"kind":"decision"`)) {
		t.Fatalf("line %q is not a decision", last)
	}
	half := len(last) / 2
	write := func() {
		if err := os.WriteFile(file, append(append([]byte(nil), recs...), last[:half]...), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write()
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(30 * time.Millisecond) // the rest of the write lands
		f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		if _, err := f.Write(last[half:]); err != nil {
			t.Error(err)
		}
	}()
	q := report.Quarter{Year: 2026, Q: 4}
	r, err := report.Build(context.Background(), q, cst, now, report.Sources{AuditFiles: []string{file}})
	<-done
	if err != nil {
		t.Fatalf("Build of a log being written: %v, want the record being written read whole", err)
	}
	if r.Decisions.Total != 3 {
		t.Fatalf("Build: %d decisions, want 3", r.Decisions.Total)
	}

	// A last line that stays incomplete is torn.
	write()
	_, err = report.Build(context.Background(), q, cst, now, report.Sources{AuditFiles: []string{file}})
	if !errors.Is(err, auditlog.ErrTorn) {
		t.Fatalf("Build of a torn log: %v, want auditlog.ErrTorn", err)
	}
}
