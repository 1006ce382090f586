package sidecar

import (
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/dialgate/dialgate/auditlog"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
)

// TestComplaintRefusedListingRecorded: a filing refused because its id is
// another callee's complaint still lists its number (the opt-out is in
// force), and that listing is in the audit trail: a dnc.add change, applied,
// source "complaint", with the id the filing gave, its scope and tenant. It
// recorded nothing, so an auditor could not see an opt-out the list holds.
func TestComplaintRefusedListingRecorded(t *testing.T) {
	dir := t.TempDir()
	e := startFull(t, Config{TokensFile: opsToken(t)}, dir)
	ctx := bearer(t, "ops-desk-token-0123456789")
	const first, second = "+8613900139411", "+8613900139412"
	if _, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: first, ComplaintId: "cp-taken"}); err != nil {
		t.Fatal(err)
	}
	_, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: second, ComplaintId: "cp-taken", Scope: "industry:finance", Tenant: "acme"})
	wantCode(t, err, codes.AlreadyExists, "listed all the same")
	got, _, _ := auditChanges(t, e, dir)
	if len(got) != 2 || got[0].Op != auditlog.OpComplaintFile {
		t.Fatalf("change records %+v, want the first filing and the second's listing", got)
	}
	l := got[1]
	if l.Op != auditlog.OpDNCAdd || l.Result != auditlog.ResultApplied || l.Source != "complaint" || l.ID != "cp-taken" ||
		l.Scope != "industry:finance" || l.Tenant != "acme" || l.Callee == nil || l.Callee.HMAC == got[0].Callee.HMAC || l.EffectiveAt.IsZero() || l.Actor != "ops-desk" {
		t.Fatalf("listing record %+v", l)
	}
}
