package sidecar

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
)

// noDNCProfile is a profile without a dnc section: the sidecar cannot file
// complaints under it (a complaint lists the number), so its complaint admin
// is not wired.
const noDNCProfile = `schema: dialgate.profile.v1
name: fr-nodnc
extends: fr
`

// TestComplaintHoldsGuardedWithoutDNC: complaints filed under a profile with
// a dnc section stay in the store when the sidecar runs under one without
// (a profile switched on the data directory, a fleet sharing the store).
// Their holds were left unguarded: the sidecar's recording Manager had the
// complaint guard and new-recording holds only when it could file
// complaints, so ReleaseRecordingHold lifted an open complaint's hold, and a
// recording of the complainant registered then carried none (the CLI on the
// same data refuses and holds: it guards whenever the store keeps
// complaints). Both now follow the complaint store, not the dnc section.
func TestComplaintHoldsGuardedWithoutDNC(t *testing.T) {
	dir := t.TempDir()
	const num = "+8613900139701"
	start := timestamppb.New(time.Now().Add(-time.Hour).Truncate(time.Second))
	e, stop := openWireIn(t, dir, wireProfile)
	ctx := ctxT(t)
	if _, err := e.admin.RegisterRecording(ctx, &pb.RegisterRecordingRequest{Id: "r-c1", Number: num, StartedAt: start, Tenant: "acme"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: num, Tenant: "acme", ComplaintId: "cp-1", Channel: "web"}); err != nil {
		t.Fatal(err)
	}
	stop()

	e, _ = openWireIn(t, dir, noDNCProfile)
	if e.be.Complaints != nil {
		t.Fatal("complaints wired under a profile without dnc: the test no longer covers the case")
	}
	_, err := e.admin.ReleaseRecordingHold(ctx, &pb.ReleaseRecordingHoldRequest{Id: "r-c1", HoldId: "complaint:cp-1"})
	wantCode(t, err, codes.FailedPrecondition, "cp-1")
	rec, err := e.be.Recordings.(recordingAdmin).m.Get(ctx, "r-c1")
	if err != nil || !rec.Held() {
		t.Fatalf("r-c1 = %+v, %v: the open complaint's hold was lifted", rec, err)
	}
	if _, err := e.admin.RegisterRecording(ctx, &pb.RegisterRecordingRequest{Id: "r-c2", Number: num, StartedAt: start, Tenant: "acme"}); err != nil {
		t.Fatal(err)
	}
	rec, err = e.be.Recordings.(recordingAdmin).m.Get(ctx, "r-c2")
	if err != nil || len(rec.Holds) != 1 || !strings.HasSuffix(rec.Holds[0].ID, "cp-1") {
		t.Fatalf("r-c2 = %+v, %v: a recording of the complainant registered while the complaint is open is not held", rec, err)
	}
}
