package callerid

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/dialgate/dialgate"
)

var errFakeNotFound = errors.New("fake: not found")

// fakeStore is a minimal in-memory Store for this package's tests (the real
// reference implementation is storage/memstore, tested by storetest).
type fakeStore struct {
	mu      sync.Mutex
	m       map[key]Entry
	version uint64
	fail    error
	lists   int
}

func newFakeStore(entries ...Entry) *fakeStore {
	s := &fakeStore{m: map[key]Entry{}}
	if err := s.PutLedger(context.Background(), entries...); err != nil {
		panic(err)
	}
	return s
}

func (s *fakeStore) PutLedger(_ context.Context, entries ...Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	norm := make([]Entry, len(entries))
	for i, e := range entries {
		n, err := e.Normalize()
		if err != nil {
			return err
		}
		norm[i] = n
	}
	for _, e := range norm {
		s.m[key{e.Tenant, e.Number}] = e
	}
	s.version++
	return nil
}

func (s *fakeStore) DeleteLedgerEntry(_ context.Context, tenant string, n dialgate.Number) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[key{tenant, n}]; !ok {
		return errFakeNotFound
	}
	delete(s.m, key{tenant, n})
	s.version++
	return nil
}

func (s *fakeStore) LedgerEntry(_ context.Context, tenant string, n dialgate.Number) (Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key{tenant, n}]
	if !ok {
		return Entry{}, errFakeNotFound
	}
	return e, nil
}

func (s *fakeStore) ListLedger(context.Context) ([]Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return nil, s.fail
	}
	s.lists++
	out := make([]Entry, 0, len(s.m))
	for _, e := range s.m {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Number.Uint64(), b.Number.Uint64()))
	})
	return out, nil
}

func (s *fakeStore) LedgerVersion(context.Context) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return 0, s.fail
	}
	return s.version, nil
}
