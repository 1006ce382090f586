package sidecar

import (
	"fmt"
	"io"
	"sync/atomic"
	"testing"

	"github.com/dialgate/dialgate"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc/codes"
)

// panicOnceIDs is a decision id source that panics on its first call (the
// Gate recovers a panic of a check, a Commit, a Release, an observer and the
// audit log, but not of the id source it was given).
func panicOnceIDs() func() string {
	var n atomic.Int64
	return func() string {
		if n.Add(1) == 1 {
			panic("id source bug")
		}
		return fmt.Sprintf("dg-test-%d", n.Load())
	}
}

// TestCheckStreamWorkerPanic: a panic while a CheckStream worker decides a
// dial answers that request with an Internal error (do not dial) and the
// stream, and the server, go on. The worker runs in its own goroutine, out
// of reach of the server's recover interceptor: unrecovered, the panic ended
// the process, and with it every dialer's calls in flight.
func TestCheckStreamWorkerPanic(t *testing.T) {
	// One worker: the requests are decided in the order sent, so the
	// first ("boom") is the one whose decision id panics.
	e := startTest(t, Config{StreamWorkers: 1}, func(be *Backend) {
		g, err := dialgate.New([]dialgate.Checker{newFakeDNC()}, dialgate.WithoutAuditLog(), dialgate.WithDecisionIDs(panicOnceIDs()), dialgate.WithPolicyVersion("test"))
		if err != nil {
			t.Fatal(err)
		}
		be.Gate = g
	})
	ctx := ctxT(t)
	st, err := e.gate.CheckStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct{ id, to string }{{"boom", "+8613900139050"}, {"ok", "+8613900139051"}} {
		if err := st.Send(&pb.CheckStreamRequest{RequestId: r.id, Dial: okDial(r.to)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.CloseSend(); err != nil {
		t.Fatal(err)
	}
	got := map[string]*pb.CheckStreamResponse{}
	for {
		r, err := st.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("stream ended with %v after %d responses", err, len(got))
		}
		got[r.GetRequestId()] = r
	}
	if se := got["boom"].GetError(); se == nil || codes.Code(se.GetCode()) != codes.Internal || got["boom"].GetDecision() != nil {
		t.Errorf("the request whose worker panicked: want an Internal error, got %v", got["boom"])
	}
	if !got["ok"].GetDecision().GetAllowed() {
		t.Errorf("the other request: want allowed, got %v", got["ok"])
	}
	if r, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: okDial("+8613900139052")}); err != nil || !r.GetDecision().GetAllowed() {
		t.Fatalf("server after the panic: %v %v", r, err)
	}
}
