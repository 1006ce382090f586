package sidecar

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// TestShutdownEndsHealthWatches: a client watching health (grpc-go's
// client-side health checking does) sees NOT_SERVING, and its Watch stream
// ends at shutdown (Unavailable) instead of holding the graceful stop for
// the whole shutdown_grace, which delayed the audit log's flush past the
// time an orchestrator waits before SIGKILL.
func TestShutdownEndsHealthWatches(t *testing.T) {
	const grace = 4 * time.Second
	closed := make(chan struct{})
	e := startTest(t, Config{ShutdownGrace: Duration(grace)}, func(be *Backend) {
		be.Close = func(context.Context) error { close(closed); return nil }
	})
	hc := healthpb.NewHealthClient(e.conn)
	ctx := ctxT(t)
	w, err := hc.Watch(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := w.Recv(); err != nil || m.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("first status: %v %v", m, err)
	}
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- e.srv.Shutdown(context.Background()) }()
	sawNotServing := false
	for {
		m, err := w.Recv()
		if err != nil {
			if status.Code(err) != codes.Unavailable {
				t.Errorf("the Watch ended with %v, want Unavailable", err)
			}
			break
		}
		if m.GetStatus() == healthpb.HealthCheckResponse_NOT_SERVING {
			sawNotServing = true
		}
	}
	if !sawNotServing {
		t.Error("the watcher did not see NOT_SERVING before its stream ended")
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	<-closed
	if took := time.Since(start); took > grace/2 {
		t.Errorf("Shutdown took %v with a health Watch open (shutdown_grace %v): the Watch held the graceful stop", took, grace)
	}
}
