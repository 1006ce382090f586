package sidecar

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// healthService is the standard health service whose Watch streams end at
// shutdown. grpc-go's health.Server sends NOT_SERVING to its watchers at
// Shutdown but keeps their streams open, and a Watch never ends by itself
// (grpc-go clients with health checking keep one per connection), so a
// graceful stop would wait for every watcher until shutdown_grace ran out —
// and the audit log would be flushed only then. Once stop is closed (after
// the drain, just before the graceful stop), each Watch sends NOT_SERVING a
// last time and ends with Unavailable, so its client looks elsewhere.
type healthService struct {
	*health.Server
	stop <-chan struct{}
}

// watchStream is a Watch stream whose context ends at shutdown.
type watchStream struct {
	healthpb.Health_WatchServer
	ctx context.Context
}

// Context returns the stream's context, cancelled at shutdown.
func (w *watchStream) Context() context.Context { return w.ctx }

// Watch is health.Server's Watch, ended at shutdown (see healthService).
func (h healthService) Watch(req *healthpb.HealthCheckRequest, ss healthpb.Health_WatchServer) error {
	ctx, cancel := context.WithCancel(ss.Context())
	defer cancel()
	go func() {
		select {
		case <-h.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	err := h.Server.Watch(req, &watchStream{Health_WatchServer: ss, ctx: ctx})
	select {
	case <-h.stop:
		// The inner Watch has returned: no other Send is under way.
		_ = ss.Send(&healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_NOT_SERVING})
		return status.Error(codes.Unavailable, "the server is shutting down")
	default:
		return err
	}
}
