package report_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/report"
)

// The same log read twice (a directory given twice to --audit, or a copy of
// one sidecar's log given as another's) must not count its decisions twice:
// Build fails naming the repeated decision id.
func TestDecisionCountedTwice(t *testing.T) {
	ctx := context.Background()
	log, dir := openTestLog(t)
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	g := clockGate(t, log, &now)
	callWith(t, g, "+8613900139000", "winter", dialgate.Outcome{Answered: true})
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	files, err := auditlog.LogFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	twice := append(append([]string{}, files...), files...)
	r, err := report.Build(ctx, report.Quarter{Year: 2026, Q: 4}, cst, now, report.Sources{AuditFiles: twice})
	if err == nil {
		t.Fatalf("Build read the same log twice and counted %d decisions; want an error", r.Decisions.Total)
	}
	if !errors.Is(err, report.ErrDuplicateDecision) || !strings.Contains(err.Error(), files[0]) {
		t.Errorf("error %v: want ErrDuplicateDecision naming both places", err)
	}
}
