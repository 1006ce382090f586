package sidecar

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// blockingCheck is a checker that waits for release before it answers.
type blockingCheck struct {
	entered chan struct{}
	release chan struct{}
	running atomic.Bool
}

func (b *blockingCheck) Name() string { return "blocking" }

func (b *blockingCheck) Check(context.Context, dialgate.Dial) ([]dialgate.Reason, error) {
	b.running.Store(true)
	defer b.running.Store(false)
	close(b.entered)
	<-b.release
	return nil, nil
}

// TestShutdownTwiceWaitsForTheFirst: a second Shutdown while the first is
// still waiting for calls in flight waits for it, instead of closing the
// back end (audit log, stores) under a handler still using it.
func TestShutdownTwiceWaitsForTheFirst(t *testing.T) {
	bc := &blockingCheck{entered: make(chan struct{}), release: make(chan struct{})}
	closedUnderCall := atomic.Bool{}
	e := startTest(t, Config{ShutdownGrace: Duration(10 * time.Second)}, func(be *Backend) {
		g, err := dialgate.New([]dialgate.Checker{bc}, dialgate.WithoutAuditLog(), dialgate.WithPolicyVersion("test"))
		if err != nil {
			t.Fatal(err)
		}
		be.Gate = g
		be.Close = func(context.Context) error {
			closedUnderCall.Store(bc.running.Load())
			return nil
		}
	})
	callDone := make(chan error, 1)
	go func() {
		_, err := e.gate.Check(ctxT(t), &pb.CheckRequest{Dial: okDial("+8613900139071")})
		callDone <- err
	}()
	<-bc.entered
	first := make(chan struct{})
	go func() { e.srv.Shutdown(context.Background()); close(first) }()
	for {
		r, _ := e.srv.health.Check(context.Background(), &healthpb.HealthCheckRequest{})
		if r.GetStatus() == healthpb.HealthCheckResponse_NOT_SERVING {
			break
		}
		time.Sleep(time.Millisecond)
	}
	second := make(chan struct{})
	go func() { e.srv.Shutdown(context.Background()); close(second) }()
	select {
	case <-second:
		t.Error("the second Shutdown returned while the first still waits for a call in flight")
	case <-time.After(200 * time.Millisecond):
	}
	close(bc.release)
	if err := <-callDone; err != nil {
		t.Errorf("the call in flight: %v", err)
	}
	<-first
	<-second
	if closedUnderCall.Load() {
		t.Error("the back end was closed while a call was still running")
	}
}
