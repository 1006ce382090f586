package memstore

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
)

// TestZeroStoreDNCFeed: the do-not-call writes of a Store not made by New
// (documented unusable, but its do-not-call lists worked before the change
// feed) do not panic on the feed, and a watcher of it hears of them.
func TestZeroStoreDNCFeed(t *testing.T) {
	var s Store
	ctx := context.Background()
	n := dialgate.MustParseNumber("+8613900139000")
	lists, err := dnc.NewLists(ctx, &s, dnc.ListsOptions{Capacity: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddDNC(ctx, dnc.Entry{Number: n, Scope: dnc.GlobalScope, List: "opt_out", AddedAt: time.Unix(1e9, 0)}); err != nil {
		t.Fatal(err)
	}
	if es, err := lists.Lookup(ctx, n); err != nil || len(es) != 1 {
		t.Fatalf("Lookup after AddDNC on the zero Store = %v, %v; want the entry", es, err)
	}
}
