package nodeclient_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/internal/exampletest"
)

// testToken is a synthetic bearer token of the gate scope.
const testToken = exampletest.Token

// TestNodeClientTLSUnixTokenFile: the sidecar docs/deploy.md sets up serves
// TLS with a tokens file, or a Unix socket; the example reached neither
// (plaintext TCP only) and took its token as --token on the command line,
// which the docs forbid. --tls-ca, --unix and --token-file reach both;
// --unix with --addr is refused, as the Go example refuses -unix with -addr.
func TestNodeClientTLSUnixTokenFile(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	if _, err := os.Stat("node_modules/@grpc/grpc-js"); err != nil {
		t.Skip("node_modules missing: run `npm ci` in examples/node-client")
	}
	s := exampletest.Start(t, true)
	ca, tokenFile, sock := s.CA, s.TokenFile, s.Socket
	dial := []string{"--to", "+8613900139001", "--lead", "crm-1", "--token-file", tokenFile, "--tls-ca", ca}
	for _, c := range []struct {
		name string
		args []string
		want string
		ok   bool
	}{
		{"TLS over TCP", append([]string{"--addr", s.TCP}, dial...), "DIAL dg-", true},
		{"TLS over the Unix socket", append([]string{"--unix", sock}, dial...), "DIAL dg-", true},
		{"plaintext to a TLS sidecar", []string{"--addr", s.TCP, "--to", "+8613900139001", "--token-file", tokenFile}, "DO NOT DIAL", false},
		{"no token", []string{"--addr", s.TCP, "--to", "+8613900139001", "--tls-ca", ca}, "UNAUTHENTICATED", false},
		{"missing token file", []string{"--addr", s.TCP, "--to", "+8613900139001", "--tls-ca", ca, "--token-file", filepath.Join(t.TempDir(), "none")}, "--token-file", false},
		// Both dialled the socket and ignored --addr without a word: which
		// sidecar decides must not be a guess.
		{"--unix and --addr", append([]string{"--unix", sock, "--addr", s.TCP}, dial...), "DO NOT DIAL: --unix: give --unix or --addr, not both", false},
		{"--addr and --unix", append([]string{"--addr", s.TCP, "--unix", sock}, dial...), "DO NOT DIAL: --unix: give --unix or --addr, not both", false},
		// --addr without its value (an empty shell variable, unquoted)
		// dialled the default 127.0.0.1:7443: another sidecar than the one
		// meant could decide.
		{"--addr without a value", append(slices.Clone(dial), "--addr"), "DO NOT DIAL: --addr: missing", false},
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

// TestNodeClientPlaintextToken: the example sent its bearer token in
// plaintext to any --addr, where anyone on the path could read it and use
// it, and ignored --server-name without --tls-ca. It refuses a token in
// plaintext to an address that is not loopback (use --tls-ca), and
// --server-name without --tls-ca, before connecting; plaintext with a
// token to loopback or the Unix socket (the sidecar's default) still dials.
func TestNodeClientPlaintextToken(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	if _, err := os.Stat("node_modules/@grpc/grpc-js"); err != nil {
		t.Skip("node_modules missing: run `npm ci` in examples/node-client")
	}
	s := exampletest.Start(t, false)
	tokenFile, sock := s.TokenFile, s.Socket
	_, port, _ := net.SplitHostPort(s.TCP)
	dial := []string{"--to", "+8613900139001", "--lead", "crm-1"}
	for _, c := range []struct {
		name, env string
		args      []string
		want      []string
		ok        bool
	}{
		{"loopback", "", append([]string{"--addr", s.TCP, "--token-file", tokenFile}, dial...), []string{"DIAL dg-"}, true},
		{"localhost", "", append([]string{"--addr", "localhost:" + port, "--token-file", tokenFile}, dial...), []string{"DIAL dg-"}, true},
		{"Unix socket", "", append([]string{"--unix", sock, "--token-file", tokenFile}, dial...), []string{"DIAL dg-"}, true},
		{"token file off loopback", "", append([]string{"--addr", "192.0.2.10:7443", "--token-file", tokenFile}, dial...), []string{"plaintext", "--tls-ca"}, false},
		{"$DIALGATE_TOKEN off loopback", testToken, append([]string{"--addr", "sidecar.example:7443"}, dial...), []string{"plaintext", "--tls-ca"}, false},
		{"--server-name without --tls-ca", "", append([]string{"--addr", s.TCP, "--server-name", "localhost"}, dial...), []string{"--server-name", "--tls-ca"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(node, append([]string{"client.js"}, c.args...)...)
			cmd.Env = append(os.Environ(), "DIALGATE_TOKEN="+c.env)
			out, err := cmd.CombinedOutput()
			for _, w := range c.want {
				if (err == nil) != c.ok || !strings.Contains(string(out), w) {
					t.Fatalf("exit ok=%v output %q; want ok=%v and %q", err == nil, out, c.ok, w)
				}
			}
		})
	}
}
