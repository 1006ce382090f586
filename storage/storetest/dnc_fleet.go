package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
)

// TestDNCReadYourWritesAcrossProcesses checks that an opt-out added through
// one handle of a shared store (a) is seen by a dnc.Lists lookup through
// another handle (b: another sidecar of the fleet) that starts after the
// add returned, before b's change feed has relayed it: b's Bloom filter
// does not hold the number yet. hold stops b's feed from relaying
// notifications; it returns a channel closed once the feed is held and a
// function that lets it go on. a and b must share one empty store, and b
// must implement dnc.FeedSyncer.
func TestDNCReadYourWritesAcrossProcesses(t *testing.T, a, b dnc.Store, hold func() (held <-chan struct{}, release func())) {
	t.Helper()
	if err := CheckDNCReadYourWritesAcrossProcesses(context.Background(), a, b, hold); err != nil {
		t.Fatal(err)
	}
}

// CheckDNCReadYourWritesAcrossProcesses is
// TestDNCReadYourWritesAcrossProcesses returning the first failure.
func CheckDNCReadYourWritesAcrossProcesses(ctx context.Context, a, b dnc.Store, hold func() (held <-chan struct{}, release func())) error {
	if _, ok := b.(dnc.FeedSyncer); !ok {
		return fmt.Errorf("b (%T) does not implement dnc.FeedSyncer: its lookups cannot wait for the change feed", b)
	}
	la, err := dnc.NewLists(ctx, a, dnc.ListsOptions{})
	if err != nil {
		return fmt.Errorf("dnc.NewLists(a): %w", err)
	}
	defer la.Close()
	lb, err := dnc.NewLists(ctx, b, dnc.ListsOptions{})
	if err != nil {
		return fmt.Errorf("dnc.NewLists(b): %w", err)
	}
	defer lb.Close()
	n := dialgate.MustParseNumber("+14055550177")
	if es, err := lb.Lookup(ctx, n); err != nil || es != nil {
		return fmt.Errorf("lookup before the opt-out = %v, %v; want none", es, err)
	}
	held, release := hold()
	defer release()
	select {
	case <-held:
	case <-time.After(5 * time.Second):
		return fmt.Errorf("the feed of b was not held within 5s")
	}
	e := dnc.Entry{Number: n, Scope: dnc.MustParseScope("global"), List: "opt_out", Source: "call",
		AddedAt: time.Now().UTC()}
	if err := la.Add(ctx, e); err != nil {
		return fmt.Errorf("add through a: %w", err)
	}
	// The feed relays the opt-out 100 ms after the lookup starts.
	time.AfterFunc(100*time.Millisecond, release)
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	es, err := lb.Lookup(lctx, n)
	if err != nil || len(es) != 1 {
		return fmt.Errorf("lookup through b after the opt-out was acknowledged through a = %v, %v; want the entry", es, err)
	}
	return nil
}

// unsynced is a store without its dnc.FeedSyncer: Lists trusts its Bloom
// filter as soon as the feed has relayed what it has.
type unsynced struct {
	dnc.Store
	dnc.ChangeFeed
}

// BenchListsLookupMiss measures a lookup of a number nobody listed
// through dnc.Lists on s (a store with a change feed and a dnc.FeedSyncer), by one caller per CPU
// and by 32 per CPU: "synced" waits for a probe through the change feed
// (dnc.FeedSyncer), "unsynced" answers from the Bloom filter alone.
func BenchListsLookupMiss(b *testing.B, s interface {
	dnc.Store
	dnc.ChangeFeed
	dnc.FeedSyncer
}) {
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
