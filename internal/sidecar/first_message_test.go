package sidecar

import (
	"testing"
	"time"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// A call whose request is one message — a health Check, which needs no
// token — that sends its headers and never the message is ended after
// first_message_timeout, freeing its goroutine and stream slot, instead of
// being held until the client goes away. A Watch whose request came in time
// stays open beyond it, and so does a CheckStream that has sent no dial yet
// (its client streams: it may wait between dials).
func TestFirstMessageTimeoutEndsHeadersOnlyCalls(t *testing.T) {
	const timeout = 300 * time.Millisecond
	env := startTest(t, Config{FirstMessageTimeout: Duration(timeout), CheckTimeout: Duration(10 * time.Second)}, nil)
	ctx := ctxT(t)

	// Headers only: a stream to the unary method, never sent to.
	start := time.Now()
	cs, err := env.conn.NewStream(ctx, &grpc.StreamDesc{StreamName: "Check", ServerStreams: true, ClientStreams: true}, "/grpc.health.v1.Health/Check")
	if err != nil {
		t.Fatal(err)
	}
	var resp healthpb.HealthCheckResponse
	err = cs.RecvMsg(&resp)
	if took := time.Since(start); err == nil || took > 5*time.Second {
		t.Fatalf("headers-only health Check: %v after %v, want it ended after about %v", err, took, timeout)
	}

	// A watch whose request arrived, and a CheckStream with no dial yet,
	// outlive the timeout.
	hc := healthpb.NewHealthClient(env.conn)
	w, err := hc.Watch(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Recv(); err != nil {
		t.Fatal(err)
	}
	stream, err := env.gate.CheckStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * timeout)
	env.srv.health.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	if r, err := w.Recv(); err != nil || r.Status != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("watch after the timeout: %v %v", r, err)
	}
	if err := stream.Send(&pb.CheckStreamRequest{Dial: okDial("+8613800138000"), RequestId: "r1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatalf("CheckStream's first dial after the timeout: %v", err)
	}
	stream.CloseSend()

	// A unary call whose request arrived is not cut by the bound however
	// long its decision takes.
	env.dnc.mu.Lock()
	done := make(chan error, 1)
	go func() {
		_, err := env.gate.Check(ctx, &pb.CheckRequest{Dial: okDial("+8613800138001")})
		done <- err
	}()
	time.Sleep(3 * timeout)
	env.dnc.mu.Unlock()
	if err := <-done; err != nil {
		t.Fatalf("a Check slower than first_message_timeout: %v", err)
	}
}
