package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/internal/sidecar"
	"github.com/dialgate/dialgate/storage/boltstore"
)

// heldDataDir returns a sidecar's data directory (its keys beside its
// store) whose store another handle holds open until the test ends, as a
// running dialgate serve does.
func heldDataDir(t *testing.T) string {
	t.Helper()
	data := t.TempDir()
	if _, err := sidecar.LoadKeys(data); err != nil {
		t.Fatal(err)
	}
	held, err := boltstore.Open(filepath.Join(data, boltstore.DefaultFileName), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { held.Close() })
	return data
}

// A store that cannot be opened (here: held by another process, as when
// dialgate serve runs on the same --data) is a failure, not bad input:
// check exits 1 like any other "no decision possible" (DESIGN §5, check --help).
func TestCheckStoreFailureExits1(t *testing.T) {
	data := heldDataDir(t)
	code, out, errs := runCLI(t, "", "--data", data, "check", "--to", "+8613800138000", "--from", "+861058001234",
		"--purpose", "service", "--lead-id", "x", "--at", "2026-12-05T10:00:00+08:00")
	if code != 1 || !strings.Contains(errs, "locked") {
		t.Fatalf("check on a locked store: exit %d, stdout %q, stderr %q; want exit 1 and the lock named", code, out, errs)
	}
}
