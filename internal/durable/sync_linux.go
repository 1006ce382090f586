//go:build linux

package durable

import (
	"os"
	"syscall"
)

// SyncData flushes f's data and the metadata needed to read it back (its
// size) to stable storage: fdatasync(2), which skips timestamps. EINTR
// means the call was interrupted before it did anything, so it is repeated;
// any other error is returned, and the caller must not sync f again (after
// a failed fsync the kernel may have dropped the dirty pages, and a second
// one would report success for data that is not on disk).
func SyncData(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			if err != nil {
				return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
			}
			return nil
		}
	}
}
