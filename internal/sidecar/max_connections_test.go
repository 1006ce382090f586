package sidecar

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Health needs no token, and max_streams bounds the calls of one
// connection only: without a bound on connections, a client could open any
// number of them (each with max_streams headers-only calls, or none). With
// max_connections open, a new connection waits until one closes; the
// server keeps serving those it holds.
func TestMaxConnectionsBoundsConnections(t *testing.T) {
	g, err := dialgate.New(nil, dialgate.WithoutAuditLog())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(Config{MaxConnections: 3, MetricsListen: "off"}, &Backend{Gate: g}, nil)
	if err != nil {
		t.Fatal(err)
	}
	lis := serveOnLoopback(t, srv)
	addr := lis.Addr().String()

	check := func(timeout time.Duration) error {
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		_, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.WaitForReady(true))
		return err
	}
	if err := check(5 * time.Second); err != nil {
		t.Fatalf("health with no other connection: %v", err)
	}
	// Many raw connections that never speak: the limit holds them.
	var raw []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		raw = append(raw, c)
	}
	t.Cleanup(func() {
		for _, c := range raw {
			c.Close()
		}
	})
	time.Sleep(100 * time.Millisecond) // let the server accept them
	if err := check(300 * time.Millisecond); err == nil {
		t.Fatal("a fourth connection was served with max_connections 3")
	}
	raw[0].Close()
	if err := check(5 * time.Second); err != nil {
		t.Fatalf("after a connection closed: %v", err)
	}
}
