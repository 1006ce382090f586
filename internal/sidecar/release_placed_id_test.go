package sidecar

import (
	"errors"
	"slices"
	"testing"

	"github.com/dialgate/dialgate"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc/codes"
)

// TestReleasePlacedIDBoundToken: gate.proto says a Release of a decision_id
// ending in "#placed" (the reservation of a call counted again after its
// release, not a decision) is INVALID_ARGUMENT naming decision_id. Under a
// token bound to tenants it was PERMISSION_DENIED (no decision of the
// token's tenants has that id), which tells the dialer its token is at
// fault rather than the id. Nothing is given back either way.
func TestReleasePlacedIDBoundToken(t *testing.T) {
	spy := &releaseSpy{}
	e := startTest(t, Config{TokensFile: twoTenantTokens(t)}, func(be *Backend) {
		g, err := dialgate.New([]dialgate.Checker{spy}, dialgate.WithoutAuditLog(), dialgate.WithPolicyVersion("test"))
		if err != nil {
			t.Fatal(err)
		}
		be.Gate = g
	})
	acme := bearer(t, "acme-token-0123456789")
	r, err := e.gate.Check(acme, &pb.CheckRequest{Dial: okDial("+8613900139012")})
	if err != nil || !r.GetDecision().GetAllowed() {
		t.Fatalf("check: %v %v", r, err)
	}
	_, err = e.gate.Release(acme, &pb.ReleaseRequest{DecisionId: r.GetDecision().GetId() + "#placed"})
	wantStatus(t, err, codes.InvalidArgument, "decision_id")
	spy.mu.Lock()
	got := slices.Clone(spy.released)
	spy.mu.Unlock()
	if len(got) != 0 {
		t.Fatalf("released %v", got)
	}
}

// TestRecountSuffixIsTheGates: the sidecar refuses the ids the Gate
// refuses to release.
func TestRecountSuffixIsTheGates(t *testing.T) {
	g, err := dialgate.New(nil, dialgate.WithoutAuditLog())
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Release(ctxT(t), dialgate.Decision{ID: "dg-x" + recountSuffix}); !errors.Is(err, dialgate.ErrInvalidOutcome) {
		t.Fatalf("the Gate's Release of an id ending in %q: %v, want ErrInvalidOutcome", recountSuffix, err)
	}
}
