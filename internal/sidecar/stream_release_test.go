package sidecar

import (
	"context"
	"io"
	"slices"
	"sync"
	"testing"

	"github.com/dialgate/dialgate"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// brokenStream is a CheckStream whose client is gone: it delivers its
// requests, then EOF, and every Send fails (the transport is closed).
type brokenStream struct {
	grpc.ServerStream
	ctx  context.Context
	mu   sync.Mutex
	reqs []*pb.CheckStreamRequest
}

func (s *brokenStream) Context() context.Context { return s.ctx }

func (s *brokenStream) Recv() (*pb.CheckStreamRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reqs) == 0 {
		return nil, io.EOF
	}
	r := s.reqs[0]
	s.reqs = s.reqs[1:]
	return r, nil
}

func (s *brokenStream) Send(*pb.CheckStreamResponse) error {
	return status.Error(codes.Unavailable, "transport is closing")
}

// decidedSpy is a Committer that remembers the decisions it reserved for and
// those released.
type decidedSpy struct {
	releaseSpy
	mu        sync.Mutex
	committed []string
}

func (r *decidedSpy) Commit(_ context.Context, _ dialgate.Dial, id string) ([]dialgate.Reason, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.committed = append(r.committed, id)
	return nil, nil
}

// TestCheckStreamReleasesUndeliveredAllows: an allowed decision the stream
// could not deliver (the client went away, or was too slow and got cut) was
// never seen by the dialer, so the call is not placed; the capacity it
// reserved (frequency caps, segment rate) must be given back, or the callee's
// next legitimate dials are denied for the cap's whole window.
func TestCheckStreamReleasesUndeliveredAllows(t *testing.T) {
	spy := &decidedSpy{}
	g, err := dialgate.New([]dialgate.Checker{spy}, dialgate.WithoutAuditLog(), dialgate.WithPolicyVersion("test"))
	if err != nil {
		t.Fatal(err)
	}
	s := &gateServer{gate: g, m: newMetrics(nil, nil, nil, nil, nil), workers: 2, owners: newDecisionOwners()}
	st := &brokenStream{ctx: context.Background()}
	for _, id := range []string{"a", "b", "c"} {
		st.reqs = append(st.reqs, &pb.CheckStreamRequest{RequestId: id, Dial: okDial("+8613900139020")})
	}
	if err := s.CheckStream(st); err == nil {
		t.Error("CheckStream returned nil although no response could be sent")
	}
	spy.mu.Lock()
	committed := slices.Clone(spy.committed)
	spy.mu.Unlock()
	spy.releaseSpy.mu.Lock()
	released := slices.Clone(spy.released)
	spy.releaseSpy.mu.Unlock()
	if len(committed) == 0 {
		t.Fatal("no decision reserved capacity: the test proves nothing")
	}
	for _, id := range committed {
		if !slices.Contains(released, id) {
			t.Errorf("decision %s reserved capacity, was never delivered, and was not released (released: %v)", id, released)
		}
	}
}
