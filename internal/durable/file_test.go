package durable

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteFile: the file is replaced whole, mode 0600, the directory is
// synced, and a failure leaves the old file and no temporary file behind.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.jsonl")
	if err := os.WriteFile(path, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var synced []string
	if err := WriteFile(path, []byte("new\n"), func(d string) error { synced = append(synced, d); return nil }); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "new\n" {
		t.Fatalf("read %q, %v; want %q", got, err, "new\n")
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	if len(synced) != 1 || synced[0] != dir {
		t.Fatalf("synced %q, want [%q]", synced, dir)
	}

	// A path whose rename fails (a directory in the way): the directory is
	// left as it was, and no temporary file stays behind.
	blocked := filepath.Join(dir, "blocked")
	if err := os.Mkdir(blocked, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(blocked, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(blocked, []byte("new\n"), nil); err == nil {
		t.Fatal("replacing a non-empty directory succeeded")
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 2 {
		t.Fatalf("directory holds %d entries after a failed write, want 2 (no temporary file): %v", len(ents), ents)
	}

	// A failed directory sync is returned.
	boom := errors.New("boom")
	if err := WriteFile(path, []byte("newer\n"), func(string) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("err %v, want the sync's", err)
	}
}
