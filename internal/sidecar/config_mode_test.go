package sidecar

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The config file names every file the server takes its access control
// from — the tokens file, the TLS files, the client CA bundle — and says
// whether a non-loopback listener needs them (insecure). A user who may
// write it could drop tokens_file, point tls.client_ca_file at a CA of
// their own, or set insecure: true, in force at the next start; the tokens
// file and the client CA bundle are refused for less. A config file other
// users may write is refused (naming the file, its mode and the fix);
// one they may read is not (it may hold no secret).
func TestConfigFileWritableByOthersRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	dir := t.TempDir()
	for _, m := range []struct {
		mode os.FileMode
		bad  bool
	}{{0o600, false}, {0o644, false}, {0o664, false}, {0o666, true}, {0o602, true}} {
		p := filepath.Join(dir, "sidecar.yaml")
		writeMode(t, p, "listen: 127.0.0.1:7443\n", m.mode)
		_, err := LoadConfig(p)
		if !m.bad {
			if err != nil {
				t.Fatalf("mode %04o: %v", m.mode, err)
			}
			continue
		}
		if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "writable by other users") {
			t.Fatalf("mode %04o: %v, want an ErrConfig naming %s and \"writable by other users\"", m.mode, err, p)
		}
	}
}
