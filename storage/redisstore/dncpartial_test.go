package redisstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage"
)

// An opt-out is one script, which Redis does not undo when a command of it
// fails after the entry was written. With the index of listed numbers
// ("{prefix}:dn") or the evidence list ("{prefix}:dr") damaged, AddDNC
// stored the entry and then failed before publishing it: another sidecar's
// Bloom filter never heard of it, and its lookups answered "not listed" —
// the opt-out allowed there. Now the entry is stored and published, and
// AddDNC fails with storage.ErrCorrupt naming the key to repair.
func TestAddDNCDamagedIndexStillNotifies(t *testing.T) {
	url := redisURL(t)
	ctx := context.Background()
	for _, key := range []string{"dn", "dr"} {
		t.Run(key, func(t *testing.T) {
			p := newPrefix(t, url)
			a, b := open(t, url, p), open(t, url, p)
			lb, err := dnc.NewLists(ctx, b, dnc.ListsOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer lb.Close()
			n := dialgate.MustParseNumber("+8613900139301")
			e := dnc.Entry{Number: n, Scope: dnc.MustParseScope("global"), List: "opt_out", Source: "call",
				AddedAt: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}
			if key == "dr" {
				// Evidence is written only when a damaged entry is
				// replaced: plant one.
				c := rawClient(t, url)
				if err := c.HSet(ctx, "{"+p+"}:d:00000008613900139301", "s:global", "{not json", "h:global", "").Err(); err != nil {
					t.Fatal(err)
				}
			}
			c := rawClient(t, url)
			if err := c.Set(ctx, "{"+p+"}:"+key, "damaged", 0).Err(); err != nil {
				t.Fatal(err)
			}
			aerr := a.AddDNC(ctx, e)
			es, err := lb.Lookup(ctx, n)
			if err == nil && len(es) == 0 {
				t.Fatalf("with %s damaged, AddDNC = %v, and another sidecar's lookup answers not listed", key, aerr)
			}
			if !errors.Is(aerr, storage.ErrCorrupt) {
				t.Fatalf("AddDNC with %s damaged: %v; want storage.ErrCorrupt naming the key", key, aerr)
			}
			if es, err := a.DNCEntries(ctx, n); err != nil || len(es) != 1 || es[0].List != "opt_out" {
				t.Fatalf("the opt-out after AddDNC with %s damaged: %v, %v; want it stored", key, es, err)
			}
		})
	}
}
