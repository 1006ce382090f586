package report_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/report"
)

// A decision record that breaks the Gate's rule — allowed exactly when it
// has no reason, unless in shadow mode — cannot be counted right: a denial
// without a reason code would be in Denied and under no code of ByReason,
// an enforcing allow with reasons among the reasons shadow mode did not
// enforce. Build refuses it, naming the file, line and decision, rather
// than count it short.
func TestDecisionBreakingReasonRuleRefused(t *testing.T) {
	at := time.Date(2026, 10, 5, 10, 0, 0, 0, cst)
	to := dialgate.MustParseNumber("+8613900139000")
	for name, c := range map[string]struct {
		dec  dialgate.Decision
		want string
	}{
		"denied without a reason": {
			dialgate.Decision{ID: "dg-a", At: at, Dial: dialgate.Dial{To: to, At: at}},
			"decision dg-a: denied without a reason code",
		},
		"enforcing allow with a reason": {
			dialgate.Decision{ID: "dg-b", At: at, Allowed: true, Dial: dialgate.Dial{To: to, At: at},
				Reasons: []dialgate.Reason{{Code: "dnc.listed", Check: "dnc"}}},
			"decision dg-b: allowed with reasons (dnc.listed) outside shadow mode",
		},
	} {
		t.Run(name, func(t *testing.T) {
			log, dir := openTestLog(t)
			if err := log.RecordDecision(context.Background(), c.dec); err != nil {
				t.Fatal(err)
			}
			_, err := report.Build(context.Background(), report.Quarter{Year: 2026, Q: 4}, cst, at, report.Sources{AuditFiles: closedFiles(t, log, dir)})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), ".jsonl:1: ") {
				t.Fatalf("Build: %v, want an error naming the line and %q", err, c.want)
			}
		})
	}
	// A shadow-mode allow with reasons, and a shadow-mode deny (an invalid
	// dial is denied in shadow mode too) with its reason, are counted.
	log, dir := openTestLog(t)
	for _, d := range []dialgate.Decision{
		{ID: "dg-c", At: at, Allowed: true, Shadow: true, Dial: dialgate.Dial{To: to, At: at}, Reasons: []dialgate.Reason{{Code: "dnc.listed", Check: "dnc"}}},
		{ID: "dg-d", At: at, Shadow: true, Dial: dialgate.Dial{To: to, At: at}, Reasons: []dialgate.Reason{{Code: "dial.invalid", Check: "dial"}}},
	} {
		if err := log.RecordDecision(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	r, err := report.Build(context.Background(), report.Quarter{Year: 2026, Q: 4}, cst, at, report.Sources{AuditFiles: closedFiles(t, log, dir)})
	if err != nil || r.Decisions.Total != 2 || r.Decisions.ShadowNonCompliant != 1 || r.Decisions.Denied != 1 {
		t.Fatalf("Build: %v, %+v", err, r)
	}
}
