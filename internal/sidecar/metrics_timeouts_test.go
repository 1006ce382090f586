package sidecar

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// The metrics endpoint is served over plain HTTP: without timeouts a
// client that sends its request slowly, reads the answer slowly or keeps
// an idle connection holds a goroutine and a descriptor for ever. Every
// timeout of its http.Server is set.
func TestMetricsServerTimeouts(t *testing.T) {
	g, err := dialgate.New(nil, dialgate.WithoutAuditLog())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(Config{Listen: "127.0.0.1:0", MetricsListen: "127.0.0.1:0"}, &Backend{Gate: g}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ms *http.Server
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Run(ctx, func(_, _ net.Addr) {
		srv.mu.Lock()
		ms = srv.metricsSrv
		srv.mu.Unlock()
		cancel()
	}); err != nil {
		t.Fatal(err)
	}
	if ms == nil {
		t.Fatal("no metrics server")
	}
	for name, d := range map[string]time.Duration{"ReadHeaderTimeout": ms.ReadHeaderTimeout, "ReadTimeout": ms.ReadTimeout,
		"WriteTimeout": ms.WriteTimeout, "IdleTimeout": ms.IdleTimeout} {
		if d <= 0 || d > 2*time.Minute {
			t.Errorf("%s = %v, want a bound (0 < d ≤ 2m)", name, d)
		}
	}
}
