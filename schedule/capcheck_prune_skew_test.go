package schedule_test

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
)

// TestCapPruneKeepsSkewedClocks: a reservation prunes what has left its own
// window, but the entries of a key also count for dials decided by a clock
// behind the reserving one — another host of a fleet, or this host after
// its clock was stepped back. Such a dial must still count the call its
// window holds: with "2 calls per 24h", A at T, B decided by a clock 2 s
// ahead at T+24h1m1s (A is outside B's window: allowed), and C decided
// by the right clock at T+24h0m59s (A and B inside its window) is denied.
// Reservations used to prune A at B's instant, and C saw only B: three calls
// within 24 h.
func TestCapPruneKeepsSkewedClocks(t *testing.T) {
	cfg := schedule.CapsConfig{Caps: []schedule.Cap{{Count: 2, Window: dialgate.Duration(24 * time.Hour),
		Cite: dialgate.Citation{Source: "U", Ref: "test"}}}}
	ctx := context.Background()
	counted := 24*time.Hour + dialgate.DefaultAllowLifetime
	for name, open := range spellingStores(t) {
		t.Run(name, func(t *testing.T) {
			c, err := schedule.NewCapCheck(cfg, open(t), schedule.WithCapHashKey(testHK))
			if err != nil {
				t.Fatal(err)
			}
			d := dialgate.Dial{To: callee, From: from1, Purpose: dialgate.PurposeMarketing, Tenant: "acme"}
			for i, s := range []struct {
				at    time.Time
				allow bool
			}{
				{start, true},
				{start.Add(counted + time.Second), true},  // a clock 2 s ahead
				{start.Add(counted - time.Second), false}, // the right clock: A and B in its window
			} {
				d.At = s.at
				rs, err := c.Commit(ctx, d, "d"+string(rune('a'+i)))
				if err != nil {
					t.Fatal(err)
				}
				if got := len(rs) == 0; got != s.allow {
					t.Fatalf("dial %d at %s: allowed %v, want %v (%v)", i, s.at.Format(time.RFC3339), got, s.allow, rs)
				}
			}
		})
	}
}
