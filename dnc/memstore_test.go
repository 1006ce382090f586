package dnc

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/dialgate/dialgate"
)

// testStore is a minimal in-memory Store for this package's tests (the
// reference implementation is storage/memstore).
type testStore struct {
	mu sync.Mutex
	m  map[uint64][]Entry
	// afterRead, if set, runs once after the next DNCEntries returns its
	// copy (outside the lock): a write racing a read-then-remove.
	afterRead func()
}

func newTestStore() *testStore { return &testStore{m: map[uint64][]Entry{}} }

func (s *testStore) AddDNC(ctx context.Context, es ...Entry) error {
	for i, e := range es {
		if err := e.Validate(); err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range es {
		k := e.Number.Uint64()
		cur := s.m[k]
		i := slices.IndexFunc(cur, func(x Entry) bool { return x.Scope == e.Scope })
		if i >= 0 {
			cur[i], _ = Merge(cur[i], e)
			continue
		}
		cur = append(cur, e)
		slices.SortFunc(cur, func(a, b Entry) int { return cmp.Compare(a.Scope.String(), b.Scope.String()) })
		s.m[k] = cur
	}
	return nil
}

func (s *testStore) DNCEntries(ctx context.Context, n dialgate.Number) ([]Entry, error) {
	s.mu.Lock()
	out := slices.Clone(s.m[n.Uint64()])
	hook := s.afterRead
	s.afterRead = nil
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	return out, nil
}

func (s *testStore) RemoveDNC(ctx context.Context, n dialgate.Number, sc Scope, t time.Time) error {
	return s.RemoveDNCIf(ctx, n, sc, t, RemoveCondition{})
}

func (s *testStore) RemoveDNCIf(ctx context.Context, n dialgate.Number, sc Scope, t time.Time, cond RemoveCondition) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.m[n.Uint64()]
	i := slices.IndexFunc(cur, func(x Entry) bool { return x.Scope == sc })
	if i < 0 {
		return ErrNotListed
	}
	if t.Before(cur[i].HoldUntil) {
		return fmt.Errorf("held until %s: %w", cur[i].HoldUntil.Format(time.RFC3339), ErrHeld)
	}
	if !cond.Allows(cur[i]) {
		return fmt.Errorf("added at %s: %w", cur[i].AddedAt.Format(time.RFC3339), ErrChanged)
	}
	cur = slices.Delete(cur, i, i+1)
	if len(cur) == 0 {
		delete(s.m, n.Uint64())
	} else {
		s.m[n.Uint64()] = cur
	}
	return nil
}

func (s *testStore) ScanDNC(ctx context.Context, fn func(Entry) error) error {
	s.mu.Lock()
	var all []Entry
	for _, es := range s.m {
		all = append(all, es...)
	}
	s.mu.Unlock()
	slices.SortFunc(all, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(a.Number.Uint64(), b.Number.Uint64()), cmp.Compare(a.Scope.String(), b.Scope.String()))
	})
	for _, e := range all {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}
