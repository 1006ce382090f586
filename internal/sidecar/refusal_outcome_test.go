package sidecar

import (
	"slices"
	"testing"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc/codes"
)

// TestRefusedOutcomeLists: under cn (dnc.list_refusals) an outcome reported
// refused through the sidecar lists the callee before ReportOutcome
// returns: the next Check of the tenant's dials carries dnc.listed, whatever
// else it is denied for (the full backend runs on the real clock, which may
// be in the rest hours), while another tenant's dial of the callee does not.
// A refused outcome without its dial cannot be listed: InvalidArgument
// naming dial.to.
func TestRefusedOutcomeLists(t *testing.T) {
	dir := t.TempDir()
	e := startFull(t, Config{TokensFile: twoTenantTokens(t)}, dir)
	acme, globex := bearer(t, "acme-token-0123456789"), bearer(t, "globex-token-0123456789")
	codesOf := func(r *pb.CheckResponse) []string {
		var out []string
		for _, rs := range r.GetDecision().GetReasons() {
			out = append(out, rs.GetCode())
		}
		return out
	}
	d := okDial("+8613900139071")
	d.Industry = "finance"
	r, err := e.gate.Check(acme, &pb.CheckRequest{Dial: d})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(codesOf(r), "dnc.listed") {
		t.Fatalf("listed before the refusal: %v", codesOf(r))
	}
	_, err = e.gate.ReportOutcome(acme, &pb.ReportOutcomeRequest{DecisionId: r.GetDecision().GetId(), Answered: true, Refused: true})
	wantStatus(t, err, codes.InvalidArgument, "dial.to")
	if _, err := e.gate.ReportOutcome(acme, &pb.ReportOutcomeRequest{DecisionId: r.GetDecision().GetId(), Dial: d, Answered: true, Refused: true}); err != nil {
		t.Fatal(err)
	}
	d.Industry = "insurance"
	r, err = e.gate.Check(acme, &pb.CheckRequest{Dial: d})
	if err != nil {
		t.Fatal(err)
	}
	if r.GetDecision().GetAllowed() || !slices.Contains(codesOf(r), "dnc.listed") {
		t.Fatalf("acme's dial after its refusal: allowed %v, %v; want dnc.listed", r.GetDecision().GetAllowed(), codesOf(r))
	}
	d.Tenant = "globex"
	r, err = e.gate.Check(globex, &pb.CheckRequest{Dial: d})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(codesOf(r), "dnc.listed") {
		t.Fatalf("globex's dial after acme's refusal: %v", codesOf(r))
	}
}
