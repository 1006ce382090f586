package dialgate_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/placedguard"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/boltstore"
	"github.com/dialgate/dialgate/storage/memstore"
)

var placedT0 = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

// oneADay caps every callee at one call a day.
var oneADay = schedule.CapsConfig{Caps: []schedule.Cap{{Count: 1, Window: dialgate.Duration(24 * time.Hour),
	Cite: dialgate.Citation{Source: dialgate.SourceConvention, Ref: "test: one a day"}}}}

// guardedGate is one sidecar's Gate over the shared store s: a cap of one
// call a day per callee and the placed guard over the same store. It counts
// the outcomes reported after a release in after.
func guardedGate(t *testing.T, s storage.Counters, after *atomic.Int32) *dialgate.Gate {
	t.Helper()
	caps, err := schedule.NewCapCheck(oneADay, s)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := placedguard.New(s, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	opts := []dialgate.Option{dialgate.WithoutAuditLog(), dialgate.WithPlacedGuard(pg),
		dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return placedT0 }))}
	if after != nil {
		opts = append(opts, dialgate.WithOutcomeAfterRelease(func(context.Context, string) { after.Add(1) }))
	}
	g, err := dialgate.New([]dialgate.Checker{caps}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func placedDial() dialgate.Dial {
	return dialgate.Dial{To: callee, From: caller, Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"}
}

func allow(t *testing.T, g *dialgate.Gate) dialgate.Decision {
	t.Helper()
	dec, err := g.Check(context.Background(), placedDial())
	if err != nil || !dec.Allowed {
		t.Fatalf("check: allowed %v %v %v, want allowed", dec.Allowed, dec.Reasons, err)
	}
	return dec
}

func wantCapped(t *testing.T, g *dialgate.Gate) {
	t.Helper()
	dec, err := g.Check(context.Background(), placedDial())
	if err != nil || dec.Allowed || !dec.Has(dialgate.CodeFrequencyCapped) {
		t.Fatalf("check over the cap: allowed %v %v %v, want frequency.capped (the placed call's capacity was given back)", dec.Allowed, dec.Reasons, err)
	}
}

// A placed call counts against its caps: after an outcome of its decision
// was reported, Release is refused with ErrPlaced through the same Gate and
// through another on the same store (a fleet behind a round-robin
// balancer), and the next dial of the callee over the cap is denied.
func TestReleaseAfterOutcomeRefused(t *testing.T) {
	for _, tc := range []struct {
		name    string
		outcome dialgate.Outcome
		other   bool
	}{
		{"answered same gate", dialgate.Outcome{Answered: true}, false},
		{"answered other gate", dialgate.Outcome{Answered: true}, true},
		{"conversation", dialgate.Outcome{Answered: true, Conversation: true}, true},
		{"abandoned", dialgate.Outcome{Answered: true, Abandoned: true}, true},
		{"refused", dialgate.Outcome{Answered: true, Refused: true}, true},
		{"ring time", dialgate.Outcome{RingDuration: 3 * time.Second}, true},
		{"recording", dialgate.Outcome{RecordingID: "rec-1"}, true},
		// The sidecar's rule: any outcome that is not a release says the
		// call was placed (a busy or unanswered call was dialled).
		{"disposition only", dialgate.Outcome{Disposition: "busy"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := memstore.New()
			a := guardedGate(t, s, nil)
			b := a
			if tc.other {
				b = guardedGate(t, s, nil)
			}
			ctx := context.Background()
			dec := allow(t, a)
			o := tc.outcome
			o.DecisionID, o.Dial = dec.ID, dec.Dial
			if err := a.ReportOutcome(ctx, o); err != nil {
				t.Fatal(err)
			}
			err := b.Release(ctx, dec)
			if !errors.Is(err, dialgate.ErrPlaced) {
				t.Fatalf("release after an outcome: %v, want ErrPlaced", err)
			}
			// A Released outcome gives the capacity back as Release does,
			// and is refused the same way.
			if err := b.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Released: true}); !errors.Is(err, dialgate.ErrPlaced) {
				t.Fatalf("released outcome after an outcome: %v, want ErrPlaced", err)
			}
			wantCapped(t, a)
			wantCapped(t, b)
		})
	}
}

