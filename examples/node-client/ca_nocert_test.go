package nodeclient_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNodeClientCAWithoutCertificate: a --tls-ca file that holds no
// certificate — empty, a key, the token file, a PEM certificate cut short —
// was taken, and the client connected and failed its handshake ("unable to
// verify the first certificate", UNAVAILABLE), as if the sidecar were down:
// the operator looked for a network problem. It is refused before
// connecting, naming --tls-ca and saying the file holds no certificate: do
// not dial.
func TestNodeClientCAWithoutCertificate(t *testing.T) {
	node := nodeAndModules(t)
	dir := t.TempDir()
	l, conns := countingListener(t, "127.0.0.1:0")
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	key := write("client.key", "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n")
	cut := write("cut.pem", "-----BEGIN CERTIFICATE-----\nMIIBhTCCASugAwIBAgIQIRi6zePL6mKjOipn+dNuaTAKBggqhkjOPQQDAjASMRAw\n")
	damaged := write("damaged.pem", "-----BEGIN CERTIFICATE-----\nMIIBhTCCASugAwIBAgIQIRi6zePL6mKjOipn+dNuaTAKBggqhkjOPQQDAjASMRAw\n-----END CERTIFICATE-----\n")
	for _, c := range []struct{ name, file, want string }{
		{"empty file", write("empty.pem", ""), "holds no certificate"},
		{"white space", write("blank.pem", "\n  \n"), "holds no certificate"},
		{"a key", key, "holds no certificate"},
		{"text", write("token.txt", "not a certificate\n"), "holds no certificate"},
		{"certificate cut short", cut, "holds no certificate"},
		{"damaged certificate", damaged, "certificate 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.CommandContext(ctxT(t), node, "client.js", "--addr", l.Addr().String(), "--tls-ca", c.file, "--to", "+8613900139001", "--lead", "crm-1")
			cmd.Env = nodeEnv()
			out, err := cmd.CombinedOutput()
			want := "DO NOT DIAL: --tls-ca: " + c.file + ": "
			if err == nil || !strings.Contains(string(out), want) || !strings.Contains(string(out), c.want) {
				t.Errorf("exit ok=%v output %q; want a failure and %q … %q", err == nil, out, want, c.want)
			}
		})
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("the client connected %d times with a --tls-ca that holds no certificate; want none", n)
	}
}
