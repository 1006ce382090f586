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
	"github.com/dialgate/dialgate/schedule"
)

// An outcome reported under a denied decision's id (a call placed despite
// the deny, or an outcome reported under the wrong id) is not an answered
// call of the campaign nor a short ring: Abandonment and RingTime count the
// outcomes of allowed decisions only. The report counts such decisions apart.
func TestOutcomeOfDeniedDecision(t *testing.T) {
	ctx := context.Background()
	log, dir := openTestLog(t)
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	ring, err := ringCheck(15 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	deny := dialgate.CheckerFunc("dnc", func(context.Context, dialgate.Dial) ([]dialgate.Reason, error) {
		return []dialgate.Reason{{Code: dialgate.CodeDNCListed}}, nil
	})
	g := clockGate(t, log, &now, ring, deny)
	for i, o := range []dialgate.Outcome{
		{Abandoned: true},                    // an abandoned call
		{RingDuration: 2 * time.Second},      // a one-ring call
		{Released: true},                     // a release: the dial was not placed
		{Answered: true, Conversation: true}, // a conversation
	} {
		to := dialgate.MustParseNumber("+86139001390" + string(rune('0'+i)) + "0")
		dec, err := g.Check(ctx, dialgate.Dial{To: to, Purpose: dialgate.PurposeService, LeadID: "l", Campaign: "winter"})
		if err != nil || dec.Allowed {
			t.Fatalf("check: %+v %v; want a deny", dec, err)
		}
		o.DecisionID, o.Dial = dec.ID, dec.Dial
		if err := g.ReportOutcome(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	r := closeAndBuildQ4(t, log, dir)
	if r.Decisions.Denied != 4 || r.Decisions.Allowed != 0 {
		t.Fatalf("decisions %+v, want 4 denied", r.Decisions)
	}
	if len(r.Abandonment) != 0 {
		t.Errorf("abandonment %+v: the outcomes of denied decisions counted as answered calls", r.Abandonment)
	}
	if len(r.RingTime) != 0 {
		t.Errorf("ring time %+v: the outcome of a denied decision counted as an unanswered call", r.RingTime)
	}
	if r.Decisions.Outcomes != 4 || r.Decisions.Released != 0 {
		t.Errorf("outcomes %d released %d, want 4 and 0 (released counts the allowed dials not placed)", r.Decisions.Outcomes, r.Decisions.Released)
	}
	if r.Decisions.DeniedWithOutcome != 3 {
		t.Errorf("denied_with_outcome %d, want 3 (the abandoned, rung and answered calls; not the release)", r.Decisions.DeniedWithOutcome)
	}
}

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

func ringCheck(min time.Duration) (dialgate.Checker, error) {
	return schedule.NewRingCheck(schedule.RingConfig{Min: dialgate.Duration(min), Cite: dialgate.Citation{Source: dialgate.SourceConvention, Ref: "test"}})
}
