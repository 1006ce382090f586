package sidecar

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServingLogMetrics: the "sidecar: serving" line says where metrics are
// served, and "off" when they are not (it said "<nil>").
func TestServingLogMetrics(t *testing.T) {
	for _, c := range []struct {
		metrics string
		want    func(string) bool
	}{
		{"off", func(s string) bool { return s == "off" }},
		{"127.0.0.1:0", func(s string) bool {
			_, err := net.ResolveTCPAddr("tcp", s)
			return err == nil && strings.HasPrefix(s, "127.0.0.1:")
		}},
	} {
		g, err := dialgate.New([]dialgate.Checker{newFakeDNC()}, dialgate.WithoutAuditLog(), dialgate.WithPolicyVersion("test"))
		if err != nil {
			t.Fatal(err)
		}
		var logs syncBuffer
		log := slog.New(slog.NewJSONHandler(&logs, nil))
		srv, err := NewServer(Config{Listen: "127.0.0.1:0", MetricsListen: c.metrics}, &Backend{Gate: g}, log)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := srv.Run(ctx, func(_, _ net.Addr) { cancel() }); err != nil {
			t.Fatalf("metrics %s: Run: %v", c.metrics, err)
		}
		cancel()
		var got *string
		for _, line := range strings.Split(logs.String(), "\n") {
			var rec struct {
				Msg     string  `json:"msg"`
				Metrics *string `json:"metrics"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "sidecar: serving" {
				got = rec.Metrics
			}
		}
		if got == nil || !c.want(*got) {
			t.Errorf("metrics_listen %s: the serving line's metrics is wrong or missing\n%s", c.metrics, logs.String())
		}
	}
}
