package sidecar

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"
)

// Serve is `dialgate serve`: it validates cfg, logs as JSON to logw, opens the
// Backend (Open), and runs the Server until ctx is cancelled (the command
// cancels it on SIGTERM or SIGINT), then shuts down gracefully: NOT_SERVING,
// drain, GracefulStop, audit log flushed, store closed. ready, if not nil, is
// called once the gRPC and metrics listeners are open. While it runs, registry
// snapshot files replaced on disk are loaded again (Config.RegistryReload;
// SIGHUP reloads them all at once).
func Serve(ctx context.Context, cfg Config, logw io.Writer, ready func(grpcAddr, metricsAddr net.Addr)) error {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := NewLogger(cfg, logw)
	be, err := Open(ctx, cfg, log)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	srv, err := NewServer(cfg, be, log)
	if err != nil {
		_ = be.Close(context.Background())
		return fmt.Errorf("serve: %w", err)
	}
	reload := be.ReloadRegistries
	if reload == nil {
		reload = func(bool) error { return nil } // SIGHUP is still not fatal
	}
	stop := watchReload(ctx, reload, time.Duration(cfg.RegistryReload))
	defer stop()
	return srv.Run(ctx, ready)
}
