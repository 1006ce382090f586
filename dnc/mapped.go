package dnc

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"time"
	"unsafe"

	"github.com/dialgate/dialgate"
)

// Errors of a memory-mapped snapshot whose file was written in place.
var (
	// ErrSnapshotFault is wrapped by the error of a lookup in a
	// memory-mapped snapshot that touched a page its file no longer has
	// (the file was truncated or shrunk in place, for example by `cp` onto
	// it): the lookup fails instead of crashing the process (SIGBUS), and the
	// Registry holding the snapshot stops answering from it.
	ErrSnapshotFault = errors.New("dnc: memory fault reading a mapped snapshot (its file was truncated or written in place)")
	// ErrSnapshotChanged is wrapped when the file a memory-mapped snapshot
	// reads was changed in place after it was verified (same file, another
	// size, modification time or header): its answers are no longer those
	// of the verified copy.
	ErrSnapshotChanged = errors.New("dnc: snapshot file changed in place")
)

// mapping is what a memory-mapped snapshot keeps of its file: the mapping,
// and the identity of the file as verified (mapped_unix.go fills it in and
// compares it).
type mapping struct {
	path string
	data []byte      // the whole file, mapped read-only
	head []byte      // a heap copy of the preamble and JSON header as verified
	id   fileID      // the file as verified
	fi   os.FileInfo // the stat id was taken from
	stat func() (fileID, error)
}

// fileID identifies a file and its content version, as a stat tells it.
type fileID struct {
	dev, ino uint64
	size     int64
	mtimeNs  int64
}

// FileInfo returns the stat of the file a memory-mapped snapshot was
// verified from (taken of the open file then, whatever is on its path now),
// or nil for a snapshot in memory. A reloader compares it with a stat of the
// path (os.SameFile, size, modification time) to tell a file replaced since.
func (s *Snapshot) FileInfo() os.FileInfo {
	if s.m == nil {
		return nil
	}
	return s.m.fi
}

func nsTime(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339Nano) }

// Lookup reports whether n is in the snapshot. Unlike Contains it survives a
// memory-mapped snapshot whose file was truncated under it: the memory fault
// becomes an error wrapping ErrSnapshotFault instead of a crash (SIGBUS).
// An in-memory snapshot never fails.
func (s *Snapshot) Lookup(n dialgate.Number) (bool, error) { return s.lookup(n.Uint64()) }

func (s *Snapshot) lookup(v uint64) (bool, error) {
	if s.m == nil {
		return s.set.Contains(v), nil
	}
	return s.lookupMapped(v)
}

// lookupMapped is Set.Contains with faults turned into errors: a fault on a
// non-nil address panics in this goroutine (debug.SetPanicOnFault, set once
// for the call and restored), and the panic is recovered here. A fault
// outside the mapping, or any other panic, is not the file's doing and is
// raised again.
func (s *Snapshot) lookupMapped(v uint64) (listed bool, err error) {
	prev := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(prev)
		if r := recover(); r != nil {
			err = s.m.fault(r)
		}
	}()
	listed = s.set.Contains(v)
	runtime.KeepAlive(s)
	return listed, nil
}

// fault turns the value recovered from a panic during a read of the mapping
// into an error wrapping ErrSnapshotFault, or panics with it again when it is
// not a fault inside the mapping.
func (m *mapping) fault(r any) error {
	_, ok := r.(runtime.Error)
	fa, isFault := r.(interface{ Addr() uintptr })
	if !ok || !isFault || len(m.data) == 0 {
		panic(r)
	}
	base := uintptr(unsafe.Pointer(&m.data[0]))
	addr := fa.Addr()
	// The kernel reports the faulting address; the page holding it may start
	// before it, so the check is on the mapping's extent only.
	if addr < base || addr-base >= uintptr(len(m.data)) {
		panic(r)
	}
	return fmt.Errorf("%w: %s: byte %d of the %d mapped is no longer in the file", ErrSnapshotFault, m.path, addr-base, len(m.data))
}

// CheckFile reports whether the file a memory-mapped snapshot reads is still
// the file it verified: the same size and modification time (a stat of the
// open file, so a file renamed over its path does not count: the snapshot
// still reads its own, unchanged, file), and a header that reads as it did.
// A file changed in place is an error wrapping ErrSnapshotChanged (or
// ErrSnapshotFault when its header can no longer be read); the snapshot's
// answers are then no longer those of the verified copy. It costs an fstat
// and a compare of the header's bytes, not a read of the body: a change in
// place that keeps the size, the modification time and the header (possible
// only within the file system's timestamp granularity, or by resetting the
// time) is not seen. An in-memory snapshot always returns nil.
func (s *Snapshot) CheckFile() error {
	if s.m == nil {
		return nil
	}
	defer runtime.KeepAlive(s)
	return s.m.check()
}

func (m *mapping) check() (err error) {
	id, err := m.stat()
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrSnapshotChanged, m.path, err)
	}
	if id != m.id {
		return fmt.Errorf("%w: %s: verified as %d bytes modified %s, now %d bytes modified %s",
			ErrSnapshotChanged, m.path, m.id.size, nsTime(m.id.mtimeNs), id.size, nsTime(id.mtimeNs))
	}
	prev := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(prev)
		if r := recover(); r != nil {
			err = m.fault(r)
		}
	}()
	if len(m.data) < len(m.head) || string(m.data[:len(m.head)]) != string(m.head) {
		return fmt.Errorf("%w: %s: the header no longer reads as verified", ErrSnapshotChanged, m.path)
	}
	return nil
}
