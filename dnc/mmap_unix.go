//go:build unix

package dnc

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
)

// OpenSnapshot memory-maps the snapshot file at path, verifies its SHA-256 and
// structure, and returns it. The mapping is released when the Snapshot becomes
// unreachable, so swapping it out while checks read it is safe. On systems
// without mmap it reads the file into memory.
//
// The verification holds only while the file is not written in place: the
// Snapshot reads the file's pages, so replace a snapshot file by renaming a
// new one over it, never by writing into it (cp, scp onto the path), which
// changes the loaded Snapshot's answers unverified, or truncating it, which
// makes its next lookup fault (SIGBUS).
func OpenSnapshot(path string) (*Snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dnc: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("dnc: %w", err)
	}
	size := st.Size()
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
	s, err := snapshotFromBytes(data)
	if err != nil {
		_ = syscall.Munmap(data)
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	runtime.AddCleanup(s, func(b []byte) { _ = syscall.Munmap(b) }, data)
	return s, nil
}
