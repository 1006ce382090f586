package main

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// displayControls are the raw characters a hostile or broken sidecar could
// put in its answers: ESC [ 2K (erase the line), a C1 CSI, a right-to-left
// override and a line separator.
var displayControls = []string{"\x1b", "\u009b", "\u202e", "\u2028"}

// erroringHealth answers every Check with err.
type erroringHealth struct {
	healthpb.UnimplementedHealthServer
	err error
}

func (h erroringHealth) Check(context.Context, *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	return nil, h.err
}

// serveHealth serves hs on a loopback port and returns its address.
func serveHealth(t *testing.T, hs healthpb.HealthServer) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer()
	healthpb.RegisterHealthServer(g, hs)
	go g.Serve(lis)
	t.Cleanup(g.Stop)
	return lis.Addr().String()
}

// TestHealthEscapesSidecarText: the text dialgate health prints that the
// sidecar supplies — the names of failing components, the message of an
// error — is shown with its display controls escaped (textsafe.Escape),
// never sent raw to the terminal, where ESC [ 2K would erase the line and
// U+202E reorder it. (It was printed as received.)
func TestHealthEscapesSidecarText(t *testing.T) {
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	hs.SetServingStatus("component/ok", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus("component/evil\x1b[2K\u009b2J\u202e\u2028x", healthpb.HealthCheckResponse_NOT_SERVING)
	notServing := serveHealth(t, hs)
	for _, c := range []struct {
		name, addr, want string
	}{
		{"failing component", notServing, `component/evil\x1b[2K\u009b2J\u202e\u2028x`},
		{"error message", serveHealth(t, erroringHealth{err: status.Error(codes.Internal, "boom\x1b[2K\u009b2J\u202e\u2028x")}), `boom\x1b[2K\u009b2J\u202e\u2028x`},
		{"unavailable message", serveHealth(t, erroringHealth{err: status.Error(codes.Unavailable, "gone\x1b[2K\u202e")}), `gone\x1b[2K\u202e`},
		{"unimplemented message", serveHealth(t, erroringHealth{err: status.Error(codes.Unimplemented, "nope\x1b[2K\u202e")}), `nope\x1b[2K\u202e`},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := runCLI(t, "", "health", "--addr", c.addr, "--timeout", "5s")
			if code != exitFailed {
				t.Fatalf("exit %d, want %d\nstdout %q\nstderr %q", code, exitFailed, out, errs)
			}
			for _, ctl := range displayControls {
				if strings.Contains(out+errs, ctl) {
					t.Errorf("output holds a raw %U:\nstdout %q\nstderr %q", []rune(ctl)[0], out, errs)
				}
			}
			if !strings.Contains(errs, c.want) {
				t.Errorf("stderr %q does not show %q", errs, c.want)
			}
		})
	}
}

// TestHealthJSONEscapesSidecarText: with --json the failing components are
// given exactly (a program compares them) and yet no display control
// reaches the terminal raw: encoding/json leaves DEL, C1 controls and
// bidirectional formatting characters as they are, so they are written as
// JSON \u escapes.
func TestHealthJSONEscapesSidecarText(t *testing.T) {
	name := "component/evil\x1b[2K\u009b2J\u202e\u2028\x7fx"
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	hs.SetServingStatus(name, healthpb.HealthCheckResponse_NOT_SERVING)
	code, out, errs := runCLI(t, "", "health", "--addr", serveHealth(t, hs), "--json")
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\nstdout %q\nstderr %q", code, exitFailed, out, errs)
	}
	for _, ctl := range append(displayControls, "\x7f") {
		if strings.Contains(out+errs, ctl) {
			t.Errorf("output holds a raw %U:\nstdout %q\nstderr %q", []rune(ctl)[0], out, errs)
		}
	}
	var got healthResult
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got.Failing) != 1 || got.Failing[0] != name {
		t.Errorf("stdout %q (%v): want failing [%q] exactly", out, err, name)
	}
}
