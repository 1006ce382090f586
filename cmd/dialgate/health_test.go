package main

import (
	"encoding/json"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/dialgate/dialgate/internal/sidecar"
)

// TestHealthServing: dialgate health asks a running sidecar's standard
// health service, overall or for one service, with no token (the sidecar
// has a tokens file; health needs none, and a DIALGATE_TOKEN that would be
// refused as a token is not read): exit 0 and SERVING. A service the
// sidecar does not report is exit 1 naming it and the services it does.
func TestHealthServing(t *testing.T) {
	t.Setenv(tokenEnv, "not a token")
	s := startAdminSidecar(t, sidecar.Config{})
	for _, svc := range []string{"", sidecar.HealthGate, sidecar.HealthAdmin, sidecar.HealthComponentPrefix + "store", sidecar.HealthComponentPrefix + "audit"} {
		args := []string{"health", "--addr", s.addr}
		if svc != "" {
			args = append(args, "--service", svc)
		}
		code, out, errs := runCLI(t, "", args...)
		if code != 0 || !strings.Contains(out, "SERVING") || errs != "" {
			t.Errorf("health --service %q: exit %d, stdout %q, stderr %q; want 0, SERVING", svc, code, out, errs)
		}
	}
	code, out, errs := runCLI(t, "", "health", "--addr", s.addr, "--service", "component/nope")
	if code != 1 || !strings.Contains(errs, `"component/nope"`) || !strings.Contains(errs, "component/store") {
		t.Errorf("unknown service: exit %d, stdout %q, stderr %q; want 1 naming it and the services reported", code, out, errs)
	}
}

// TestHealthMTLS: against a sidecar requiring client certificates, health
// takes admin's TLS flags: exit 0 with them; without the client
// certificate, or in plaintext, exit 1 naming the flag that fixes it.
func TestHealthMTLS(t *testing.T) {
	dir := t.TempDir()
	ca, srvCert, srvKey, cliCert, cliKey := writeTestPKI(t, dir)
	s := startAdminSidecar(t, sidecar.Config{TLS: sidecar.TLSConfig{CertFile: srvCert, KeyFile: srvKey, ClientCAFile: ca}})
	for _, c := range []struct {
		name  string
		flags []string
		code  int
		want  string
	}{
		{"mTLS", []string{"--tls-ca", ca, "--tls-cert", cliCert, "--tls-key", cliKey, "--service", "component/store"}, 0, "SERVING"},
		{"mTLS by DNS name", []string{"--tls-ca", ca, "--tls-cert", cliCert, "--tls-key", cliKey, "--server-name", "sidecar.test"}, 0, "SERVING"},
		{"no client certificate", []string{"--tls-ca", ca}, 1, "--tls-cert"},
		{"plaintext", nil, 1, "--tls-ca"},
		{"cert without key", []string{"--tls-ca", ca, "--tls-cert", cliCert}, 2, "--tls-cert: give --tls-cert and --tls-key together"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"health", "--addr", s.addr, "--timeout", "5s"}, c.flags...)
			code, out, errs := runCLI(t, "", args...)
			if code != c.code || !strings.Contains(out+errs, c.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and %q", code, out, errs, c.code, c.want)
			}
		})
	}
}

