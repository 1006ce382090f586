package sidecar

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/dialgate/dialgate/dnc"
)

// DefaultRegistryReload is how often `dialgate serve` looks for a new copy
// of its registry snapshot files (Config.RegistryReload).
const DefaultRegistryReload = time.Minute

// registryFiles keeps the registry snapshot files of Config.Registries
// current: a file replaced on disk (for example by `dialgate dnc build --out`
// and a rename) is read, verified and swapped into its registry while checks
// run. A copy that fails to load, is of another list or is older than the
// loaded one is refused and the loaded copy stays: a registry is never
// emptied, switched to another list or moved back in time by a reload.
//
// It is deliberately not a fileReloader (reload.go), which keeps the tokens
// and TLS files current: a registry snapshot can hold hundreds of millions
// of numbers (gigabytes), so hashing its content at every look would cost a
// full read a minute, while a change of size or modification time is enough
// because snapshots are replaced by a rename, not edited in place; and a
// snapshot verifies itself (dnc.OpenSnapshot checks its structure and
// SHA-256), so a half-written copy is refused on its own, without the
// settle time a small YAML or PEM file needs to be read whole. What a
// snapshot adds that those files lack — an effective date and a list name —
// is checked here.
type registryFiles struct {
	log   *slog.Logger
	mu    sync.Mutex
	files []registryFile
}

type registryFile struct {
	path string
	reg  *dnc.Registry
	size int64
	mod  time.Time
}

// newRegistryFiles records the files regs were loaded from (paths[i] holds
// regs[i], as dnc.LoadRegistries returns them).
func newRegistryFiles(paths []string, regs []*dnc.Registry, log *slog.Logger) *registryFiles {
	f := &registryFiles{log: log}
	for i, p := range paths {
		rf := registryFile{path: p, reg: regs[i]}
		if st, err := os.Stat(p); err == nil {
			rf.size, rf.mod = st.Size(), st.ModTime()
		}
		f.files = append(f.files, rf)
	}
	return f
}

// Reload reads again every file whose size or modification time changed
// since it was last read (every file with force) and swaps the new copies
// in. It returns the errors of the files it refused, joined.
func (f *registryFiles) Reload(force bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var errs []error
	for i := range f.files {
		rf := &f.files[i]
		st, err := os.Stat(rf.path)
		if err != nil {
			errs = append(errs, f.refuse(rf, fmt.Errorf("registry %s: %w", rf.reg.Name(), err)))
			continue
		}
		if !force && st.Size() == rf.size && st.ModTime().Equal(rf.mod) {
			continue
		}
		rf.size, rf.mod = st.Size(), st.ModTime() // a broken copy is retried once it changes again
		if err := f.load(rf); err != nil {
			errs = append(errs, f.refuse(rf, err))
		}
	}
	return errors.Join(errs...)
}

func (f *registryFiles) load(rf *registryFile) error {
	s, err := dnc.OpenSnapshot(rf.path)
	if err != nil {
		return fmt.Errorf("registry %s: %s: %w", rf.reg.Name(), rf.path, err)
	}
	if cur := rf.reg.Snapshot(); cur != nil {
		if s.Header.Effective().Before(cur.Header.Effective()) {
			return fmt.Errorf("registry %s: %s is a copy as of %s, older than the loaded copy as of %s",
				rf.reg.Name(), rf.path, s.Header.Effective().UTC().Format(time.RFC3339), cur.Header.Effective().UTC().Format(time.RFC3339))
		}
		if s.Header.Version() == cur.Header.Version() && s.Header.Effective().Equal(cur.Header.Effective()) {
			return nil // the same copy (touched, or copied again)
		}
		// The same numbers as of a later instant is a newer copy: the
		// registry's age runs from its as_of, and keeping the old one would
		// make the registry stale (every dial denied) with a fresh copy on disk.
	}
	if _, err := rf.reg.Swap(s); err != nil {
		return fmt.Errorf("%s: %w", rf.path, err)
	}
	f.log.Info("sidecar: registry reloaded", "registry", rf.reg.Name(), "file", rf.path,
		"version", s.Header.Version(), "as_of", s.Header.Effective(), "count", s.Len())
	return nil
}

func (f *registryFiles) refuse(rf *registryFile, err error) error {
	cur := "none"
	if s := rf.reg.Snapshot(); s != nil {
		cur = s.Header.Version()
	}
	f.log.Error("sidecar: registry copy refused; the loaded copy stays", "registry", rf.reg.Name(), "loaded", cur, "err", err)
	return err
}
