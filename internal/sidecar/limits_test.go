package sidecar

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
)

// Health needs no token: without a bound on the streams of a connection, a
// client could hold open any number of Watch streams. Over max_streams a new
// call waits until one ends.
func TestMaxStreamsBoundsOpenCalls(t *testing.T) {
	env := startTest(t, Config{MaxStreams: 2}, nil)
	ctx := ctxT(t)
	hc := healthpb.NewHealthClient(env.conn)
	wctx, cancelWatch := context.WithCancel(ctx)
	defer cancelWatch()
	for range 2 {
		w, err := hc.Watch(wctx, &healthpb.HealthCheckRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Recv(); err != nil {
			t.Fatal(err)
		}
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := env.gate.Check(short, &pb.CheckRequest{Dial: okDial("+8613800138000")}); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("a third call with two streams open and max_streams 2: %v, want it to wait (DeadlineExceeded)", err)
	}
	cancelWatch()
	if _, err := env.gate.Check(ctx, &pb.CheckRequest{Dial: okDial("+8613800138000")}); err != nil {
		t.Fatalf("after the watches ended: %v", err)
	}
}

// Metadata over max_header_bytes is refused before the handler (and the
// token check) runs, and the server keeps serving.
func TestMaxHeaderBytesRefusesLargeMetadata(t *testing.T) {
	env := startTest(t, Config{MaxHeaderBytes: 4 << 10}, nil)
	ctx := ctxT(t)
	big := metadata.AppendToOutgoingContext(ctx, "x-padding", strings.Repeat("a", 8<<10))
	if _, err := env.gate.Check(big, &pb.CheckRequest{Dial: okDial("+8613800138000")}); err == nil {
		t.Fatal("8 KiB of metadata accepted with max_header_bytes 4096")
	}
	if _, err := env.gate.Check(ctx, &pb.CheckRequest{Dial: okDial("+8613800138000")}); err != nil {
		t.Fatalf("after refused metadata: %v", err)
	}
}
