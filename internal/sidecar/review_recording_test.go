package sidecar

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
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
	if _, err := e.admin.RegisterRecording(ctx, &pb.RegisterRecordingRequest{Id: "r-100y", Number: "+8613900139211", StartedAt: start, RetentionDays: 36600}); err != nil {
		t.Fatalf("100 years: %v", err)
	}
	rec, err := e.be.Recordings.(recordingAdmin).m.Get(ctx, "r-100y")
	if err != nil || !rec.RetainUntil.Equal(start.AsTime().Add(36600*24*time.Hour)) {
		t.Fatalf("r-100y = %+v, %v", rec, err)
	}
}
