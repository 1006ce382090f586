package report_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/report"
)

// closedLogFile writes n allowed dials of campaign at now to a new log,
// closes it, and returns its one file.
func closedLogFile(t *testing.T, now time.Time, campaign string, n int) string {
	t.Helper()
	log, dir := openTestLog(t)
	g := clockGate(t, log, &now)
	for i := range n {
		callWith(t, g, "+86139001390"+string(rune('0'+i))+"0", campaign)
	}
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	files, err := auditlog.LogFiles(dir)
	if err != nil || len(files) != 1 {
		t.Fatalf("files %v %v", files, err)
	}
	return files[0]
}

// Another log (records 0, 1, … chained among themselves) appended to the end
// of a log's file is not the start of a log: record 0 begins the log of a
// directory, not the middle of one. Build must refuse the splice rather than
// count the other log's decisions as this one's.
func TestSplicedLogRefused(t *testing.T) {
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	genuine, forged := closedLogFile(t, now, "winter", 2), closedLogFile(t, now, "forged", 2)
	g, err := os.ReadFile(genuine)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.ReadFile(forged)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(genuine, append(g, f...), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := report.Build(context.Background(), report.Quarter{Year: 2026, Q: 4}, cst, now, report.Sources{AuditFiles: []string{genuine}})
	if !errors.Is(err, report.ErrAuditChain) {
		t.Fatalf("Build of a log with another log spliced in: %+v, %v; want ErrAuditChain", r, err)
	}
}
