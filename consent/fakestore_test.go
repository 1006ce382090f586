package consent

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage"
)

// fakeStore is an in-package Store for the check's tests. The conformance
// suite in storage/storetest checks the real stores against the same contract.
type fakeStore struct {
	mu     sync.Mutex
	recs   map[string]Record
	events []Event
	rev    atomic.Uint64

	// hooks for race tests
	beforeByNumber func()
	afterByNumber  func()
	fail           error
	byNumberCalls  atomic.Int64
}

func newFakeStore() *fakeStore { return &fakeStore{recs: map[string]Record{}} }

func (s *fakeStore) AddConsent(ctx context.Context, r Record) error {
	if err := r.ValidateNew(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.recs[r.ID]; ok {
		return fmt.Errorf("consent %s: %w", r.ID, storage.ErrConflict)
	}
	s.recs[r.ID] = r
	s.appendLocked(Event{Type: EventGranted, ConsentID: r.ID, Number: r.Number, At: r.GrantedAt, Channel: r.Channel})
	return nil
}

func (s *fakeStore) appendLocked(e Event) {
	e.Seq = s.rev.Load() + 1
	s.events = append(s.events, e)
	s.rev.Store(e.Seq)
}

func (s *fakeStore) Consent(ctx context.Context, id string) (Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return Record{}, s.fail
	}
	r, ok := s.recs[id]
	if !ok {
		return Record{}, fmt.Errorf("consent %s: %w", id, storage.ErrNotFound)
	}
	return r, nil
}

func (s *fakeStore) ConsentsByNumber(ctx context.Context, n dialgate.Number) ([]Record, error) {
	s.byNumberCalls.Add(1)
	if s.beforeByNumber != nil {
		s.beforeByNumber()
	}
	if s.afterByNumber != nil {
		defer s.afterByNumber()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return nil, s.fail
	}
	var out []Record
	for _, r := range s.recs {
		if r.Number == n {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Record) int {
		if c := a.GrantedAt.Compare(b.GrantedAt); c != 0 {
			return c
		}
		return compareStr(a.ID, b.ID)
	})
	return out, nil
}

func compareStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *fakeStore) RevokeConsent(ctx context.Context, id string, at time.Time, channel string) (Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.recs[id]
	if !ok {
		return Record{}, fmt.Errorf("consent %s: %w", id, storage.ErrNotFound)
	}
	if r.Revoked() {
		return r, nil
	}
	r, ev, err := RevokedRecord(r, at, channel)
	if err != nil {
		return Record{}, err
	}
	s.recs[id] = r
	s.appendLocked(ev)
	return r, nil
}

func (s *fakeStore) ConsentHistory(ctx context.Context, n dialgate.Number) ([]Event, error) {
	if s.fail != nil {
		return nil, s.fail
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Event
	for _, e := range s.events {
		if e.Number == n {
			out = append(out, e)
		}
	}
	return out, nil
}

func (s *fakeStore) ConsentRevision(ctx context.Context) (uint64, error) {
	return s.rev.Load(), nil
}

func (s *fakeStore) ConsentEventsSince(ctx context.Context, since uint64, limit int) ([]Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if since >= uint64(len(s.events)) {
		return nil, nil
	}
	out := s.events[since:]
	if len(out) > limit {
		out = out[:limit]
	}
	return slices.Clone(out), nil
}
