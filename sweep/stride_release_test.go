package sweep

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage/memstore"
)

// strideGate returns a Gate of the stride rule alone whose clock is *now,
// keeping the run state in memory or, shared, in a memstore (storage.Runs).
func strideGate(t *testing.T, shared bool, now *time.Time) *dialgate.Gate {
	t.Helper()
	cfg := strideCfg()
	cfg.SegmentRate = nil
	var opts []Option
	if shared {
		opts = append(opts, WithRuns(memstore.New()))
	}
	c, err := New(cfg, nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	var id atomic.Int64
	g, err := dialgate.New([]dialgate.Checker{c}, dialgate.WithoutAuditLog(),
		dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return *now })),
		dialgate.WithDecisionIDs(func() string { return fmt.Sprintf("d%d", id.Add(1)) }))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// A released dial leaves the stride (three released segments in a row are
// a gap the rule does not bridge), and a dial that left the window no
// longer counts, in memory and in a shared run store.
func TestStrideReleaseAndWindow(t *testing.T) {
	ctx := context.Background()
	dial := func(t *testing.T, g *dialgate.Gate, seg uint64) dialgate.Decision {
		t.Helper()
		dec, err := g.Check(ctx, dialgate.Dial{To: seqNum(861380000+seg, 1234), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"})
		if err != nil {
			t.Fatal(err)
		}
		return dec
	}
	stride19 := func(t *testing.T, g *dialgate.Gate, now *time.Time) []dialgate.Decision {
		t.Helper()
		ids := make([]dialgate.Decision, 19)
		for i := range 19 {
			*now = t0.Add(time.Duration(i) * time.Minute)
			dec := dial(t, g, uint64(i))
			if !dec.Allowed {
				t.Fatalf("dial %d: denied %v", i, dec.Reasons)
			}
			ids[i] = dec
		}
		return ids
	}
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprint("shared=", shared), func(t *testing.T) {
			// One release in the middle is a skipped segment: still one run.
			var now time.Time
			g := strideGate(t, shared, &now)
			ids := stride19(t, g, &now)
			if err := g.Release(ctx, ids[9]); err != nil {
				t.Fatal(err)
			}
			now = t0.Add(30 * time.Minute)
			if dec := dial(t, g, 19); !dec.Allowed { // 18 recorded and 19
				t.Fatalf("after one release: denied %v", dec.Reasons)
			}
			wantStride(t, dial(t, g, 20), 20)

			// Three in a row break it: 0–8 and 12–18 with 19.
			g = strideGate(t, shared, &now)
			ids = stride19(t, g, &now)
			for _, i := range []int{9, 10, 11} {
				if err := g.Release(ctx, ids[i]); err != nil {
					t.Fatal(err)
				}
			}
			now = t0.Add(30 * time.Minute)
			if dec := dial(t, g, 19); !dec.Allowed {
				t.Fatalf("after three releases: denied %v", dec.Reasons)
			}
			// The released segments dialled again join the halves (10 to
			// 12 skips one).
			for _, i := range []int{9, 10} {
				if dec := dial(t, g, uint64(i)); !dec.Allowed {
					t.Fatalf("segment %d again: denied %v", i, dec.Reasons)
				}
			}
			wantStride(t, dial(t, g, 11), 20)

			// The first dial leaves the window at t0+24h.
			g = strideGate(t, shared, &now)
			stride19(t, g, &now)
			now = t0.Add(24*time.Hour + 30*time.Second)
			if dec := dial(t, g, 19); !dec.Allowed {
				t.Fatalf("the first dial out of the window: denied %v", dec.Reasons)
			}
			g = strideGate(t, shared, &now)
			stride19(t, g, &now)
			now = t0.Add(24*time.Hour - time.Second)
			wantStride(t, dial(t, g, 19), 20)
		})
	}
}
