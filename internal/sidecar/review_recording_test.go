package sidecar

import (
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"github.com/dialgate/dialgate/recording"
)

// retention_days is an int32 the server turned into nanoseconds without a
// bound: 213535 days (a typo, or a client's "forever") overflowed to about 31
// days, which passed the 30-day floor, and the recording was kept a month
// instead of what was asked. Beyond 100 years (the bound of every duration
// dialgate reads) the field is refused, naming it.
func TestWireRecordingRetentionDaysBound(t *testing.T) {
	e, _ := openWire(t, wireProfile)
	ctx := ctxT(t)
	start := timestamppb.New(time.Now().Add(-time.Hour).Truncate(time.Second))
	for _, d := range []int32{213535, 36601, 1 << 30} {
		_, err := e.admin.RegisterRecording(ctx, &pb.RegisterRecordingRequest{Id: "r-long", Number: "+8613900139211", StartedAt: start, RetentionDays: d})
		wantCode(t, err, codes.InvalidArgument, "retention_days")
	}
	if _, err := e.admin.RegisterRecording(ctx, &pb.RegisterRecordingRequest{Id: "r-100y", Number: "+8613900139211", StartedAt: start, EndedAt: start, RetentionDays: 36600}); err != nil {
		t.Fatalf("100 years: %v", err)
	}
	rec, err := e.be.Recordings.(recordingAdmin).m.Get(ctx, "r-100y")
	if err != nil || !rec.RetainUntil.Equal(start.AsTime().Add(36600*24*time.Hour)) {
		t.Fatalf("r-100y = %+v, %v", rec, err)
	}
}

// ended_at reaches the Manager: a two-hour call is kept 30 days from its
// end, not its start; an end before the start, in the future or unset by
// mistake (1970) is InvalidArgument naming ended_at; a retry must give the
// same end.
func TestWireRecordingEndedAt(t *testing.T) {
	e, _ := openWire(t, wireProfile)
	ctx := ctxT(t)
	started := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
	ended := started.Add(2 * time.Hour)
	req := &pb.RegisterRecordingRequest{Id: "r-long", Number: "+8613900139212", StartedAt: timestamppb.New(started), EndedAt: timestamppb.New(ended)}
	if _, err := e.admin.RegisterRecording(ctx, req); err != nil {
		t.Fatal(err)
	}
	m := e.be.Recordings.(recordingAdmin).m
	rec, err := m.Get(ctx, "r-long")
	if err != nil || !rec.EndedAt.Equal(ended) || !rec.RetainUntil.Equal(ended.Add(30*24*time.Hour)) {
		t.Fatalf("r-long = %+v, %v; want ended_at %s, retain_until 30 days after it", rec, err, ended)
	}
	if err := m.Delete(ctx, "r-long", started.Add(30*24*time.Hour)); !errors.Is(err, recording.ErrRetentionLocked) {
		t.Fatalf("delete 30 days after the start of a 2-hour call: %v, want ErrRetentionLocked", err)
	}
	if _, err := e.admin.RegisterRecording(ctx, req); err != nil {
		t.Fatalf("retry with the same end: %v", err)
	}
	for _, other := range []*timestamppb.Timestamp{nil, timestamppb.New(ended.Add(-time.Hour))} {
		_, err := e.admin.RegisterRecording(ctx, &pb.RegisterRecordingRequest{Id: "r-long", Number: req.Number, StartedAt: req.StartedAt, EndedAt: other})
		wantCode(t, err, codes.AlreadyExists, "r-long")
	}
	for _, bad := range []*timestamppb.Timestamp{
		timestamppb.New(started.Add(-time.Second)), // before started_at
		timestamppb.New(time.Now().Add(time.Hour)), // in the future
		timestamppb.New(time.Unix(0, 0)),           // a zero timestamp sent by mistake
		{Seconds: 1, Nanos: -1},                    // not a valid timestamp
	} {
		_, err := e.admin.RegisterRecording(ctx, &pb.RegisterRecordingRequest{Id: "r-bad", Number: req.Number, StartedAt: req.StartedAt, EndedAt: bad})
		wantCode(t, err, codes.InvalidArgument, "ended_at")
	}
	if _, err := m.Get(ctx, "r-bad"); !errors.Is(err, recording.ErrNotFound) {
		t.Fatalf("a refused registration was stored: %v", err)
	}
}

