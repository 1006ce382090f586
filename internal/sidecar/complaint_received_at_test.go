package sidecar

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/dialgate/dialgate/auditlog"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
)

// listedByID lists every complaint of e by id.
func listedByID(t *testing.T, e *testEnv) map[string]*pb.ListedComplaint {
	t.Helper()
	r, err := e.admin.ListComplaints(ctxT(t), &pb.ListComplaintsRequest{PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*pb.ListedComplaint{}
	for _, c := range r.GetComplaints() {
		out[c.GetComplaintId()] = c
	}
	return out
}

// TestFileComplaintReceivedAt: a phone complaint an agent enters through
// the sidecar days after it was received gives its receipt (received_at),
// as `dialgate complaint add --at` does locally. Without the field the
// deadlines ran from the entry, and the complaint was flagged overdue days
// later than the rules require. The deadlines run from received_at, the
// complaint.file record names it (effective_at) and the answer says it; a
// retry with another received_at keeps the receipt first stored (the
// CLI's retry); one after the server's clock (beyond a minute's skew) or
// before 2000 is InvalidArgument naming received_at, and nothing is filed;
// unset is the server's clock.
func TestFileComplaintReceivedAt(t *testing.T) {
	dir := t.TempDir()
	now := time.Now().UTC().Truncate(time.Millisecond)
	recv := now.Add(-72 * time.Hour)
	clk := &settableClock{t: recv}
	e := startFullClock(t, Config{}, dir, clk)
	ctx := ctxT(t)

	// The reference: a complaint filed when it was received.
	if _, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: "+8613900139620", Tenant: "acme", ComplaintId: "cp-ref"}); err != nil {
		t.Fatal(err)
	}
	clk.set(now)
	late := &pb.FileComplaintRequest{Number: "+8613900139621", Tenant: "acme", ComplaintId: "cp-late", ReceivedAt: timestamppb.New(recv)}
	r, err := e.admin.FileComplaint(ctx, late)
	if err != nil {
		t.Fatal(err)
	}
	if !r.GetReceivedAt().AsTime().Equal(recv) {
		t.Errorf("answer's received_at %v, want the receipt %s", r.GetReceivedAt(), recv)
	}
	// A retry with another receipt: acknowledged, the first one stands.
	clk.set(now.Add(time.Hour))
	retry := &pb.FileComplaintRequest{Number: late.Number, Tenant: "acme", ComplaintId: "cp-late", ReceivedAt: timestamppb.New(recv.Add(30 * time.Hour))}
	if r, err := e.admin.FileComplaint(ctx, retry); err != nil || r.GetComplaintId() != "cp-late" || !r.GetReceivedAt().AsTime().Equal(recv) {
		t.Fatalf("retry with another received_at: %v %v, want cp-late acknowledged with the receipt first stored %s", r, err, recv)
	}
	// Unset: the server's clock.
	unset := now.Add(time.Hour)
	if r, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: "+8613900139622", ComplaintId: "cp-now"}); err != nil || !r.GetReceivedAt().AsTime().Equal(unset) {
		t.Fatalf("unset received_at: %v %v, want the server's clock %s", r, err, unset)
	}
	// Within the minute's skew: the server's clock.
	if r, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: "+8613900139623", ComplaintId: "cp-skew",
		ReceivedAt: timestamppb.New(unset.Add(30 * time.Second))}); err != nil || !r.GetReceivedAt().AsTime().Equal(unset) {
		t.Fatalf("received_at 30 s ahead: %v %v, want the server's clock %s", r, err, unset)
	}
	// Two minutes ahead, a year ahead, a zero timestamp, before 2000.
	for _, bad := range []time.Time{unset.Add(2 * time.Minute), unset.AddDate(1, 0, 0), time.Unix(0, 0), time.Date(1999, 12, 31, 23, 0, 0, 0, time.UTC)} {
		_, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: "+8613900139624", ComplaintId: "cp-bad", ReceivedAt: timestamppb.New(bad)})
		wantCode(t, err, codes.InvalidArgument, "received_at")
	}
	if _, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: "+8613900139624", ComplaintId: "cp-bad",
		ReceivedAt: &timestamppb.Timestamp{Seconds: 1, Nanos: -1}}); err == nil {
		t.Fatal("an invalid timestamp was taken")
	} else {
		wantCode(t, err, codes.InvalidArgument, "received_at")
	}

	ls := listedByID(t, e)
	ref, got := ls["cp-ref"], ls["cp-late"]
	if ref == nil || got == nil {
		t.Fatalf("listing lacks cp-ref or cp-late: %v", ls)
	}
	if _, ok := ls["cp-bad"]; ok {
		t.Error("a refused filing was filed")
	}
	for _, f := range []struct {
		name     string
		ref, got *timestamppb.Timestamp
	}{
		{"received_at", ref.GetReceivedAt(), got.GetReceivedAt()}, {"forward_by", ref.GetForwardBy(), got.GetForwardBy()},
		{"handle_by", ref.GetHandleBy(), got.GetHandleBy()}, {"answer_by", ref.GetAnswerBy(), got.GetAnswerBy()},
	} {
		if !f.got.AsTime().Equal(f.ref.AsTime()) {
			t.Errorf("cp-late %s %s, want %s (as for a complaint filed at its receipt)", f.name, f.got.AsTime(), f.ref.AsTime())
		}
	}
	if !got.GetReceivedAt().AsTime().Equal(recv) {
		t.Errorf("cp-late received_at %s, want %s", got.GetReceivedAt().AsTime(), recv)
	}
	if now.After(got.GetForwardBy().AsTime()) && len(got.GetOverdue()) == 0 {
		t.Errorf("cp-late not overdue at %s though its forward_by %s has passed", now, got.GetForwardBy().AsTime())
	}
	if c := ls["cp-now"]; c == nil || !c.GetReceivedAt().AsTime().Equal(unset) {
		t.Errorf("cp-now %v, want received at the server's clock %s", c, unset)
	}

	changes, _, _ := auditChanges(t, e, dir)
	n := 0
	for _, c := range changes {
		if c.Op != auditlog.OpComplaintFile || c.ID != "cp-late" {
			continue
		}
		n++
		if c.Result != auditlog.ResultApplied || !c.EffectiveAt.Equal(recv) || c.At.Before(now) {
			t.Errorf("cp-late complaint.file record %d: %s at %s, effective_at %s; want applied at the server's clock, effective_at the receipt %s",
				n, c.Result, c.At, c.EffectiveAt, recv)
		}
	}
	if n != 2 {
		t.Errorf("%d complaint.file records of cp-late, want 2 (the filing and its retry)", n)
	}
}
