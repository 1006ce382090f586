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
// run. A copy that fails to load, is of another list, is older than the
// loaded one or lists far fewer numbers than it (more than maxShrink fewer,
// unless its shrink_from names the loaded copy) is refused and the loaded
// copy stays: a registry is never emptied, switched to another list, moved
// back in time or cut short by a reload. A copy swapped in is recorded in
// the data directory (RegistryCopiesFile), for the next start to compare
// with.
//
// It is deliberately not a fileReloader (reload.go), which keeps the tokens
// and TLS files current: a registry snapshot can hold hundreds of millions
// of numbers (gigabytes), so hashing its content at every look would cost a
// full read a minute, while another file on the path (a rename), or a
// change of size or modification time, is enough because snapshots are
// replaced by a rename; a file edited in place instead
// is caught by Check (every RegistryCheckInterval), which stops the copy
// mapped from it answering until a copy loads cleanly; and a
// snapshot verifies itself (dnc.OpenSnapshot checks its structure and
// SHA-256), so a half-written copy is refused on its own, without the
// settle time a small YAML or PEM file needs to be read whole. What a
// snapshot adds that those files lack — an effective date and a list name —
// is checked here.
type registryFiles struct {
	log *slog.Logger
	// maxShrink is Config.RegistryMaxShrink.
	maxShrink float64
	// data is the data directory the copies swapped in are recorded in
	// (RegistryCopiesFile); empty: not recorded.
	data  string
	mu    sync.Mutex
	files []registryFile
}

type registryFile struct {
	path string
	reg  *dnc.Registry
	// fi is the file last read from path: the one the copy in force was
	// verified from (dnc.Snapshot.FileInfo), or the one last refused; nil
	// when none was.
	fi os.FileInfo
	// withdrawn is whether the copy was withdrawn at the last check (its
	// file changed in place), so that a withdrawal is logged once.
	withdrawn bool
	// refused is whether the copy on the path was refused when last read.
	refused bool
}

// refused reports, per file, whether the copy on its path was refused when
// last read (Backend.RegistriesRefused).
func (f *registryFiles) refused() []RegistryRefused {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]RegistryRefused, 0, len(f.files))
	for i := range f.files {
		rf := &f.files[i]
		v := 0.0
		if rf.refused {
			v = 1
		}
		out = append(out, RegistryRefused{List: rf.reg.Name(), Value: v})
	}
	return out
}

// newRegistryFiles records the files regs were loaded from (paths[i] holds
// regs[i], as dnc.LoadRegistries returns them): the file each copy was
// verified from, not the file on the path now. A file replaced since the
// load (between the load at start and this call) then differs, and the
// first Reload reads it; recorded from the path, it was taken for the copy
// loaded and not read until it changed again, while the loaded copy aged.
//
// A copy listing more than maxShrink fewer numbers than the loaded one is
// refused (checkShrink); one swapped in is recorded in data (when not
// empty).
func newRegistryFiles(paths []string, regs []*dnc.Registry, maxShrink float64, data string, log *slog.Logger) *registryFiles {
	f := &registryFiles{log: log, maxShrink: maxShrink, data: data}
	for i, p := range paths {
		rf := registryFile{path: p, reg: regs[i]}
		if s := regs[i].Snapshot(); s != nil {
			rf.fi = s.FileInfo()
		}
		if rf.fi == nil {
			// A copy read into memory (no mmap on this system): the path.
			if st, err := os.Stat(p); err == nil {
				rf.fi = st
			}
		}
		f.files = append(f.files, rf)
	}
	return f
}

// sameFile reports whether st, a stat of a registry path, is the file fi
// (nil: none) as it was: the same file (not another renamed over the path),
// size and modification time. A file replaced by a rename is told apart by
// its identity even when its size and time match (a copy of the same count
// written within the file system's timestamp granularity, or with the
// source's time kept: cp -p, rsync -t).
func sameFile(st, fi os.FileInfo) bool {
	return fi != nil && os.SameFile(st, fi) && st.Size() == fi.Size() && st.ModTime().Equal(fi.ModTime())
}

