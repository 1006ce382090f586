package report_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/report"
)

// A carriage return added before a record's newline changes the record's
// bytes, so its hash no longer matches the next record's prev: Verify
// reports the record edited. Build must refuse it too (ErrAuditChain)
// rather than hash the line as bufio.ScanLines hands it over, without the
// carriage return, and so take an edited record for the one written.
func TestCarriageReturnBreaksChain(t *testing.T) {
	files, lines, now := threeWinterDecisions(t)
	lines[0] = append(bytes.TrimSuffix(lines[0], []byte("\n")), '\r', '\n')
	if err := os.WriteFile(files[0], bytes.Join(lines, nil), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := auditlog.ParseLine(bytes.TrimSuffix(lines[0], []byte("\n"))); err != nil {
		t.Fatalf("the edited line no longer parses (%v): the test would not test the chain", err)
	}
	r, err := report.Build(context.Background(), report.Quarter{Year: 2026, Q: 4}, cst, now, report.Sources{AuditFiles: files})
	if err == nil {
		t.Fatalf("Build counted %d decisions from a log whose record 0 was edited (a carriage return added); want ErrAuditChain", r.Decisions.Total)
	}
	if !errors.Is(err, report.ErrAuditChain) || !strings.Contains(err.Error(), files[0]+":2") {
		t.Errorf("error %v: want ErrAuditChain naming %s:2", err, files[0])
	}
}
