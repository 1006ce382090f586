package sidecar

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/complaint"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"github.com/dialgate/dialgate/report"
	"github.com/dialgate/dialgate/storage/boltstore"
	"google.golang.org/grpc/codes"
)

// stepTokens writes a tokens file with an admin token bound to no tenant
// ("ops-desk"), a gate-only token ("dialer") and an admin token bound to
// tenant acme ("acme-ops"), and returns its path.
func stepTokens(t *testing.T) string {
	path := t.TempDir() + "/tokens.yaml"
	writeFile(t, path, `tokens:
  - name: ops-desk
    token: "ops-desk-token-0123456789"
    scopes: [admin]
  - name: dialer
    token: "dialer-token-0123456789"
    scopes: [gate]
  - name: acme-ops
    token: "acme-ops-token-0123456789"
    scopes: [admin]
    tenants: [acme]
`)
	return path
}

// TestComplaintStepsThroughSidecar: a complaint filed through the sidecar is
// forwarded, resolved and answered through it, at the sidecar's clock; each
// step is recorded (complaint.forward, complaint.resolve, complaint.answer:
// applied, the complaint's id, the step's instant as effective_at, the
// token's name, neither the number nor the resolution text) in a log that
// verifies; a repeat of the last step is a no-op answering the instant first
// recorded (and records it again); and the stored complaint and the
// quarterly report read from the store and the log see the steps.
func TestComplaintStepsThroughSidecar(t *testing.T) {
	dir := t.TempDir()
	e := startFull(t, Config{TokensFile: stepTokens(t)}, dir)
	ctx := bearer(t, "ops-desk-token-0123456789")
	const num, resolution = "+8613900139611", "agent retrained; number listed"
	before := time.Now()
	if _, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: num, Tenant: "acme", ComplaintId: "cp-step-1", Channel: "web"}); err != nil {
		t.Fatal(err)
	}
	fw, err := e.admin.ForwardComplaint(ctx, &pb.ForwardComplaintRequest{ComplaintId: "cp-step-1"})
	if err != nil {
		t.Fatalf("ForwardComplaint: %v", err)
	}
	rs, err := e.admin.ResolveComplaint(ctx, &pb.ResolveComplaintRequest{ComplaintId: "cp-step-1", Resolution: resolution})
	if err != nil {
		t.Fatalf("ResolveComplaint: %v", err)
	}
	an, err := e.admin.AnswerComplaint(ctx, &pb.AnswerComplaintRequest{ComplaintId: "cp-step-1"})
	if err != nil {
		t.Fatalf("AnswerComplaint: %v", err)
	}
	after := time.Now()
	fwAt, rsAt, anAt := fw.GetForwardedAt().AsTime(), rs.GetHandledAt().AsTime(), an.GetAnsweredAt().AsTime()
	for name, at := range map[string]time.Time{"forwarded_at": fwAt, "handled_at": rsAt, "answered_at": anAt} {
		if at.Before(before) || at.After(after) {
			t.Errorf("%s = %s, want the sidecar's clock in [%s, %s]", name, at, before, after)
		}
	}
	if rsAt.Before(fwAt) || anAt.Before(rsAt) {
		t.Errorf("steps out of order: forwarded %s, handled %s, answered %s", fwAt, rsAt, anAt)
	}
	// A retry of a step done (its record lost, say) changes nothing and
	// answers the instant recorded.
	again, err := e.admin.AnswerComplaint(ctx, &pb.AnswerComplaintRequest{ComplaintId: "cp-step-1"})
	if err != nil || !again.GetAnsweredAt().AsTime().Equal(anAt) {
		t.Fatalf("AnswerComplaint again: %v %v, want OK at %s", again, err, anAt)
	}

	got, rep, raw := auditChanges(t, e, dir)
	type want struct {
		op string
		at time.Time
	}
	wants := []want{{auditlog.OpComplaintFile, time.Time{}}, {auditlog.OpComplaintForward, fwAt},
		{auditlog.OpComplaintResolve, rsAt}, {auditlog.OpComplaintAnswer, anAt}, {auditlog.OpComplaintAnswer, anAt}}
	if len(got) != len(wants) || rep.Changes != int64(len(wants)) {
		for _, g := range got {
			t.Logf("%s %s %s", g.Op, g.Result, g.ID)
		}
		t.Fatalf("%d change records (verify counted %d), want %d", len(got), rep.Changes, len(wants))
	}
	for i, w := range wants {
		g := got[i]
		if g.Op != w.op || g.Result != auditlog.ResultApplied || g.ID != "cp-step-1" || g.Actor != "ops-desk" || g.ChangeID == "" {
			t.Errorf("record %d: %+v, want %s applied by ops-desk for cp-step-1", i, g, w.op)
		}
		if i > 0 && (!g.EffectiveAt.Equal(w.at) || g.Callee != nil) {
			t.Errorf("record %d (%s): effective_at %s callee %+v, want %s and no callee", i, g.Op, g.EffectiveAt, g.Callee, w.at)
		}
	}
	if bytes.Contains(raw, []byte(resolution)) {
		t.Error("the audit log holds the resolution text")
	}
	if bytes.Contains(raw, []byte(num[3:])) {
		t.Error("the audit log holds the raw number")
	}

	// The sidecar stopped, its store holds the steps, and the quarterly
	// report counts the complaint as answered and the steps as changes.
	if err := e.srv.Shutdown(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	st, err := boltstore.Open(filepath.Join(dir, boltstore.DefaultFileName), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := st.GetComplaint(context.Background(), "cp-step-1")
	if err != nil || c.Status != complaint.StatusAnswered || !c.ForwardedAt.Equal(fwAt) || !c.HandledAt.Equal(rsAt) ||
		!c.AnsweredAt.Equal(anAt) || c.Resolution != resolution {
		t.Fatalf("stored complaint %+v, %v", c, err)
	}
	files, err := auditlog.LogFiles(filepath.Join(dir, AuditDir))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	q := report.Quarter{Year: now.Year(), Q: (int(now.Month())-1)/3 + 1}
	r, err := report.Build(context.Background(), q, time.UTC, now, report.Sources{AuditFiles: files, Complaints: st})
	if err != nil {
		t.Fatal(err)
	}
	if r.Complaints.Received != 1 || len(r.Complaints.ByStatus) != 1 || r.Complaints.ByStatus[0] != (report.Count{Key: "answered", Count: 1}) {
		t.Errorf("report complaints: %+v, want 1 received, answered", r.Complaints)
	}
	ops := map[string]int{}
	for _, o := range r.Changes.ByOp {
		ops[o.Key] = o.Count
	}
	if ops[auditlog.OpComplaintForward] != 1 || ops[auditlog.OpComplaintResolve] != 1 || ops[auditlog.OpComplaintAnswer] != 2 {
		t.Errorf("report admin changes by op: %+v", r.Changes.ByOp)
	}
}

// TestComplaintStepsRefused: an unknown id is NotFound, a step out of order
// (answering an open complaint, forwarding a handled one, resolving again
// with another text or after the answer) FailedPrecondition, bad input
// InvalidArgument naming the field, a token without the admin scope
// PermissionDenied; and none of them changes the complaint or writes a
// change record.
func TestComplaintStepsRefused(t *testing.T) {
	dir := t.TempDir()
	e := startFull(t, Config{TokensFile: stepTokens(t)}, dir)
	ctx := bearer(t, "ops-desk-token-0123456789")
	if _, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: "+8613900139612", Tenant: "acme", ComplaintId: "cp-order"}); err != nil {
		t.Fatal(err)
	}
	forward := func(ctx context.Context, id string) error {
		_, err := e.admin.ForwardComplaint(ctx, &pb.ForwardComplaintRequest{ComplaintId: id})
		return err
	}
	resolve := func(ctx context.Context, id, text string) error {
		_, err := e.admin.ResolveComplaint(ctx, &pb.ResolveComplaintRequest{ComplaintId: id, Resolution: text})
		return err
	}
	answer := func(ctx context.Context, id string) error {
		_, err := e.admin.AnswerComplaint(ctx, &pb.AnswerComplaintRequest{ComplaintId: id})
		return err
	}
	// Unknown id.
	wantStatus(t, forward(ctx, "cp-unknown"), codes.NotFound, "cp-unknown")
	wantStatus(t, resolve(ctx, "cp-unknown", "done"), codes.NotFound, "cp-unknown")
	wantStatus(t, answer(ctx, "cp-unknown"), codes.NotFound, "cp-unknown")
	// Bad input, naming the field.
	wantStatus(t, forward(ctx, ""), codes.InvalidArgument, "complaint_id")
	wantStatus(t, answer(ctx, "cp\x01"), codes.InvalidArgument, "complaint_id")
	wantStatus(t, forward(ctx, strings.Repeat("c", maxIDLen+1)), codes.InvalidArgument, "complaint_id")
	wantStatus(t, resolve(ctx, "cp-order", ""), codes.InvalidArgument, "resolution")
	wantStatus(t, resolve(ctx, "cp-order", " \t"), codes.InvalidArgument, "resolution")
	wantStatus(t, resolve(ctx, "cp-order", strings.Repeat("x", 4097)), codes.InvalidArgument, "resolution")
	// A token without the admin scope.
	gate := bearer(t, "dialer-token-0123456789")
	wantStatus(t, forward(gate, "cp-order"), codes.PermissionDenied, "admin")
	wantStatus(t, resolve(gate, "cp-order", "done"), codes.PermissionDenied, "admin")
	wantStatus(t, answer(gate, "cp-order"), codes.PermissionDenied, "admin")
	// Out of order.
	wantStatus(t, answer(ctx, "cp-order"), codes.FailedPrecondition, "open")
	if err := resolve(ctx, "cp-order", "refund issued"); err != nil { // forwards it too
		t.Fatalf("resolve an open complaint: %v", err)
	}
	wantStatus(t, forward(ctx, "cp-order"), codes.FailedPrecondition, "handled")
	wantStatus(t, resolve(ctx, "cp-order", "another text"), codes.FailedPrecondition, "another resolution")
	if err := resolve(ctx, "cp-order", "refund issued"); err != nil {
		t.Fatalf("resolve again with the same text (a retry): %v", err)
	}
	if err := answer(ctx, "cp-order"); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, resolve(ctx, "cp-order", "refund issued"), codes.FailedPrecondition, "answered")
	wantStatus(t, forward(ctx, "cp-order"), codes.FailedPrecondition, "answered")

	got, _, _ := auditChanges(t, e, dir)
	var ops []string
	for _, g := range got {
		if g.Result != auditlog.ResultApplied {
			t.Errorf("record %+v: a step is recorded applied only", g)
		}
		ops = append(ops, g.Op)
	}
	want := []string{auditlog.OpComplaintFile, auditlog.OpComplaintResolve, auditlog.OpComplaintResolve, auditlog.OpComplaintAnswer}
	if strings.Join(ops, " ") != strings.Join(want, " ") {
		t.Errorf("change records %v, want %v (a refused step records nothing)", ops, want)
	}
}

