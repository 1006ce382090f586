package auditlog

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
)

// TestOpenNewDirIsDurable: Open creates the log directory (and any missing
// parent) and fsyncs the parent of each directory it creates. Without that
// the directory entry is not durable: a power loss could remove the whole
// new log, records fsynced and acknowledged included.
func TestOpenNewDirIsDurable(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "data", "audit")
	var synced []string
	old := syncDir
	syncDir = func(d string) error { synced = append(synced, filepath.Clean(d)); return old(d) }
	t.Cleanup(func() { syncDir = old })

	l, err := Open(context.Background(), dir, testOptions(newTestKeys(t, "dir-test")))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{root, filepath.Join(root, "data"), dir} {
		if !slices.Contains(synced, want) {
			t.Errorf("directory %s was not fsynced after Open created an entry in it (synced: %q)", want, synced)
		}
	}
}
