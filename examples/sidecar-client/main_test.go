package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/internal/exampletest"

	"github.com/dialgate/dialgate"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// startSidecar runs the real sidecar server on loopback over a gate that
// denies one synthetic number, and returns its address.
func startSidecar(t *testing.T) string {
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
	return exampletest.ServeGate(t, g)
}

func TestRun(t *testing.T) {
	addr := startSidecar(t)
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := dead.Addr().String()
	dead.Close()
	cases := []struct {
		name string
		args []string
		want string // substring of the output or error
		dial bool
	}{
		{"allowed", []string{"-addr", addr, "-to", "+8613900139001", "-lead", "crm-1"}, "DIAL dg-", true},
		{"denied", []string{"-addr", addr, "-to", "+8613900139099", "-lead", "crm-1"}, "denied: dnc.listed", false},
		{"bad input", []string{"-addr", addr, "-to", "12ab"}, "InvalidArgument", false},
		{"sidecar down", []string{"-addr", deadAddr, "-to", "+8613900139001"}, "fail closed", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), c.args, &out)
			got := out.String()
			if err != nil {
				got += err.Error()
			}
			if (err == nil) != c.dial || !strings.Contains(got, c.want) {
				t.Fatalf("dial=%v, output %q; want dial=%v and %q", err == nil, got, c.dial, c.want)
			}
		})
	}
}

// TestRunCampaign: the quarterly report counts abandoned calls and short
// rings per campaign, but the example sent no campaign, so an auditor
// placing decisions with it saw none of them in a campaign. -campaign sends
// one.
func TestRunCampaign(t *testing.T) {
	got := make(chan string, 1)
	g, err := dialgate.New([]dialgate.Checker{dialgate.CheckerFunc("seen", func(_ context.Context, d dialgate.Dial) ([]dialgate.Reason, error) {
		got <- d.Campaign
		return nil, nil
	})}, dialgate.WithoutAuditLog())
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-addr", exampletest.ServeGate(t, g), "-to", "+8613900139001", "-lead", "crm-1", "-campaign", "winter"}, &out); err != nil {
		t.Fatalf("run: %v (%s)", err, out.String())
	}
	if c := <-got; c != "winter" {
		t.Errorf("the sidecar saw campaign %q, want winter", c)
	}
}

// TestRunRefusesExpiredAllow: an allow is good only before its valid_until.
// A decision whose valid_until has passed by the time the client reads it
// (here: the sidecar's clock two minutes behind, as a dialer that held the
// decision too long sees it), and an allow without valid_until (a sidecar
// older than the field), print DO NOT DIAL.
func TestRunRefusesExpiredAllow(t *testing.T) {
	behind := dialgate.ClockFunc(func() time.Time { return time.Now().Add(-2 * time.Minute) })
	g, err := dialgate.New(nil, dialgate.WithoutAuditLog(), dialgate.WithClock(behind))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = run(context.Background(), []string{"-addr", exampletest.ServeGate(t, g), "-to", "+8613900139001", "-lead", "crm-1"}, &out)
	if err == nil || !strings.Contains(err.Error(), "expired") || strings.Contains(out.String(), "DIAL") {
		t.Fatalf("expired allow: err %v, output %q; want an error saying it expired and no DIAL", err, out.String())
	}

	old := grpc.NewServer()
	pb.RegisterGateServiceServer(old, oldServer{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go old.Serve(lis)
	t.Cleanup(old.Stop)
	out.Reset()
	err = run(context.Background(), []string{"-addr", lis.Addr().String(), "-to", "+8613900139001", "-lead", "crm-1"}, &out)
	if err == nil || !strings.Contains(err.Error(), "valid_until") || strings.Contains(out.String(), "DIAL") {
		t.Fatalf("allow without valid_until: err %v, output %q; want an error naming valid_until and no DIAL", err, out.String())
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

// TestDialableRefusesClockBefore2000: a dialer whose clock was reset (1970,
// a zero time) reads every valid_until as in the future, so an allow it
// queued stayed dialable for ever. As dialgate.Decision.DialableAt since
// session 21, a now before 2000 is not a clock reading: not dialable.
func TestDialableRefusesClockBefore2000(t *testing.T) {
	dec := &pb.Decision{Allowed: true, ValidUntil: timestamppb.New(time.Date(2026, 12, 6, 12, 0, 30, 0, time.UTC))}
	if err := dialable(dec, time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)); err != nil {
		t.Fatalf("an allow before its valid_until: %v", err)
	}
	for _, now := range []time.Time{{}, time.Unix(0, 0), time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC)} {
		if err := dialable(dec, now); err == nil || !strings.Contains(err.Error(), "clock") {
			t.Errorf("dialable at %v: %v; want an error naming the clock", now, err)
		}
	}
}
