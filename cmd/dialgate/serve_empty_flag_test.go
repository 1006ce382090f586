package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An empty value of a serve flag that names a file or the profile — an
// unset shell variable, `--tokens "$TOKENS"` — replaced the config file's
// setting with nothing: --config "" served without the config (no tokens,
// no TLS, the embedded store instead of the fleet's), --tokens "" without
// the config's tokens file (every local client may call AdminService),
// --tls-client-ca "" without mTLS (any client is admitted, even on a
// non-loopback address), --profile "" under cn. Each is refused (exit 2,
// naming the flag) before anything starts, as --data "" is. (--profile
// nope makes the run stop at its profile without the fix, not serve.)
func TestServeEmptyFlagRefused(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sidecar.yaml")
	if err := os.WriteFile(cfg, []byte("listen: 127.0.0.1:0\nmetrics_listen: \"off\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	for _, flag := range []string{"--config", "--tokens", "--tls-cert", "--tls-key", "--tls-client-ca", "--blackouts", "--unix", "--profile", "--registry"} {
		args := []string{"--data", data, "serve", "--config", cfg, "--metrics-listen", "off"}
		if flag != "--profile" {
			args = append(args, "--profile", "nope")
		}
		if flag == "--config" {
			args = []string{"--data", data, "serve", "--listen", "127.0.0.1:0", "--metrics-listen", "off", "--profile", "nope"}
		}
		args = append(args, flag, "")
		if flag == "--profile" {
			// Without the fix: cn, and the server would run; a
			// missing tokens file stops it first.
			args = append(args, "--tokens", filepath.Join(dir, "missing-tokens.yaml"))
		}
		code, _, errs := runCLI(t, "", args...)
		want := "dialgate: " + flag + ": empty"
		if code != 2 || !strings.Contains(errs, want) {
			t.Errorf("serve %s \"\": exit %d, stderr %q; want exit 2 and %q", flag, code, errs, want)
		}
	}
	if _, err := os.Stat(data); err == nil {
		t.Errorf("serve with an empty flag made its data directory %s", data)
	}
}
