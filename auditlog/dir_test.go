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

// TestReopenSyncsDir: Open of an existing log fsyncs its directory before
// appending to the last file. A start that created that file and died (or
// whose fsync of the directory failed) before the directory was synced left
// a file whose entry no later fsync of the file makes durable: the records
// acknowledged into it after the restart could vanish with it.
func TestReopenSyncsDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "audit")
	opts := testOptions(newTestKeys(t, "dir-test"))
	l := openTest(t, dir, opts)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	var synced []string
	old := syncDir
	syncDir = func(d string) error { synced = append(synced, filepath.Clean(d)); return old(d) }
	t.Cleanup(func() { syncDir = old })
	l = openTest(t, dir, opts)
	if !slices.Contains(synced, dir) {
		t.Errorf("Open of an existing log did not fsync %s before appending to its last file (synced: %q)", dir, synced)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}