// TestHealthNotServing: a sidecar draining for shutdown reports
// NOT_SERVING: exit 1, saying so on stderr.
func TestHealthNotServing(t *testing.T) {
	s := startAdminSidecar(t, sidecar.Config{Drain: sidecar.Duration(5 * time.Second)})
	if code, out, errs := runCLI(t, "", "health", "--addr", s.addr); code != 0 {
		t.Fatalf("before the shutdown: exit %d, %q %q", code, out, errs)
	}
	stopped := make(chan struct{})
	go func() { s.stop(); close(stopped) }()
	deadline := time.Now().Add(4 * time.Second)
	for {
		code, out, errs := runCLI(t, "", "health", "--addr", s.addr, "--timeout", "1s")
		if code == 1 && strings.Contains(errs, "NOT_SERVING") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("while draining: exit %d, stdout %q, stderr %q; want 1, NOT_SERVING", code, out, errs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	<-stopped
	code, _, errs := runCLI(t, "", "health", "--addr", s.addr, "--timeout", "2s")
	if code != 1 || !strings.Contains(errs, s.addr) {
		t.Errorf("stopped sidecar: exit %d, stderr %q; want 1 naming the address", code, errs)
	}
}

// TestHealthStatuses: UNKNOWN is exit 1; so is a server that never answers
// (within --timeout).
func TestHealthStatuses(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_UNKNOWN)
	g := grpc.NewServer()
	healthpb.RegisterHealthServer(g, hs)
	go g.Serve(lis)
	t.Cleanup(g.Stop)
	code, out, errs := runCLI(t, "", "health", "--addr", lis.Addr().String())
	if code != 1 || !strings.Contains(errs, "UNKNOWN") {
		t.Errorf("UNKNOWN: exit %d, stdout %q, stderr %q; want 1", code, out, errs)
	}
	// NOT_SERVING overall names the failing components.
	hs.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	hs.SetServingStatus("component/store", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus("component/redis", healthpb.HealthCheckResponse_NOT_SERVING)
	code, out, errs = runCLI(t, "", "health", "--addr", lis.Addr().String())
	if code != 1 || !strings.Contains(errs, "NOT_SERVING") || !strings.Contains(errs, "failing: component/redis;") {
		t.Errorf("NOT_SERVING: exit %d, stdout %q, stderr %q; want 1 naming component/redis alone", code, out, errs)
	}
	if code, out, errs = runCLI(t, "", "health", "--addr", lis.Addr().String(), "--service", "component/store"); code != 0 {
		t.Errorf("a serving component of a NOT_SERVING server: exit %d, %q %q; want 0", code, out, errs)
	}
	// --json: the status answered, on stdout, whatever the exit.
	for _, c := range []struct {
		service string
		code    int
		want    healthResult
	}{
		{"", 1, healthResult{Service: "", Status: "NOT_SERVING", Failing: []string{"component/redis"}}},
		{"component/store", 0, healthResult{Service: "component/store", Status: "SERVING"}},
		{"component/redis", 1, healthResult{Service: "component/redis", Status: "NOT_SERVING"}},
	} {
		code, out, errs := runCLI(t, "", "health", "--addr", lis.Addr().String(), "--service", c.service, "--json")
		var got healthResult
		if err := json.Unmarshal([]byte(out), &got); err != nil || code != c.code || !reflect.DeepEqual(got, c.want) {
			t.Errorf("--json --service %q: exit %d, stdout %q (%v), stderr %q; want %d, %+v", c.service, code, out, err, errs, c.code, c.want)
		}
	}

	// A listener that accepts and never speaks.
	mute, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	go func() {
		for {
			c, err := mute.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	start := time.Now()
	code, out, errs = runCLI(t, "", "health", "--addr", mute.Addr().String(), "--timeout", "300ms")
	if code != 1 || !strings.Contains(errs, "--timeout 300ms") || time.Since(start) > 5*time.Second {
		t.Errorf("mute server: exit %d after %v, stdout %q, stderr %q; want 1 naming --timeout", code, time.Since(start), out, errs)
	}
}

// TestHealthBadInput: usage errors are exit 2 naming the flag, before
// anything is dialled.
func TestHealthBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "--bogus"},
		{[]string{"--addr", "nohost"}, "--addr"},
		{[]string{"--addr", "127.0.0.1:70000"}, "--addr"},
		{[]string{"--timeout", "0s"}, "--timeout"},
		{[]string{"--timeout", "-1s"}, "--timeout"},
		{[]string{"--timeout", "soon"}, "--timeout"},
		{[]string{"--token-file", "x"}, "--token-file"},
		{[]string{"--unix", "/tmp/x.sock", "--addr", "127.0.0.1:7443"}, "--unix"},
		{[]string{"--data", "/tmp/d"}, "--data"},
		{[]string{"--addr", "192.0.2.1:7443"}, "--insecure"},
		{[]string{"extra"}, "extra"},
		{[]string{"--service", "component/st\xffre"}, "--service"},
		{[]string{"--service", "component/\x1b[2Jstore"}, "--service"},
	} {
		code, out, errs := runCLI(t, "", append([]string{"health"}, c.args...)...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("health %s: exit %d, stdout %q, stderr %q; want 2 naming %s", strings.Join(c.args, " "), code, out, errs, c.want)
		}
	}
	code, out, _ := runCLI(t, "", "health", "--help")
	if code != 0 || !strings.Contains(out, "--service") || !strings.Contains(out, "Exit codes") {
		t.Errorf("health --help: exit %d\n%s", code, out)
	}
}
