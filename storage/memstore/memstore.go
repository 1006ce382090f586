package memstore

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/internal/countstate"
	"github.com/dialgate/dialgate/storage/internal/feedhub"
)

// Store is an in-memory store implementing every domain store interface of
// dialgate, starting with storage.Counters. Create it with New; the zero Store
// is not usable. A Store is safe for concurrent use by many goroutines. After
// Close every method returns an error wrapping storage.ErrClosed.
type Store struct {
	closed atomic.Bool

	counters   *countstate.State
	recordings recordingState
	ledger     ledgerState
	complaints table[complaint.Complaint]
	// repairedFrom holds, by complaint id, the damaged complaint (as JSON)
	// its latest repair replaced, guarded by complaints.mu: a retry of that
	// repair answers it again (RepairComplaint).
	repairedFrom map[string][]byte
	// Domain files add their state here, one field per domain.
	dnc dncState

	consents consentState
	runs     runState

	feedOnce sync.Once
	feed     *feedhub.Hub // the in-process do-not-call change feed (WatchDNC); see dncFeed
}

// dncFeed returns the do-not-call change feed, made on first use for a Store
// not made by New.
func (s *Store) dncFeed() *feedhub.Hub {
	s.feedOnce.Do(func() {
		if s.feed == nil {
			s.feed = feedhub.NewLive()
		}
	})
	return s.feed
}

// New returns an empty Store.
func New() *Store {
	s := &Store{counters: countstate.New(), feed: feedhub.NewLive()}
	return s
}

// Close marks the store closed. It is idempotent.
func (s *Store) Close() error {
	s.closed.Store(true)
	return nil
}

func (s *Store) check(op string) error {
	if s.closed.Load() {
		return fmt.Errorf("memstore: %s: %w", op, storage.ErrClosed)
	}
	return nil
}

var (
	_ storage.Counters       = (*Store)(nil)
	_ storage.CounterExpirer = (*Store)(nil)
	_ storage.Runs           = (*Store)(nil)
)
