package dialgate_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/placedguard"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage/memstore"
)

// BenchmarkPlacedGuard measures what the release guard adds to
// ReportOutcome and Release on memstore (one Reserve each); Check does not
// use it.
func BenchmarkPlacedGuard(b *testing.B) {
	for _, guarded := range []bool{false, true} {
		name := "none"
		if guarded {
			name = "memstore"
		}
		s := memstore.New()
		caps, err := schedule.NewCapCheck(oneADay, s)
		if err != nil {
			b.Fatal(err)
		}
		opts := []dialgate.Option{dialgate.WithoutAuditLog(), dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return placedT0 }))}
		if guarded {
			pg, err := placedguard.New(s, 24*time.Hour)
			if err != nil {
				b.Fatal(err)
			}
			opts = append(opts, dialgate.WithPlacedGuard(pg))
		}
		g, err := dialgate.New([]dialgate.Checker{caps}, opts...)
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.Run("ReportOutcome/"+name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if err := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: "o" + strconv.Itoa(i), Answered: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("Release/"+name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if err := g.Release(ctx, dialgate.Decision{ID: "r" + strconv.Itoa(i)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
