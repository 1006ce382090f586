package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestNewDataDirDurable: a write command that creates --data makes the new
// directory durable in its parent (fsynced), for dnc import and for the
// commands that open the store through openWriteStore (consent, ledger).
// The store fsyncs its files and their entries in --data, which does not
// keep --data itself: a power loss could take away the acknowledged opt-outs
// with the directory.
func TestNewDataDirDurable(t *testing.T) {
	root := t.TempDir()
	list := filepath.Join(root, "list.txt")
	if err := os.WriteFile(list, []byte("+8613900139000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var synced []string
	old := syncDir
	syncDir = func(d string) error { synced = append(synced, filepath.Clean(d)); return old(d) }
	t.Cleanup(func() { syncDir = old })

	for _, c := range []struct {
		name string
		args []string
	}{
		{"dnc import", []string{"dnc", "import", "--scope", "global", "--list", "opt_out", list}},
		{"ledger add", []string{"ledger", "add", "--number", "+861058001234", "--holder", "Acme Ltd", "--purposes", "service"}},
	} {
		synced = nil
		parent := filepath.Join(root, c.name)
		data := filepath.Join(parent, "data")
		runCLI(t, "", append([]string{"--data", data}, c.args...)...)
		if _, err := os.Stat(filepath.Join(data, "dialgate.db")); err != nil {
			t.Fatalf("%s: no store created: %v", c.name, err)
		}
		for _, want := range []string{root, parent} {
			if !slices.Contains(synced, want) {
				t.Errorf("%s: directory %s was not fsynced after --data was created in it (synced: %q)", c.name, want, synced)
			}
		}
	}
}
