package sidecar

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// holdCheck is a check that holds every dial until release is closed,
// telling started each time a dial reaches it.
type holdCheck struct {
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func newHoldCheck() *holdCheck {
	return &holdCheck{started: make(chan struct{}, 16), release: make(chan struct{})}
}

func (h *holdCheck) Name() string { return "hold" }

func (h *holdCheck) Check(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, error) {
	h.started <- struct{}{}
	select {
	case <-h.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return nil, nil
}

// let releases every held dial (idempotent).
func (h *holdCheck) let() { h.once.Do(func() { close(h.release) }) }

// startHold starts a test server whose gate holds each dial in h.
func startHold(t *testing.T, cfg Config, h *holdCheck, closed chan struct{}) *testEnv {
	t.Helper()
	t.Cleanup(h.let)
	return startTest(t, cfg, func(be *Backend) {
		g, err := dialgate.New([]dialgate.Checker{h}, dialgate.WithoutAuditLog(), dialgate.WithPolicyVersion("test"), dialgate.WithCheckTimeout(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		be.Gate = g
		if closed != nil {
			be.Close = func(context.Context) error { close(closed); return nil }
		}
	})
}

// waitStopped waits until srv's shutdown has passed its drain (the
// CheckStreams are told to end).
func waitStopped(t *testing.T, srv *Server) {
	t.Helper()
	select {
	case <-srv.stopStreams:
	case <-time.After(5 * time.Second):
		t.Fatal("shutdown did not reach the end of its drain")
	}
}

// TestShutdownEndsIdleCheckStream: a dialer's long-lived CheckStream with
// nothing in flight held the graceful stop for the whole shutdown_grace (and
// the audit log's flush with it, past the time an orchestrator waits before
// SIGKILL). After the drain it now ends with Unavailable, telling the dialer
// to reconnect elsewhere, and Shutdown returns promptly.
func TestShutdownEndsIdleCheckStream(t *testing.T) {
	const grace = 4 * time.Second
	closed := make(chan struct{})
	e := startTest(t, Config{ShutdownGrace: Duration(grace)}, func(be *Backend) {
		be.Close = func(context.Context) error { close(closed); return nil }
	})
	st, err := e.gate.CheckStream(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	// One answered dial: the stream is open and idle on the server.
	if err := st.Send(&pb.CheckStreamRequest{RequestId: "warm", Dial: okDial("+8613900139060")}); err != nil {
		t.Fatal(err)
	}
	if r, err := st.Recv(); err != nil || !r.GetDecision().GetAllowed() {
		t.Fatalf("first dial: %v %v", r, err)
	}
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- e.srv.Shutdown(context.Background()) }()
	r, err := st.Recv()
	if err == nil {
		t.Fatalf("the idle stream got %v at shutdown, want its end", r)
	}
	if s := status.Convert(err); s.Code() != codes.Unavailable || s.Message() != streamShutdownMsg {
		t.Errorf("the stream ended with %v, want Unavailable %q", err, streamShutdownMsg)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	<-closed
	if took := time.Since(start); took > grace/2 {
		t.Errorf("Shutdown took %v with an idle CheckStream open (shutdown_grace %v): the stream held the graceful stop", took, grace)
	}
}

// TestShutdownAnswersCheckStreamInFlight: at shutdown a CheckStream first
// answers the dials it is deciding, then ends Unavailable; a dial sent after
// the drain is never allowed (it gets an error, or the stream's end).
func TestShutdownAnswersCheckStreamInFlight(t *testing.T) {
	const grace = 4 * time.Second
	h := newHoldCheck()
	closed := make(chan struct{})
	e := startHold(t, Config{ShutdownGrace: Duration(grace), StreamWorkers: 4}, h, closed)
	st, err := e.gate.CheckStream(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct{ id, to string }{{"a", "+8613900139061"}, {"b", "+8613900139062"}} {
		if err := st.Send(&pb.CheckStreamRequest{RequestId: r.id, Dial: okDial(r.to)}); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		select {
		case <-h.started:
		case <-time.After(5 * time.Second):
			t.Fatal("the dials did not reach the gate")
		}
	}
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- e.srv.Shutdown(context.Background()) }()
	waitStopped(t, e.srv)
	// Sent after the drain: must not be decided. The stream may already
	// be ending, so a failed Send is fine.
	_ = st.Send(&pb.CheckStreamRequest{RequestId: "late", Dial: okDial("+8613900139063")})
	time.Sleep(50 * time.Millisecond) // let "late" reach the server
	h.let()
	got := map[string]*pb.CheckStreamResponse{}
	var end error
	for {
		r, err := st.Recv()
		if err != nil {
			end = err
			break
		}
		got[r.GetRequestId()] = r
	}
	for _, id := range []string{"a", "b"} {
		if !got[id].GetDecision().GetAllowed() {
			t.Errorf("in-flight dial %s: want its allow before the stream ends, got %v", id, got[id])
		}
	}
	if r, ok := got["late"]; ok && r.GetDecision() != nil {
		t.Errorf("a dial sent after the drain was decided: %v", r)
	}
	if s := status.Convert(end); s.Code() != codes.Unavailable || s.Message() != streamShutdownMsg {
		t.Errorf("the stream ended with %v, want Unavailable %q", end, streamShutdownMsg)
	}
	if end == io.EOF {
		t.Error("the stream ended OK at shutdown")
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	<-closed
	if took := time.Since(start); took > grace/2 {
		t.Errorf("Shutdown took %v (shutdown_grace %v)", took, grace)
	}
}

// TestCheckStreamDuplicateOutstandingID: a second request whose request_id
// is still outstanding on the stream got a response indistinguishable from
// the first's. It is now refused alone (InvalidArgument naming request_id),
// the first is answered, the stream stays open, and the id may be used again
// once answered.
func TestCheckStreamDuplicateOutstandingID(t *testing.T) {
	h := newHoldCheck()
	e := startHold(t, Config{StreamWorkers: 4}, h, nil)
	st, err := e.gate.CheckStream(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Send(&pb.CheckStreamRequest{RequestId: "dup", Dial: okDial("+8613900139064")}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.started:
	case <-time.After(5 * time.Second):
		t.Fatal("the first dial did not reach the gate")
	}
	if err := st.Send(&pb.CheckStreamRequest{RequestId: "dup", Dial: okDial("+8613900139065")}); err != nil {
		t.Fatal(err)
	}
	r, err := st.Recv()
	if err != nil {
		t.Fatal(err)
	}
	se := r.GetError()
	if r.GetRequestId() != "dup" || se == nil || codes.Code(se.GetCode()) != codes.InvalidArgument || !strings.Contains(se.GetMessage(), "request_id") {
		t.Fatalf("the duplicate (first dial held): want an InvalidArgument error naming request_id, got %v", r)
	}
	h.let()
	if r, err := st.Recv(); err != nil || r.GetRequestId() != "dup" || !r.GetDecision().GetAllowed() {
		t.Fatalf("the first dial: want its allow, got %v %v", r, err)
	}
	// Answered: the id is free again.
	if r, err := sendRecv(st, "dup"); err != nil || !r.GetDecision().GetAllowed() {
		t.Fatalf("the id reused after its answer: want an allow, got %v %v", r, err)
	}
	if err := st.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Recv(); err != io.EOF {
		t.Fatalf("the stream ended with %v, want EOF", err)
	}
}
