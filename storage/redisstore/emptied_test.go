package redisstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/internal/faultproxy"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/redisstore"
)

// wipe deletes every key of prefix p, as a Redis server restarted without
// persistence (--save "" and appendonly no) comes back: empty.
func wipe(t *testing.T, url, p string) {
	t.Helper()
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	defer c.Close()
	ctx := context.Background()
	keys, err := c.Keys(ctx, "{"+p+"}:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) > 0 {
		if err := c.Del(ctx, keys...).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// Redis restarts and comes back empty (no persistence): the counters that
// held a callee's cap and the opt-outs are gone. A running sidecar must
// notice the emptied store and deny with <check>.unavailable, never count
// from zero again (a callee called too soon) or forget an opt-out.
func TestEmptiedStoreDenies(t *testing.T) {
	url := redisURL(t)
	p := newPrefix(t, url)
	px, purl := faultproxy.ForURL(t, url, "6379")
	s := open(t, purl, p)
	t.Cleanup(px.Cut)
	g, lists := sidecarGate(t, s)
	ctx := context.Background()

	capped, listed := "+8613900139101", "+8613900139102"
	if d, err := g.Check(ctx, dial(capped)); !d.Allowed || err != nil {
		t.Fatalf("first dial: %v, %v", d.Codes(), err)
	}
	if err := lists.Add(ctx, dnc.Entry{Number: dialgate.MustParseNumber(listed), Scope: dnc.MustParseScope("global"),
		List: "opt_out", Source: "call", AddedAt: gateT0}); err != nil {
		t.Fatal(err)
	}
	if d, _ := g.Check(ctx, dial(listed)); !d.Has(dialgate.CodeDNCListed) {
		t.Fatalf("listed before the restart: %v", d.Codes())
	}

	// The restart: every connection drops, the data is gone.
	px.Cut()
	wipe(t, url, p)
	px.Restore()

	for range 3 {
		if d, _ := g.Check(ctx, dial(capped)); d.Allowed || !d.Has(dialgate.UnavailableCode("frequency")) {
			t.Fatalf("capped callee after the store emptied: allowed %v, codes %v; want a deny with frequency.unavailable", d.Allowed, d.Codes())
		}
		if d, _ := g.Check(ctx, dial(listed)); d.Allowed || !d.Has(dialgate.UnavailableCode("dnc")) {
			t.Fatalf("opted-out callee after the store emptied: allowed %v, codes %v; want a deny with dnc.unavailable", d.Allowed, d.Codes())
		}
	}
	if _, err := s.DNCEntries(ctx, dialgate.MustParseNumber(listed)); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("DNCEntries on the emptied store: %v; want storage.ErrUnavailable", err)
	}
	if err := s.Ping(ctx); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("Ping on the emptied store: %v; want storage.ErrUnavailable (health must go red)", err)
	}
}

// A process started after the store was emptied cannot tell it from a new
// store; with RequireEpoch it refuses it rather than count from zero.
func TestRequireEpochRefusesEmptiedStore(t *testing.T) {
	url := redisURL(t)
	p := newPrefix(t, url)
	ctx := context.Background()
	opts := redisstore.Options{Prefix: p, RequireEpoch: true}
	if s, err := redisstore.Open(ctx, url, opts); !errors.Is(err, redisstore.ErrNoEpoch) || !errors.Is(err, storage.ErrUnavailable) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("RequireEpoch on a store never opened: %v; want ErrNoEpoch (storage.ErrUnavailable)", err)
	}
	open(t, url, p) // the first Open sets the key
	s := openOpts(t, url, opts)
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	wipe(t, url, p)
	if err := s.Ping(ctx); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("Ping after the wipe: %v; want storage.ErrUnavailable", err)
	}
	if s, err := redisstore.Open(ctx, url, opts); !errors.Is(err, redisstore.ErrNoEpoch) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("RequireEpoch on an emptied store: %v; want ErrNoEpoch", err)
	}
	// Without RequireEpoch a new process takes it for a new store; the
	// running ones still refuse it.
	open(t, url, p)
	if err := s.Ping(ctx); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("Ping after another process set a new epoch: %v; want storage.ErrUnavailable", err)
	}
}
