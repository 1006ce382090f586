package sidecar

import (
	"strings"
	"testing"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc/codes"
)

// wireRefusalProfile is wireProfile with a pause after a refusal and one
// after an abandoned call.
var wireRefusalProfile = strings.Replace(wireProfile, "\nschedule:\n", `
  pause_after_refusal: {window: 60d, cite: {source: U, ref: "wire test profile"}}
  pause_after_abandoned: {window: 72h, cite: {source: U, ref: "wire test profile"}}
schedule:
`, 1)

// TestWireRefusedOutcome: ReportOutcome with refused: true (and the dial)
// starts the profile's pause after a refusal, so the next Check of the callee
// is denied with frequency.capped, and the audit log records the refusal.
// Without the dial the refusal cannot be attributed: InvalidArgument naming
// dial.to. abandoned: true starts the pause after an abandoned call.
func TestWireRefusedOutcome(t *testing.T) {
	e, stop := openWire(t, wireRefusalProfile)
	ctx := ctxT(t)
	e.addLedger(t)
	const num, other = "+8613900139501", "+8613900139502"
	d := e.check(t, num)
	if !d.GetAllowed() {
		t.Fatalf("want allowed, got %v", codesOf(d))
	}
	_, err := e.gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: d.GetId(), Answered: true, Refused: true})
	wantCode(t, err, codes.InvalidArgument, "dial.to")
	if d := e.check(t, num); !d.GetAllowed() {
		t.Fatalf("a refusal without the dial paused the callee: %v", codesOf(d))
	}
	if _, err := e.gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: d.GetId(), Dial: callback(num), Answered: true, Conversation: true, Refused: true}); err != nil {
		t.Fatal(err)
	}
	next := e.check(t, num)
	if next.GetAllowed() || len(next.GetReasons()) == 0 {
		t.Fatalf("after a refusal: allowed=%v %v, want denied", next.GetAllowed(), codesOf(next))
	}
	found := false
	for _, r := range next.GetReasons() {
		if r.GetCode() == "frequency.capped" && strings.Contains(r.GetMessage(), "refused") {
			found = true
		}
	}
	if !found {
		t.Fatalf("after a refusal: reasons %v, want frequency.capped for the pause after a refusal", next.GetReasons())
	}

	d2 := e.check(t, other)
	if !d2.GetAllowed() {
		t.Fatalf("another callee: %v", codesOf(d2))
	}
	if _, err := e.gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: d2.GetId(), Dial: callback(other), Answered: true, Abandoned: true}); err != nil {
		t.Fatal(err)
	}
	if next := e.check(t, other); next.GetAllowed() || !strings.Contains(next.GetReasons()[0].GetMessage(), "abandoned") {
		t.Fatalf("after an abandoned call: %v, want the pause after an abandoned call", next.GetReasons())
	}
	stop()

	audit := e.auditText(t)
	if !strings.Contains(audit, `"refused":true`) {
		t.Error("the audit log does not record the refusal")
	}
}
