package audittest

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/sidecar"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
)

// Server is the dialgate gRPC sidecar serving a Gate over an in-memory
// connection (bufconn), for testing a dialer's client code against the real
// wire behaviour — allow and deny as OK responses, InvalidArgument naming the
// field, ResourceExhausted for oversized messages — without a network.
//
// AdminService methods answer Unimplemented: the Server has only the Gate.
// Its clients are safe for concurrent use.
type Server struct {
	// Conn is a client connection to the server.
	Conn *grpc.ClientConn
	// Gate and Admin are clients over Conn.
	Gate  pb.GateServiceClient
	Admin pb.AdminServiceClient // its methods answer Unimplemented
}

// NewServer starts the sidecar over gate on an in-memory listener and returns
// clients connected to it. The server, with the sidecar's default limits and
// no tokens, stops when the test ends.
func NewServer(tb testing.TB, gate *dialgate.Gate) *Server {
	tb.Helper()
	srv, err := sidecar.NewServer(sidecar.Config{MetricsListen: "off"}, &sidecar.Backend{Gate: gate}, nil)
	if err != nil {
		tb.Fatalf("audittest.NewServer: %v", err)
	}
	lis := bufconn.Listen(1 << 20)
	go srv.Serve(lis)
	conn, err := grpc.NewClient("passthrough:///audittest",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		tb.Fatalf("audittest.NewServer: %v", err)
	}
	tb.Cleanup(func() {
		conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return &Server{Conn: conn, Gate: pb.NewGateServiceClient(conn), Admin: pb.NewAdminServiceClient(conn)}
}
