// Package exampletest starts the sidecar the client examples' tests dial:
// no checks (every dial allowed), a gate-scope bearer token, served on a
// loopback TCP port and on a Unix socket, in plaintext or over TLS.
package exampletest

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/sidecar"
	"github.com/dialgate/dialgate/internal/testpki"
)

// Token is the synthetic bearer token of the gate scope the sidecar
// accepts.
const Token = "example-gate-token-0123456789"

// Sidecar is a running sidecar for an example to dial.
type Sidecar struct {
	// TCP is the loopback host:port it serves on.
	TCP string
	// Socket is the path of the Unix socket it serves on.
	Socket string
	// TokenFile is a file holding Token (mode 0600).
	TokenFile string
	// CA is the PEM file of the CA its certificate chains to (for
	// localhost and 127.0.0.1); empty in plaintext.
	CA string
}

// Start starts a sidecar, over TLS when tls is true, stopped when the test
// ends.
func Start(t *testing.T, tls bool) Sidecar {
	t.Helper()
	dir := t.TempDir()
	s := Sidecar{TokenFile: filepath.Join(dir, "gate.token"), Socket: filepath.Join(dir, "s.sock")}
	tokens := filepath.Join(dir, "tokens.yaml")
	if err := os.WriteFile(tokens, []byte("tokens:\n  - name: dialer\n    token: "+Token+"\n    scopes: [gate]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.TokenFile, []byte(Token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := sidecar.Config{MetricsListen: "off", TokensFile: tokens}
	if tls {
		pki := testpki.WriteFiles(t, dir, false, "localhost", "127.0.0.1")
		s.CA, cfg.TLS = pki.CA, sidecar.TLSConfig{CertFile: pki.ServerCert, KeyFile: pki.ServerKey}
	}
	g, err := dialgate.New(nil, dialgate.WithoutAuditLog())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sidecar.NewServer(cfg, &sidecar.Backend{Gate: g}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	unix, err := net.Listen("unix", s.Socket)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(tcp)
	go srv.Serve(unix)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	s.TCP = tcp.Addr().String()
	return s
}

// ServeGate runs the real sidecar server on loopback over g, in plaintext
// and without tokens, stopped when the test ends, and returns its address.
func ServeGate(t *testing.T, g *dialgate.Gate) string {
	t.Helper()
	srv, err := sidecar.NewServer(sidecar.Config{MetricsListen: "off"}, &sidecar.Backend{Gate: g}, nil)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return lis.Addr().String()
}
