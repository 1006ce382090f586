package durable

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
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

// A MkdirAll whose fsync of a parent failed leaves no directory behind that
// a retry would take for durable: the retry creates the directories again
// and syncs their parents, rather than find them and sync nothing (after a
// failed fsync the kernel may have dropped the new entries, and a second
// fsync of the same directory may report success for them).
func TestMkdirAllRetryAfterFailedSync(t *testing.T) {
	root := t.TempDir()
	target := filepath.Join(root, "a", "b")
	eio := errors.New("input/output error")
	calls := 0
	failSecond := func(dir string) error {
		if calls++; calls == 2 {
			return eio
		}
		return SyncDir(dir)
	}
	if err := MkdirAll(target, 0o700, failSecond); !errors.Is(err, eio) {
		t.Fatalf("MkdirAll with a failing fsync = %v, want %v", err, eio)
	}
	var synced []string
	rec := func(dir string) error { synced = append(synced, dir); return SyncDir(dir) }
	if err := MkdirAll(target, 0o700, rec); err != nil {
		t.Fatal(err)
	}
	want := []string{root, filepath.Join(root, "a")}
	if !slices.Equal(synced, want) {
		t.Fatalf("the retry synced %q, want the parents of every directory the failed call created %q", synced, want)
	}
}

// The same when creating the directories fails part of the way: the
// levels created before the failure are not left for a retry to find.
func TestMkdirAllRetryAfterFailedCreate(t *testing.T) {
	root := t.TempDir()
	// os.MkdirAll creates a, then fails on a name too long for a directory.
	long := filepath.Join(root, "a", strings.Repeat("x", 300))
	var synced []string
	rec := func(dir string) error { synced = append(synced, dir); return SyncDir(dir) }
	if err := MkdirAll(long, 0o700, rec); err == nil {
		t.Fatal("MkdirAll of a name longer than the file system takes succeeded")
	}
	if len(synced) != 0 {
		t.Fatalf("a failed MkdirAll synced %q", synced)
	}
	synced = nil
	if err := MkdirAll(filepath.Join(root, "a", "b"), 0o700, rec); err != nil {
		t.Fatal(err)
	}
	want := []string{root, filepath.Join(root, "a")}
	if !slices.Equal(synced, want) {
		t.Fatalf("the retry synced %q, want the parents of every directory the failed call created %q", synced, want)
	}
}

// What MkdirAll removes after a failure is only directories: a dangling
// symbolic link given as the directory (a volume not mounted) stays.
func TestMkdirAllKeepsDanglingLink(t *testing.T) {
	root := t.TempDir()
	link := filepath.Join(root, "data")
	if err := os.Symlink(filepath.Join(root, "unmounted", "data"), link); err != nil {
		t.Skip(err)
	}
	if err := MkdirAll(link, 0o700, nil); err == nil {
		t.Fatal("MkdirAll of a dangling link succeeded")
	}
	if _, err := os.Lstat(link); err != nil {
		t.Fatalf("the link is gone: %v", err)
	}
}