// TestWireEndRecording: a recording registered as its call started is kept
// from the end EndRecording gives; bad requests name their field.
func TestWireEndRecording(t *testing.T) {
	e, _ := openWire(t, wireProfile)
	ctx := ctxT(t)
	started := time.Now().Add(-time.Minute).Truncate(time.Second)
	if _, err := e.admin.RegisterRecording(ctx, &pb.RegisterRecordingRequest{Id: "r-open", Number: "+8613900139213", StartedAt: timestamppb.New(started)}); err != nil {
		t.Fatal(err)
	}
	m := e.be.Recordings.(recordingAdmin).m
	before, err := m.Get(ctx, "r-open")
	if err != nil {
		t.Fatal(err)
	}
	ended := time.Now().Truncate(time.Second)
	if _, err := e.admin.EndRecording(ctx, &pb.EndRecordingRequest{Id: "r-open", EndedAt: timestamppb.New(ended)}); err != nil {
		t.Fatal(err)
	}
	rec, err := m.Get(ctx, "r-open")
	if err != nil || !rec.EndedAt.Equal(ended) || rec.RetainUntil.Before(ended.Add(30*24*time.Hour)) || rec.RetainUntil.Before(before.RetainUntil) {
		t.Fatalf("ended: %+v, %v; want ended_at %s and retain_until at least 30 days after it", rec, err, ended)
	}
	for _, c := range []struct {
		req  *pb.EndRecordingRequest
		code codes.Code
		msg  string
	}{
		{&pb.EndRecordingRequest{EndedAt: timestamppb.New(ended)}, codes.InvalidArgument, "id: missing"},
		{&pb.EndRecordingRequest{Id: "r-open"}, codes.InvalidArgument, "ended_at"},
		{&pb.EndRecordingRequest{Id: "r-open", EndedAt: timestamppb.New(started.Add(-time.Second))}, codes.InvalidArgument, "ended_at"},
		{&pb.EndRecordingRequest{Id: "r-open", EndedAt: timestamppb.New(time.Now().Add(time.Hour))}, codes.InvalidArgument, "ended_at"},
		{&pb.EndRecordingRequest{Id: "r-none", EndedAt: timestamppb.New(ended)}, codes.NotFound, "r-none"},
	} {
		_, err := e.admin.EndRecording(ctx, c.req)
		wantCode(t, err, c.code, c.msg)
	}
}

// TestWireRegisterAfterOutcomeNamesEndRecording: an operator who reported a
// call's outcome with its recording_id (which registers the recording, with
// the report's instant as its start) and then registered the recording with
// its real start and end, as docs/deploy.md advises, got AlreadyExists
// "registered with another callee, start, end, …" and "a retry will not
// succeed": nothing said what registered it or how to give the real end.
// The refusal names ReportOutcome's recording_id and EndRecording.
func TestWireRegisterAfterOutcomeNamesEndRecording(t *testing.T) {
	e, _ := openWire(t, wireProfile)
	ctx := ctxT(t)
	e.addLedger(t)
	const num = "+8613900139402"
	d := e.allowedCheck(t, num)
	if _, err := e.gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: d.GetId(), Dial: callback(num), Answered: true, RecordingId: "r-after"}); err != nil {
		t.Fatal(err)
	}
	started := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	_, err := e.admin.RegisterRecording(ctx, &pb.RegisterRecordingRequest{Id: "r-after", Number: num, StartedAt: timestamppb.New(started),
		EndedAt: timestamppb.New(started.Add(5 * time.Minute))})
	wantCode(t, err, codes.AlreadyExists, "EndRecording")
}

// TestWireComplaintIDConflictSaysListed: a complaint filed under an id that
// another number's complaint holds is refused (AlreadyExists), but its number
// is put on the do-not-call list first, as every filing's is. The refusal
// said only "is about another number or tenant" and the CLI "not applied",
// so the operator could not tell the opt-out was in force. It says so, and
// how to file the complaint.
func TestWireComplaintIDConflictSaysListed(t *testing.T) {
	e, _ := openWire(t, wireProfile)
	ctx := ctxT(t)
	if _, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: "+8613900139403", ComplaintId: "cp-same"}); err != nil {
		t.Fatal(err)
	}
	_, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: "+8613900139404", ComplaintId: "cp-same"})
	wantCode(t, err, codes.AlreadyExists, "listed all the same")
	if d := e.check(t, "+8613900139404"); d.GetAllowed() || !strings.Contains(strings.Join(codesOf(d), ","), "dnc.listed") {
		t.Fatalf("the second complainant is not listed: %v", codesOf(d))
	}
}
