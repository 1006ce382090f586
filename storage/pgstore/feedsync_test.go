package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage/pgstore"
)

// An opt-out one process acknowledged is seen by every lookup another
// process starts after it, before that process's change feed has relayed
// it: the other process's Bloom filter does not have the number yet, and
// once answered "not listed" from it (found by the fleet's randomized
// concurrency review, internal/sidecar TestFleetRace: a dial checked on
// another sidecar microseconds after the opt-out was acknowledged was
// allowed).
func TestOptOutReadYourWritesAcrossProcesses(t *testing.T) {
	url := pgURL(t)
	p := newSchema(t, url)
	a, b := open(t, url, p), open(t, url, p)
	ctx := context.Background()
	la, err := dnc.NewLists(ctx, a, dnc.ListsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer la.Close()
	lb, err := dnc.NewLists(ctx, b, dnc.ListsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	n := dialgate.MustParseNumber("+14055550177")
	if es, err := lb.Lookup(ctx, n); err != nil || es != nil {
		t.Fatalf("Lookup before = %v, %v", es, err)
	}
	held, release := pgstore.HoldFeed(b)
	defer release()
	select {
	case <-held:
	case <-time.After(5 * time.Second):
		t.Fatal("the feed was not held")
	}
	e := dnc.Entry{Number: n, Scope: dnc.MustParseScope("global"), List: "opt_out", Source: "call",
		AddedAt: time.Now().UTC()}
	if err := la.Add(ctx, e); err != nil {
		t.Fatal(err)
	}
	// The feed relays the opt-out 100 ms after the lookup starts.
	time.AfterFunc(100*time.Millisecond, release)
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	es, err := lb.Lookup(lctx, n)
	if err != nil || len(es) != 1 {
		t.Fatalf("Lookup in the other process after the opt-out was acknowledged = %v, %v; want the entry", es, err)
	}
}

// unsynced is a Store without its dnc.FeedSyncer: Lists trusts its Bloom
// filter as soon as the feed has relayed what it has (as before SyncDNC).
type unsynced struct {
	dnc.Store
	dnc.ChangeFeed
}

// BenchmarkListsLookupMiss measures a lookup of a number nobody listed
// through dnc.Lists on PostgreSQL, by one caller per CPU and by 32 per CPU:
// "synced" waits for a probe through the change feed (SyncDNC, shared by the
// lookups made meanwhile), "unsynced" answers from the Bloom filter alone.
func BenchmarkListsLookupMiss(b *testing.B) {
	url := pgURL(b)
	s := open(b, url, newSchema(b, url))
	ctx := context.Background()
	for _, bc := range []struct {
		name  string
		store dnc.Store
		par   int
	}{{"synced/1", s, 1}, {"unsynced/1", unsynced{s, s}, 1}, {"synced/32", s, 32}, {"unsynced/32", unsynced{s, s}, 32}} {
		b.Run(bc.name, func(b *testing.B) {
			l, err := dnc.NewLists(ctx, bc.store, dnc.ListsOptions{})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			b.SetParallelism(bc.par)
			b.RunParallel(func(pb *testing.PB) {
				n := dialgate.MustParseNumber("+14055550199")
				for pb.Next() {
					if es, err := l.Lookup(ctx, n); err != nil || es != nil {
						b.Errorf("Lookup = %v, %v", es, err)
						return
					}
				}
			})
		})
	}
}
