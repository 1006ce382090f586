package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/storage/boltstore"
)

// A store in --data that exists but cannot be opened (here: held by another
// process, as when dialgate serve runs on the same --data) is a failure, not
// bad input: every command that reads or writes it exits 1 (DESIGN §5), as
// check does (TestCheckStoreFailureExits1). A missing store for a command
// that only reads is still bad input: --data names the wrong directory.
func TestStoreOpenFailureExits1(t *testing.T) {
	data := heldDataDir(t)
	for _, args := range [][]string{
		// openReadStore
		{"consent", "show", "+8613900139000"},
		{"consent", "show", "--json", "+8613900139000"},
		{"consent", "export", "+8613900139000"},
		{"ledger", "show", "--tenant", "acme"},
		{"ledger", "show", "--tenant", "acme", "--json"},
		// openWriteStore
		{"consent", "revoke", "c-1"},
		{"ledger", "add", "--tenant", "acme", "--number", "+861058001234", "--holder", "Acme Ltd", "--purposes", "service"},
		{"recordings", "hold", "r-1", "--hold", "h"},
		{"complaint", "forward", "cp-1"},
	} {
		code, out, errs := runCLI(t, "", append([]string{"--data", data}, args...)...)
		if code != 1 || !strings.Contains(errs, "--data") || !strings.Contains(errs, "locked") {
			t.Errorf("dialgate %s on a locked store: exit %d, stdout %q, stderr %q; want exit 1 and the lock named",
				strings.Join(args, " "), code, out, errs)
		}
	}
}

// A damaged store file is a failure too, not bad input.
func TestStoreDamagedExits1(t *testing.T) {
	data := t.TempDir()
	if err := os.WriteFile(filepath.Join(data, boltstore.DefaultFileName), []byte("not a store\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"consent", "show", "+8613900139000"},
		{"consent", "export", "+8613900139000"},
		{"ledger", "show", "--tenant", "acme"},
	} {
		code, out, errs := runCLI(t, "", append([]string{"--data", data}, args...)...)
		if code != 1 || !strings.Contains(errs, "--data") {
			t.Errorf("dialgate %s on a damaged store: exit %d, stdout %q, stderr %q; want exit 1", strings.Join(args, " "), code, out, errs)
		}
	}
}

func TestReadStoreMissingExits2(t *testing.T) {
	for _, args := range [][]string{
		{"consent", "show", "+8613900139000"},
		{"consent", "export", "+8613900139000"},
		{"ledger", "show", "--tenant", "acme", "--json"},
	} {
		code, out, errs := runCLI(t, "", args...)
		if code != 2 || !strings.Contains(errs, "--data: no store at") {
			t.Errorf("dialgate %s without a store: exit %d, stdout %q, stderr %q; want exit 2", strings.Join(args, " "), code, out, errs)
		}
	}
}
