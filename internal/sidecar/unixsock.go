package sidecar

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// unixSocketMode is the mode of the sidecar's Unix socket: its owner and
// group may connect, nobody else. Without a tokens file GateService and
// AdminService answer every client that reaches the socket, so this mode is
// the access control.
const unixSocketMode fs.FileMode = 0o660

// unixProbeTimeout bounds the connect that tells a live socket at the path
// from a stale one.
const unixProbeTimeout = time.Second

// unixErr wraps err for the socket at path, naming --unix (the config key
// unix).
func unixErr(path string, err error) error {
	return fmt.Errorf("unix (--unix %q): %w", path, err)
}

// checkUnixPath reports why path cannot take the sidecar's socket as it
// stands: something that is not a socket is there (a regular file, a
// directory, a symlink: never replaced, never followed; wrapping
// ErrConfig), or a socket another server answers on (another `dialgate
// serve` runs there), or a socket whose liveness cannot be told. It returns
// nil when the path is free or holds a stale socket (nobody listening),
// which may then be replaced.
func checkUnixPath(path string) error {
	if err := checkUnixDir(path); err != nil {
		return err
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return unixErr(path, err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%w: %w", ErrConfig, unixErr(path, fmt.Errorf(
			"the path exists and is not a socket (%s): refusing to replace it; remove it yourself or choose another --unix path",
			fileKind(fi.Mode()))))
	}
	conn, err := net.DialTimeout("unix", path, unixProbeTimeout)
	if err == nil {
		conn.Close()
		return unixErr(path, errors.New("another server is listening on this socket: refusing to take it over (stop it first, or choose another --unix path)"))
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return nil // stale: left by a server that did not shut down
	}
	return unixErr(path, fmt.Errorf("cannot tell whether another server is listening on this socket, refusing to replace it: %w", err))
}

// checkUnixDir refuses (wrapping ErrConfig) a socket path in a directory
// other users may write — sticky or not: they could put a socket of their
// own at the path while the sidecar is stopped or restarting, and the
// dialers would take its answers as the sidecar's — or under a directory
// they may write without the sticky bit (they could rename the directory
// holding the socket, and put their own in its place). The socket's mode
// is the access control of a sidecar without tokens; it protects nothing
// where its name can be taken. A directory the owner's group may write is
// accepted (the dialers' group, by the operator's choice). On Windows the
// mode bits are not the access control (every directory reads as 0777),
// so nothing is refused there, as checkFileMode refuses nothing.
func checkUnixDir(path string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return unixErr(path, err)
	}
	for dir, first := filepath.Dir(abs), true; ; dir, first = filepath.Dir(dir), false {
		fi, err := os.Stat(dir)
		if err != nil {
			return unixErr(path, fmt.Errorf("its directory: %w", err))
		}
		others := fi.Mode().Perm()&0o002 != 0
		if others && (first || fi.Mode()&fs.ModeSticky == 0) {
			what := "its directory"
			if !first {
				what = "a directory above it"
			}
			return fmt.Errorf("%w: %w", ErrConfig, unixErr(path, fmt.Errorf(
				"%s, %s (mode %s), may be written by other users: any of them could take the socket's name (while the sidecar is stopped or restarting) and answer the dialers in its place; choose a directory only the sidecar's user and group can write, such as /run/dialgate (mode 0750)",
				what, dir, fi.Mode())))
		}
		if parent := filepath.Dir(dir); parent == dir {
			return nil
		}
	}
}

// fileKind names the type of a file mode for an error message.
func fileKind(m fs.FileMode) string {
	switch m.Type() {
	case 0:
		return "a regular file"
	case fs.ModeDir:
		return "a directory"
	case fs.ModeSymlink:
		return "a symlink"
	case fs.ModeNamedPipe:
		return "a named pipe"
	case fs.ModeDevice, fs.ModeDevice | fs.ModeCharDevice:
		return "a device"
	}
	return "type " + m.Type().String()
}

