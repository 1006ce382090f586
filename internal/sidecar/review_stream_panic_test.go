package sidecar

import (
	"context"
	"io"
	"testing"

	"github.com/dialgate/dialgate"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc/codes"
)

// panickyAudit is an audit log that panics recording a decision of one callee.
type panickyAudit struct{ callee dialgate.Number }

func (a panickyAudit) RecordDecision(_ context.Context, d dialgate.Decision) error {
	if d.Dial.To == a.callee {
		panic("audit log bug")
	}
	return nil
}

func (panickyAudit) RecordOutcome(context.Context, dialgate.Outcome) error { return nil }

// TestCheckStreamWorkerPanic: a panic while a CheckStream worker decides a
// dial answers that request with an Internal error (do not dial) and the
// stream, and the server, go on. The worker runs in its own goroutine, out
// of reach of the server's recover interceptor: unrecovered, the panic ended
// the process, and with it every dialer's calls in flight.
func TestCheckStreamWorkerPanic(t *testing.T) {
	boom := "+8613900139050"
	e := startTest(t, Config{StreamWorkers: 2}, func(be *Backend) {
		g, err := dialgate.New([]dialgate.Checker{newFakeDNC()}, dialgate.WithAuditLog(panickyAudit{callee: mustNum(boom)}), dialgate.WithPolicyVersion("test"))
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
	for id, to := range map[string]string{"boom": boom, "ok": "+8613900139051"} {
		if err := st.Send(&pb.CheckStreamRequest{RequestId: id, Dial: okDial(to)}); err != nil {
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