// TestComplaintStepsTenantToken: a token bound to tenants steps its
// tenants' complaints only: another tenant's, or one filed without a
// tenant, is PermissionDenied naming complaint_id; an unknown id is
// NotFound.
func TestComplaintStepsTenantToken(t *testing.T) {
	e := startFull(t, Config{TokensFile: stepTokens(t)}, t.TempDir())
	ops, acme := bearer(t, "ops-desk-token-0123456789"), bearer(t, "acme-ops-token-0123456789")
	for id, tenant := range map[string]string{"cp-acme": "acme", "cp-globex": "globex", "cp-none": ""} {
		if _, err := e.admin.FileComplaint(ops, &pb.FileComplaintRequest{Number: "+8613900139613", Tenant: tenant, ComplaintId: id}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.admin.ForwardComplaint(acme, &pb.ForwardComplaintRequest{ComplaintId: "cp-acme"}); err != nil {
		t.Fatalf("acme-ops forwards acme's complaint: %v", err)
	}
	for _, id := range []string{"cp-globex", "cp-none"} {
		_, err := e.admin.ForwardComplaint(acme, &pb.ForwardComplaintRequest{ComplaintId: id})
		wantStatus(t, err, codes.PermissionDenied, "complaint_id")
		_, err = e.admin.ResolveComplaint(acme, &pb.ResolveComplaintRequest{ComplaintId: id, Resolution: "done"})
		wantStatus(t, err, codes.PermissionDenied, "complaint_id")
		_, err = e.admin.AnswerComplaint(acme, &pb.AnswerComplaintRequest{ComplaintId: id})
		wantStatus(t, err, codes.PermissionDenied, "complaint_id")
	}
	_, err := e.admin.ForwardComplaint(acme, &pb.ForwardComplaintRequest{ComplaintId: "cp-unknown"})
	wantStatus(t, err, codes.NotFound, "cp-unknown")
	// The refusal names nothing of the complaint on record: not its
	// tenant (another call centre's name, which FileComplaint's refusal of
	// a conflicting id does not tell either).
	_, err = e.admin.ForwardComplaint(acme, &pb.ForwardComplaintRequest{ComplaintId: "cp-globex"})
	if err == nil || strings.Contains(err.Error(), "globex\"") || strings.Contains(err.Error(), "for tenant") {
		t.Errorf("acme-ops steps globex's complaint: %v; want a refusal that does not name the complaint's tenant", err)
	}
	// ListComplaints is a read: its refusal does not speak of a write.
	_, err = e.admin.ListComplaints(acme, &pb.ListComplaintsRequest{Tenant: "globex"})
	wantStatus(t, err, codes.PermissionDenied, "tenant")
	if strings.Contains(err.Error(), "write") {
		t.Errorf("ListComplaints refused: %v; a read is not a write", err)
	}
}

// TestComplaintStepUnrecorded: with the audit log failing, a step is made
// all the same (it only records progress) and the RPC says it is in force
// but not recorded; a retry, once the log is back, succeeds and records it
// with the instant first recorded.
func TestComplaintStepUnrecorded(t *testing.T) {
	dir := t.TempDir()
	fc := &failingChanges{from: 1 << 30}
	e := startTest(t, Config{}, func(be *Backend) {
		full, err := Open(context.Background(), Config{Data: dir, Profile: "cn", MetricsListen: "off"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		*be = *full
		be.Changes = fc
	})
	ctx := ctxT(t)
	if _, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: "+8613900139614", ComplaintId: "cp-lost"}); err != nil {
		t.Fatal(err)
	}
	fc.mu.Lock()
	fc.from, fc.calls = 0, 0
	fc.mu.Unlock()
	_, err := e.admin.ForwardComplaint(ctx, &pb.ForwardComplaintRequest{ComplaintId: "cp-lost"})
	wantStatus(t, err, codes.Unavailable, "applied and in force, but not recorded")
	fc.mu.Lock()
	fc.from = 1 << 30
	fc.mu.Unlock()
	r, err := e.admin.ForwardComplaint(ctx, &pb.ForwardComplaintRequest{ComplaintId: "cp-lost"})
	if err != nil {
		t.Fatalf("retry once the log is back: %v", err)
	}
	c, err := complaintDesk(t, e.srv.be.Complaints).Get(ctx, "cp-lost")
	if err != nil || c.Status != complaint.StatusForwarded || !c.ForwardedAt.Equal(r.GetForwardedAt().AsTime()) {
		t.Fatalf("complaint %+v, %v; the retry answered %s", c, err, r.GetForwardedAt().AsTime())
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	last := fc.written[len(fc.written)-1]
	if last.Op != auditlog.OpComplaintForward || last.ID != "cp-lost" || !last.EffectiveAt.Equal(c.ForwardedAt) {
		t.Fatalf("the retry recorded %+v, want complaint.forward at %s", last, c.ForwardedAt)
	}
}

// settableClock is a dialgate.Clock a test moves.
type settableClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *settableClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *settableClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// startFullClock is startFull with the admin writes stamped by clk.
func startFullClock(t *testing.T, cfg Config, dir string, clk dialgate.Clock) *testEnv {
	return startTest(t, cfg, func(be *Backend) {
		full, err := Open(context.Background(), Config{Data: dir, Profile: "cn", MetricsListen: "off"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		*be = *full
		be.Clock = clk
	})
}

// TestComplaintStepClockBehind: a step is dated by the sidecar's clock; a
// clock behind the complaint's receipt (another host's, or the local
// command's --at) is FailedPrecondition, never a step recorded before the
// complaint was received.
func TestComplaintStepClockBehind(t *testing.T) {
	clk := &settableClock{t: time.Now()}
	e := startFullClock(t, Config{}, t.TempDir(), clk)
	ctx := ctxT(t)
	if _, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: "+8613900139615", ComplaintId: "cp-clock"}); err != nil {
		t.Fatal(err)
	}
	clk.set(clk.Now().Add(-time.Hour))
	_, err := e.admin.ForwardComplaint(ctx, &pb.ForwardComplaintRequest{ComplaintId: "cp-clock"})
	wantStatus(t, err, codes.FailedPrecondition, "clock")
}

// TestListComplaints: ListComplaints lists the complaints with the
// deadlines each has missed at the sidecar's clock (as_of), filtered by
// status, tenant and overdue as complaint list --overdue does; the number,
// its hash, the complainant's account and the resolution are not sent; a
// token without the admin scope is PermissionDenied, and one bound to
// tenants lists only one of its tenants' complaints.
func TestListComplaints(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	// A Monday morning, filed; the clock then moves 10 days on.
	filed := time.Date(2026, 11, 2, 10, 0, 0, 0, shanghai)
	clk := &settableClock{t: filed}
	e := startFullClock(t, Config{TokensFile: stepTokens(t)}, t.TempDir(), clk)
	ctx := bearer(t, "ops-desk-token-0123456789")
	for id, tenant := range map[string]string{"cp-a": "acme", "cp-b": "globex"} {
		if _, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: "+8613900139616", Tenant: tenant, ComplaintId: id,
			Note: "he called at dinner", Channel: "web"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.admin.ResolveComplaint(ctx, &pb.ResolveComplaintRequest{ComplaintId: "cp-b", Resolution: "apologised by letter"}); err != nil {
		t.Fatal(err)
	}
	now := filed.AddDate(0, 0, 10)
	clk.set(now)
	ids := func(r *pb.ListComplaintsResponse) string {
		var out []string
		for _, c := range r.GetComplaints() {
			out = append(out, c.GetComplaintId())
		}
		return strings.Join(out, " ")
	}
	r, err := e.admin.ListComplaints(ctx, &pb.ListComplaintsRequest{})
	if err != nil || ids(r) != "cp-a cp-b" || !r.GetAsOf().AsTime().Equal(now) {
		t.Fatalf("ListComplaints: %v %v", r, err)
	}
	a, b := r.GetComplaints()[0], r.GetComplaints()[1]
	if a.GetStatus() != "open" || a.GetTenant() != "acme" || a.GetScope() != "global" || a.GetChannel() != "web" ||
		!a.GetReceivedAt().AsTime().Equal(filed) || a.GetForwardBy() == nil || a.GetHandleBy() == nil || a.GetAnswerBy() == nil ||
		a.GetForwardedAt() != nil || strings.Join(a.GetOverdue(), ",") != "forward" {
		t.Errorf("cp-a: %v", a)
	}
	if b.GetStatus() != "handled" || !b.GetForwardedAt().AsTime().Equal(filed) || !b.GetHandledAt().AsTime().Equal(filed) ||
		b.GetAnsweredAt() != nil || len(b.GetOverdue()) != 0 {
		t.Errorf("cp-b: %v", b)
	}
	for _, bad := range []string{"he called at dinner", "apologised", "13900139616"} {
		if strings.Contains(r.String(), bad) {
			t.Errorf("the list sends %q: %v", bad, r)
		}
	}
	for _, c := range []struct {
		req  *pb.ListComplaintsRequest
		want string
	}{
		{&pb.ListComplaintsRequest{Overdue: true}, "cp-a"},
		{&pb.ListComplaintsRequest{Status: "handled"}, "cp-b"},
		{&pb.ListComplaintsRequest{Status: "handled", Overdue: true}, ""},
		{&pb.ListComplaintsRequest{Tenant: "globex"}, "cp-b"},
	} {
		r, err := e.admin.ListComplaints(ctx, c.req)
		if err != nil || ids(r) != c.want {
			t.Errorf("ListComplaints(%v): %q %v, want %q", c.req, ids(r), err, c.want)
		}
	}
	_, err = e.admin.ListComplaints(ctx, &pb.ListComplaintsRequest{Status: "closed"})
	wantStatus(t, err, codes.InvalidArgument, "status")
	_, err = e.admin.ListComplaints(ctx, &pb.ListComplaintsRequest{Tenant: "ac\x01me"})
	wantStatus(t, err, codes.InvalidArgument, "tenant")
	_, err = e.admin.ListComplaints(bearer(t, "dialer-token-0123456789"), &pb.ListComplaintsRequest{})
	wantStatus(t, err, codes.PermissionDenied, "admin")
	acme := bearer(t, "acme-ops-token-0123456789")
	for _, tenant := range []string{"", "globex"} {
		_, err = e.admin.ListComplaints(acme, &pb.ListComplaintsRequest{Tenant: tenant})
		wantStatus(t, err, codes.PermissionDenied, "tenant")
	}
	if r, err := e.admin.ListComplaints(acme, &pb.ListComplaintsRequest{Tenant: "acme"}); err != nil || ids(r) != "cp-a" {
		t.Errorf("acme-ops lists acme's: %q %v", ids(r), err)
	}
}
