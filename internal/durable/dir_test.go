package durable

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestMkdirAllSyncsEveryNewParent(t *testing.T) {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "a"), 0o700); err != nil {
		t.Fatal(err)
	}
	var synced []string
	rec := func(dir string) error { synced = append(synced, dir); return SyncDir(dir) }
	target := filepath.Join(root, "a", "b", "c")
	if err := MkdirAll(target, 0o700, rec); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(target); err != nil || !fi.IsDir() {
		t.Fatalf("%s not created: %v", target, err)
	}
	want := []string{filepath.Join(root, "a"), filepath.Join(root, "a", "b")}
	if !slices.Equal(synced, want) {
		t.Fatalf("synced %q, want the parents of the new directories %q", synced, want)
	}
	synced = nil
	if err := MkdirAll(target, 0o700, rec); err != nil {
		t.Fatal(err)
	}
	if len(synced) != 0 {
		t.Fatalf("an existing directory: synced %q, want nothing", synced)
	}
}
