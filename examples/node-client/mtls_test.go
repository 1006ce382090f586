package nodeclient_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/exampletest"
	"github.com/dialgate/dialgate/internal/sidecar"
	"github.com/dialgate/dialgate/internal/testpki"
)

// serveSidecar runs the real sidecar server (every dial allowed, the gate
// token exampletest.Token from a tokens file, the TLS of tlsCfg) on each
// listener in lis, stopped when the test ends. It returns a file holding
// the token.
func serveSidecar(t *testing.T, tlsCfg sidecar.TLSConfig, lis ...net.Listener) (tokenFile string) {
	t.Helper()
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens.yaml")
	if err := os.WriteFile(tokens, []byte("tokens:\n  - name: dialer\n    token: "+exampletest.Token+"\n    scopes: [gate]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tokenFile = filepath.Join(dir, "gate.token")
	if err := os.WriteFile(tokenFile, []byte(exampletest.Token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	g, err := dialgate.New(nil, dialgate.WithoutAuditLog())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sidecar.NewServer(sidecar.Config{MetricsListen: "off", TokensFile: tokens, TLS: tlsCfg}, &sidecar.Backend{Gate: g}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lis {
		go srv.Serve(l)
	}
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return tokenFile
}

// TestNodeClientMTLS: a sidecar that requires client certificates
// (tls.client_ca_file, docs/deploy.md) could not be reached by the Node
// example at all — it had no flag for a client certificate (docs/deploy.md
// told its users to leave mTLS off). --tls-cert and --tls-key present one,
// as the Go example's -tls-cert and -tls-key do; without one the handshake
// fails and the client says do not dial. One flag without the other, or
// either without --tls-ca, given empty, or naming a file it cannot read or
// use, is refused before connecting, naming the flag.
func TestNodeClientMTLS(t *testing.T) {
	node := nodeAndModules(t)
	dir := t.TempDir()
	pki := testpki.WriteFiles(t, dir, true, "localhost", "127.0.0.1")
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "s.sock")
	unix, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	tokenFile := serveSidecar(t, sidecar.TLSConfig{CertFile: pki.ServerCert, KeyFile: pki.ServerKey, ClientCAFile: pki.CA}, tcp, unix)
	missing := filepath.Join(dir, "none.pem")
	dial := []string{"--to", "+8613900139001", "--lead", "crm-1", "--token-file", tokenFile}
	over := func(addr ...string) []string { return append(slices.Clone(addr), dial...) }
	viaTCP := over("--addr", tcp.Addr().String())
	for _, c := range []struct {
		name string
		args []string
		want string
		ok   bool
	}{
		{"client certificate", []string{"--tls-ca", pki.CA, "--tls-cert", pki.ClientCert, "--tls-key", pki.ClientKey}, "DIAL dg-", true},
		{"client certificate over the Unix socket", append(over("--unix", sock), "--tls-ca", pki.CA, "--tls-cert", pki.ClientCert, "--tls-key", pki.ClientKey), "DIAL dg-", true},
		{"no client certificate", []string{"--tls-ca", pki.CA}, "DO NOT DIAL: sidecar error (fail closed)", false},
		{"certificate without key", []string{"--tls-ca", pki.CA, "--tls-cert", pki.ClientCert}, "DO NOT DIAL: --tls-cert: give --tls-cert and --tls-key together", false},
		{"key without certificate", []string{"--tls-ca", pki.CA, "--tls-key", pki.ClientKey}, "DO NOT DIAL: --tls-cert: give --tls-cert and --tls-key together", false},
		{"client certificate without --tls-ca", []string{"--tls-cert", pki.ClientCert, "--tls-key", pki.ClientKey}, "DO NOT DIAL: --tls-cert: only with --tls-ca", false},
		{"key that is not the certificate's", []string{"--tls-ca", pki.CA, "--tls-cert", pki.ClientCert, "--tls-key", pki.ServerKey}, "DO NOT DIAL: --tls-key: ", false},
		{"certificate that is not PEM", []string{"--tls-ca", pki.CA, "--tls-cert", tokenFile, "--tls-key", pki.ClientKey}, "DO NOT DIAL: --tls-cert: ", false},
		{"key that is not PEM", []string{"--tls-ca", pki.CA, "--tls-cert", pki.ClientCert, "--tls-key", tokenFile}, "DO NOT DIAL: --tls-key: ", false},
		{"certificate file missing", []string{"--tls-ca", pki.CA, "--tls-cert", missing, "--tls-key", pki.ClientKey}, "DO NOT DIAL: --tls-cert: ENOENT", false},
		{"key file missing", []string{"--tls-ca", pki.CA, "--tls-cert", pki.ClientCert, "--tls-key", missing}, "DO NOT DIAL: --tls-key: ENOENT", false},
		{"empty --tls-cert", []string{"--tls-ca", pki.CA, "--tls-cert", "", "--tls-key", pki.ClientKey}, "DO NOT DIAL: --tls-cert: given without a value", false},
		{"empty --tls-key", []string{"--tls-ca", pki.CA, "--tls-cert", pki.ClientCert, "--tls-key", ""}, "DO NOT DIAL: --tls-key: given without a value", false},
		{"--tls-key last without a value", []string{"--tls-ca", pki.CA, "--tls-cert", pki.ClientCert, "--tls-key"}, "DO NOT DIAL: --tls-key: given without a value", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := c.args
			if !slices.Contains(args, "--unix") {
				args = append(slices.Clone(viaTCP), args...)
			}
			cmd := exec.CommandContext(ctxT(t), node, append([]string{"client.js"}, args...)...)
			cmd.Env = nodeEnv()
			out, err := cmd.CombinedOutput()
			if (err == nil) != c.ok || !strings.Contains(string(out), c.want) {
				t.Fatalf("exit ok=%v output %q; want ok=%v and %q", err == nil, out, c.ok, c.want)
			}
		})
	}
}
