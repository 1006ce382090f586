package sidecar

import (
	"log/slog"
	"strings"
	"testing"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
)

// TestOutcomeAfterReleaseRetryCountedOnce: without the store's guard, the
// server's own memory of the decisions released and placed counts a
// decision's late outcome once in dialgate_outcomes_after_release_total,
// however often the dialer retries it, and whether the first report was
// refused (malformed: it still marks the call placed) or not.
func TestOutcomeAfterReleaseRetryCountedOnce(t *testing.T) {
	var logs syncBuf
	e := startTestLog(t, Config{}, nil, slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := ctxT(t)
	released := func(num string) string {
		r, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: okDial(num)})
		if err != nil || !r.GetDecision().GetAllowed() {
			t.Fatalf("check: %v %v", r, err)
		}
		id := r.GetDecision().GetId()
		if _, err := e.gate.Release(ctx, &pb.ReleaseRequest{DecisionId: id}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	id := released("+8613800138001")
	for i := range 3 {
		if _, err := e.gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: id, Answered: true}); err != nil {
			t.Fatalf("report %d: %v", i, err)
		}
	}
	wantMetric(t, e.srv, "dialgate_outcomes_after_release_total 1")
	if n := strings.Count(logs.String(), id); n != 1 {
		t.Errorf("%d warnings naming %s, want 1:\n%s", n, id, logs.String())
	}
	// A first report refused for its disposition still says the call
	// was placed: it is the one counted, its retry is not.
	id = released("+8613800138002")
	if _, err := e.gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: id, Answered: true, Disposition: strings.Repeat("x", 5000)}); err == nil {
		t.Fatal("an oversized disposition was accepted")
	}
	if _, err := e.gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: id, Answered: true}); err != nil {
		t.Fatal(err)
	}
	wantMetric(t, e.srv, "dialgate_outcomes_after_release_total 2")
}
