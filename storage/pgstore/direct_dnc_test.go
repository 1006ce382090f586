package pgstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
)

// TestDirectDNCWriteSeenAtOnce: an entry written straight into the store
// (Store.AddDNC, as an embedder does, not through Lists.Add) is seen by a
// Lists of the same Store on the next lookup, and so is its removal. Before,
// the same process heard of its own write only when the server's
// notification came back: a lookup in between answered "not listed" from the
// Bloom filter (about 4 in 100 dials right after the opt-out).
func TestDirectDNCWriteSeenAtOnce(t *testing.T) {
	url := pgURL(t)
	s := open(t, url, newSchema(t, url))
	ctx := context.Background()
	lists, err := dnc.NewLists(ctx, s, dnc.ListsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer lists.Close()
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	missed, stale := 0, 0
	for i := range 200 {
		n := dialgate.MustParseNumber(fmt.Sprintf("+86139001%05d", i))
		if err := s.AddDNC(ctx, dnc.Entry{Number: n, Scope: dnc.GlobalScope, List: "opt_out", AddedAt: at}); err != nil {
			t.Fatal(err)
		}
		if es, err := lists.Lookup(ctx, n); err != nil {
			t.Fatal(err)
		} else if len(es) == 0 {
			missed++
		}
		if err := s.RemoveDNC(ctx, n, dnc.GlobalScope, at); err != nil {
			t.Fatal(err)
		}
		if es, err := lists.Lookup(ctx, n); err != nil {
			t.Fatal(err)
		} else if len(es) != 0 {
			stale++
		}
	}
	if missed != 0 || stale != 0 {
		t.Errorf("of 200 numbers, %d not listed right after AddDNC and %d still listed right after RemoveDNC; want 0 and 0", missed, stale)
	}
}