// Reload reads again every file that changed since it was last read (another
// file renamed over the path, or another size or modification time; every
// file with force, and every file whose copy was withdrawn) and swaps the new copies in. Before that it checks each
// loaded copy's own file (Check). It returns the errors of the files it
// refused, joined.
func (f *registryFiles) Reload(force bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var errs []error
	for i := range f.files {
		rf := &f.files[i]
		f.checkFile(rf)
		if err := f.reloadFile(rf, force || rf.reg.Withdrawn() != nil); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// RegistryCheckInterval is how often `dialgate serve` checks that the file
// each loaded registry copy is memory-mapped from was not written in place
// (registryFiles.Check): a stat of the open file and a compare of its header.
const RegistryCheckInterval = time.Second

// Check looks at the file each loaded copy is memory-mapped from
// (dnc.Registry.CheckFile): a file written in place (same file, another size,
// modification time or header) withdraws the copy, logged at Error, and every
// dial of the profile is denied (dnc.unavailable) until a copy loads cleanly.
// For a withdrawn copy it reads the path again when its size or modification
// time changed since it was last read (a copy still being written is
// refused, and read again once it changes). It returns the errors, joined.
func (f *registryFiles) Check() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var errs []error
	for i := range f.files {
		rf := &f.files[i]
		if err := f.checkFile(rf); err == nil {
			continue
		}
		if err := f.reloadFile(rf, false); err != nil {
			errs = append(errs, err)
		}
		if err := rf.reg.Withdrawn(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// checkFile withdraws rf's copy when its file changed in place, logging it
// once, and returns why the copy is withdrawn (nil when it is in use).
func (f *registryFiles) checkFile(rf *registryFile) error {
	err := rf.reg.CheckFile()
	if err != nil && !rf.withdrawn {
		f.log.Error("sidecar: registry file changed in place; its loaded copy is withdrawn and every dial of the profile is denied (dnc.unavailable) until a copy loads cleanly: replace registry files by renaming a new file over the path, never by writing into it",
			"registry", rf.reg.Name(), "file", rf.path, "err", err)
	}
	rf.withdrawn = err != nil
	return err
}

// reloadFile loads rf's path when it changed since it was last read
// (sameFile), or with force, and returns the refusal, logged.
func (f *registryFiles) reloadFile(rf *registryFile, force bool) error {
	st, err := os.Stat(rf.path)
	if err != nil {
		return f.refuse(rf, fmt.Errorf("registry %s: %w", rf.reg.Name(), err))
	}
	if !force && sameFile(st, rf.fi) {
		return nil
	}
	rf.fi = st // a broken copy is retried once it changes again
	if err := f.load(rf); err != nil {
		return f.refuse(rf, err)
	}
	rf.refused = false
	return nil
}

func (f *registryFiles) load(rf *registryFile) error {
	s, err := dnc.OpenSnapshot(rf.path)
	if err != nil {
		return fmt.Errorf("registry %s: %s: %w", rf.reg.Name(), rf.path, err)
	}
	if fi := s.FileInfo(); fi != nil {
		// The file read, which may have been renamed over the path since
		// it was looked at: loaded or refused, it is not read again until
		// the path holds another.
		rf.fi = fi
	}
	withdrawn := rf.reg.Withdrawn() != nil
	if cur := rf.reg.Snapshot(); cur != nil {
		if s.Header.Effective().Before(cur.Header.Effective()) {
			return fmt.Errorf("registry %s: %s is a copy as of %s, older than the loaded copy as of %s",
				rf.reg.Name(), rf.path, s.Header.Effective().UTC().Format(time.RFC3339), cur.Header.Effective().UTC().Format(time.RFC3339))
		}
		if !withdrawn && s.Header.Version() == cur.Header.Version() && s.Header.Effective().Equal(cur.Header.Effective()) {
			return nil // the same copy (touched, or copied again)
		}
		// The same numbers as of a later instant is a newer copy: the
		// registry's age runs from its as_of, and keeping the old one would
		// make the registry stale (every dial denied) with a fresh copy on disk.
		// A withdrawn copy is replaced even by the same one, verified again.

		// A copy in another scope (dnc build --scope by mistake) would list
		// the registry's numbers for other dials than the loaded copy does:
		// a national registry's, for one industry's dials only.
		if sc, ok := rf.reg.CopyScope(); ok {
			next := dnc.GlobalScope
			if s.Header.Scope != "" {
				if next, err = dnc.ParseScope(s.Header.Scope); err != nil {
					return fmt.Errorf("registry %s: %s: %w", rf.reg.Name(), rf.path, err)
				}
			}
			if next != sc {
				return fmt.Errorf("registry %s: %s is a copy in scope %s, the loaded copy is in scope %s: a copy of the same registry applies to the same dials (rebuild it with the loaded copy's --scope)",
					rf.reg.Name(), rf.path, next, sc)
			}
		}
		// A copy cut short is a valid snapshot of a list of fewer numbers:
		// swapped in, every number it lost would be allowed. The loaded
		// copy (withdrawn or not) is the last one verified.
		if err := checkShrink(s.Header, cur.Header.Version(), cur.Header.Count, f.maxShrink); err != nil {
			return fmt.Errorf("registry %s: %s: %w", rf.reg.Name(), rf.path, err)
		}
	}
	if _, err := rf.reg.Swap(s); err != nil {
		return fmt.Errorf("%s: %w", rf.path, err)
	}
	rf.withdrawn = false
	f.log.Info("sidecar: registry reloaded", "registry", rf.reg.Name(), "file", rf.path,
		"version", s.Header.Version(), "as_of", s.Header.Effective(), "count", s.Len(), "shrink_from", s.Header.ShrinkFrom, "after_withdrawal", withdrawn)
	if f.data != "" {
		if err := recordRegistryCopies(f.data, []string{rf.path}, []*dnc.Registry{rf.reg}, time.Now()); err != nil {
			// The copy is in force; the next start compares with an
			// earlier record, and refuses a copy that shrank from it.
			f.log.Error("sidecar: the registry copy swapped in could not be recorded in the data directory: the next start compares its copy with the one recorded before",
				"registry", rf.reg.Name(), "file", rf.path, "err", err)
		}
	}
	return nil
}

func (f *registryFiles) refuse(rf *registryFile, err error) error {
	rf.refused = true
	cur := "none"
	if s := rf.reg.Snapshot(); s != nil {
		cur = s.Header.Version()
	}
	if rf.reg.Withdrawn() != nil {
		f.log.Error("sidecar: registry copy refused; the loaded copy is withdrawn (its file changed in place), so every dial of the profile is denied until a copy loads cleanly",
			"registry", rf.reg.Name(), "file", rf.path, "withdrawn", cur, "err", err)
		return err
	}
	f.log.Error("sidecar: registry copy refused; the loaded copy stays", "registry", rf.reg.Name(), "loaded", cur, "err", err)
	return err
}
