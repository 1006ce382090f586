package schedule_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/placedguard"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/boltstore"
	"github.com/dialgate/dialgate/storage/memstore"
)

// A decision released many times at once, by Release and by an outcome
// reporting it released, with and without a release guard, gives back
// exactly one slot: under cn's 2 calls per 24 hours, after two allows (A,
// B, from other caller IDs and campaigns) and A's releases, one more dial
// is allowed and the next is refused. A released outcome racing a
// placed-call outcome (with the guard) never frees the slot of the call
// placed.
func TestConcurrentReleasesFreeOneSlot(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(t *testing.T) storage.Counters
	}{
		{"memstore", func(t *testing.T) storage.Counters { return memstore.New() }},
		{"boltstore", func(t *testing.T) storage.Counters {
			s, err := boltstore.Open(filepath.Join(t.TempDir(), "caps.db"), boltstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}},
	} {
		for _, guarded := range []bool{false, true} {
			name := tc.name
			if guarded {
				name += "/guard"
			}
			t.Run(name, func(t *testing.T) {
				store := tc.open(t)
				caps, err := schedule.NewCapCheck(schedule.CapsCN(), store, schedule.WithCapHashKey(testHK))
				if err != nil {
					t.Fatal(err)
				}
				clk := &clock{t: start}
				opts := []dialgate.Option{dialgate.WithoutAuditLog(), dialgate.WithClock(clk)}
				if guarded {
					g, err := placedguard.New(store, 31*24*time.Hour)
					if err != nil {
						t.Fatal(err)
					}
					opts = append(opts, dialgate.WithPlacedGuard(g))
				}
				gate, err := dialgate.New([]dialgate.Checker{caps}, opts...)
				if err != nil {
					t.Fatal(err)
				}
				ctx := context.Background()
				check := func(at time.Time, from dialgate.Number, campaign string, want bool) dialgate.Decision {
					t.Helper()
					clk.set(at)
					dec, err := gate.Check(ctx, dialgate.Dial{To: callee, From: from, Purpose: dialgate.PurposeService, Tenant: "acme", Campaign: campaign})
					if err != nil || dec.Allowed != want {
						t.Fatalf("dial at %s: allowed %v, %v; want %v (%+v)", at.Format(time.RFC3339), dec.Allowed, err, want, dec.Reasons)
					}
					return dec
				}
				a := check(start, from1, "spring", true)
				b := check(start.Add(10*time.Minute), from2, "summer", true)
				check(start.Add(20*time.Minute), from1, "autumn", false)
				// B's call is placed (an answered outcome) while releases of
				// B race it: with the guard, whichever comes first wins.
				clk.set(start.Add(25 * time.Minute))
				var wg sync.WaitGroup
				for i := range 48 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						var err error
						switch i % 4 {
						case 0:
							err = gate.Release(ctx, a)
						case 1:
							err = gate.ReportOutcome(ctx, dialgate.Outcome{DecisionID: a.ID, Dial: a.Dial, Released: true})
						case 2:
							if guarded {
								err = gate.ReportOutcome(ctx, dialgate.Outcome{DecisionID: b.ID, Dial: b.Dial, Answered: true})
							}
						default:
							if guarded {
								err = gate.Release(ctx, b)
								if errors.Is(err, dialgate.ErrPlaced) {
									err = nil
								}
							}
						}
						if err != nil {
							t.Error(err)
						}
					}()
				}
				wg.Wait()
				// With the guard, B's outcome won (every later release of B
				// refused) or a release did (the outcome then counted B's
				// call again, at 25 minutes): B holds one slot either way.
				check(start.Add(35*time.Minute), from2, "winter", true)
				check(start.Add(45*time.Minute), from1, "spring", false)
			})
		}
	}
}
