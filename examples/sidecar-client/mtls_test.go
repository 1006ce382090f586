package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/exampletest"
	"github.com/dialgate/dialgate/internal/sidecar"
	"github.com/dialgate/dialgate/internal/testpki"
)

// TestRunMTLS: a sidecar that requires client certificates
// (tls.client_ca_file, docs/deploy.md) could not be reached by the
// example at all — it had no flag for a client certificate, and every
// dial failed "certificate required". -tls-cert and -tls-key present one;
// one without the other, or without -tls-ca, is refused before connecting.
func TestRunMTLS(t *testing.T) {
	dir := t.TempDir()
	pki := testpki.WriteFiles(t, dir, true, "localhost", "127.0.0.1")
	tokens := filepath.Join(dir, "tokens.yaml")
	if err := os.WriteFile(tokens, []byte("tokens:\n  - name: dialer\n    token: "+exampletest.Token+"\n    scopes: [gate]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(dir, "gate.token")
	if err := os.WriteFile(tokenFile, []byte(exampletest.Token), 0o600); err != nil {
		t.Fatal(err)
	}
	g, err := dialgate.New(nil, dialgate.WithoutAuditLog())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sidecar.NewServer(sidecar.Config{MetricsListen: "off", TokensFile: tokens,
		TLS: sidecar.TLSConfig{CertFile: pki.ServerCert, KeyFile: pki.ServerKey, ClientCAFile: pki.CA}}, &sidecar.Backend{Gate: g}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	dial := []string{"-addr", ln.Addr().String(), "-to", "+8613900139001", "-lead", "crm-1", "-token-file", tokenFile}
	for _, c := range []struct {
		name string
		args []string
		want string
		ok   bool
	}{
		{"client certificate", []string{"-tls-ca", pki.CA, "-tls-cert", pki.ClientCert, "-tls-key", pki.ClientKey}, "DIAL dg-", true},
		{"no client certificate", []string{"-tls-ca", pki.CA}, "fail closed", false},
		{"certificate without key", []string{"-tls-ca", pki.CA, "-tls-cert", pki.ClientCert}, "-tls-cert: give -tls-cert and -tls-key together", false},
		{"key without certificate", []string{"-tls-ca", pki.CA, "-tls-key", pki.ClientKey}, "-tls-cert: give -tls-cert and -tls-key together", false},
		{"client certificate without -tls-ca", []string{"-tls-cert", pki.ClientCert, "-tls-key", pki.ClientKey}, "-tls-cert: only with -tls-ca", false},
		{"key that is not the certificate's", []string{"-tls-ca", pki.CA, "-tls-cert", pki.ClientCert, "-tls-key", pki.ServerKey}, "-tls-cert:", false},
		{"empty -tls-cert", []string{"-tls-ca", pki.CA, "-tls-cert", "", "-tls-key", pki.ClientKey}, "-tls-cert: given without a value", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("DIALGATE_TOKEN", "")
			var out bytes.Buffer
			err := run(context.Background(), append(append([]string{}, dial...), c.args...), &out)
			got := out.String()
			if err != nil {
				got += err.Error()
			}
			if (err == nil) != c.ok || !strings.Contains(got, c.want) {
				t.Fatalf("dial=%v, output %q; want dial=%v and %q", err == nil, got, c.ok, c.want)
			}
		})
	}
}
