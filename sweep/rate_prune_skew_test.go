package sweep_test

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/teststores"
	"github.com/dialgate/dialgate/sweep"
)

// TestRatePruneKeepsSkewedClocks: a segment-rate reservation prunes what
// has left its own window, but the entries of a segment also count for
// dials decided by a clock behind the reserving one — another host of a
// fleet, or this host after its clock was stepped back. Such a dial must
// still count the numbers its window holds: with "2 distinct numbers per
// segment per 24h", A at T, B decided by a clock 2 s ahead at T+24h+1s (A
// is outside B's window: allowed), and C decided by the right clock at
// T+24h-1s (A and B inside its window) is denied, by Commit and, after a
// Recount of B, too. Reservations used to prune A at B's instant, and C
// saw only B: three numbers of the segment within 24 h.
func TestRatePruneKeepsSkewedClocks(t *testing.T) {
	ctx := context.Background()
	cfg := sweep.Config{SegmentRate: &sweep.SegmentRate{Max: 2, Window: dialgate.Duration(24 * time.Hour),
		Cite: dialgate.Citation{Source: dialgate.SourceConvention, Ref: "test"}}}
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	for name, open := range teststores.Counters(t) {
		for _, recount := range []bool{false, true} {
			sub := name
			if recount {
				sub += "/recount"
			}
			t.Run(sub, func(t *testing.T) {
				c, err := sweep.New(cfg, open(t))
				if err != nil {
					t.Fatal(err)
				}
				dial := func(n string, at time.Time) dialgate.Dial {
					return dialgate.Dial{To: dialgate.MustParseNumber(n), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "l", At: at}
				}
				commit := func(i int, d dialgate.Dial, allow bool) {
					t.Helper()
					rs, err := c.Commit(ctx, d, "d"+string(rune('a'+i)))
					if err != nil {
						t.Fatal(err)
					}
					if got := len(rs) == 0; got != allow {
						t.Fatalf("dial %d of %s at %s: allowed %v, want %v (%v)", i, d.To, d.At.Format(time.RFC3339), got, allow, rs)
					}
				}
				commit(0, dial("+14055550100", t0), true)
				b := dial("+14055550200", t0.Add(24*time.Hour+time.Second)) // a clock 2 s ahead
				if recount {
					// B placed after its decision was released: counted again.
					if err := c.Recount(ctx, b, "db#placed"); err != nil {
						t.Fatal(err)
					}
				} else {
					commit(1, b, true)
				}
				commit(2, dial("+14055550300", t0.Add(24*time.Hour-time.Second)), false) // the right clock: A and B in its window
			})
		}
	}
}
