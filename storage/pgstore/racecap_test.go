package pgstore_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
)

// TestCapOfOneAcrossProcesses: processes sharing the database (each its own
// Store and pool; one on a server default of REPEATABLE READ) reserve at
// once under a cap of 1, on keys whose rows the expiry of a third process
// keeps deleting (each round's key has expired entries and no live ones,
// so ExpireCounters deletes its row between a reservation's insert of the
// row and its lock): exactly one reservation of each key wins, and none
// fails open when the lock misses a deleted row.
func TestCapOfOneAcrossProcesses(t *testing.T) {
	url := pgURL(t)
	schema := newSchema(t, url)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	a, b := open(t, url, schema), open(t, url+sep+"default_transaction_isolation=repeatable%20read", schema)
	x := open(t, url, schema)
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	const rounds, each = 20, 8
	for r := range rounds {
		l := storage.Limit{Key: fmt.Sprintf("cap1/%d", r), Window: time.Minute, Max: 1}
		// An old entry of the key, expired at the round's instant.
		if ok, _, err := a.Reserve(ctx, fmt.Sprintf("old-%d", r), at.Add(-time.Hour), []storage.Limit{l}); err != nil || !ok {
			t.Fatalf("round %d: old reservation: %v, %v", r, ok, err)
		}
		var (
			won  atomic.Int32
			wg   sync.WaitGroup
			errs = make(chan error, 2*each+1)
		)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if _, err := x.ExpireCounters(ctx, at); err != nil {
					errs <- err
				}
			}
		}()
		for i := range 2 * each {
			s := a
			if i%2 == 1 {
				s = b
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, _, err := s.Reserve(ctx, fmt.Sprintf("r%d-%d", r, i), at.Add(time.Duration(i)*time.Millisecond), []storage.Limit{l})
				if err != nil {
					errs <- err
					return
				}
				if ok {
					won.Add(1)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("round %d: %v", r, err)
		}
		if n := won.Load(); n != 1 {
			t.Fatalf("round %d: %d reservations won a cap of 1 (want exactly 1)", r, n)
		}
	}
}
