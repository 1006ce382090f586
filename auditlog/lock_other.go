//go:build !unix

package auditlog

import "os"

// lockDir does not lock on this platform: the caller must make sure that only
// one Log has a directory open.
func lockDir(dir string) (*os.File, error) { return nil, nil }

func unlockFile(f *os.File) error { return nil }
