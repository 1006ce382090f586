package sidecar

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
)

// TestLoadKeysDurable: the keys generated on first use are made durable with
// their directory entries — the keys directory (and a new data directory) in
// its parent, the key files in the keys directory. A key file fsynced but
// whose entry is not could vanish in a power loss; the next start would then
// generate a new HMAC key silently, and every cap counter, pause and
// recording keyed by the old callee hash would stop matching (caps reset:
// dials allowed that were capped).
func TestLoadKeysDurable(t *testing.T) {
	root := t.TempDir()
	data := filepath.Join(root, "data")
	var synced []string
	old := syncDir
	syncDir = func(d string) error { synced = append(synced, filepath.Clean(d)); return old(d) }
	t.Cleanup(func() { syncDir = old })

	if _, err := LoadKeys(data); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{root, data, filepath.Join(data, KeysDir)} {
		if !slices.Contains(synced, want) {
			t.Errorf("directory %s was not fsynced after an entry was created in it (synced: %q)", want, synced)
		}
	}
}

// TestOpenNewDataDirDurable: Open creates a missing data directory durably
// (fsynced in its parent): the store's and the audit log's files are
// fsynced inside it, which does not keep the directory itself.
func TestOpenNewDataDirDurable(t *testing.T) {
	root := t.TempDir()
	data := filepath.Join(root, "new", "data")
	var synced []string
	old := syncDir
	syncDir = func(d string) error { synced = append(synced, filepath.Clean(d)); return old(d) }
	t.Cleanup(func() { syncDir = old })

	be, err := Open(context.Background(), Config{Data: data, Profile: "cn"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close(context.Background())
	for _, want := range []string{root, filepath.Join(root, "new")} {
		if !slices.Contains(synced, want) {
			t.Errorf("directory %s was not fsynced after Open created a directory in it (synced: %q)", want, synced)
		}
	}
}

// TestLoadKeysRetryAfterFailedDirSync: a start whose fsync of the keys
// directory failed (after the key files were written) fails; the next start
// finds the key files and must still fsync the directory holding their
// entries — not take files whose entries may never have reached the disk
// for durable. Lost in a power loss, the HMAC key would be generated anew or
// refuse every start.
func TestLoadKeysRetryAfterFailedDirSync(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	kdir := filepath.Join(data, KeysDir)
	var synced []string
	old := syncDir
	eio := errors.New("input/output error")
	failed := false
	syncDir = func(d string) error {
		if filepath.Clean(d) == kdir && !failed {
			failed = true
			return eio
		}
		synced = append(synced, filepath.Clean(d))
		return old(d)
	}
	t.Cleanup(func() { syncDir = old })
	if _, err := LoadKeys(data); !errors.Is(err, eio) {
		t.Fatalf("LoadKeys with a failing fsync of %s = %v, want %v", kdir, err, eio)
	}
	synced = nil
	if _, err := LoadKeys(data); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(synced, kdir) {
		t.Fatalf("the next LoadKeys did not fsync %s (synced: %q)", kdir, synced)
	}
}
