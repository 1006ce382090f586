//go:build linux

package auditlog

import (
	"os"
	"syscall"
)

// syncData flushes f's data and the metadata needed to read it back (its
// size) to stable storage: fdatasync(2), which skips timestamps.
func syncData(f *os.File) error {
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