// Release of a decision no outcome was reported for gives its capacity back,
// as before, and may be retried; an outcome reported after it is recorded
// and reported to the WithOutcomeAfterRelease function.
func TestReleaseWithoutOutcomeStillWorks(t *testing.T) {
	s := memstore.New()
	var after atomic.Int32
	a, b := guardedGate(t, s, &after), guardedGate(t, s, &after)
	ctx := context.Background()
	dec := allow(t, a)
	if err := b.Release(ctx, dec); err != nil {
		t.Fatal(err)
	}
	if err := a.Release(ctx, dec); err != nil {
		t.Fatalf("second release (idempotent): %v", err)
	}
	dec2 := allow(t, b) // the capacity was given back
	if err := a.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Answered: true}); err != nil {
		t.Fatalf("outcome after release: %v", err)
	}
	if after.Load() != 1 {
		t.Fatalf("outcomes after release = %d, want 1", after.Load())
	}
	if err := a.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec2.ID, Answered: true}); err != nil {
		t.Fatal(err)
	}
	if after.Load() != 1 {
		t.Fatalf("outcomes after release = %d, want still 1", after.Load())
	}
}

// A Release and an outcome of one decision arriving at two Gates at once:
// the store decides, and exactly one wins — the Release is refused (the
// capacity stays reserved) or the outcome is reported as after a release.
func TestReleaseRacesOutcome(t *testing.T) {
	s := memstore.New()
	var after atomic.Int32
	a, b := guardedGate(t, s, &after), guardedGate(t, s, &after)
	ctx := context.Background()
	var won, refused int32
	for i := range 50 {
		dec := allow(t, a)
		var relErr, outErr error
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); relErr = b.Release(ctx, dec) }()
		go func() {
			defer wg.Done()
			outErr = a.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Answered: true})
		}()
		wg.Wait()
		if outErr != nil {
			t.Fatal(outErr)
		}
		switch {
		case errors.Is(relErr, dialgate.ErrPlaced):
			refused++
			wantCapped(t, b)
			// Free the callee for the next round.
			if err := s.Release(ctx, "frequency:"+dec.ID); err != nil {
				t.Fatal(err)
			}
		case relErr == nil:
			won++
			// The outcome came after the release: its call is counted
			// again (TestOutcomeAfterReleaseCountsAgain).
			wantCapped(t, b)
			if err := s.Release(ctx, "frequency:"+dec.ID+"#placed"); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatal(relErr)
		}
		if after.Load() != won {
			t.Fatalf("round %d: %d releases won, %d outcomes reported after a release: want equal", i, won, after.Load())
		}
	}
	t.Logf("releases refused %d, won %d", refused, won)
}

