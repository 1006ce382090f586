// Package regfile opens and reads files that must be regular files,
// without blocking on those that are not: open(2) of a FIFO waits for a
// writer, and reading a device such as /dev/zero never ends, so a path an
// operator mistyped or an attacker planted would hang an audit or a start
// instead of being refused.
package regfile

import (
	"fmt"
	"io"
	"os"
)

// Open opens name for reading and refuses anything but a regular file
// (symbolic links followed), without blocking on a FIFO.
func Open(name string) (*os.File, error) {
	f, err := OpenNoWait(name)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: not a regular file (%s)", name, fi.Mode().Type())
	}
	return f, nil
}

// ReadFile reads the regular file name (see Open), of at most max bytes
// when max > 0: a longer file is an error.
func ReadFile(name string, max int64) ([]byte, error) {
	f, err := Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if max > 0 {
		r = io.LimitReader(f, max+1)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if max > 0 && int64(len(b)) > max {
		return nil, fmt.Errorf("%s: longer than %d bytes", name, max)
	}
	return b, nil
}
