package sidecar

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/complaint"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"github.com/dialgate/dialgate/storage/boltstore"
)

// storedComplaints returns the stored bytes of the complaints ids in the
// embedded store of dir (the sidecar stopped), and, when damage is set,
// stores damage's bytes of each instead.
func storedComplaints(t *testing.T, dir string, damage func(id string, raw []byte) []byte, ids ...string) map[string][]byte {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, boltstore.DefaultFileName), 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string][]byte{}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("complaints"))
		for _, id := range ids {
			raw := bytes.Clone(b.Get([]byte(id)))
			if raw == nil {
				t.Fatalf("complaint %s is not stored", id)
			}
			out[id] = raw
			if damage != nil {
				if err := b.Put([]byte(id), damage(id, raw)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// complaintDesk returns the desk of a's complaintAdmin (wireComplaints
// wraps it in a repairingComplaintAdmin when the store repairs).
func complaintDesk(t *testing.T, a ComplaintAdmin) *complaint.Desk {
	t.Helper()
	switch a := a.(type) {
	case complaintAdmin:
		return a.desk
	case repairingComplaintAdmin:
		return a.desk
	}
	t.Fatalf("no complaint desk in %T", a)
	return nil
}

// hexSum is the hex SHA-256 of b.
func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestRepairComplaintThroughSidecar: a complaint damaged in the running
// sidecar's store (its status) fails ListComplaints and a recording of its
// callee, and the steps cannot change it; RepairComplaint, with the whole
// complaint as JSON, replaces it while the sidecar runs: the listing and
// the recording registration work again, the step goes through, the
// response names the SHA-256 of the JSON and of the damaged bytes, and the
// audit log holds complaint.repair requested then applied (same change id,
// the JSON's SHA-256, the token's name) in a log that verifies. The
// refusals — bad input naming the field (nothing recorded), a token
// without the admin scope or bound to a tenant (PermissionDenied, nothing
// recorded), an unknown id (NotFound), a sound complaint and another
// callee (FailedPrecondition, recorded as requested then failed) — leave
// the complaint damaged.
func TestRepairComplaintThroughSidecar(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{TokensFile: stepTokens(t)}
	e := startFull(t, cfg, dir)
	ctx := bearer(t, "ops-desk-token-0123456789")
	const num, other = "+8613900139621", "+8613900139622"
	for _, f := range []*pb.FileComplaintRequest{
		{Number: num, Tenant: "acme", ComplaintId: "cp-rep-1", Channel: "web", CallDecisionId: "dec-rep-1"},
		{Number: other, Tenant: "acme", ComplaintId: "cp-rep-2"},
	} {
		if _, err := e.admin.FileComplaint(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.srv.Shutdown(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	good := storedComplaints(t, dir, func(id string, raw []byte) []byte {
		if id != "cp-rep-1" {
			return raw
		}
		return bytes.Replace(raw, []byte(`"status":"open"`), []byte(`"status":"opne"`), 1)
	}, "cp-rep-1", "cp-rep-2")
	whole, sound := good["cp-rep-1"], good["cp-rep-2"]
	damaged := bytes.Replace(whole, []byte(`"status":"open"`), []byte(`"status":"opne"`), 1)
	if bytes.Equal(damaged, whole) {
		t.Fatalf("the stored complaint holds no open status: %s", whole)
	}

	e = startFull(t, cfg, dir)
	registerRec := func(id string) error {
		_, err := e.admin.RegisterRecording(ctx, &pb.RegisterRecordingRequest{Id: id, Number: num,
			StartedAt: timestamppb.New(time.Now().Add(-time.Hour)), RetentionDays: 30})
		return err
	}
	if _, err := e.admin.ListComplaints(ctx, &pb.ListComplaintsRequest{}); status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "cp-rep-1") {
		t.Fatalf("ListComplaints with cp-rep-1 damaged: %v; want Unavailable naming it", err)
	}
	if err := registerRec("rec-rep-1"); err == nil {
		t.Fatal("a recording of the damaged complaint's callee was registered; want refused")
	}
	if _, err := e.admin.ForwardComplaint(ctx, &pb.ForwardComplaintRequest{ComplaintId: "cp-rep-1"}); err == nil {
		t.Fatal("ForwardComplaint of the damaged complaint succeeded")
	}

	wrongCallee := bytes.Replace(whole, []byte(`"callee":"`), []byte(`"callee":"x`), 1)
	for _, r := range []struct {
		name  string
		token string
		req   *pb.RepairComplaintRequest
		code  codes.Code
		msg   string
	}{
		{"NoID", "ops-desk-token-0123456789", &pb.RepairComplaintRequest{ComplaintJson: whole}, codes.InvalidArgument, "complaint_id: missing"},
		{"NoJSON", "ops-desk-token-0123456789", &pb.RepairComplaintRequest{ComplaintId: "cp-rep-1"}, codes.InvalidArgument, "complaint_json: missing"},
		{"NotJSON", "ops-desk-token-0123456789", &pb.RepairComplaintRequest{ComplaintId: "cp-rep-1", ComplaintJson: []byte(`{"id":`)},
			codes.InvalidArgument, "complaint_json: not a complaint"},
		{"Partial", "ops-desk-token-0123456789", &pb.RepairComplaintRequest{ComplaintId: "cp-rep-1",
			ComplaintJson: bytes.Replace(whole, []byte(`"answer_by"`), []byte(`"answer_by_"`), 1)}, codes.InvalidArgument, "complaint_json: not a complaint"},
		{"NotListed", "ops-desk-token-0123456789", &pb.RepairComplaintRequest{ComplaintId: "cp-rep-1",
			ComplaintJson: bytes.Replace(whole, []byte(`"dnc_listed":true`), []byte(`"dnc_listed":false`), 1)}, codes.InvalidArgument, "complaint_json: dnc_listed:"},
		{"OtherID", "ops-desk-token-0123456789", &pb.RepairComplaintRequest{ComplaintId: "cp-rep-9", ComplaintJson: whole},
			codes.InvalidArgument, "complaint_json: id:"},
		{"GateToken", "dialer-token-0123456789", &pb.RepairComplaintRequest{ComplaintId: "cp-rep-1", ComplaintJson: whole}, codes.PermissionDenied, ""},
		{"TenantToken", "acme-ops-token-0123456789", &pb.RepairComplaintRequest{ComplaintId: "cp-rep-1", ComplaintJson: whole},
			codes.PermissionDenied, "bound to tenants"},
		// Those reach the store: recorded as requested, then failed.
		{"Unknown", "ops-desk-token-0123456789", &pb.RepairComplaintRequest{ComplaintId: "cp-rep-9",
			ComplaintJson: bytes.Replace(whole, []byte(`"id":"cp-rep-1"`), []byte(`"id":"cp-rep-9"`), 1)}, codes.NotFound, ""},
		{"Sound", "ops-desk-token-0123456789", &pb.RepairComplaintRequest{ComplaintId: "cp-rep-2", ComplaintJson: sound},
			codes.FailedPrecondition, "not damaged"},
		{"WrongCallee", "ops-desk-token-0123456789", &pb.RepairComplaintRequest{ComplaintId: "cp-rep-1", ComplaintJson: wrongCallee},
			codes.FailedPrecondition, "callee:"},
	} {
		_, err := e.admin.RepairComplaint(bearer(t, r.token), r.req)
		if status.Code(err) != r.code || !strings.Contains(status.Convert(err).Message(), r.msg) {
			t.Errorf("%s: %v; want %s %q", r.name, err, r.code, r.msg)
		}
		if r.name == "WrongCallee" && strings.Contains(err.Error(), `"callee":"`) {
			t.Errorf("%s: the refusal names the stored callee: %v", r.name, err)
		}
	}
	if _, err := e.admin.ListComplaints(ctx, &pb.ListComplaintsRequest{}); status.Code(err) != codes.Unavailable {
		t.Fatalf("ListComplaints after the refused repairs: %v; want still Unavailable", err)
	}

	res, err := e.admin.RepairComplaint(ctx, &pb.RepairComplaintRequest{ComplaintId: "cp-rep-1", ComplaintJson: whole})
	if err != nil {
		t.Fatalf("RepairComplaint: %v", err)
	}
	if res.GetSha256() != hexSum(whole) || res.GetReplacedSha256() != hexSum(damaged) || res.GetReplacedBytes() != int64(len(damaged)) || res.GetChangeId() == "" {
		t.Errorf("RepairComplaint = %+v; want sha256 %s, replaced %s (%d bytes), a change id", res, hexSum(whole), hexSum(damaged), len(damaged))
	}
	l, err := e.admin.ListComplaints(ctx, &pb.ListComplaintsRequest{Status: "open"})
	if err != nil || len(l.GetComplaints()) != 2 || l.GetComplaints()[0].GetComplaintId() != "cp-rep-1" {
		t.Fatalf("ListComplaints after the repair: %v, %v; want cp-rep-1 and cp-rep-2 open", l, err)
	}
	if err := registerRec("rec-rep-2"); err != nil {
		t.Fatalf("a recording of the repaired complaint's callee: %v", err)
	}
	if _, err := e.admin.ForwardComplaint(ctx, &pb.ForwardComplaintRequest{ComplaintId: "cp-rep-1"}); err != nil {
		t.Fatalf("ForwardComplaint after the repair: %v", err)
	}

	got, _, _ := auditChanges(t, e, dir)
	var requested, applied, failed []auditlog.ChangeRecord
	for _, c := range got {
		if c.Op != auditlog.OpComplaintRepair {
			continue
		}
		if c.Actor != "ops-desk" {
			t.Errorf("repair record %+v; want by ops-desk", c)
		}
		switch c.Result {
		case auditlog.ResultRequested:
			requested = append(requested, c)
		case auditlog.ResultApplied:
			applied = append(applied, c)
		case auditlog.ResultFailed:
			failed = append(failed, c)
		}
	}
	// Unknown, Sound, WrongCallee and the repair were requested.
	if len(requested) != 4 || len(applied) != 1 || len(failed) != 3 {
		t.Fatalf("complaint.repair records: %d requested, %d applied, %d failed; want 4, 1, 3", len(requested), len(applied), len(failed))
	}
	a, q := applied[0], requested[3]
	if q.ChangeID != a.ChangeID || a.ChangeID != res.GetChangeId() || a.ID != "cp-rep-1" || a.SHA256 != hexSum(whole) ||
		a.Tenant != "acme" || a.DecisionID != "dec-rep-1" || a.Source != "web" || q.SHA256 != a.SHA256 {
		t.Errorf("the repair's records: requested %+v, applied %+v; want one change id (%s), cp-rep-1, acme, dec-rep-1, web, the JSON's SHA-256", q, a, res.GetChangeId())
	}
	for i, c := range got {
		if c.ChangeID == a.ChangeID {
			if c.Result != auditlog.ResultRequested {
				t.Errorf("the repair's first record (%d) is %s; want requested, before it was applied", i, c.Result)
			}
			break
		}
	}

	// The damaged bytes are kept in the store.
	if err := e.srv.Shutdown(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(filepath.Join(dir, boltstore.DefaultFileName), 0o600, &bolt.Options{Timeout: 5 * time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	kept := false
	if err := db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("complaints.replaced")).ForEach(func(_, v []byte) error {
			kept = kept || bytes.Equal(v, damaged)
			return nil
		})
	}); err != nil || !kept {
		t.Fatalf("the damaged bytes are not kept in complaints.replaced (%v)", err)
	}
}

// spyRepairer is a ComplaintRepairer that counts its repairs and answers
// replaced (the other ComplaintAdmin methods are not called).
type spyRepairer struct {
	complaintAdmin
	mu       sync.Mutex
	repairs  int
	replaced []byte
}

func (s *spyRepairer) RepairComplaint(context.Context, complaint.Complaint) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repairs++
	return s.replaced, nil
}

// count returns how many repairs were made.
func (s *spyRepairer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.repairs
}

// wholeComplaintJSON is the JSON of a whole complaint id.
func wholeComplaintJSON(t *testing.T, id string) []byte {
	t.Helper()
	at := time.Now().Add(-time.Hour).UTC()
	b, err := json.Marshal(complaint.Complaint{ID: id, Tenant: "acme", Callee: "h:a", Scope: "global", Channel: complaint.ChannelPhone,
		ReceivedAt: at, ForwardBy: at.Add(72 * time.Hour), HandleBy: at.Add(480 * time.Hour), AnswerBy: at.Add(600 * time.Hour),
		Status: complaint.StatusOpen, DNCListed: true})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRepairComplaintUnrecorded: a repair whose request the audit log
// cannot record is not made (Unavailable, "not applied"), as the local
// command does; one whose completion is not recorded is made and says so.
func TestRepairComplaintUnrecorded(t *testing.T) {
	fc, spy := &failingChanges{}, &spyRepairer{replaced: []byte("damaged")}
	e := startTest(t, Config{}, func(be *Backend) { be.Changes, be.Complaints = fc, spy })
	req := &pb.RepairComplaintRequest{ComplaintId: "cp-1", ComplaintJson: wholeComplaintJSON(t, "cp-1")}
	_, err := e.admin.RepairComplaint(ctxT(t), req)
	wantStatus(t, err, codes.Unavailable, "not applied: the audit log could not record it")
	if n := spy.count(); n != 0 {
		t.Fatalf("a repair whose request was not recorded was made (%d)", n)
	}
	fc.mu.Lock()
	fc.from, fc.calls = 1, 0
	fc.mu.Unlock()
	_, err = e.admin.RepairComplaint(ctxT(t), req)
	wantStatus(t, err, codes.Unavailable, "applied and in force (recorded as requested")
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if spy.count() != 1 || len(fc.written) != 1 || fc.written[0].Op != auditlog.OpComplaintRepair || fc.written[0].Result != auditlog.ResultRequested ||
		fc.written[0].SHA256 != hexSum(req.GetComplaintJson()) || fc.written[0].ID != "cp-1" {
		t.Fatalf("repairs %d, records %+v", spy.count(), fc.written)
	}
}

// TestRepairComplaintUnsupported: a complaint back-end whose store cannot
// repair answers Unimplemented saying so, and records nothing; a server
// with no complaint back-end answers Unimplemented.
func TestRepairComplaintUnsupported(t *testing.T) {
	fc := &failingChanges{from: 100}
	e := startTest(t, Config{}, func(be *Backend) { be.Changes, be.Complaints = fc, complaintAdmin{} })
	req := &pb.RepairComplaintRequest{ComplaintId: "cp-1", ComplaintJson: wholeComplaintJSON(t, "cp-1")}
	_, err := e.admin.RepairComplaint(ctxT(t), req)
	wantStatus(t, err, codes.Unimplemented, "cannot repair a complaint")
	if len(fc.written) != 0 {
		t.Fatalf("records: %+v", fc.written)
	}
	e = startTest(t, Config{}, nil)
	_, err = e.admin.RepairComplaint(ctxT(t), req)
	wantStatus(t, err, codes.Unimplemented, "complaint")
}
