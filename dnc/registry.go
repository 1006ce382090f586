package dnc

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/dialgate/dialgate"
)

// RegistryStatus describes the copy of a registry a Provider answers from.
type RegistryStatus struct {
	Name    string    // registry name
	Version string    // content version (snapshot hash prefix)
	AsOf    time.Time // the instant the data is current as of
	Count   int       // numbers listed
	// Scope is the scope the copy applies in (Scope.String, "global" for
	// a copy without one); empty when the Provider does not say. Two
	// copies of the same numbers as of the same instant differ in it
	// alone, and a lookup in one scope can miss a dial the other lists.
	Scope string
}

// Hit is a registry's answer that a number is listed.
type Hit struct {
	List    string    // registry or list name
	Scope   Scope     // scope the listing applies in
	Source  string    // where the data came from
	AddedAt time.Time // when the number was listed (a registry copy's as-of when unknown)
}

// A Provider answers from an external do-not-call registry: a national
// registry copy (US National DNC, UK TPS, Canada DNCL, Australia DNCR) or the
// CN platform's per-industry willingness (CN-S13). Implementations must be
// safe for concurrent use. A Provider that also has a method Withdrawn() error
// (as Registry does) and returns an error from it has a copy that must not be
// answered from: the check then denies every dial (dnc.unavailable) with it.
type Provider interface {
	// Name is the registry's name, as profiles refer to it.
	Name() string
	// Status returns the copy in use; ok is false when none is: none is
	// loaded, or the loaded one is withdrawn (see Withdrawn above), so that
	// no age is reported for a copy that answers no dial. The check reads it
	// before and after Lookup and asks again when the two differ (a copy
	// swapped in between), so two calls about the same copy must return the
	// same Version, AsOf, Count and Scope.
	Status() (st RegistryStatus, ok bool)
	// Lookup reports whether d.To is listed for dial d. An error means the
	// registry could not answer (the check then denies).
	Lookup(ctx context.Context, d dialgate.Dial) (Hit, bool, error)
}

// ErrNoCopy is returned by Registry.Lookup when no snapshot is loaded.
var ErrNoCopy = errors.New("dnc: no registry copy loaded")

// Registry is a Provider answering from an in-memory or memory-mapped
// snapshot. Swap replaces the snapshot atomically while lookups run: a lookup
// sees either the old or the new snapshot, never a mix, and is never blocked.
// The snapshot's header scope (global when empty) limits the dials it applies
// to, so the CN platform's willingness for one industry is a Registry whose
// snapshot has scope "industry:<x>". Create it with NewRegistry.
type Registry struct {
	name string
	cur  atomic.Pointer[loaded]
}

type loaded struct {
	snap  *Snapshot
	scope Scope
	// scopeText is scope.String(), made once at Swap (Status is read
	// twice a check).
	scopeText string
	// withdrawn, when not nil, says why the copy may no longer be answered
	// from (its file changed in place); it is set by a compare-and-swap of a
	// new loaded, never written into a published one.
	withdrawn error
}

// NewRegistry returns an empty registry named name.
func NewRegistry(name string) (*Registry, error) {
	if name == "" || len(name) > 128 {
		return nil, fmt.Errorf("dnc: registry name must be 1 to 128 bytes: %w", dialgate.ErrInvalidConfig)
	}
	return &Registry{name: name}, nil
}

// Name returns the registry's name.
func (r *Registry) Name() string { return r.name }

// Swap makes s the registry's snapshot and returns the previous one (nil if
// none). Lookups already running finish on the previous snapshot. A nil
// snapshot, or one whose Header.Name is not the registry's name, is an error
// and the current copy stays: a registry is never emptied or filled with
// another list by a failed load.
func (r *Registry) Swap(s *Snapshot) (*Snapshot, error) {
	if s == nil {
		return nil, fmt.Errorf("dnc: registry %s: nil snapshot", r.name)
	}
	if s.Header.Name != r.name {
		// A copy of another list would pass the age check while the
		// registry's own numbers went unlisted.
		return nil, fmt.Errorf("dnc: registry %s: snapshot is of list %q", r.name, s.Header.Name)
	}
	sc := GlobalScope
	if s.Header.Scope != "" {
		var err error
		if sc, err = ParseScope(s.Header.Scope); err != nil {
			return nil, fmt.Errorf("dnc: registry %s: %w", r.name, err)
		}
	}
	old := r.cur.Swap(&loaded{snap: s, scope: sc, scopeText: sc.String()})
	if old == nil {
		return nil, nil
	}
	return old.snap, nil
}

// Snapshot returns the current snapshot, or nil.
func (r *Registry) Snapshot() *Snapshot {
	if l := r.cur.Load(); l != nil {
		return l.snap
	}
	return nil
}

