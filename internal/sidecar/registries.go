package sidecar

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
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
// loaded one, applies in another scope than it (not global), lists far fewer numbers than it or than the registry's
// high-water mark (more than maxShrink fewer), or lacks more than maxShrink
// of a sample of the loaded copy's numbers (swapped for others, the count
// kept) — the last three unless its shrink_from names the loaded copy — is
// refused and the loaded copy stays: a registry is never emptied, switched
// to another list, moved back in time, cut short or swapped by a reload,
// nor by reloads each a little short of the last. A copy is recorded in
// the data directory (RegistryCopiesFile) with the mark and a sample of its
// numbers, for the next start to compare with, before it is swapped in; a
// copy whose record cannot be written is refused. A registry without a copy
// in force (none loaded) takes none: there is nothing to compare it with.
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
	// duringWalk, when not nil (tests), is called while swapMissing walks
	// with mu released.
	duringWalk func()
	// sampleSource returns the random source of each sample the swap guard
	// takes (sampleOf); nil: dnc.NewSampleSource, seeded from crypto/rand.
	// Tests set a seeded one to reproduce a sample.
	sampleSource func() (rand.Source, error)
}

// sampleOf returns a sample of at most max numbers of s drawn at random
// (dnc.Snapshot.SampleFrom) with a source from newSource (nil:
// dnc.NewSampleSource, seeded from crypto/rand). A fixed sample (every k-th
// number) is the same at every look, so a copy that dropped only numbers
// it never reads lacked none of it, whatever share it dropped.
func sampleOf(s *dnc.Snapshot, max int, newSource func() (rand.Source, error)) ([]uint64, error) {
	if newSource == nil {
		newSource = dnc.NewSampleSource
	}
	src, err := newSource()
	if err != nil {
		return nil, err
	}
	return s.SampleFrom(max, src)
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
	// mark is the registry's high-water mark with the copy in force.
	mark registryMark
	// sample is a sample of the copy in force (registrySampleSize), taken
	// when it was swapped in: what a new copy is compared with when the
	// copy in force can no longer be read as verified (withdrawn: its file
	// changed in place).
	sample []uint64
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
// A copy listing more than maxShrink fewer numbers than the loaded one, or
// than the registry's high-water mark (marks[i], as checkStartShrink
// returns them; nil: each loaded copy's count), is refused (checkShrink);
// one swapped in is recorded in data (when not empty) with the mark.
func newRegistryFiles(paths []string, regs []*dnc.Registry, marks []registryMark, maxShrink float64, data string, log *slog.Logger) *registryFiles {
	f := &registryFiles{log: log, maxShrink: maxShrink, data: data}
	for i, p := range paths {
		rf := registryFile{path: p, reg: regs[i]}
		if marks != nil {
			rf.mark = marks[i]
		}
		if s := regs[i].Snapshot(); s != nil {
			rf.fi = s.FileInfo()
			if rf.mark.Version == "" {
				rf.mark = nextMark(registryMark{}, "", s.Header)
			}
			rf.sample, _ = sampleOf(s, registrySampleSize, f.sampleSource) // nil on a fault: see swapMissing
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

// load reads rf's path and swaps the copy in, unless it is refused: of
// another list, older than the copy in force, in another scope
// (checkRegistryScope), cut short (checkShrink), swapped for other numbers
// (checkSwap), with no copy in force to compare it with, or not recorded in
// the data directory (recordRegistryCopies, written before the swap). Called with f.mu held; the swap check's walk runs
// with it released (swapMissing).
func (f *registryFiles) load(rf *registryFile) error {
	s, err := dnc.OpenSnapshot(rf.path)
	if err != nil {
		return fmt.Errorf("registry %s: %s: %w", rf.reg.Name(), rf.path, err)
	}
	if s.Header.Name != rf.reg.Name() {
		// Checked by Swap too, but the copy is recorded before it is
		// swapped in: a record must not name a copy Swap then refuses.
		return fmt.Errorf("registry %s: %s: snapshot is of list %q", rf.reg.Name(), rf.path, s.Header.Name)
	}
	if fi := s.FileInfo(); fi != nil {
		// The file read, which may have been renamed over the path since
		// it was looked at: loaded or refused, it is not read again until
		// the path holds another.
		rf.fi = fi
	}
	var (
		withdrawn bool
		mark      registryMark
		sample    []uint64
	)
	for try := 0; ; try++ {
		withdrawn = rf.reg.Withdrawn() != nil
		cur := rf.reg.Snapshot()
		if cur == nil {
			// Not reached from Open: every registry it passes was loaded
			// (dnc.LoadRegistries), and Swap never takes a copy out. A
			// registry without a copy would otherwise take any copy
			// unchecked (older, another scope, cut short, swapped):
			// refused, the registry stays without one (every dial the dnc
			// check judges denied) until a start compares the copy with the
			// record in the data directory.
			return fmt.Errorf("registry %s: %s: no copy of the registry is in force to compare the new copy with (as_of, scope, registry_max_shrink, swap): refused; restart the sidecar to load it, compared with the copy recorded in the data directory",
				rf.reg.Name(), rf.path)
		}
		if s.Header.Effective().Before(cur.Header.Effective()) {
			return fmt.Errorf("registry %s: %s is a copy as of %s, older than the loaded copy as of %s",
				rf.reg.Name(), rf.path, s.Header.Effective().UTC().Format(time.RFC3339), cur.Header.Effective().UTC().Format(time.RFC3339))
		}
		// A copy's version is the hash of its numbers alone: one of the
		// same numbers in a narrower scope passes the guards below.
		if err := checkRegistryScope(s.Header, cur.Header.Version(), scopeOf(cur.Header)); err != nil {
			return fmt.Errorf("registry %s: %s: %w", rf.reg.Name(), rf.path, err)
		}
		if !withdrawn && s.Header.Version() == cur.Header.Version() && s.Header.Effective().Equal(cur.Header.Effective()) {
			return nil // the same copy (touched, or copied again)
		}
		// The same numbers as of a later instant is a newer copy: the
		// registry's age runs from its as_of, and keeping the old one would
		// make the registry stale (every dial denied) with a fresh copy on disk.
		// A withdrawn copy is replaced even by the same one, verified again.

		// A copy cut short is a valid snapshot of a list of fewer numbers:
		// swapped in, every number it lost would be allowed. The loaded
		// copy (withdrawn or not) is the last one verified.
		// So is one that shrank, a little at a time, from the most the
		// registry listed (the high-water mark).
		if err := checkShrink(s.Header, cur.Header.Version(), cur.Header.Count, rf.mark, f.maxShrink); err != nil {
			return fmt.Errorf("registry %s: %s: %w", rf.reg.Name(), rf.path, err)
		}
		// And so is one that dropped numbers and added as many others
		// (its count hides it): a sample of the copy in force is looked up
		// in it.
		sampled, missing, changed, err := f.swapMissing(rf, cur, s, withdrawn, &sample)
		if changed {
			if try < 2 {
				continue // another copy went in meanwhile: compare with it
			}
			return fmt.Errorf("registry %s: %s: the copy in force changed at each of %d compares; it is read again at the next look", rf.reg.Name(), rf.path, try+1)
		}
		if err != nil {
			return fmt.Errorf("registry %s: %s: %w", rf.reg.Name(), rf.path, err)
		}
		if err := checkSwap(s.Header, cur.Header.Version(), sampled, missing, f.maxShrink); err != nil {
			return fmt.Errorf("registry %s: %s: %w", rf.reg.Name(), rf.path, err)
		}
		mark = nextMark(rf.mark, cur.Header.Version(), s.Header)
		break
	}
	if fi := s.FileInfo(); fi != nil {
		rf.fi = fi // another load may have run while f.mu was released
	}
	if f.data != "" {
		// The new copy is recorded before it goes into force, and a
		// record that cannot be written refuses it. Recorded after, a
		// failed write left the record of the copy before: the next
		// start compared its copy with that one, and a copy whose
		// shrink_from named it was accepted whatever its count, although
		// the copy in force was by then another and a reload would have
		// refused it. A process that ends between this write and the
		// swap leaves the record of the new copy with the older one in
		// force; but the file on the path is the new copy (it was read
		// from there), so the next start compares the new copy with its
		// own record, which it passed every guard to get (a file renamed
		// over the path since is compared with it as a reload would
		// compare it once the new copy is in force).
		//
		// Every registry is passed, so that a record damaged meanwhile is
		// replaced by a whole one, not by this registry's alone; each
		// other one with its copy in force and the sample taken when it
		// went in, not one taken now (a withdrawn copy's file holds other
		// bytes); this one with the new copy, its mark and its sample.
		regs := make([]recordedRegistry, len(f.files))
		for i := range f.files {
			o := &f.files[i]
			if o == rf {
				regs[i] = recordedRegistry{name: rf.reg.Name(), file: rf.path, snap: s, mark: mark, sample: sample}
				continue
			}
			regs[i] = recordedRegistry{name: o.reg.Name(), file: o.path, snap: o.reg.Snapshot(), withdrawn: o.reg.Withdrawn() != nil, mark: o.mark, sample: o.sample}
		}
		if err := recordRegistryCopies(f.data, regs, time.Now()); err != nil {
			return fmt.Errorf("registry %s: %s: not put in force, the copy in force stays: the new copy is not recorded for the next start to compare with (%w); once the record can be written (disk space, permissions of the data directory), reload (SIGHUP) or replace the file",
				rf.reg.Name(), rf.path, err)
		}
	}
	// Swap refuses only a copy of another list or of a scope that does
	// not parse, both refused before (above, and by dnc.OpenSnapshot).
	if _, err := rf.reg.Swap(s); err != nil {
		return fmt.Errorf("%s: %w", rf.path, err)
	}
	rf.withdrawn = false
	rf.mark = mark
	rf.sample = sample
	f.log.Info("sidecar: registry reloaded", "registry", rf.reg.Name(), "file", rf.path,
		"version", s.Header.Version(), "as_of", s.Header.Effective(), "count", s.Len(), "shrink_from", s.Header.ShrinkFrom, "after_withdrawal", withdrawn,
		"high_water_count", mark.Count, "high_water_version", mark.Version)
	return nil
}

// swapMissing looks up a sample of the copy in force cur — one number at a
// random position of each stratum of k of its numbers, at most
// registryReloadSample (sampleOf), drawn afresh at every compare — in the
// new copy s, and returns how many it sampled and how many s lacks; it
// also takes s's own sample for the record (*sample). A copy s acknowledges
// (shrink_from naming cur) is not compared. A withdrawn copy in force (its
// file changed in place) is not read: the sample taken when it was swapped
// in (rf.sample) is used, and so it is when reading cur faults.
//
// Called with f.mu held, it releases it while it walks (about 65,536
// binary searches and lookups in memory-mapped files: milliseconds, but
// Check takes f.mu every second) and takes it again; changed is then true
// when another copy went in, or the copy in force was withdrawn, meanwhile
// (the caller compares again).
func (f *registryFiles) swapMissing(rf *registryFile, cur, s *dnc.Snapshot, withdrawn bool, sample *[]uint64) (sampled, missing int, changed bool, err error) {
	fallback := rf.sample
	acked := acknowledged(s.Header, cur.Header.Version())
	func() {
		f.mu.Unlock()
		defer f.mu.Lock()
		if f.duringWalk != nil {
			f.duringWalk()
		}
		if *sample, err = sampleOf(s, registrySampleSize, f.sampleSource); err != nil || acked {
			return
		}
		var vs []uint64
		if !withdrawn {
			vs, err = sampleOf(cur, registryReloadSample, f.sampleSource)
		}
		if withdrawn || err != nil {
			if fallback == nil && cur.Header.Count > 0 {
				why := "it is withdrawn"
				if err != nil {
					why = err.Error()
				}
				err = fmt.Errorf("the copy in force %s cannot be read to compare the new copy with (%s), and no sample of it was taken when it went in: restart to compare with the sample recorded in the data directory", cur.Header.Version(), why)
				return
			}
			vs, err = fallback, nil
		}
		sampled = len(vs)
		missing, err = s.Missing(vs)
	}()
	if rf.reg.Snapshot() != cur || (rf.reg.Withdrawn() != nil) != withdrawn {
		return 0, 0, true, nil
	}
	return sampled, missing, false, err
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
