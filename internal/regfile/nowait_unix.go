//go:build unix

package regfile

import (
	"os"
	"syscall"
)

// OpenNoWait opens name for reading without waiting: a FIFO is opened
// non-blocking (which changes nothing for a regular file's reads). The
// caller checks what it opened; Open does.
func OpenNoWait(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