// Status implements Provider. A copy withdrawn because its file changed in
// place (CheckFile, or a fault in Lookup) is in use for no dial: Status
// reports no copy (ok false), as before the first Swap, until Swap puts
// another copy in; Snapshot still returns the withdrawn one.
func (r *Registry) Status() (RegistryStatus, bool) {
	l := r.cur.Load()
	if l == nil || l.withdrawn != nil {
		return RegistryStatus{Name: r.name}, false
	}
	h := l.snap.Header
	return RegistryStatus{Name: r.name, Version: h.Version(), AsOf: h.Effective(), Count: h.Count, Scope: l.scopeText}, true
}

// CopyScope returns the scope the copy in use applies in (its header's
// scope, global when it names none); ok is false when no copy is in use (see
// Status). The do-not-call check refuses a copy of a registry the profile
// requires whose scope is not global.
func (r *Registry) CopyScope() (Scope, bool) {
	l := r.cur.Load()
	if l == nil || l.withdrawn != nil {
		return Scope{}, false
	}
	return l.scope, true
}

// Lookup implements Provider. A copy withdrawn because its file changed in
// place (CheckFile) is an error wrapping ErrSnapshotChanged, and a memory
// fault reading a memory-mapped copy (its file truncated) is an error
// wrapping ErrSnapshotFault that withdraws the copy: the check denies
// (dnc.unavailable) until Swap puts another copy in.
func (r *Registry) Lookup(_ context.Context, d dialgate.Dial) (Hit, bool, error) {
	l := r.cur.Load()
	if l == nil {
		return Hit{}, false, fmt.Errorf("registry %s: %w", r.name, ErrNoCopy)
	}
	if l.withdrawn != nil {
		return Hit{}, false, l.withdrawn
	}
	if !l.scope.Matches(d) {
		return Hit{}, false, nil
	}
	listed, err := l.snap.lookup(d.To.Uint64())
	if err != nil {
		return Hit{}, false, r.withdraw(l, err)
	}
	if !listed {
		return Hit{}, false, nil
	}
	h := l.snap.Header
	return Hit{List: r.name, Scope: l.scope, Source: h.Source, AddedAt: h.Effective()}, true, nil
}

// CheckFile checks that the file the loaded copy is memory-mapped from was
// not changed in place since it was verified (Snapshot.CheckFile). When it
// was, the copy is withdrawn: Lookup returns the error (wrapping
// ErrSnapshotChanged) and the check denies every dial of a profile that
// requires the registry (dnc.unavailable), until Swap puts another copy in.
// It returns that error, also when the copy was withdrawn before; nil when
// the copy is in use, is in memory, or none is loaded. It costs a stat of the
// open file and a compare of the header; call it periodically (`dialgate
// serve` does every second), not per lookup.
func (r *Registry) CheckFile() error {
	l := r.cur.Load()
	if l == nil {
		return nil
	}
	if l.withdrawn != nil {
		return l.withdrawn
	}
	if err := l.snap.CheckFile(); err != nil {
		return r.withdraw(l, err)
	}
	return nil
}

// withdraw marks the copy l as no longer to be answered from, for err, unless
// another copy was swapped in meanwhile, and returns the error lookups get.
func (r *Registry) withdraw(l *loaded, err error) error {
	err = fmt.Errorf("registry %s: the loaded copy (version %s) is withdrawn, every dial is denied until a copy loads cleanly: %w",
		r.name, l.snap.Header.Version(), err)
	if r.cur.CompareAndSwap(l, &loaded{snap: l.snap, scope: l.scope, scopeText: l.scopeText, withdrawn: err}) {
		return err
	}
	if cur := r.cur.Load(); cur != nil && cur.snap == l.snap && cur.withdrawn != nil {
		return cur.withdrawn // withdrawn by another caller first
	}
	return err // another copy is in: this lookup's copy is gone anyway
}

// Withdrawn returns why the loaded copy is no longer answered from (its file
// changed in place: CheckFile, or a fault in Lookup), or nil.
func (r *Registry) Withdrawn() error {
	if l := r.cur.Load(); l != nil {
		return l.withdrawn
	}
	return nil
}

// LoadRegistries opens each snapshot file (memory-mapped where the platform
// allows) and returns one registry per file, named by its header's Name, with
// the snapshot swapped in. Two files with the same name are an error, and so
// is a damaged file: a registry is never loaded half or empty.
func LoadRegistries(paths ...string) ([]*Registry, error) {
	var out []*Registry
	seen := map[string]string{}
	for _, p := range paths {
		s, err := OpenSnapshot(p)
		if err != nil {
			return nil, fmt.Errorf("registry snapshot %s: %w", p, err)
		}
		name := s.Header.Name
		if prev, dup := seen[name]; dup {
			return nil, fmt.Errorf("registry snapshot %s: registry %q is also loaded from %s: %w", p, name, prev, dialgate.ErrInvalidConfig)
		}
		seen[name] = p
		r, err := NewRegistry(name)
		if err != nil {
			return nil, fmt.Errorf("registry snapshot %s: %w", p, err)
		}
		if _, err := r.Swap(s); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}
