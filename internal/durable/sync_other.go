//go:build !linux

package durable

import "os"

// SyncData flushes f to stable storage (fsync). After an error the caller
// must not sync f again.
func SyncData(f *os.File) error { return f.Sync() }
