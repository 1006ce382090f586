package sidecar

import (
	"slices"
	"testing"

	"github.com/dialgate/dialgate"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc/codes"
)

// TestReleaseUnrememberedDecisionBoundToken: gate.proto's Release comment
// says what a dialer behind a balancer meets: under a token bound to
// tenants, releasing a decision this sidecar did not make (another
// sidecar's of the fleet, sharing the store) is PERMISSION_DENIED naming
// decision_id, and nothing is given back; through the sidecar that made it,
// the release goes through.
func TestReleaseUnrememberedDecisionBoundToken(t *testing.T) {
	path := twoTenantTokens(t)
	spy := &releaseSpy{}
	g, err := dialgate.New([]dialgate.Checker{spy}, dialgate.WithoutAuditLog(), dialgate.WithPolicyVersion("test"))
	if err != nil {
		t.Fatal(err)
	}
	shared := func(be *Backend) { be.Gate = g }
	a := startTest(t, Config{TokensFile: path}, shared)
	b := startTest(t, Config{TokensFile: path}, shared)
	acme := bearer(t, "acme-token-0123456789")
	r, err := a.gate.Check(acme, &pb.CheckRequest{Dial: okDial("+8613900139090")})
	if err != nil || !r.GetDecision().GetAllowed() {
		t.Fatalf("check: %v %v", r, err)
	}
	id := r.GetDecision().GetId()
	_, err = b.gate.Release(acme, &pb.ReleaseRequest{DecisionId: id})
	wantStatus(t, err, codes.PermissionDenied, "decision_id")
	spy.mu.Lock()
	got := slices.Clone(spy.released)
	spy.mu.Unlock()
	if len(got) != 0 {
		t.Fatalf("released through a sidecar that did not make the decision: %v", got)
	}
	if _, err := a.gate.Release(acme, &pb.ReleaseRequest{DecisionId: id}); err != nil {
		t.Fatalf("release through the sidecar that made it: %v", err)
	}
}
