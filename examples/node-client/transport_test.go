package nodeclient_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/sidecar"
)

// testToken is a synthetic bearer token of the gate scope.
const testToken = "example-gate-token-0123456789"

// writePKI writes a CA and a server certificate for localhost and 127.0.0.1
// (with its key), PEM, into dir.
func writePKI(t *testing.T, dir string) (ca, cert, key string) {
	t.Helper()
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "example ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("server.pem", "CERTIFICATE", der), write("server.key", "EC PRIVATE KEY", kb)
}

// TestNodeClientTLSUnixTokenFile: the sidecar docs/deploy.md sets up serves
// TLS with a tokens file, or a Unix socket; the example reached neither
// (plaintext TCP only) and took its token as --token on the command line,
// which the docs forbid. --tls-ca, --unix and --token-file reach both.
func TestNodeClientTLSUnixTokenFile(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	if _, err := os.Stat("node_modules/@grpc/grpc-js"); err != nil {
		t.Skip("node_modules missing: run `npm ci` in examples/node-client")
	}
	dir := t.TempDir()
	ca, cert, key := writePKI(t, dir)
	tokens := filepath.Join(dir, "tokens.yaml")
	tokenFile := filepath.Join(dir, "gate.token")
	if err := os.WriteFile(tokens, []byte("tokens:\n  - name: dialer\n    token: "+testToken+"\n    scopes: [gate]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tokenFile, []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	g, err := dialgate.New(nil, dialgate.WithoutAuditLog())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sidecar.NewServer(sidecar.Config{MetricsListen: "off", TokensFile: tokens,
		TLS: sidecar.TLSConfig{CertFile: cert, KeyFile: key}}, &sidecar.Backend{Gate: g}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "s.sock")
	unix, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(tcp)
	go srv.Serve(unix)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	dial := []string{"--to", "+8613900139001", "--lead", "crm-1", "--token-file", tokenFile, "--tls-ca", ca}
	for _, c := range []struct {
		name string
		args []string
		want string
		ok   bool
	}{
		{"TLS over TCP", append([]string{"--addr", tcp.Addr().String()}, dial...), "DIAL dg-", true},
		{"TLS over the Unix socket", append([]string{"--unix", sock}, dial...), "DIAL dg-", true},
		{"plaintext to a TLS sidecar", []string{"--addr", tcp.Addr().String(), "--to", "+8613900139001", "--token-file", tokenFile}, "DO NOT DIAL", false},
		{"no token", []string{"--addr", tcp.Addr().String(), "--to", "+8613900139001", "--tls-ca", ca}, "UNAUTHENTICATED", false},
		{"missing token file", []string{"--addr", tcp.Addr().String(), "--to", "+8613900139001", "--tls-ca", ca, "--token-file", filepath.Join(dir, "none")}, "--token-file", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(node, append([]string{"client.js"}, c.args...)...)
			cmd.Env = append(os.Environ(), "DIALGATE_TOKEN=")
			out, err := cmd.CombinedOutput()
			if (err == nil) != c.ok || !strings.Contains(string(out), c.want) {
				t.Fatalf("exit ok=%v output %q; want ok=%v and %q", err == nil, out, c.ok, c.want)
			}
		})
	}
}
