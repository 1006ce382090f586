package placedguard_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/placedguard"
	"github.com/dialgate/dialgate/storage/memstore"
)

// Two sidecars of a fleet share one store (here a memstore standing in for
// Redis or PostgreSQL). An outcome of a placed call reported to one of them
// makes the other refuse to Release the decision: a placed call counts
// against its caps whatever its outcome. (policy.Assemble gives every Gate
// with counters such a guard; this is the wiring by hand.)
func ExampleNew() {
	ctx := context.Background()
	store := memstore.New()
	defer store.Close()
	clock := dialgate.ClockFunc(func() time.Time { return time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC) })

	sidecar := func(name string) *dialgate.Gate {
		// The window covers every reservation of a decision: the longest
		// window of the profile's limits (policy.GuardWindow).
		guard, err := placedguard.New(store, 30*24*time.Hour)
		if err != nil {
			log.Fatal(err)
		}
		g, err := dialgate.New(nil, dialgate.WithoutAuditLog(), dialgate.WithClock(clock),
			dialgate.WithPlacedGuard(guard),
			dialgate.WithOutcomeAfterRelease(func(context.Context, string) {
				fmt.Println(name + ": outcome of a call placed after its release")
			}))
		if err != nil {
			log.Fatal(err)
		}
		return g
	}
	a, b := sidecar("a"), sidecar("b")

	dial := dialgate.Dial{To: dialgate.MustParseNumber("+8613800138000"), Purpose: dialgate.PurposeService, LeadID: "crm-42"}
	dec, err := a.Check(ctx, dial)
	if err != nil {
		log.Fatal(err)
	}
	if err := a.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Answered: true}); err != nil {
		log.Fatal(err)
	}
	err = b.Release(ctx, dec)
	fmt.Println("b releases a placed call:", errors.Is(err, dialgate.ErrPlaced))

	// The other order: released first, then an outcome says it was placed.
	dec, err = a.Check(ctx, dial)
	if err != nil {
		log.Fatal(err)
	}
	if err := b.Release(ctx, dec); err != nil {
		log.Fatal(err)
	}
	if err := a.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Answered: true}); err != nil {
		log.Fatal(err)
	}
	// Output:
	// b releases a placed call: true
	// a: outcome of a call placed after its release
}
