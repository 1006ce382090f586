package report_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/report"
)

// firstInstant returns the instant of the first decision, outcome or
// change record of the log file path; zero when it has none.
func firstInstant(t *testing.T, path string) time.Time {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, auditlog.MaxLineBytes+1)
	for sc.Scan() {
		l, err := auditlog.ParseLine(sc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case l.Decision != nil:
			return l.Decision.At
		case l.Outcome != nil:
			return l.Outcome.At
		case l.Change != nil:
			return l.Change.At
		}
	}
	return time.Time{} // checkpoints only
}

// A log whose first files are not given (moved away or deleted) starts at
// a record after 0. When that record is dated before the quarter, the
// records missing are older still and the report counts the quarter; when
// it is dated in the quarter, the missing records may be the quarter's:
// the report refuses (ErrAuditChain) rather than count the quarter short.
func TestLogWithoutItsFirstFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	log := smallFileLog(t, dir)
	now := time.Date(2026, 9, 29, 10, 0, 0, 0, cst)
	g := clockGate(t, log, &now)
	for i := range 4 {
		callWith(t, g, "+86139001390"+string(rune('0'+i))+"0", "winter", dialgate.Outcome{Answered: true})
	}
	now = time.Date(2026, 10, 2, 10, 0, 0, 0, cst)
	for i := range 4 {
		callWith(t, g, "+86139001391"+string(rune('0'+i))+"0", "winter", dialgate.Outcome{Answered: true})
	}
	files := closedFiles(t, log, dir)
	q4 := report.Quarter{Year: 2026, Q: 4}
	whole, err := report.Build(ctx, q4, cst, now, report.Sources{AuditFiles: files})
	if err != nil || whole.Decisions.Total != 4 {
		t.Fatalf("Build of the whole log: %v, %+v", err, whole)
	}
	// The files from the first whose records start in the third quarter
	// after the first file: the records left out are older still.
	from, _ := q4.Bounds(cst)
	lastQ3, firstQ4 := -1, -1
	for i, f := range files {
		at := firstInstant(t, f)
		if at.IsZero() {
			continue
		}
		if at.Before(from) {
			lastQ3 = i
		} else if firstQ4 < 0 {
			firstQ4 = i
		}
	}
	if lastQ3 < 1 || firstQ4 < 0 || firstQ4 <= lastQ3 {
		t.Fatalf("files %v: want several of the third quarter, then the fourth's (last Q3 %d, first Q4 %d)", files, lastQ3, firstQ4)
	}
	r, err := report.Build(ctx, q4, cst, now, report.Sources{AuditFiles: files[lastQ3:]})
	if err != nil || r.Decisions.Total != 4 {
		t.Fatalf("Build without the log's first files, dated before the quarter: %v, %+v", err, r)
	}
	// The files from the first that starts in the quarter: records of the
	// quarter may be missing.
	_, err = report.Build(ctx, q4, cst, now, report.Sources{AuditFiles: files[firstQ4:]})
	if !errors.Is(err, report.ErrAuditChain) || !strings.Contains(err.Error(), "are not in the files given") {
		t.Fatalf("Build of a log starting in the quarter at a record after 0: %v, want ErrAuditChain", err)
	}
}
