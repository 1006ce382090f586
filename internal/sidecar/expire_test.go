package sidecar

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage/memstore"
)

type countingExpirer struct{ n atomic.Int64 }

func (c *countingExpirer) ExpireCounters(context.Context, time.Time) (int, error) {
	c.n.Add(1)
	return 0, nil
}

func TestExpireCountersRunsAndStops(t *testing.T) {
	ex := &countingExpirer{}
	stop := expireCounters(ex, nil, nil, time.Millisecond, slog.New(slog.DiscardHandler), nil)
	deadline := time.Now().Add(5 * time.Second)
	for ex.n.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if ex.n.Load() < 3 {
		t.Fatalf("expiry ran %d times", ex.n.Load())
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	after := ex.n.Load()
	time.Sleep(10 * time.Millisecond)
	if ex.n.Load() != after {
		t.Fatal("expiry still running after stop")
	}
}

// The hourly expiry keeps a call counted before a cap's window was
// lengthened (30 days to 60) for the new window: the store recorded it with
// the 30-day window, and an expiry as of now dropped it 30 days after the
// call, so the 60-day cap the carried counter is checked with let the callee
// be called again halfway through its window.
func TestExpireCountersKeepsCarriedCalls(t *testing.T) {
	ctx := context.Background()
	const day = 24 * time.Hour
	cite := dialgate.Citation{Source: dialgate.SourceConvention, Ref: "expiry test"}
	capsOf := func(w time.Duration) schedule.CapsConfig {
		return schedule.CapsConfig{Caps: []schedule.Cap{{Count: 1, Window: dialgate.Duration(w), Cite: cite}}}
	}
	old, cur := capsOf(30*day), capsOf(60*day)
	store := memstore.New()
	called := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	d := dialgate.Dial{To: dialgate.MustParseNumber("+14055550123"), Purpose: dialgate.PurposeService, At: called}
	before, err := schedule.NewCapCheck(old, store)
	if err != nil {
		t.Fatal(err)
	}
	if rs, err := before.Commit(ctx, d, "dec-1"); err != nil || rs != nil {
		t.Fatalf("first call: %v %v", rs, err)
	}
	switched := called.Add(20 * day)
	h0, err := schedule.NextCounterHistory(schedule.CounterHistory{}, old, called.Add(-day))
	if err != nil {
		t.Fatal(err)
	}
	h, err := schedule.NextCounterHistory(h0, cur, switched)
	if err != nil {
		t.Fatal(err)
	}
	after, err := schedule.NewCapCheck(cur, store, schedule.WithCounterHistory(h))
	if err != nil {
		t.Fatal(err)
	}
	delay := counterExpiryDelay(h, cur)
	for _, at := range []time.Time{called.Add(35 * day), called.Add(59 * day)} {
		if _, err := expireOnce(ctx, store, at, delay); err != nil {
			t.Fatal(err)
		}
		d.At = at
		rs, err := after.Check(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 1 || rs[0].Code != dialgate.CodeFrequencyCapped {
			t.Fatalf("at day %d after the call: reasons %+v, want frequency.capped (the call is inside the 60-day window)", int(at.Sub(called)/day), rs)
		}
	}
	// Once the carrying ended, the expiry is as of now again.
	if got := delay(h.Transitions[0].Until(cur)); got != 0 {
		t.Errorf("delay after the carrying = %s, want 0", got)
	}
	if n, err := expireOnce(ctx, store, called.Add(61*day), delay); err != nil || n != 1 {
		t.Errorf("expiry past the 60 days removed %d, %v; want the call's entry", n, err)
	}
}
