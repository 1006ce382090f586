//go:build !linux

package boltstore

import "os"

// syncData flushes f to stable storage (fsync). After an error the caller
// must not fsync f again.
func syncData(f *os.File) error { return f.Sync() }
