//go:build !unix

package dnc

// OpenSnapshot reads the snapshot file at path into memory (this system has
// no mmap support in dialgate), verifying its SHA-256 and structure.
func OpenSnapshot(path string) (*Snapshot, error) { return ReadSnapshotFile(path) }
