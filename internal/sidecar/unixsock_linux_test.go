package sidecar

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sharedDir returns a directory the users of its group may write in (mode
// 0770, a group directory under /run shared with the dialers), where the
// socket's own mode is the only access control. (A directory every local
// user may write in is refused: TestUnixSocketInDirectoryOthersMayWrite.)
func sharedDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o770); err != nil {
		t.Fatal(err)
	}
	return dir
}

// reachableByOthers reports whether a user other than the owner (group or
// other) could connect to the socket at p: p grants write to group or
// other beyond 0660, and its directory lets them through. (Every directory
// above it is the test's, traversable.)
func reachableByOthers(t *testing.T, p string) bool {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		return false
	}
	dir, err := os.Stat(filepath.Dir(p))
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()&^0o660 != 0 && dir.Mode().Perm()&0o011 != 0
}

// The socket is never reachable wider than 0660, even with umask 000 in a
// directory its group may write in: not for a moment between the bind and
// the chmod. Run in a child process, as the umask is process-wide.
func TestUnixSocketModeUnderUmask000(t *testing.T) {
	const child = "DIALGATE_TEST_UMASK000_CHILD"
	if os.Getenv(child) == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestUnixSocketModeUnderUmask000$", "-test.count=1", "-test.v", "-test.short") // short: TestMain skips building the CLI
		cmd.Env = append(os.Environ(), child+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestUnixSocketModeUnderUmask000") {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return
	}
	syscall.Umask(0)
	path := filepath.Join(sharedDir(t), "dg.sock")
	called := false
	lis, err := listenUnix(path, func(bound string) {
		called = true
		if reachableByOthers(t, bound) {
			fi, _ := os.Lstat(bound)
			t.Errorf("right after bind, %s is mode %v in a directory others can enter: any local user may connect", bound, fi.Mode())
		}
		if reachableByOthers(t, path) {
			t.Errorf("right after bind, %s is reachable by others", path)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	if !called {
		t.Fatal("the after-bind hook was not called")
	}
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o660 {
		t.Fatalf("socket mode %v, want a socket of mode 0660", fi.Mode())
	}
	if got := lis.Addr().String(); got != path {
		t.Fatalf("Addr() = %q, want %q", got, path)
	}
	// Nothing of the private directory is left beside the socket.
	ents, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 {
		t.Fatalf("directory holds %d entries, want only the socket: %v", len(ents), ents)
	}
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	conn.Close()
}

// plantTarget writes a file of mode 0600 that a followed symlink would
// expose: a chmod through the link would make it 0660.
func plantTarget(t *testing.T) string {
	t.Helper()
	target := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(target, []byte("key material"), 0o600); err != nil {
		t.Fatal(err)
	}
	return target
}

func checkTarget(t *testing.T, target string) {
	t.Helper()
	fi, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("the symlink's target is now mode %v, want 0600 untouched", fi.Mode().Perm())
	}
	if b, err := os.ReadFile(target); err != nil || string(b) != "key material" {
		t.Fatalf("target content %q, %v", b, err)
	}
}

// A symlink at the path, planted before the start or in the moment after
// the bind, is never followed: its target's mode is untouched, and the
// start is refused naming --unix.
func TestUnixSocketSymlinkNotFollowed(t *testing.T) {
	t.Run("before", func(t *testing.T) {
		target := plantTarget(t)
		path := filepath.Join(sharedDir(t), "dg.sock")
		if err := os.Symlink(target, path); err != nil {
			t.Fatal(err)
		}
		lis, err := listenUnix(path, nil)
		if err == nil {
			lis.Close()
			t.Fatal("a symlink at the path was accepted")
		}
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "--unix") {
			t.Fatalf("err = %v, want ErrConfig naming --unix", err)
		}
		if fi, err := os.Lstat(path); err != nil || fi.Mode().Type() != fs.ModeSymlink {
			t.Fatalf("the symlink was not kept: %v %v", fi, err)
		}
		checkTarget(t, target)
	})
	t.Run("after bind", func(t *testing.T) {
		target := plantTarget(t)
		path := filepath.Join(sharedDir(t), "dg.sock")
		lis, err := listenUnix(path, func(string) {
			// Another user swaps the path for a symlink.
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Error(err)
			}
			if err := os.Symlink(target, path); err != nil {
				t.Error(err)
			}
		})
		if err == nil {
			lis.Close()
		}
		checkTarget(t, target)
		if fi, err := os.Lstat(path); err != nil || fi.Mode().Type() != fs.ModeSymlink {
			t.Fatalf("the symlink was replaced: %v %v", fi, err)
		}
	})
}

