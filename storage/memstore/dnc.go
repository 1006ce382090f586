package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage"
)

type dncState struct {
	mu sync.RWMutex
	m  map[uint64][]dnc.Entry // sorted by scope text
}

var _ dnc.Store = (*Store)(nil)

var _ dnc.ChangeFeed = (*Store)(nil)

// WatchDNC implements dnc.ChangeFeed: w hears of every change that AddDNC,
// RemoveDNC and RemoveDNCIf make, before they return, so that a Gate's
// do-not-call lists (dnc.NewLists subscribes) see an entry written straight
// into the store, not only one added through the dnc check. The feed is
// never lost (the store lives in this process).
func (s *Store) WatchDNC(w dnc.ChangeWatcher) (cancel func()) { return s.dncFeed().Watch(w) }

// AddDNC implements dnc.Store: an entry stored under the key of one added
// that fails dnc.Entry.ValidateStored is replaced (dnc.ReplaceDamaged).
// The store's change feed (WatchDNC) hears of every entry before AddDNC
// returns.
func (s *Store) AddDNC(ctx context.Context, entries ...dnc.Entry) error {
	if err := s.addDNC(entries); err != nil {
		return err
	}
	for _, e := range entries {
		s.dncFeed().Notify(e.Number)
	}
	return nil
}

func (s *Store) addDNC(entries []dnc.Entry) error {
	if err := s.check("AddDNC"); err != nil {
		return err
	}
	for i, e := range entries {
		if err := e.Validate(); err != nil {
			return fmt.Errorf("memstore: AddDNC: entry %d: %w", i, err)
		}
	}
	st := &s.dnc
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.m == nil {
		st.m = map[uint64][]dnc.Entry{}
	}
	for _, e := range entries {
		k := e.Number.Uint64()
		cur := st.m[k]
		i, found := slices.BinarySearchFunc(cur, e.Scope.String(), func(x dnc.Entry, s string) int { return cmp.Compare(x.Scope.String(), s) })
		if found {
			if cur[i].ValidateStored(e.Number, e.Scope) != nil {
				// Damaged: replaced by e, keeping its hold if longer. The
				// memstore keeps nothing beyond the process, so no copy.
				cur[i] = dnc.ReplaceDamaged(e, cur[i].HoldUntil)
			} else {
				cur[i], _ = dnc.Merge(cur[i], e)
			}
			continue
		}
		st.m[k] = slices.Insert(cur, i, e)
	}
	return nil
}

// DNCEntries implements dnc.Store.
func (s *Store) DNCEntries(ctx context.Context, n dialgate.Number) ([]dnc.Entry, error) {
	if err := s.check("DNCEntries"); err != nil {
		return nil, err
	}
	st := &s.dnc
	st.mu.RLock()
	defer st.mu.RUnlock()
	es := st.m[n.Uint64()]
	if err := checkDNC(n, es); err != nil {
		return nil, err
	}
	return slices.Clone(es), nil
}

// RemoveDNC implements dnc.Store.
func (s *Store) RemoveDNC(ctx context.Context, n dialgate.Number, sc dnc.Scope, t time.Time) error {
	return s.RemoveDNCIf(ctx, n, sc, t, dnc.RemoveCondition{})
}

// RemoveDNCIf implements dnc.Store: the entry's soundness
// (dnc.Entry.ValidateStored) and cond are checked under the same lock as the
// hold and the removal. The store's change feed (WatchDNC) hears of a
// removal before RemoveDNCIf returns.
func (s *Store) RemoveDNCIf(ctx context.Context, n dialgate.Number, sc dnc.Scope, t time.Time, cond dnc.RemoveCondition) error {
	if err := s.removeDNCIf(n, sc, t, cond); err != nil {
		return err
	}
	s.dncFeed().Notify(n)
	return nil
}

func (s *Store) removeDNCIf(n dialgate.Number, sc dnc.Scope, t time.Time, cond dnc.RemoveCondition) error {
	if err := s.check("RemoveDNC"); err != nil {
		return err
	}
	st := &s.dnc
	st.mu.Lock()
	defer st.mu.Unlock()
	k := n.Uint64()
	cur := st.m[k]
	i := slices.IndexFunc(cur, func(x dnc.Entry) bool { return x.Scope == sc })
	if i < 0 {
		return fmt.Errorf("memstore: RemoveDNC %s: %w", sc, dnc.ErrNotListed)
	}
	if err := cur[i].ValidateStored(n, sc); err != nil {
		// Its hold and added_at cannot be trusted: kept.
		return fmt.Errorf("memstore: RemoveDNC: %w", storage.CheckRecord("dnc entry", dnc.StoredKey(n, sc.String()), err))
	}
	if t.Before(cur[i].HoldUntil) {
		return fmt.Errorf("memstore: RemoveDNC %s: held until %s: %w", sc, cur[i].HoldUntil.Format(time.RFC3339), dnc.ErrHeld)
	}
	if !cond.Allows(cur[i]) {
		return fmt.Errorf("memstore: RemoveDNC %s: added at %s: %w", sc, cur[i].AddedAt.Format(time.RFC3339), dnc.ErrChanged)
	}
	cur = slices.Delete(slices.Clone(cur), i, i+1)
	if len(cur) == 0 {
		delete(st.m, k)
	} else {
		st.m[k] = cur
	}
	return nil
}

// ScanDNC implements dnc.Store: number then scope order, on a copy taken at
// the start.
func (s *Store) ScanDNC(ctx context.Context, fn func(dnc.Entry) error) error {
	if err := s.check("ScanDNC"); err != nil {
		return err
	}
	st := &s.dnc
	st.mu.RLock()
	keys := make([]uint64, 0, len(st.m))
	for k := range st.m {
		keys = append(keys, k)
	}
	all := make([]dnc.Entry, 0, len(keys))
	slices.Sort(keys)
	for _, k := range keys {
		n, err := dialgate.NumberFromUint64(k)
		if err == nil {
			err = checkDNC(n, st.m[k])
		}
		if err != nil {
			st.mu.RUnlock()
			return err
		}
		all = append(all, st.m[k]...)
	}
	st.mu.RUnlock()
	for _, e := range all {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// checkDNC checks the entries filed under number n
// (dnc.Entry.ValidateStored): the first bad one is a storage.RecordError.
func checkDNC(n dialgate.Number, es []dnc.Entry) error {
	for _, e := range es {
		if err := e.ValidateStored(n, dnc.Scope{}); err != nil {
			return storage.CheckRecord("dnc entry", dnc.StoredKey(n, e.Scope.String()), err)
		}
	}
	return nil
}
