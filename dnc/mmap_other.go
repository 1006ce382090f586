//go:build !unix

package dnc

// OpenSnapshot reads the snapshot file at path into memory (this system has
// no mmap support in dialgate), verifying its header's SHA-256, its body's
// SHA-256 and its structure.
func OpenSnapshot(path string) (*Snapshot, error) { return ReadSnapshotFile(path) }