// A regular file or a directory at the path is refused, naming --unix, and
// kept as it was.
func TestUnixSocketNotASocketRefused(t *testing.T) {
	t.Run("file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "dg.sock")
		if err := os.WriteFile(path, []byte("operator's file"), 0o640); err != nil {
			t.Fatal(err)
		}
		lis, err := listenUnix(path, nil)
		if err == nil {
			lis.Close()
			t.Fatal("a regular file at the path was accepted")
		}
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "--unix") || !strings.Contains(err.Error(), "not a socket") {
			t.Fatalf("err = %v, want ErrConfig naming --unix and saying not a socket", err)
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != "operator's file" {
			t.Fatalf("the file was not kept: %q %v", b, err)
		}
	})
	t.Run("dir", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "dg.sock")
		if err := os.Mkdir(path, 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(path, "x"), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		lis, err := listenUnix(path, nil)
		if err == nil {
			lis.Close()
			t.Fatal("a directory at the path was accepted")
		}
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "--unix") {
			t.Fatalf("err = %v, want ErrConfig naming --unix", err)
		}
		if _, err := os.Stat(filepath.Join(path, "x")); err != nil {
			t.Fatalf("the directory was not kept: %v", err)
		}
	})
}

// A second server on the path of a live one is refused; the first keeps its
// socket and its clients.
func TestUnixSocketLiveRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dg.sock")
	first, err := listenUnix(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	before, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	second, err := listenUnix(path, nil)
	if err == nil {
		second.Close()
		t.Fatal("a second server took the socket of a live one")
	}
	if !strings.Contains(err.Error(), "--unix") || !strings.Contains(err.Error(), "another server") {
		t.Fatalf("err = %v, want a refusal naming --unix and another server", err)
	}
	after, err := os.Lstat(path)
	if err != nil || !os.SameFile(before, after) {
		t.Fatalf("the live socket was replaced: %v", err)
	}
	conn, err := net.DialTimeout("unix", path, time.Second)
	if err != nil {
		t.Fatalf("the first server is no longer reachable: %v", err)
	}
	conn.Close()
	c, err := first.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

// staleSocket leaves a socket file at path that no one listens on, as a
// server killed with SIGKILL does.
func staleSocket(t *testing.T, path string) {
	t.Helper()
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
}

// A stale socket (nobody listening) is replaced.
func TestUnixSocketStaleReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dg.sock")
	staleSocket(t, path)
	stale, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := listenUnix(path, nil)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	defer lis.Close()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	// (The stale socket's inode is free: the new one may reuse its number.)
	if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o660 {
		t.Fatalf("path holds %v, want a socket of mode 0660 (stale one: %v)", fi.Mode(), stale.Mode())
	}
	conn, err := net.DialTimeout("unix", path, time.Second)
	if err != nil {
		t.Fatalf("the new socket does not answer: %v", err)
	}
	conn.Close()
	c, err := lis.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

// Closing the listener removes the socket only while the path still names
// it: never a socket another server has put there since.
func TestUnixSocketRemovedOnlyIfOurs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dg.sock")
	lis, err := listenUnix(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := lis.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("our socket was left behind at shutdown: %v", err)
	}

	lis, err = listenUnix(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Someone replaces the path with another server's socket.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	other, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	theirs, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	lis.Close()
	lis.Close() // a second Close (gRPC may close twice) changes nothing
	now, err := os.Lstat(path)
	if err != nil || !os.SameFile(now, theirs) {
		t.Fatalf("the other server's socket was removed at our shutdown: %v", err)
	}
}

// `dialgate serve` refuses a path that is not a socket before it makes the
// data directory, as bad input (ErrConfig, exit 2).
func TestServeUnixNotASocketBeforeData(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dg.sock")
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	err := Serve(context.Background(), Config{Unix: path, MetricsListen: "off", Data: data, Profile: "cn"}, ioDiscard{}, nil)
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "--unix") {
		t.Fatalf("Serve: %v, want ErrConfig naming --unix", err)
	}
	if _, err := os.Stat(data); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the data directory was made: %v", err)
	}
}

type ioDiscard struct{}

func (ioDiscard) Write(p []byte) (int, error) { return len(p), nil }
