package sidecar

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/status"

	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/complaint"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"github.com/dialgate/dialgate/storage/memstore"
)

// TestFileComplaintRetryRecordsReceipt: a FileComplaint retried (its first
// answer or audit record lost) is acknowledged and recorded again, at the
// retry's clock. Its deadlines run from the first filing's receipt, and an
// auditor checks them from the complaint.file record's effective_at, or its
// at when it has none (docs/auditors.md): the retry's record said neither,
// so read alone (the first one lost) it moved the complaint's receipt, and
// every deadline, to the retry. Each complaint.file record names the
// receipt stored in effective_at, as `dialgate complaint add` does.
func TestFileComplaintRetryRecordsReceipt(t *testing.T) {
	dir := t.TempDir()
	received := time.Now().Add(-3 * time.Hour).UTC().Truncate(time.Millisecond)
	clk := &settableClock{t: received}
	e := startFullClock(t, Config{}, dir, clk)
	ctx := ctxT(t)
	req := &pb.FileComplaintRequest{Number: "+8613900139616", Tenant: "acme", ComplaintId: "cp-receipt"}
	if _, err := e.admin.FileComplaint(ctx, req); err != nil {
		t.Fatal(err)
	}
	clk.set(received.Add(2 * time.Hour))
	if r, err := e.admin.FileComplaint(ctx, req); err != nil || r.GetComplaintId() != "cp-receipt" {
		t.Fatalf("retry: %v %v, want the complaint acknowledged", r, err)
	}
	got, _, _ := auditChanges(t, e, dir)
	n := 0
	for _, c := range got {
		if c.Op != auditlog.OpComplaintFile {
			continue
		}
		n++
		if c.Result != auditlog.ResultApplied || !c.EffectiveAt.Equal(received) {
			t.Errorf("complaint.file record %d: %s at %s, effective_at %s; want applied, effective_at the receipt %s",
				n, c.Result, c.At, c.EffectiveAt, received)
		}
	}
	if n != 2 {
		t.Fatalf("%d complaint.file records, want 2 (the filing and its retry)", n)
	}
}

// failCreate is a complaint store whose CreateComplaint fails (the store
// going away between the desk's look and its write).
type failCreate struct{ *memstore.Store }

func (failCreate) CreateComplaint(context.Context, complaint.Complaint) error {
	return errors.New("store unavailable")
}

// TestFileComplaintRefusedListingNamesPickedID: a filing without a
// complaint_id gets one the server picks; refused once its number was
// listed (here the store failing), the error says to retry with that id,
// and the listing is recorded (dnc.add, source "complaint"). The record
// named no id (the request's, empty): the opt-out in force could not be
// tied to the complaint the retry files, nor to the evidence of its
// do-not-call entry ("complaint:<id>").
func TestFileComplaintRefusedListingNamesPickedID(t *testing.T) {
	desk, err := complaint.NewDesk(complaint.Config{}, failCreate{memstore.New()}, acceptLister{}, nil, plainHasher{}, nil, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	fc := &failingChanges{from: 1 << 30}
	e := startTest(t, Config{}, func(be *Backend) { be.Changes, be.Complaints = fc, complaintAdmin{desk: desk, hasher: plainHasher{}} })
	_, err = e.admin.FileComplaint(ctxT(t), &pb.FileComplaintRequest{Number: "+8613900139617"})
	if err == nil {
		t.Fatal("FileComplaint succeeded with the store failing")
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if len(fc.written) == 0 {
		t.Fatalf("nothing recorded; FileComplaint: %v", err)
	}
	l := fc.written[len(fc.written)-1]
	if l.Op != auditlog.OpDNCAdd || l.Source != "complaint" || !strings.HasPrefix(l.ID, "cp-") {
		t.Fatalf("listing record %+v, want a dnc.add, source complaint, naming the id picked", l)
	}
	if msg := status.Convert(err).Message(); !strings.Contains(msg, l.ID) {
		t.Errorf("FileComplaint: %q does not name the id picked (%s), which a retry must give", msg, l.ID)
	}
}
