package sidecar

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// watchReload calls reload(false) every interval and reload(true) on
// SIGHUP, until ctx ends or stop is called. `dialgate serve` reloads with it
// the registry snapshot files, the tokens file and the TLS files.
func watchReload(ctx context.Context, reload func(force bool) error, interval time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				_ = reload(false) // refusals are logged
			case <-hup:
				_ = reload(true)
			}
		}
	}()
	return func() {
		signal.Stop(hup)
		cancel()
		<-done
	}
}
