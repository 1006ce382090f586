package sidecar

import (
	"strings"
	"testing"
	"time"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// twoTenantOps writes a tokens file with two tokens of both scopes, each
// bound to one tenant (acme, globex), and returns its path.
func twoTenantOps(t *testing.T) string {
	path := t.TempDir() + "/tokens.yaml"
	writeFile(t, path, `tokens:
  - name: acme-ops
    token: "acme-ops-token-0123456789"
    scopes: [gate, admin]
    tenants: [acme]
  - name: globex-ops
    token: "globex-ops-token-0123456789"
    scopes: [gate, admin]
    tenants: [globex]
`)
	return path
}

// TestRegisterRecordingDecisionOfAnotherTenant: a token bound to tenants may
// not register a recording under a decision it knows to be another tenant's
// (PermissionDenied, as ReportOutcome refuses to link one), nor under a
// decision of one of its tenants other than the recording's; its own
// decision is accepted.
func TestRegisterRecordingDecisionOfAnotherTenant(t *testing.T) {
	dir := t.TempDir()
	e := startFull(t, Config{TokensFile: twoTenantOps(t)}, dir)
	acme, globex := bearer(t, "acme-ops-token-0123456789"), bearer(t, "globex-ops-token-0123456789")
	num := "+8613900139051"
	d := okDial(num)
	d.Tenant = "globex"
	glx, err := e.gate.Check(globex, &pb.CheckRequest{Dial: d})
	if err != nil {
		t.Fatal(err)
	}
	started := timestamppb.New(time.Now().Add(-time.Minute))
	_, err = e.admin.RegisterRecording(acme, &pb.RegisterRecordingRequest{Id: "rec-acme-1", Number: num, StartedAt: started,
		Tenant: "acme", DecisionId: glx.GetDecision().GetId()})
	wantStatus(t, err, codes.PermissionDenied, "decision_id")
	if got, gerr := e.srv.be.Recordings.(recordingAdmin).m.Get(ctxT(t), "rec-acme-1"); gerr == nil {
		t.Errorf("the refused recording was registered: %+v", got)
	}
	own, err := e.gate.Check(acme, &pb.CheckRequest{Dial: okDial(num)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.RegisterRecording(acme, &pb.RegisterRecordingRequest{Id: "rec-acme-2", Number: num, StartedAt: started,
		Tenant: "acme", DecisionId: own.GetDecision().GetId()}); err != nil {
		t.Errorf("its own recording of its own decision: %v", err)
	}
}

// TestRegisterRecordingRetryOfAnotherTenant: registering an id another
// tenant's recording holds, with its callee and start, is no retry for the
// caller's tenant: AlreadyExists, not an acknowledgement that the recording
// is registered for that tenant.
func TestRegisterRecordingRetryOfAnotherTenant(t *testing.T) {
	dir := t.TempDir()
	e := startFull(t, Config{TokensFile: twoTenantOps(t)}, dir)
	acme, globex := bearer(t, "acme-ops-token-0123456789"), bearer(t, "globex-ops-token-0123456789")
	req := &pb.RegisterRecordingRequest{Id: "rec-shared-id", Number: "+8613900139052",
		StartedAt: timestamppb.New(time.Now().Add(-time.Minute).Truncate(time.Second)), Tenant: "globex"}
	if _, err := e.admin.RegisterRecording(globex, req); err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.RegisterRecording(globex, req); err != nil {
		t.Errorf("a retry of the same registration: %v", err)
	}
	req.Tenant = "acme"
	_, err := e.admin.RegisterRecording(acme, req)
	wantStatus(t, err, codes.AlreadyExists, "rec-shared-id")
	if err != nil && strings.Contains(err.Error(), "globex") {
		t.Errorf("the refusal names the other tenant: %v", err)
	}
}

// TestRegisterRecordingDecisionOfOwnOtherTenant: a token bound to several
// tenants registers a recording under one tenant's decision only for that
// tenant (InvalidArgument naming decision_id otherwise).
func TestRegisterRecordingDecisionOfOwnOtherTenant(t *testing.T) {
	path := t.TempDir() + "/tokens.yaml"
	writeFile(t, path, `tokens:
  - name: agency
    token: "agency-token-0123456789"
    scopes: [gate, admin]
    tenants: [acme, beta]
`)
	e := startFull(t, Config{TokensFile: path}, t.TempDir())
	ctx := bearer(t, "agency-token-0123456789")
	num := "+8613900139053"
	d := okDial(num)
	d.Tenant = "beta"
	r, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: d})
	if err != nil {
		t.Fatal(err)
	}
	started := timestamppb.New(time.Now().Add(-time.Minute))
	_, err = e.admin.RegisterRecording(ctx, &pb.RegisterRecordingRequest{Id: "rec-agency-1", Number: num, StartedAt: started,
		Tenant: "acme", DecisionId: r.GetDecision().GetId()})
	wantStatus(t, err, codes.InvalidArgument, "decision_id")
	if _, err := e.admin.RegisterRecording(ctx, &pb.RegisterRecordingRequest{Id: "rec-agency-2", Number: num, StartedAt: started,
		Tenant: "beta", DecisionId: r.GetDecision().GetId()}); err != nil {
		t.Errorf("the decision's own tenant: %v", err)
	}
}
