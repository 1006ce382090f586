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
func MkdirAll(dir string, perm fs.FileMode, syncDir func(string) error) error {
	if syncDir == nil {
		syncDir = SyncDir
	}
	dir = filepath.Clean(dir)
	var missing []string // innermost first
	for p := dir; ; {
		if _, err := os.Stat(p); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			break // let MkdirAll report it
		}
		missing = append(missing, p)
		parent := filepath.Dir(p)
		if parent == p {
			break
		}
		p = parent
	}
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
