package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeBadInput: serve's bad input exits 2 before anything starts, with
// a message naming the flag, or the config file and line, at fault. A
// config error used to name "config:3" (not the file), a bad --drain was
// reported as "--shutdown-grace/--drain", and an unknown profile exited 1
// after the data directory had been made; a missing registry snapshot,
// tokens file or TLS file exited 1 after the data directory and its keys
// had been made.
func TestServeBadInput(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sidecar.yaml")
	if err := os.WriteFile(cfg, []byte("listen: 127.0.0.1:0\nmetrics_listen: \"off\"\nlisten_addr: 127.0.0.1:1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	notSnap := filepath.Join(dir, "registry.txt")
	fleet := filepath.Join(dir, "fleet.yaml")
	if err := os.WriteFile(notSnap, []byte("+12125550100\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fleet, []byte("postgres: postgres://127.0.0.1:1/none\nhmac_key_file: "+filepath.Join(dir, "no-hmac.key")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	base := []string{"--data", data, "serve", "--listen", "127.0.0.1:0", "--metrics-listen", "off"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--config", cfg}, cfg + ":3: unknown field \"listen_addr\""},
		{[]string{"--drain", "10x"}, "dialgate: --drain: invalid duration \"10x\""},
		{[]string{"--shutdown-grace", "soon"}, "dialgate: --shutdown-grace: invalid duration \"soon\""},
		{[]string{"--profile", "nope"}, "unknown profile \"nope\""},
		// Files the operator names: missing or bad is bad input, refused
		// before the data directory and its keys are made (they exited 1,
		// after making both).
		{[]string{"--registry", filepath.Join(dir, "missing.dnc")}, "registries: registry snapshot " + filepath.Join(dir, "missing.dnc")},
		{[]string{"--registry", notSnap}, "corrupt snapshot"},
		{[]string{"--tokens", filepath.Join(dir, "missing-tokens.yaml")}, "tokens file: open " + filepath.Join(dir, "missing-tokens.yaml")},
		{[]string{"--tls-cert", filepath.Join(dir, "missing.crt"), "--tls-key", filepath.Join(dir, "missing.key")}, "tls.cert_file: open " + filepath.Join(dir, "missing.crt")},
		{[]string{"--config", fleet}, "hmac_key_file: open " + filepath.Join(dir, "no-hmac.key")},
	} {
		code, out, errs := runCLI(t, "", append(base, c.args...)...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("serve %v: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args, code, out, errs, c.want)
		}
	}
	if _, err := os.Stat(data); err == nil {
		t.Errorf("serve with bad input made its data directory %s", data)
	}
}
