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

// A file whose last line does not end in a newline is torn (a crash during
// a write, or a cut): auditlog.Open and Verify refuse it, and Repair cuts
// that line off. Build must not count it, even when the bytes left happen
// to be a whole record: the report would count a decision the repaired log
// no longer holds.
func TestTornLastLineRefused(t *testing.T) {
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	file := closedLogFile(t, now, "winter", 2)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(b, []byte("\n"))
	// Drop the closing checkpoint, and the newline of the last decision.
	torn := bytes.TrimSuffix(bytes.Join(lines[:len(lines)-2], nil), []byte("\n"))
	if err := os.WriteFile(file, torn, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := report.Build(context.Background(), report.Quarter{Year: 2026, Q: 4}, cst, now, report.Sources{AuditFiles: []string{file}})
	if !errors.Is(err, auditlog.ErrTorn) {
		t.Fatalf("Build of a log with a torn last line: %+v, %v; want auditlog.ErrTorn", r, err)
	}
}
