//go:build unix

package dnc

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"syscall"
)

// OpenSnapshot memory-maps the snapshot file at path, verifies its header's
// SHA-256, its body's SHA-256 and its structure, and returns it. The mapping is released when the Snapshot becomes
// unreachable, so swapping it out while checks read it is safe. On systems
// without mmap it reads the file into memory.
//
// The Snapshot reads the file's pages, so replace a snapshot file by writing
// a new one beside it and renaming it over the path (as `dialgate dnc build`
// does): the loaded Snapshot keeps reading its own file. A file written in
// place (cp, scp or rsync --inplace onto the path) changes under the loaded
// Snapshot. That is caught, and fails closed, not verified: a lookup that
// touches a page the file no longer has (a truncating write) returns an error
// wrapping ErrSnapshotFault instead of crashing the process (Lookup;
// Contains still faults), and CheckFile reports a file whose size,
// modification time or header changed since it was verified (wrapping
// ErrSnapshotChanged). A Registry stops answering from such a copy until
// another is swapped in (Registry.CheckFile); `dialgate serve` checks its
// registry files every second.
func OpenSnapshot(path string) (*Snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dnc: %w", err)
	}
	keep := false
	defer func() {
		if !keep {
			f.Close()
		}
	}()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("dnc: %w", err)
	}
	id := idOf(fi)
	size := id.size
	if size < 16 {
		return nil, fmt.Errorf("%s: %w", path, corrupt("file is %d bytes", size))
	}
	if size > 1<<40 || int64(int(size)) != size {
		return nil, fmt.Errorf("%s: %w", path, corrupt("file is %d bytes", size))
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("dnc: mmap %s: %w", path, err)
	}
	m := &mapping{path: path, data: data, id: id, fi: fi, stat: func() (fileID, error) { return fstatID(f) }}
	s, err := verifyMapped(m)
	if err != nil {
		_ = syscall.Munmap(data)
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// The file stays open for CheckFile: a stat of the open file is a stat
	// of the mapped file, whatever is renamed over the path since.
	keep = true
	runtime.AddCleanup(s, func(m *mapping) {
		_ = syscall.Munmap(m.data)
		_ = f.Close()
	}, m)
	return s, nil
}

// verifyMapped verifies the mapped file of m and records its header; a fault
// while reading it (a file truncated while being verified) is an error.
func verifyMapped(m *mapping) (s *Snapshot, err error) {
	prev := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(prev)
		if r := recover(); r != nil {
			err = m.fault(r)
		}
	}()
	s, err = snapshotFromBytes(m.data)
	if err != nil {
		return nil, err
	}
	// The head as verified: preamble, JSON header (its SHA-256 names the
	// body), the header's SHA-256 and padding. CheckFile compares the file's
	// head with it byte for byte, which is stronger than checking the
	// header SHA-256 again: a consistent new header is a change too.
	hlen := uint64(len(m.data)) - uint64(s.Header.BodyBytes)
	m.head = append([]byte(nil), m.data[:hlen]...)
	// The file may have changed while it was read and hashed: compare the
	// stat after with the stat before.
	if after, err := m.stat(); err != nil || after != m.id {
		return nil, corrupt("file changed while it was verified")
	}
	s.m = m
	return s, nil
}

func fstatID(f *os.File) (fileID, error) {
	fi, err := f.Stat()
	if err != nil {
		return fileID{}, err
	}
	return idOf(fi), nil
}

func idOf(fi os.FileInfo) fileID {
	id := fileID{size: fi.Size(), mtimeNs: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.dev, id.ino = uint64(st.Dev), uint64(st.Ino)
	}
	return id
}
