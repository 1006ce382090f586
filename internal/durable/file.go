package durable

import (
	"os"
	"path/filepath"
)

// WriteFile replaces path with b durably: b goes to a temporary file beside
// path (mode 0600, named "."+base+".<digits>.tmp"), which is synced and
// renamed into place, and the directory is then synced by syncDir (SyncDir
// when nil), so that path is either the old file or the complete new one,
// and the new one survives a power loss once WriteFile returns nil. When a
// step fails the temporary file is removed and path is left as it was
// (unless only the directory's sync failed: the rename is then made but
// may not be durable).
func WriteFile(path string, b []byte, syncDir func(string) error) error {
	if syncDir == nil {
		syncDir = SyncDir
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(b); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	ok = true
	return syncDir(filepath.Dir(path))
}
