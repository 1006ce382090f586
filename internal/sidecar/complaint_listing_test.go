package sidecar

import (
	"context"
	"errors"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/dnc"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"github.com/dialgate/dialgate/storage/memstore"
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

// acceptLister lists every entry it is given.
type acceptLister struct{}

func (acceptLister) Add(context.Context, ...dnc.Entry) error { return nil }

// failSecondGet is a complaint store whose GetComplaint fails from its
// second call on (the store going away between the desk's look and the
// sidecar's).
type failSecondGet struct {
	*memstore.Store
	gets int
}

func (s *failSecondGet) GetComplaint(ctx context.Context, id string) (complaint.Complaint, error) {
	s.gets++
	if s.gets > 1 {
		return complaint.Complaint{}, errors.New("store unavailable")
	}
	return s.Store.GetComplaint(ctx, id)
}

// TestComplaintExistsThenGetFailsKeepsListed: a filing under a taken id
// lists its number before the id is looked at; when the store then fails
// the look at the complaint on record, the error still wraps
// complaint.ErrListed, so the server records the listing. It returned the
// store's error alone: the opt-out was in force and in no record.
func TestComplaintExistsThenGetFailsKeepsListed(t *testing.T) {
	ms := memstore.New()
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	if err := ms.CreateComplaint(context.Background(), complaint.Complaint{
		ID: "cp-x", Callee: "h:+8613900139421", Scope: "global", Channel: complaint.ChannelPhone, ReceivedAt: at,
		ForwardBy: at.Add(72 * time.Hour), HandleBy: at.Add(240 * time.Hour), AnswerBy: at.Add(480 * time.Hour),
		Status: complaint.StatusOpen, DNCListed: true,
	}); err != nil {
		t.Fatal(err)
	}
	desk, err := complaint.NewDesk(complaint.Config{}, &failSecondGet{Store: ms}, acceptLister{}, nil, plainHasher{}, nil, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	n, err := dialgate.ParseNumber("+8613900139422")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = complaintAdmin{desk: desk, hasher: plainHasher{}}.FileComplaint(context.Background(), Complaint{ID: "cp-x", Number: n, At: at})
	if err == nil || !errors.Is(err, complaint.ErrListed) {
		t.Fatalf("FileComplaint: %v, want an error wrapping complaint.ErrListed", err)
	}
}

// TestComplaintRetryRecordsStoredTenant: a retried FileComplaint without
// its tenant (a retry of acme's filing) is acknowledged, and its change
// record names the complaint's tenant as stored, not the request's none:
// the record said the complaint had no tenant.
func TestComplaintRetryRecordsStoredTenant(t *testing.T) {
	dir := t.TempDir()
	e := startFull(t, Config{TokensFile: opsToken(t)}, dir)
	ctx := bearer(t, "ops-desk-token-0123456789")
	for i, tenant := range []string{"acme", ""} {
		if _, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: "+8613900139413", ComplaintId: "cp-retry", Tenant: tenant}); err != nil {
			t.Fatalf("filing %d: %v", i, err)
		}
	}
	got, _, _ := auditChanges(t, e, dir)
	if len(got) != 2 || got[0].Tenant != "acme" || got[1].Op != auditlog.OpComplaintFile || got[1].Tenant != "acme" {
		t.Fatalf("change records %+v, want two complaint.file of tenant acme", got)
	}
}
