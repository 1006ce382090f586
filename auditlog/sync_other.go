//go:build !linux

package auditlog

import "os"

// syncData flushes f to stable storage (fsync).
func syncData(f *os.File) error { return f.Sync() }