// The guard is kept in the store: a Gate on a reopened boltstore (a sidecar
// restarted) refuses the Release of a decision whose outcome was reported
// before the restart.
func TestReleaseAfterOutcomeSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	open := func() *boltstore.Store {
		s, err := boltstore.Open(path, boltstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ctx := context.Background()
	s := open()
	g := guardedGate(t, s, nil)
	dec := allow(t, g)
	if err := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Answered: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open()
	t.Cleanup(func() { s.Close() })
	g = guardedGate(t, s, nil)
	if err := g.Release(ctx, dec); !errors.Is(err, dialgate.ErrPlaced) {
		t.Fatalf("release after a restart: %v, want ErrPlaced", err)
	}
	wantCapped(t, g)
}

// countingGuard counts the guard's calls.
type countingGuard struct{ placed, released atomic.Int32 }

func (c *countingGuard) MarkPlaced(context.Context, string, time.Time) (bool, error) {
	c.placed.Add(1)
	return false, nil
}

func (c *countingGuard) MarkReleased(context.Context, string, time.Time) (bool, error) {
	c.released.Add(1)
	return false, nil
}

// failingGuard fails every call.
type failingGuard struct{}

func (failingGuard) MarkPlaced(context.Context, string, time.Time) (bool, error) {
	return false, storage.ErrUnavailable
}

func (failingGuard) MarkReleased(context.Context, string, time.Time) (bool, error) {
	return false, storage.ErrUnavailable
}

// The guard costs one call per outcome and per release, none per Check; a
// guard that fails keeps the capacity reserved (Release fails, fail closed)
// and does not keep the outcome from the observers.
func TestPlacedGuardCost(t *testing.T) {
	s := memstore.New()
	caps, err := schedule.NewCapCheck(oneADay, s)
	if err != nil {
		t.Fatal(err)
	}
	var cg countingGuard
	g, err := dialgate.New([]dialgate.Checker{caps}, dialgate.WithoutAuditLog(), dialgate.WithPlacedGuard(&cg),
		dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return placedT0 })))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dec := allow(t, g)
	wantCapped(t, g)
	if n := cg.placed.Load() + cg.released.Load(); n != 0 {
		t.Fatalf("Check called the guard %d times, want 0", n)
	}
	if err := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Answered: true}); err != nil {
		t.Fatal(err)
	}
	if err := g.Release(ctx, dialgate.Decision{ID: "other"}); err != nil {
		t.Fatal(err)
	}
	if cg.placed.Load() != 1 || cg.released.Load() != 1 {
		t.Fatalf("guard calls: placed %d released %d, want 1 and 1", cg.placed.Load(), cg.released.Load())
	}

	f, err := dialgate.New([]dialgate.Checker{caps}, dialgate.WithoutAuditLog(), dialgate.WithPlacedGuard(failingGuard{}),
		dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return placedT0.Add(48 * time.Hour) })))
	if err != nil {
		t.Fatal(err)
	}
	dec, err = f.Check(ctx, placedDial())
	if err != nil || !dec.Allowed {
		t.Fatal(dec.Reasons, err)
	}
	if err := f.Release(ctx, dec); err == nil || !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("release with a failing guard: %v, want the guard's error", err)
	}
	if d, _ := f.Check(ctx, placedDial()); d.Allowed {
		t.Fatal("a release the guard could not decide gave the capacity back")
	}
	if err := f.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Answered: true}); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("outcome with a failing guard: %v, want the guard's error", err)
	}
	if _, err := dialgate.New(nil, dialgate.WithoutAuditLog(), dialgate.WithPlacedGuard(nil)); !errors.Is(err, dialgate.ErrInvalidConfig) {
		t.Fatalf("nil guard: %v", err)
	}
}

// TestMalformedOutcomeMarksPlaced: an outcome refused as malformed (a
// negative ring time, a recorded message on a call not reported abandoned,
// Released beside what only a placed call has) still says the call was
// placed: the decision is marked placed, so a Release afterwards, on any
// Gate of the store, is refused and the call keeps counting. Before, the
// refusal came first and the Release gave back the capacity of a call that
// was placed.
func TestMalformedOutcomeMarksPlaced(t *testing.T) {
	for name, bad := range map[string]dialgate.Outcome{
		"negative ring":             {Answered: true, RingDuration: -time.Second},
		"ring over a day":           {RingDuration: 24*time.Hour + time.Second},
		"message not abandoned":     {AbandonMessage: true},
		"released and answered":     {Released: true, Answered: true},
		"released with a ring time": {Released: true, RingDuration: 5 * time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			s := memstore.New()
			a, b := guardedGate(t, s, nil), guardedGate(t, s, nil)
			ctx := context.Background()
			dec := allow(t, a)
			bad.DecisionID = dec.ID
			if err := a.ReportOutcome(ctx, bad); !errors.Is(err, dialgate.ErrInvalidOutcome) {
				t.Fatalf("malformed outcome: %v, want ErrInvalidOutcome", err)
			}
			if err := b.Release(ctx, dec); !errors.Is(err, dialgate.ErrPlaced) {
				t.Fatalf("release after a malformed outcome: %v, want ErrPlaced", err)
			}
			if d, err := b.Check(ctx, placedDial()); err != nil || d.Allowed {
				t.Fatalf("next dial: allowed %v %v; want capped (the call was placed)", d.Allowed, err)
			}
		})
	}
}
