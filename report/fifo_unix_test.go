//go:build unix

package report_test

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dialgate/dialgate/report"
)

// A FIFO among the audit files (a log file's name in a copied directory,
// read by `dialgate report quarterly` without --key, which verifies first)
// made the report block for ever in open(2), as `audit verify` did before
// the log's files were opened without waiting. It is refused as not a
// regular file.
func TestReportAuditFileFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "audit-000001.jsonl")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := report.Build(context.Background(), report.Quarter{Year: 2026, Q: 4}, time.UTC, time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC), report.Sources{AuditFiles: []string{fifo}})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("Build with a FIFO audit file: %v, want an error saying it is not a regular file", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Build blocked on a FIFO audit file")
	}
}
