package sidecar

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/dialgate/dialgate"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// cancelAfterLog is an AuditLog that durably records each decision, then
// lets the client's cancellation arrive (cancel) before the handler answers.
type cancelAfterLog struct {
	cancel context.CancelFunc

	mu        sync.Mutex
	decisions []dialgate.Decision
	outcomes  []dialgate.Outcome
}

func (l *cancelAfterLog) RecordDecision(_ context.Context, d dialgate.Decision) error {
	l.mu.Lock()
	l.decisions = append(l.decisions, d)
	l.mu.Unlock()
	l.cancel()
	return nil
}

func (l *cancelAfterLog) RecordOutcome(ctx context.Context, o dialgate.Outcome) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	l.outcomes = append(l.outcomes, o)
	l.mu.Unlock()
	return nil
}

// TestCheckCancelledAfterDecisionReleases: a client that gives up on Check
// after the server decided (its deadline passed during the audit sync, or it
// cancelled) never gets the allow and does not dial. The reservation must be
// given back and the audit log must say the dial was not placed, or the log
// counts a call that never happened and the callee's next legitimate dials
// are capped for the whole window.
func TestCheckCancelledAfterDecisionReleases(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	spy := &decidedSpy{}
	log := &cancelAfterLog{cancel: cancel}
	g, err := dialgate.New([]dialgate.Checker{spy}, dialgate.WithAuditLog(log), dialgate.WithPolicyVersion("test"))
	if err != nil {
		t.Fatal(err)
	}
	s := &gateServer{gate: g, m: newMetrics(nil, nil, nil, nil, nil), workers: 2, owners: newDecisionOwners()}
	resp, err := s.Check(ctx, &pb.CheckRequest{Dial: okDial("+8613900139021")})
	if status.Code(err) != codes.Canceled || resp != nil {
		t.Errorf("Check on a cancelled call = %v, %v; want Canceled (the client is gone)", resp, err)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.decisions) != 1 || !log.decisions[0].Allowed {
		t.Fatalf("recorded %+v: the test proves nothing", log.decisions)
	}
	id := log.decisions[0].ID
	spy.releaseSpy.mu.Lock()
	released := slices.Clone(spy.released)
	spy.releaseSpy.mu.Unlock()
	if !slices.Contains(released, id) {
		t.Errorf("decision %s was never delivered and still holds its capacity (released: %v)", id, released)
	}
	if len(log.outcomes) != 1 || !log.outcomes[0].Released || log.outcomes[0].DecisionID != id {
		t.Errorf("audit outcomes %+v; want the release of %s", log.outcomes, id)
	}
}
