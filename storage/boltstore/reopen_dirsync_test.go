package boltstore

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestOpenSyncsJournalDir: Open fsyncs the directory of the journal before
// the writer appends to its last segment. A process that died after renaming
// a new segment into place and before fsyncing the directory (rotate) leaves
// a segment whose entry may not be on disk; the next Open appends to it and
// acknowledges reservations fdatasynced into it, which a power loss would
// then take away with the entry (caps granted again).
func TestOpenSyncsJournalDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dialgate.db")
	s := mustOpen(t, path, Options{})
	mustReserve(t, s, "r1", time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC), lim1("k"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var synced []string
	old := syncDir
	syncDir = func(p string) error { synced = append(synced, filepath.Dir(p)); return old(p) }
	t.Cleanup(func() { syncDir = old })
	s = mustOpen(t, path, Options{})
	defer s.Close()
	if !slices.Contains(synced, filepath.Dir(path)) {
		t.Fatalf("Open did not fsync %s before appending to its last segment (synced %q)", filepath.Dir(path), synced)
	}
	if ok, _, err := s.Reserve(context.Background(), "r2", time.Date(2026, 12, 5, 9, 1, 0, 0, time.UTC), lim1("k")); err != nil || !ok {
		t.Fatalf("Reserve after reopen = %v, %v", ok, err)
	}
}
