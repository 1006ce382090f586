package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/internal/sidecar"
)

// A --token-file other users can read gives them the admin token: it is
// refused before anything is sent (exit 2, naming --token-file, without
// printing the token), as ssh refuses such a key; a file only its owner
// (and group) can read is used.
func TestAdminTokenFileReadableByOthers(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	s := startAdminSidecar(t, sidecar.Config{})
	dncAdd := []string{"dnc", "add", "--number", "+8613900139076", "--scope", "global"}
	for _, c := range []struct {
		mode os.FileMode
		code int
	}{{0o644, 2}, {0o604, 2}, {0o602, 2}, {0o600, 0}, {0o640, 0}} {
		path := filepath.Join(t.TempDir(), "admin.token")
		if err := os.WriteFile(path, []byte(testAdminToken+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, c.mode); err != nil {
			t.Fatal(err)
		}
		code, out, errs := runCLI(t, "", append([]string{"admin", "--addr", s.addr, "--token-file", path}, dncAdd...)...)
		if code != c.code || c.code == 2 && (!strings.Contains(errs, "--token-file: ") || !strings.Contains(errs, "by other users")) {
			t.Errorf("mode %04o: exit %d, stdout %q, stderr %q; want exit %d", c.mode, code, out, errs, c.code)
		}
		if strings.Contains(out+errs, testAdminToken) {
			t.Errorf("mode %04o: the token was printed", c.mode)
		}
	}
}
