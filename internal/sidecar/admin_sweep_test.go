package sidecar

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/dialgate/dialgate/auditlog"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"github.com/dialgate/dialgate/recording"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// sweepManager returns the recording Manager the sidecar of e sweeps with.
func sweepManager(t *testing.T, e *testEnv) *recording.Manager {
	t.Helper()
	ra, ok := e.srv.be.Recordings.(recordingAdmin)
	if !ok {
		t.Fatalf("Backend.Recordings is %T", e.srv.be.Recordings)
	}
	return ra.m
}

// registerEnded registers recording id (tenant acme) whose call ended ago.
func registerEnded(ctx context.Context, t *testing.T, e *testEnv, id, num string, ago time.Duration) error {
	t.Helper()
	end := time.Now().Add(-ago)
	_, err := e.admin.RegisterRecording(ctx, &pb.RegisterRecordingRequest{Id: id, Number: num, Tenant: "acme",
		StartedAt: timestamppb.New(end.Add(-10 * time.Minute)), EndedAt: timestamppb.New(end)})
	return err
}

// exists reports whether recording id is still stored.
func exists(ctx context.Context, t *testing.T, m *recording.Manager, id string) bool {
	t.Helper()
	_, err := m.Get(ctx, id)
	if errors.Is(err, recording.ErrNotFound) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

// TestSweepRecordingsThroughSidecar: SweepRecordings deletes, at the
// sidecar's clock, a recording past its 30-day retention, and keeps one
// ended 29 days ago and one past retention but held (reported skipped,
// "held"); it writes the CLI sweep's two recording.sweep records (requested
// with the count and SHA-256 of the ids about to be deleted, then applied
// with those deleted, one change id, the token's name) in a log that
// verifies. A gate-only token and a tenant-bound admin token are refused,
// the latter naming its binding, and delete nothing.
func TestSweepRecordingsThroughSidecar(t *testing.T) {
	dir := t.TempDir()
	e := startFull(t, Config{TokensFile: stepTokens(t)}, dir)
	ops := bearer(t, "ops-desk-token-0123456789")
	m := sweepManager(t, e)
	day := 24 * time.Hour
	for _, r := range []struct {
		id, num string
		ago     time.Duration
	}{
		{"rec-sweep-old", "+8613900139701", 31 * day},
		{"rec-sweep-29d", "+8613900139702", 29 * day},
		{"rec-sweep-held", "+8613900139703", 40 * day},
	} {
		if err := registerEnded(ops, t, e, r.id, r.num, r.ago); err != nil {
			t.Fatalf("%s: %v", r.id, err)
		}
	}
	if _, err := e.admin.HoldRecording(ops, &pb.HoldRecordingRequest{Id: "rec-sweep-held", HoldId: "litigation-9"}); err != nil {
		t.Fatal(err)
	}

	// Refused: a gate-only token, and an admin token bound to tenants.
	_, err := e.admin.SweepRecordings(bearer(t, "dialer-token-0123456789"), &pb.SweepRecordingsRequest{})
	wantCode(t, err, codes.PermissionDenied, "")
	_, err = e.admin.SweepRecordings(bearer(t, "acme-ops-token-0123456789"), &pb.SweepRecordingsRequest{})
	wantStatus(t, err, codes.PermissionDenied, `token "acme-ops" is bound to tenants [acme]`)
	if !exists(ops, t, m, "rec-sweep-old") {
		t.Fatal("a refused sweep deleted a recording")
	}

	before := time.Now()
	res, err := e.admin.SweepRecordings(ops, &pb.SweepRecordingsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.GetDeleted(); !slices.Equal(got, []string{"rec-sweep-old"}) {
		t.Fatalf("deleted %v, want [rec-sweep-old]", got)
	}
	if sk := res.GetSkipped(); len(sk) != 1 || sk[0].GetId() != "rec-sweep-held" || sk[0].GetReason() != "held" {
		t.Fatalf("skipped %v", sk)
	}
	if len(res.GetFailed()) != 0 {
		t.Fatalf("failed %v", res.GetFailed())
	}
	if at := res.GetSweptAt().AsTime(); at.Before(before.Add(-time.Second)) || at.After(time.Now()) {
		t.Fatalf("swept_at %s is not the server's clock", at)
	}
	if exists(ops, t, m, "rec-sweep-old") {
		t.Fatal("the recording past retention is still stored")
	}
	for _, id := range []string{"rec-sweep-29d", "rec-sweep-held"} {
		if !exists(ops, t, m, id) {
			t.Fatalf("%s was deleted", id)
		}
	}

	changes, _, _ := auditChanges(t, e, dir)
	var sweeps []auditlog.ChangeRecord
	for _, c := range changes {
		if c.Op == auditlog.OpRecordingSweep {
			sweeps = append(sweeps, c)
		}
	}
	sum := sha256.Sum256([]byte("rec-sweep-old\n"))
	want := hex.EncodeToString(sum[:])
	if len(sweeps) != 2 {
		t.Fatalf("recording.sweep records: %+v", sweeps)
	}
	for i, res := range []string{auditlog.ResultRequested, auditlog.ResultApplied} {
		c := sweeps[i]
		if c.Result != res || c.Count != 1 || c.SHA256 != want || c.Actor != "ops-desk" || c.ChangeID != sweeps[0].ChangeID || c.ChangeID == "" {
			t.Fatalf("record %d: %+v (want %s, count 1, sha256 %s, actor ops-desk, one change id)", i, c, res, want)
		}
	}
}

// TestSweepRecordingsAuditLogFails: when the audit log cannot record the
// sweep as requested, SweepRecordings is Unavailable ("not applied") and
// deletes nothing.
func TestSweepRecordingsAuditLogFails(t *testing.T) {
	fc := &failingChanges{}
	dir := t.TempDir()
	e := startTest(t, Config{}, func(be *Backend) {
		full, err := Open(context.Background(), Config{Data: dir, Profile: "cn", MetricsListen: "off"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		*be = *full
		be.Changes = fc
	})
	ctx := ctxT(t)
	m := sweepManager(t, e)
	// A registration is made even when it cannot be recorded.
	err := registerEnded(ctx, t, e, "rec-sweep-unrecorded", "+8613900139711", 40*24*time.Hour)
	wantStatus(t, err, codes.Unavailable, "applied and in force, but not recorded")
	_, err = e.admin.SweepRecordings(ctx, &pb.SweepRecordingsRequest{})
	wantStatus(t, err, codes.Unavailable, "not applied")
	if !exists(ctx, t, m, "rec-sweep-unrecorded") {
		t.Fatal("a sweep that could not be recorded deleted a recording")
	}
}

// failingSweep is the sidecar's recording adapter whose sweep fails to
// delete recording fail (as a media store error would), leaving it.
type failingSweep struct {
	recordingAdmin
	fail string
}

func (f failingSweep) SweepDueRecordings(ctx context.Context, at time.Time, due []recording.Recording) (recording.SweepReport, error) {
	rest := slices.DeleteFunc(slices.Clone(due), func(r recording.Recording) bool { return r.ID == f.fail })
	rep, err := f.recordingAdmin.SweepDueRecordings(ctx, at, rest)
	ferr := errors.New("recording " + f.fail + ": media file:calls/a.wav: remove /srv/media/calls/a.wav: permission denied")
	rep.Failed = append(rep.Failed, recording.Skip{ID: f.fail, Reason: ferr.Error()})
	return rep, errors.Join(err, ferr)
}

// TestSweepRecordingsDeletionFails: a deletion that fails does not stop
// the sweep: SweepRecordings succeeds listing it under failed, without the
// cause (which names the server's paths), the other due recording is
// deleted, and the sweep is recorded as requested with both ids, then as
// failed with the count and SHA-256 of the one deleted.
func TestSweepRecordingsDeletionFails(t *testing.T) {
	dir := t.TempDir()
	e := startTest(t, Config{}, func(be *Backend) {
		full, err := Open(context.Background(), Config{Data: dir, Profile: "cn", MetricsListen: "off"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		*be = *full
		be.Recordings = failingSweep{recordingAdmin: be.Recordings.(recordingAdmin), fail: "rec-sweep-media"}
	})
	ctx := ctxT(t)
	m := e.srv.be.Recordings.(failingSweep).m
	for _, id := range []string{"rec-sweep-media", "rec-sweep-plain"} {
		if err := registerEnded(ctx, t, e, id, "+8613900139722", 40*24*time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	res, err := e.admin.SweepRecordings(ctx, &pb.SweepRecordingsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.GetDeleted(), []string{"rec-sweep-plain"}) {
		t.Fatalf("deleted %v", res.GetDeleted())
	}
	if f := res.GetFailed(); len(f) != 1 || f[0].GetId() != "rec-sweep-media" || f[0].GetReason() != sweepFailedReason {
		t.Fatalf("failed %v", f)
	}
	if !exists(ctx, t, m, "rec-sweep-media") {
		t.Fatal("the recording whose deletion failed is gone")
	}
	changes, _, _ := auditChanges(t, e, dir)
	var sweeps []auditlog.ChangeRecord
	for _, c := range changes {
		if c.Op == auditlog.OpRecordingSweep {
			sweeps = append(sweeps, c)
		}
	}
	both := sha256.Sum256([]byte("rec-sweep-media\nrec-sweep-plain\n"))
	one := sha256.Sum256([]byte("rec-sweep-plain\n"))
	if len(sweeps) != 2 || sweeps[0].Result != auditlog.ResultRequested || sweeps[0].Count != 2 || sweeps[0].SHA256 != hex.EncodeToString(both[:]) ||
		sweeps[1].Result != auditlog.ResultFailed || sweeps[1].Count != 1 || sweeps[1].SHA256 != hex.EncodeToString(one[:]) {
		t.Fatalf("recording.sweep records: %+v", sweeps)
	}
}