// listenUnix listens on a Unix socket at path for `dialgate serve --unix`.
// The socket is never reachable by others with a mode wider than
// unixSocketMode, whatever the umask: it is bound in a private directory
// (mode 0700) made beside path (same file system), chmod'ed there — where
// nobody else can put a symlink — and only then given the name path: by
// link(2), which never replaces anything, or, over a stale socket, by
// rename(2), which replaces it atomically. A path that is not a socket, or
// the socket of a live server, is refused (checkUnixPath). The listener's
// Addr is path; its Close removes path only if path still names this
// socket. afterBind, if not nil, is called with the bound path right after
// the bind (tests).
func listenUnix(path string, afterBind func(bound string)) (_ net.Listener, err error) {
	if err := checkUnixPath(path); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(filepath.Dir(path), ".dgs")
	if err != nil {
		return nil, unixErr(path, fmt.Errorf("private directory beside the socket: %w", err))
	}
	defer os.Remove(dir)
	tmp := filepath.Join(dir, "s")
	lis, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, unixErr(path, fmt.Errorf("bind %q (%d bytes: a socket path is at most about 100): %w", tmp, len(tmp), err))
	}
	// Close must not unlink by name: path may name another server's
	// socket by then (unixListener.Close checks).
	lis.SetUnlinkOnClose(false)
	defer func() {
		_ = os.Remove(tmp) // path keeps the socket once placed
		if err != nil {
			lis.Close()
		}
	}()
	if afterBind != nil {
		afterBind(tmp)
	}
	if err := os.Chmod(tmp, unixSocketMode); err != nil {
		return nil, unixErr(path, err)
	}
	id, err := os.Lstat(tmp)
	if err != nil {
		return nil, unixErr(path, err)
	}
	if err := placeUnix(tmp, path); err != nil {
		return nil, err
	}
	return &unixListener{UnixListener: lis, addr: &net.UnixAddr{Name: path, Net: "unix"}, path: path, id: id}, nil
}

// placeUnix gives the socket bound at tmp the name path: link(2) where
// path is free (an existing path is never replaced by it), rename(2) over a
// stale socket, a refusal otherwise (checkUnixPath).
func placeUnix(tmp, path string) error {
	for range 3 {
		err := os.Link(tmp, path)
		if err == nil {
			return nil
		}
		if !errors.Is(err, fs.ErrExist) {
			// A file system without hard links: rename(2), which
			// replaces, so look first.
			if _, lerr := os.Lstat(path); !errors.Is(lerr, fs.ErrNotExist) {
				return unixErr(path, err)
			}
			if err := os.Rename(tmp, path); err != nil {
				return unixErr(path, err)
			}
			return nil
		}
		stale, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // gone since: link again
		}
		if err != nil {
			return unixErr(path, err)
		}
		if err := checkUnixPath(path); err != nil {
			return err
		}
		// Stale. Replace it only if it is still the one found stale.
		now, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return unixErr(path, err)
		}
		if !os.SameFile(stale, now) {
			continue
		}
		if err := os.Rename(tmp, path); err != nil {
			return unixErr(path, err)
		}
		return nil
	}
	return unixErr(path, errors.New("the path keeps changing under us: refusing it"))
}

// unixListener is the sidecar's Unix socket listener: its Addr is the path
// clients connect to, and its Close removes that path only while it still
// names this socket (the same inode: while the listener is open its inode
// cannot be reused), never a socket or file put there since.
type unixListener struct {
	*net.UnixListener
	addr *net.UnixAddr
	path string
	id   fs.FileInfo
	once sync.Once
}

// Addr returns the socket's path (not the private path it was bound at).
func (l *unixListener) Addr() net.Addr { return l.addr }

// Close removes the socket's path if it still names this socket, then
// closes the listener. Later calls only close.
func (l *unixListener) Close() error {
	l.once.Do(func() {
		if fi, err := os.Lstat(l.path); err == nil && os.SameFile(fi, l.id) {
			_ = os.Remove(l.path)
		}
	})
	return l.UnixListener.Close()
}
