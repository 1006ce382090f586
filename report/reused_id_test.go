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

// A decision id source that repeats across quarters (a counter restarted)
// names a decision of the quarter as one of an earlier quarter: the earlier
// decision's outcomes, reported long before the quarter's decision was
// made, would be counted as its call — an abandoned call of September in
// October's rate. An outcome recorded more than an hour before the decision
// of its id makes the report fail (ErrDuplicateDecision), naming both; an
// outcome a fleet's other sidecar, whose clock runs a little behind,
// records just before the decision does not.
func TestDecisionIDReusedAcrossQuarters(t *testing.T) {
	ctx := context.Background()
	log, dir := openTestLog(t)
	now := time.Date(2026, 9, 20, 10, 0, 0, 0, cst)
	ids := []string{"d-1", "d-1", "d-2"}
	g, err := dialgate.New(nil, dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return now })), dialgate.WithAuditLog(log),
		dialgate.WithDecisionIDs(func() string { id := ids[0]; ids = ids[1:]; return id }))
	if err != nil {
		t.Fatal(err)
	}
	dial := func() dialgate.Decision {
		t.Helper()
		dec, err := g.Check(ctx, dialgate.Dial{To: dialgate.MustParseNumber("+8613900139000"), Purpose: dialgate.PurposeService, LeadID: "l", Campaign: "winter"})
		if err != nil || !dec.Allowed {
			t.Fatalf("check: %+v %v", dec, err)
		}
		return dec
	}
	// September: d-1 abandoned.
	sep := dial()
	if err := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: sep.ID, Dial: sep.Dial, Abandoned: true}); err != nil {
		t.Fatal(err)
	}
	// October: d-1 again, answered; d-2 whose outcome a sidecar 30 s
	// behind recorded before it.
	now = time.Date(2026, 10, 5, 10, 0, 0, 0, cst)
	oct := dial()
	if err := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: oct.ID, Dial: oct.Dial, Answered: true}); err != nil {
		t.Fatal(err)
	}
	d2 := dial()
	if err := log.RecordOutcome(ctx, dialgate.Outcome{DecisionID: d2.ID, Dial: d2.Dial, At: now.Add(-30 * time.Second), Answered: true}); err != nil {
		t.Fatal(err)
	}
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	files, err := auditlog.LogFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := report.Build(ctx, report.Quarter{Year: 2026, Q: 4}, cst, now, report.Sources{AuditFiles: files})
	if !errors.Is(err, report.ErrDuplicateDecision) || !strings.Contains(err.Error(), "decision d-1") || strings.Contains(err.Error(), "d-2") {
		t.Fatalf("Build: %+v, %v; want ErrDuplicateDecision naming d-1", r, err)
	}
}

// A decision of a later quarter recorded under the id of one of the
// quarter (after it, in the files read) would have its outcomes counted as
// the quarter's decision's: the report fails (ErrDuplicateDecision).
func TestDecisionIDReusedInLaterQuarter(t *testing.T) {
	ctx := context.Background()
	log, dir := openTestLog(t)
	now := time.Date(2026, 12, 20, 10, 0, 0, 0, cst)
	ids := []string{"d-1", "d-1"}
	g, err := dialgate.New(nil, dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return now })), dialgate.WithAuditLog(log),
		dialgate.WithDecisionIDs(func() string { id := ids[0]; ids = ids[1:]; return id }))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []dialgate.Outcome{{Answered: true}, {Abandoned: true}} {
		dec, err := g.Check(ctx, dialgate.Dial{To: dialgate.MustParseNumber("+8613900139000"), Purpose: dialgate.PurposeService, LeadID: "l", Campaign: "winter"})
		if err != nil || !dec.Allowed {
			t.Fatalf("check: %+v %v", dec, err)
		}
		o.DecisionID, o.Dial = dec.ID, dec.Dial
		if err := g.ReportOutcome(ctx, o); err != nil {
			t.Fatal(err)
		}
		now = time.Date(2027, 1, 20, 10, 0, 0, 0, cst) // the next, in 2027Q1
	}
	r, err := report.Build(ctx, report.Quarter{Year: 2026, Q: 4}, cst, now, report.Sources{AuditFiles: closedFiles(t, log, dir)})
	if !errors.Is(err, report.ErrDuplicateDecision) || !strings.Contains(err.Error(), "decision d-1, at 2027-01-20T02:00:00Z, has the id of the quarter's decision") {
		t.Fatalf("Build: %+v, %v; want ErrDuplicateDecision naming d-1", r, err)
	}
}
