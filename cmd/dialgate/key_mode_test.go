package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/internal/sidecar"
)

// The CLI takes the HMAC key as dialgate serve does: a hmac_key_file that
// --config names, or a key of the data directory, that other users can
// read (they could reverse the callee hashes of the audit log) or write is
// refused as bad input (exit 2), naming the file, its mode and chmod 600;
// one only its owner and group can read is used.
func TestCLIKeyFileModeRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	for _, c := range []struct {
		mode os.FileMode
		code int
	}{{0o644, 2}, {0o604, 2}, {0o602, 2}, {0o600, 0}, {0o640, 0}} {
		dir := t.TempDir()
		key := filepath.Join(dir, "fleet-hmac.key")
		if err := os.WriteFile(key, []byte("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(key, c.mode); err != nil {
			t.Fatal(err)
		}
		cfg := filepath.Join(dir, "sidecar.yaml")
		if err := os.WriteFile(cfg, []byte("hmac_key_file: "+key+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, errs := runCLI(t, "", "--data", filepath.Join(dir, "data"), "check", "--config", cfg,
			"--to", "+8613800138000", "--from", "+861058001234", "--purpose", "service", "--lead-id", "crm-1", "--at", "2026-03-02T10:00:00+08:00")
		if c.code == 2 && (code != 2 || !strings.Contains(errs, key) || !strings.Contains(errs, "chmod 600")) || c.code == 0 && code == 2 {
			t.Errorf("hmac_key_file mode %04o: exit %d, stdout %q, stderr %q; want exit %d", c.mode, code, out, errs, c.code)
		}

		// The data directory's own key, chmod'ed after it was made.
		data := filepath.Join(dir, "own")
		if _, err := sidecar.LoadKeys(data); err != nil {
			t.Fatal(err)
		}
		own := filepath.Join(data, sidecar.KeysDir, sidecar.HMACKeyFile)
		if err := os.Chmod(own, c.mode); err != nil {
			t.Fatal(err)
		}
		code, out, errs = runCLI(t, "", "--data", data, "ledger", "add", "--tenant", "acme", "--number", "+861058001234",
			"--holder", "Acme Ltd", "--purposes", "service", "--valid-until", "2027-12-31T00:00:00+08:00")
		if c.code == 2 && (code != 2 || !strings.Contains(errs, own) || !strings.Contains(errs, "chmod 600")) || c.code == 0 && code != 0 {
			t.Errorf("data key mode %04o: exit %d, stdout %q, stderr %q; want exit %d", c.mode, code, out, errs, c.code)
		}
	}
}
