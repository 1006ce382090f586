package sidecar

import (
	"context"
	"strconv"
	"testing"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestTokenTenantsOutcomeOfUnboundOrDeniedDecision: a token bound to
// tenants may not report outcomes under another tenant's decision id when
// that decision was made under a token of every tenant, or was denied. The
// quarterly report links outcomes to decisions by id only, so such an
// outcome would write into the other tenant's report: an abandoned call
// "with its recorded message" hides a call abandoned without one, an
// answered abandoned call on a denied decision raises its abandonment rate.
func TestTokenTenantsOutcomeOfUnboundOrDeniedDecision(t *testing.T) {
	path := t.TempDir() + "/tokens.yaml"
	writeFile(t, path, `tokens:
  - name: ops
    token: "ops-token-0123456789abcdef"
    scopes: [gate]
  - name: acme-dialer
    token: "acme-token-0123456789"
    scopes: [gate]
    tenants: [acme]
  - name: globex-dialer
    token: "globex-token-0123456789"
    scopes: [gate]
    tenants: [globex]
`)
	e := startTest(t, Config{TokensFile: path}, nil)
	ops, acme, globex := bearer(t, "ops-token-0123456789abcdef"), bearer(t, "acme-token-0123456789"), bearer(t, "globex-token-0123456789")

	d := okDial("+8613900139040")
	d.Tenant = "globex"
	r, err := e.gate.Check(ops, &pb.CheckRequest{Dial: d})
	if err != nil || !r.GetDecision().GetAllowed() {
		t.Fatalf("ops check for globex: %v %v", r, err)
	}
	byOps := r.GetDecision().GetId()

	e.dnc.listed[mustNum("+8613900139041")] = true
	d = okDial("+8613900139041")
	d.Tenant = "globex"
	r, err = e.gate.Check(globex, &pb.CheckRequest{Dial: d})
	if err != nil || r.GetDecision().GetAllowed() {
		t.Fatalf("globex check of a listed number: want a deny, got %v %v", r, err)
	}
	denied := r.GetDecision().GetId()

	for name, id := range map[string]string{"decided under a token of every tenant": byOps, "denied": denied} {
		t.Run(name, func(t *testing.T) {
			_, err := e.gate.ReportOutcome(acme, &pb.ReportOutcomeRequest{DecisionId: id, Answered: true, Abandoned: true, AbandonMessage: true,
				Dial: okDial("+8613900139042")})
			wantStatus(t, err, codes.PermissionDenied, "decision_id")
			_, err = e.gate.ReportOutcome(acme, &pb.ReportOutcomeRequest{DecisionId: id, Answered: true})
			wantStatus(t, err, codes.PermissionDenied, "decision_id")
		})
	}
	// The decision's own tenant still releases its decisions and reports
	// their outcomes (Release first: once an outcome says the call was
	// placed, Release is refused to every token).
	if _, err := e.gate.Release(globex, &pb.ReleaseRequest{DecisionId: byOps}); err != nil {
		t.Errorf("globex releasing its dial decided under ops's token: %v", err)
	}
	if _, err := e.gate.ReportOutcome(globex, &pb.ReportOutcomeRequest{DecisionId: byOps, Answered: true}); err != nil {
		t.Errorf("globex reporting the outcome of its dial decided under ops's token: %v", err)
	}
	_, err = e.gate.Release(ops, &pb.ReleaseRequest{DecisionId: byOps})
	wantStatus(t, err, codes.FailedPrecondition, "placed")
}

// TestDecisionOwnersDeniesDoNotEvictAllows: denied decisions are remembered
// apart from allowed ones, so that a dialer's flood of denies (cheap: a
// listed number) cannot push another tenant's allowed decisions out, after
// which their outcomes would be accepted from any tenant's token.
func TestDecisionOwnersDeniesDoNotEvictAllows(t *testing.T) {
	o := newDecisionOwners()
	ctx := context.WithValue(context.Background(), tokenKey{}, &tokenEntry{name: "acme", tenants: map[string]bool{"acme": true}})
	o.note(ctx, "globex-allowed", "globex", true)
	for i := range maxDecisionOwners + 1 {
		o.note(ctx, "acme-denied-"+strconv.Itoa(i), "acme", false)
	}
	if tenant, ok := o.tenant("globex-allowed"); !ok || tenant != "globex" {
		t.Fatalf("globex's allowed decision: got %q %v after a flood of denies", tenant, ok)
	}
	if err := o.mayReport(ctx, "globex-allowed", nil); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("acme reporting globex's decision after a flood of denies: %v", err)
	}
}
