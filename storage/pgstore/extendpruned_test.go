package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
)

// TestExtendedEntriesNotPrunedByLaterReservation: a process still on the
// earlier configuration (a rolling deploy) that reserves under a counter key
// whose entries ExtendCounterExpiry kept for a lengthened window, after
// they have left its own (short) window, must not delete them: the new
// configuration still counts them under the key for the longer window (a
// cap under-counted: calls allowed it should have denied). Entries whose
// own expiry has passed are pruned as before.
func TestExtendedEntriesNotPrunedByLaterReservation(t *testing.T) {
	url := pgURL(t)
	ctx := context.Background()
	s := open(t, url, newSchema(t, url))
	lim := storage.Limit{Key: "acme|c1|cap||1h", Member: "a", Window: time.Hour, Max: 5}
	reserve(t, s, "p-1", expT0, lim)
	reserve(t, s, "p-0", expT0.Add(-time.Hour), storage.Limit{Key: "acme|c2|cap||1h", Window: time.Hour, Max: 5})
	if n, err := s.ExtendCounterExpiry(ctx, "|c1|cap||1h", expT0.Add(5*time.Hour), expT0); err != nil || n != 1 {
		t.Fatalf("ExtendCounterExpiry: %d, %v; want 1", n, err)
	}
	// The earlier configuration reserves again, 2 h later: p-1 has left
	// its window, not its extension.
	lim.Member = "b"
	reserve(t, s, "p-2", expT0.Add(2*time.Hour), lim)
	u, err := s.Usage(ctx, expT0.Add(2*time.Hour), []storage.Limit{{Key: lim.Key, Member: "c", Window: 4 * time.Hour, Max: 5}})
	if err != nil || u[0].Count != 2 {
		t.Fatalf("usage with the lengthened window: %+v, %v; want count 2 (p-1 kept by the extension, not pruned)", u, err)
	}
	// Not extended: pruned by the next reservation past its window.
	reserve(t, s, "p-3", expT0.Add(2*time.Hour), storage.Limit{Key: "acme|c2|cap||1h", Window: time.Hour, Max: 5})
	if n := countRows(t, s, `SELECT count(*) FROM counter_entries WHERE id = 'p-0'`); n != 0 {
		t.Fatalf("an entry past its window and its expiry was kept by a reservation (%d rows)", n)
	}
}
