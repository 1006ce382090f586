package sidecar

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
)

// fakeDNC is a tiny do-not-call check and DNCAdmin for the server tests: a
// set of global entries.
type fakeDNC struct {
	mu     sync.Mutex
	listed map[dialgate.Number]bool
}

func newFakeDNC() *fakeDNC { return &fakeDNC{listed: map[dialgate.Number]bool{}} }

func (f *fakeDNC) Name() string { return "dnc" }

func (f *fakeDNC) Check(_ context.Context, d dialgate.Dial) ([]dialgate.Reason, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.listed[d.To] {
		return []dialgate.Reason{{Code: dialgate.CodeDNCListed, Message: "on the global list"}}, nil
	}
	return nil, nil
}

func (f *fakeDNC) AddDNC(_ context.Context, e DNCEntry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.listed[e.Number] = true
	return nil
}

func (f *fakeDNC) RemoveDNC(_ context.Context, n dialgate.Number, _ string, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.listed, n)
	return nil
}

type testEnv struct {
	srv   *Server
	conn  *grpc.ClientConn
	gate  pb.GateServiceClient
	admin pb.AdminServiceClient
	dnc   *fakeDNC
}

// startTest starts a Server over a gate with the fake DNC check on bufconn.
func startTest(t testing.TB, cfg Config, mutate func(*Backend)) *testEnv {
	t.Helper()
	return startTestLog(t, cfg, mutate, nil)
}

// startTestLog is startTest with the server logging to log.
func startTestLog(t testing.TB, cfg Config, mutate func(*Backend), log *slog.Logger) *testEnv {
	t.Helper()
	dnc := newFakeDNC()
	g, err := dialgate.New([]dialgate.Checker{dnc}, dialgate.WithoutAuditLog(), dialgate.WithPolicyVersion("test"))
	if err != nil {
		t.Fatal(err)
	}
	be := &Backend{Gate: g, DNC: dnc}
	if mutate != nil {
		mutate(be)
	}
	cfg.MetricsListen = "off"
	srv, err := NewServer(cfg, be, log)
	if err != nil {
		t.Fatal(err)
	}
	fastSettle(srv)
	lis := bufconn.Listen(1 << 20)
	go srv.Serve(lis)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return &testEnv{srv: srv, conn: conn, gate: pb.NewGateServiceClient(conn), admin: pb.NewAdminServiceClient(conn), dnc: dnc}
}

func okDial(to string) *pb.Dial {
	return &pb.Dial{To: to, From: "+861058001234", Purpose: pb.Purpose_PURPOSE_SERVICE, LeadId: "crm-1", Tenant: "acme"}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// fastSettle shortens how long srv's reloads wait for a changed file to
// settle (reloadSettle), for tests that rewrite files at once.
func fastSettle(srv *Server) {
	if srv.tokens != nil {
		srv.tokens.settle = 5 * time.Millisecond
	}
	if srv.tls != nil {
		srv.tls.settle = 5 * time.Millisecond
	}
}

// serveOnLoopback serves srv on a free loopback TCP port until the test ends
// and returns its listener.
func serveOnLoopback(t testing.TB, srv *Server) net.Listener {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return lis
}
