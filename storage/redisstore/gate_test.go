package redisstore_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/internal/sharedgate"
	"github.com/dialgate/dialgate/schedule"
)

var gateT0 = time.Date(2026, 12, 5, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// sidecarGate is the Gate one sidecar process builds on a shared store (sharedgate.New).
func sidecarGate(t *testing.T, s sharedgate.Store) (*dialgate.Gate, *dnc.Lists) {
	t.Helper()
	return sharedgate.New(t, s, gateT0)
}

func dial(to string) dialgate.Dial { return sharedgate.Dial(to) }

// Two sidecars sharing one Redis: 64 concurrent dials for one callee spread
// over both allow exactly the cap (cn: one per 5 minutes), and an opt-out
// taken through one denies at the other on its next check.
func TestTwoGatesShareCapsAndOptOuts(t *testing.T) {
	url := redisURL(t)
	p := newPrefix(t, url)
	ga, la := sidecarGate(t, open(t, url, p))
	gb, _ := sidecarGate(t, open(t, url, p))
	ctx := context.Background()

	var allowed, errs atomic.Int32
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := ga
			if i%2 == 1 {
				g = gb
			}
			d, err := g.Check(ctx, dial("+8613900139010"))
			if err != nil {
				errs.Add(1)
			}
			if d.Allowed {
				allowed.Add(1)
			}
		}()
	}
	wg.Wait()
	if allowed.Load() != 1 || errs.Load() != 0 {
		t.Fatalf("64 concurrent dials across two gates: %d allowed, %d errors; want exactly 1 (cn: 1 per 5 min)", allowed.Load(), errs.Load())
	}

	to := "+8613900139011"
	// b caches "not listed" (a Bloom miss), then a takes an opt-out.
	if d, _ := gb.Check(ctx, dial(to)); !d.Allowed {
		t.Fatalf("first dial denied: %v", d.Codes())
	}
	if err := la.Add(ctx, dnc.Entry{Number: dialgate.MustParseNumber(to), Scope: dnc.MustParseScope("global"),
		List: "opt_out", Source: "call", AddedAt: gateT0}); err != nil {
		t.Fatal(err)
	}
	ok := waitFor(func() bool {
		d, _ := gb.Check(ctx, dial(to))
		return d.Has(dialgate.CodeDNCListed)
	})
	if !ok {
		t.Fatal("an opt-out taken at one sidecar never denied at the other")
	}
}

// Redis down: the dnc and frequency checks deny with <check>.unavailable,
// also for a callee the Bloom filter would have answered alone.
func TestGateRedisDown(t *testing.T) {
	url := redisURL(t)
	px, purl := newProxy(t, url)
	s := open(t, purl, newPrefix(t, url))
	g, _ := sidecarGate(t, s)
	ctx := context.Background()
	if d, err := g.Check(ctx, dial("+8613900139012")); !d.Allowed || err != nil {
		t.Fatalf("with Redis up: %v, %v", d.Codes(), err)
	}
	px.kill()
	if !waitFor(func() bool { return !s.FeedLive() }) {
		t.Fatal("the feed never noticed")
	}
	for i := range 3 {
		d, _ := g.Check(ctx, dial(fmt.Sprintf("+86139001390%02d", 20+i)))
		if d.Allowed || !d.Has(dialgate.UnavailableCode("dnc")) || !d.Has(dialgate.UnavailableCode("frequency")) {
			t.Fatalf("with Redis down: allowed %v, codes %v; want a deny with dnc.unavailable and frequency.unavailable", d.Allowed, d.Codes())
		}
	}
}

// Two sidecars sharing one Redis: a conversation reported through one after
// the other checked a dial, but before it committed, refuses the commit
// (the pause is checked again, atomically, in the reservation).
func TestPauseReportedBetweenCheckAndCommit(t *testing.T) {
	url := redisURL(t)
	p := newPrefix(t, url)
	ctx := context.Background()
	key := []byte("0123456789abcdef-fleet-key")
	a, err := schedule.NewCapCheck(schedule.CapsUSCollections(), open(t, url, p), schedule.WithCapHashKey(key))
	if err != nil {
		t.Fatal(err)
	}
	b, err := schedule.NewCapCheck(schedule.CapsUSCollections(), open(t, url, p), schedule.WithCapHashKey(key))
	if err != nil {
		t.Fatal(err)
	}
	d := dial("+8613800138000")
	d.Purpose, d.Subject, d.At = dialgate.PurposeCollections, "debt-1", gateT0
	if rs, _, err := a.Attest(ctx, d); err != nil || rs != nil {
		t.Fatalf("Attest = %+v, %v; want a pass", rs, err)
	}
	if err := b.ObserveOutcome(ctx, dialgate.Outcome{DecisionID: "dg-0", Dial: d, At: gateT0, Conversation: true}); err != nil {
		t.Fatal(err)
	}
	rs, err := a.Commit(ctx, d, "dg-1")
	if err != nil || len(rs) != 1 || rs[0].Code != dialgate.CodeFrequencyCapped || !strings.Contains(rs[0].Message, "conversation") {
		t.Fatalf("Commit after a conversation = %+v, %v; want the pause", rs, err)
	}
}
