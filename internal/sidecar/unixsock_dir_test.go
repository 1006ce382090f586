package sidecar

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestUnixSocketInDirectoryOthersMayWrite: the socket's mode (0660) is the
// access control of a sidecar without tokens, and the dialers take its
// answers as the sidecar's. Bound in a directory other users may write
// (/tmp, a shared 0777 directory) — or under one they may rename entries of
// — any of them could put a socket of their own at the path while the
// sidecar is stopped or restarting (or move the sidecar's away) and answer
// "allowed" to every dial; docs/deploy.md said not to, but serve started
// there without a word. It is refused (ErrConfig, naming --unix and the
// directory) before the data directory is made; a directory only its owner
// and group may write is accepted.
func TestUnixSocketInDirectoryOthersMayWrite(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not the access control on Windows")
	}
	mk := func(parent string, mode os.FileMode) string {
		d, err := os.MkdirTemp(parent, "d")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, mode); err != nil {
			t.Fatal(err)
		}
		return d
	}
	base := t.TempDir()
	world := mk(base, 0o777)
	sticky := mk(base, 0o777|os.ModeSticky)
	openParent := mk(base, 0o777)
	under := mk(openParent, 0o750)
	stickyParent := mk(base, 0o777|os.ModeSticky)
	underSticky := mk(stickyParent, 0o750)
	group := mk(base, 0o770)
	for _, c := range []struct {
		name, dir, want string
	}{
		{"world-writable directory", world, world},
		{"world-writable sticky directory (/tmp)", sticky, sticky},
		{"under a world-writable directory", under, openParent},
	} {
		path := filepath.Join(c.dir, "dg.sock")
		err := checkUnixPath(path)
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "--unix") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: checkUnixPath(%s) = %v; want ErrConfig naming --unix and %s", c.name, path, err, c.want)
		}
		if lis, err := listenUnix(path, nil); err == nil {
			lis.Close()
			t.Errorf("%s: listenUnix(%s) listened", c.name, path)
		}
	}
	for _, dir := range []string{group, underSticky} {
		path := filepath.Join(dir, "dg.sock")
		lis, err := listenUnix(path, nil)
		if err != nil {
			t.Errorf("listenUnix(%s): %v", path, err)
			continue
		}
		lis.Close()
	}
}
