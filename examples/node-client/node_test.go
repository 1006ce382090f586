// Package nodeclient_test runs the Node.js example client against the real
// sidecar server. It needs `node` on PATH and the example's node_modules
// (`npm ci` in examples/node-client); without them it skips.
package nodeclient_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/internal/exampletest"

	"github.com/dialgate/dialgate"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestNodeClient(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	if _, err := os.Stat("node_modules/@grpc/grpc-js"); err != nil {
		t.Skip("node_modules missing: run `npm ci` in examples/node-client")
	}
	listed := dialgate.MustParseNumber("+8613900139099")
	g, err := dialgate.New([]dialgate.Checker{dialgate.CheckerFunc("dnc", func(_ context.Context, d dialgate.Dial) ([]dialgate.Reason, error) {
		if d.To == listed {
			return []dialgate.Reason{{Code: dialgate.CodeDNCListed}}, nil
		}
		return nil, nil
	})}, dialgate.WithoutAuditLog())
	if err != nil {
		t.Fatal(err)
	}
	addr := exampletest.ServeGate(t, g)
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := dead.Addr().String()
	dead.Close()

	cases := []struct {
		name string
		args []string
		want string
		ok   bool
	}{
		{"allowed", []string{"--addr", addr, "--to", "+8613900139001", "--lead", "crm-1"}, "DIAL dg-", true},
		{"denied", []string{"--addr", addr, "--to", "+8613900139099", "--lead", "crm-1"}, "DO NOT DIAL: denied: dnc.listed", false},
		{"bad input", []string{"--addr", addr, "--to", "12ab"}, "DO NOT DIAL: sidecar error (fail closed): INVALID_ARGUMENT: dial.to", false},
		{"unknown enum", []string{"--addr", addr, "--to", "+8613900139001", "--purpose", "PURPOSE_UNSPECIFIED"}, "INVALID_ARGUMENT: dial.purpose: missing", false},
		// The Go client's and the CLI's spelling is taken too; a misspelt
		// purpose was sent as no purpose at all and refused by the sidecar
		// as "dial.purpose: missing", naming neither the flag nor the value.
		{"purpose as the Go client spells it", []string{"--addr", addr, "--to", "+8613900139001", "--lead", "crm-1", "--purpose", "marketing"}, "DIAL dg-", true},
		{"misspelt purpose", []string{"--addr", addr, "--to", "+8613900139001", "--lead", "crm-1", "--purpose", "servce"}, "DO NOT DIAL: --purpose: unknown \"servce\"", false},
		{"sidecar down", []string{"--addr", deadAddr, "--to", "+8613900139001"}, "DO NOT DIAL: sidecar error (fail closed)", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := exec.Command(node, append([]string{"client.js"}, c.args...)...).CombinedOutput()
			if (err == nil) != c.ok || !strings.Contains(string(out), c.want) {
				t.Fatalf("exit ok=%v output %q; want ok=%v and %q", err == nil, out, c.ok, c.want)
			}
		})
	}
}

// TestNodeClientRefusesExpiredAllow: the client dials only before the
// decision's valid_until. A decision whose valid_until has passed when the
// client reads it (the sidecar's clock two minutes behind, as a dialer that
// held the decision too long sees it), and an allow without valid_until (a
// sidecar older than the field), print DO NOT DIAL.
func TestNodeClientRefusesExpiredAllow(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	if _, err := os.Stat("node_modules/@grpc/grpc-js"); err != nil {
		t.Skip("node_modules missing: run `npm ci` in examples/node-client")
	}
	behind := dialgate.ClockFunc(func() time.Time { return time.Now().Add(-2 * time.Minute) })
	g, err := dialgate.New(nil, dialgate.WithoutAuditLog(), dialgate.WithClock(behind))
	if err != nil {
		t.Fatal(err)
	}
	addr := exampletest.ServeGate(t, g)

	old := grpc.NewServer()
	pb.RegisterGateServiceServer(old, oldServer{})
	oldLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go old.Serve(oldLis)
	t.Cleanup(old.Stop)

	for _, c := range []struct{ name, addr, want string }{
		{"expired", addr, "DO NOT DIAL: the allow expired at"},
		{"no valid_until", oldLis.Addr().String(), "DO NOT DIAL: allowed without valid_until"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := exec.Command(node, "client.js", "--addr", c.addr, "--to", "+8613900139001", "--lead", "crm-1").CombinedOutput()
			if err == nil || !strings.Contains(string(out), c.want) {
				t.Fatalf("exit ok=%v output %q; want a failure and %q", err == nil, out, c.want)
			}
		})
	}
}

// oldServer answers like a sidecar from before valid_until: an allow
// without it.
type oldServer struct {
	pb.UnimplementedGateServiceServer
}

func (oldServer) Check(context.Context, *pb.CheckRequest) (*pb.CheckResponse, error) {
	return &pb.CheckResponse{Decision: &pb.Decision{Id: "dg-old", At: timestamppb.Now(), Allowed: true}}, nil
}

// TestNodeClientRefusesClockBefore2000: a dialer host whose clock was reset
// (1970) reads every valid_until as in the future, so the client printed
// DIAL for an allow it should have taken as of no known time. As
// dialgate.Decision.DialableAt, a clock before 2000 is not dialable. The
// clock is set back for the dialability check alone (a preload replacing
// Date.now there), so that the connection's deadlines still hold.
func TestNodeClientRefusesClockBefore2000(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	if _, err := os.Stat("node_modules/@grpc/grpc-js"); err != nil {
		t.Skip("node_modules missing: run `npm ci` in examples/node-client")
	}
	g, err := dialgate.New(nil, dialgate.WithoutAuditLog())
	if err != nil {
		t.Fatal(err)
	}
	addr := exampletest.ServeGate(t, g)
	pre := filepath.Join(t.TempDir(), "clock1970.js")
	if err := os.WriteFile(pre, []byte("const now = Date.now;\nDate.now = function () { return new Error().stack.includes('notDialable') ? 86400000 : now.call(Date); };\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, "-r", pre, "client.js", "--addr", addr, "--to", "+8613900139001", "--lead", "crm-1").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "DO NOT DIAL") || !strings.Contains(string(out), "clock") {
		t.Fatalf("exit ok=%v output %q; want DO NOT DIAL naming the clock", err == nil, out)
	}
}
