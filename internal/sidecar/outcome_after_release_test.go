package sidecar

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
)

// TestOutcomeAfterReleaseIsCounted: a dialer that releases a decision and
// then reports a placed call's outcome for it placed a call whose capacity
// it had given back. The outcome is recorded (it is the truth, and may start
// a pause); the server logs the decision id at Warn and counts it, so the
// dialer's bug is seen. An outcome of a decision never released counts
// nothing.
func TestOutcomeAfterReleaseIsCounted(t *testing.T) {
	var logs syncBuf
	e := startTestLog(t, Config{}, nil, slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := ctxT(t)
	check := func() string {
		r, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: okDial("+8613800138000")})
		if err != nil || !r.GetDecision().GetAllowed() {
			t.Fatalf("check: %v %v", r, err)
		}
		return r.GetDecision().GetId()
	}
	placed := check()
	if _, err := e.gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: placed, Answered: true}); err != nil {
		t.Fatal(err)
	}
	wantMetric(t, e.srv, "dialgate_outcomes_after_release_total 0")

	id := check()
	if _, err := e.gate.Release(ctx, &pb.ReleaseRequest{DecisionId: id}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: id, Answered: true}); err != nil {
		t.Fatalf("the outcome after a release was refused: %v", err)
	}
	wantMetric(t, e.srv, "dialgate_outcomes_after_release_total 1")
	if !strings.Contains(logs.String(), "after its decision was released") || !strings.Contains(logs.String(), id) {
		t.Fatalf("no warning naming %s:\n%s", id, logs.String())
	}
	if bytes.Contains([]byte(logs.String()), []byte("+8613800138000")) {
		t.Fatal("the callee's number is in the log")
	}
}
