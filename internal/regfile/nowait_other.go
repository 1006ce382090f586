//go:build !unix

package regfile

import "os"

// OpenNoWait opens name for reading. The caller checks what it opened;
// Open does.
func OpenNoWait(name string) (*os.File, error) { return os.Open(name) }
