package sidecar

import (
	"testing"
	"time"

	"github.com/dialgate/dialgate/auditlog"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
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
