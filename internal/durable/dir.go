package durable

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// SyncDir fsyncs the directory dir, making the creation, rename or removal
// of an entry in it durable (fsync of a file does not make the file's
// directory entry durable).
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// MkdirAll is os.MkdirAll that also makes every directory it creates
// durable: it calls syncDir (SyncDir when nil) on the parent of each one,
// outermost first, so that a power loss cannot take away a new directory
// together with the files fsynced into it. Directories that already exist
// are left alone.
//
// When creating or syncing fails, MkdirAll removes the directories it
// created (best effort; they are still empty) before it returns the error:
// left in place, a retry would find them and take them for durable without
// syncing anything, although their entries may never have reached the disk
// (and after a failed fsync a second one of the same directory may report
// success for entries the kernel dropped).
func MkdirAll(dir string, perm fs.FileMode, syncDir func(string) error) (err error) {
	if syncDir == nil {
		syncDir = SyncDir
	}
	dir = filepath.Clean(dir)
	var missing []string // innermost first
	for p := dir; ; {
		_, serr := os.Stat(p)
		if serr == nil {
			break
		}
		// Another error (a name too long, a file in the way) is left for
		// os.MkdirAll to report, but the levels above it may be missing
		// and created before it fails.
		if errors.Is(serr, fs.ErrNotExist) {
			missing = append(missing, p)
		}
		parent := filepath.Dir(p)
		if parent == p {
			break
		}
		p = parent
	}
	defer func() {
		if err != nil {
			for _, p := range missing {
				// Only a directory, and only an empty one, goes: not
				// a dangling symbolic link given as dir, say.
				if fi, lerr := os.Lstat(p); lerr == nil && fi.IsDir() {
					_ = os.Remove(p)
				}
			}
		}
	}()
	if err := os.MkdirAll(dir, perm); err != nil {
		return err
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := syncDir(filepath.Dir(missing[i])); err != nil {
			return err
		}
	}
	return nil
}
