package dialgate_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/placedguard"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
)

// flakyCounters is a storage.Counters that fails on demand: while down
// returns true for a Reserve's id, the Reserve fails with
// storage.ErrUnavailable and reserves nothing.
type flakyCounters struct {
	storage.Counters
	mu   sync.Mutex
	down func(id string) bool
}

func (f *flakyCounters) setDown(down func(id string) bool) {
	f.mu.Lock()
	f.down = down
	f.mu.Unlock()
}

func (f *flakyCounters) Reserve(ctx context.Context, id string, t time.Time, limits []storage.Limit) (bool, []storage.Usage, error) {
	f.mu.Lock()
	down := f.down
	f.mu.Unlock()
	if down != nil && down(id) {
		return false, nil, fmt.Errorf("reserve %s: %w", id, storage.ErrUnavailable)
	}
	return f.Counters.Reserve(ctx, id, t, limits)
}

// twoADay caps every callee at two calls a day.
var twoADay = schedule.CapsConfig{Caps: []schedule.Cap{{Count: 2, Window: dialgate.Duration(24 * time.Hour),
	Cite: dialgate.Citation{Source: dialgate.SourceConvention, Ref: "test: two a day"}}}}

// recountGate is guardedGate with a cap of two calls a day, over s.
func recountGate(t *testing.T, s storage.Counters) *dialgate.Gate {
	t.Helper()
	now := placedT0
	return clockedGate(t, s, 24*time.Hour, &now, capCheck(t, twoADay, s))
}

// clockedGate is a Gate over s asking checks, with a placed guard that
// keeps decisions for keep, no audit log, and *now as its clock (the test
// moves it by assigning *now).
func clockedGate(t *testing.T, s storage.Counters, keep time.Duration, now *time.Time, checks ...dialgate.Checker) *dialgate.Gate {
	t.Helper()
	pg, err := placedguard.New(s, keep)
	if err != nil {
		t.Fatal(err)
	}
	g, err := dialgate.New(checks, dialgate.WithoutAuditLog(), dialgate.WithPlacedGuard(pg),
		dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return *now })))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// capCheck is the frequency caps of cfg over s.
func capCheck(t *testing.T, cfg schedule.CapsConfig, s storage.Counters) dialgate.Checker {
	t.Helper()
	caps, err := schedule.NewCapCheck(cfg, s)
	if err != nil {
		t.Fatal(err)
	}
	return caps
}

// wantCalls asserts that the callee, under a cap of two a day, has exactly
// counted calls counted: it takes 2-counted more allows (each released
// afterwards, so the count is left as it was) and then denies.
func wantCalls(t *testing.T, g *dialgate.Gate, counted int) {
	t.Helper()
	ctx := context.Background()
	var held []dialgate.Decision
	for range 2 - counted {
		held = append(held, allow(t, g))
	}
	dec, err := g.Check(ctx, placedDial())
	if err != nil || dec.Allowed || !dec.Has(dialgate.CodeFrequencyCapped) {
		t.Fatalf("callee counted %d calls? a dial after %d more was allowed %v (%v, %v): the cap's count is not %d", counted, 2-counted, dec.Allowed, dec.Reasons, err, counted)
	}
	for _, d := range held {
		if err := g.Release(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLateOutcomeFailsClosedWhenRecountFails: an outcome of a call placed
// after its decision was released is counted again (a recount). When the
// store fails at that moment the outcome is not acknowledged: ReportOutcome
// returns an error wrapping the cause (storage.ErrUnavailable), so that the
// dialer retries, and the retry counts the call exactly once (a second
// retry adds nothing). Before, the failed recount was only logged and the
// outcome answered nil: the callee was under-counted for the whole window,
// and the cap allowed one call more than it says.
func TestLateOutcomeFailsClosedWhenRecountFails(t *testing.T) {
	ctx := context.Background()
	s := &flakyCounters{Counters: memstore.New()}
	g := recountGate(t, s)
	dec := allow(t, g)
	if err := g.Release(ctx, dec); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, g, 0)
	// The store fails for the recount's reservation (the guard's own write
	// goes through: the outage begins between the two).
	s.setDown(func(id string) bool { return strings.HasSuffix(id, "#placed") })
	o := dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Answered: true}
	err := g.ReportOutcome(ctx, o)
	if err == nil || !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("late outcome whose recount failed: %v, want an error wrapping storage.ErrUnavailable (retry)", err)
	}
	s.setDown(nil)
	wantCalls(t, g, 0) // nothing counted yet: the dialer must retry
	if err := g.ReportOutcome(ctx, o); err != nil {
		t.Fatalf("retried late outcome: %v", err)
	}
	wantCalls(t, g, 1)
	if err := g.ReportOutcome(ctx, o); err != nil {
		t.Fatalf("late outcome retried again: %v", err)
	}
	wantCalls(t, g, 1)

	// The whole store down: the guard fails, and the retry counts once.
	s2 := &flakyCounters{Counters: memstore.New()}
	g2 := recountGate(t, s2)
	dec = allow(t, g2)
	if err := g2.Release(ctx, dec); err != nil {
		t.Fatal(err)
	}
	s2.setDown(func(string) bool { return true })
	o = dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Answered: true}
	if err := g2.ReportOutcome(ctx, o); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("late outcome, store down: %v, want storage.ErrUnavailable", err)
	}
	s2.setDown(nil)
	if err := g2.ReportOutcome(ctx, o); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, g2, 1)
}

// TestLateOutcomeWithoutDialIsRefused: a late outcome without its dial
// cannot count its call again (the callee is unknown). Before, it was
// answered nil and the call never counted; now it is refused with an error
// wrapping ErrInvalidOutcome naming "dial" (the observers and the audit log
// still get it), and the dialer's retry with the dial counts the call once.
// MarkPlaced, which has only the id, fails the same way for a decision
// released before.
func TestLateOutcomeWithoutDialIsRefused(t *testing.T) {
	ctx := context.Background()
	g := recountGate(t, memstore.New())
	dec := allow(t, g)
	if err := g.Release(ctx, dec); err != nil {
		t.Fatal(err)
	}
	var fe *dialgate.FieldError
	err := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Answered: true})
	if !errors.Is(err, dialgate.ErrInvalidOutcome) || !errors.As(err, &fe) || fe.Field != "dial" {
		t.Fatalf("late outcome without its dial: %v, want ErrInvalidOutcome naming dial", err)
	}
	if err := g.MarkPlaced(ctx, dec.ID); !errors.Is(err, dialgate.ErrInvalidOutcome) || !errors.As(err, &fe) || fe.Field != "dial" {
		t.Fatalf("MarkPlaced of a released decision: %v, want ErrInvalidOutcome naming dial", err)
	}
	wantCalls(t, g, 0)
	if err := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Answered: true}); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, g, 1)
	// The id alone cannot tell whether the call was counted: still
	// refused, and nothing is counted twice.
	if err := g.MarkPlaced(ctx, dec.ID); !errors.Is(err, dialgate.ErrInvalidOutcome) {
		t.Fatalf("MarkPlaced once the call is counted: %v, want ErrInvalidOutcome", err)
	}
	if err := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Answered: true}); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, g, 1)
}

// TestLateOutcomeRetriesRaceCountOnce: retries of a late outcome racing one
// another, on Gates of one store, count the call exactly once.
func TestLateOutcomeRetriesRaceCountOnce(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	a, b := recountGate(t, s), recountGate(t, s)
	dec := allow(t, a)
	if err := b.Release(ctx, dec); err != nil {
		t.Fatal(err)
	}
	o := dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Answered: true}
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range 8 {
		g := a
		if i%2 == 1 {
			g = b
		}
		wg.Go(func() {
			if err := g.ReportOutcome(ctx, o); err != nil {
				failed.Add(1)
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if failed.Load() == 0 {
		wantCalls(t, a, 1)
	}
}

// TestLateOutcomeClockSteppedBack: a late outcome read at an instant before
// its callback dial's trigger (the host's clock stepped back since the
// decision) still counts the call: the dial was valid when decided, and a
// refusal naming trigger_at would never be cured by a retry.
func TestLateOutcomeClockSteppedBack(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	now := placedT0
	g := clockedGate(t, s, 24*time.Hour, &now, capCheck(t, twoADay, s))
	d := placedDial()
	d.Purpose, d.TriggerAt = dialgate.PurposeCallback, placedT0.Add(-time.Minute)
	dec, err := g.Check(ctx, d)
	if err != nil || !dec.Allowed {
		t.Fatalf("check: %v %v %v", dec.Allowed, dec.Reasons, err)
	}
	if err := g.Release(ctx, dec); err != nil {
		t.Fatal(err)
	}
	now = placedT0.Add(-10 * time.Minute)
	if err := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Answered: true}); err != nil {
		t.Fatalf("late outcome after the clock stepped back: %v", err)
	}
	now = placedT0
	wantCalls(t, g, 1)
}

// TestMarkPlacedDialCountsLateCall: MarkPlacedDial, given the dial a
// malformed report still carried, counts the call of a decision released
// before, once (a retry, or the corrected outcome after it, counts
// nothing more); MarkPlaced, without it, cannot.
func TestMarkPlacedDialCountsLateCall(t *testing.T) {
	ctx := context.Background()
	g := recountGate(t, memstore.New())
	dec := allow(t, g)
	if err := g.Release(ctx, dec); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, g, 0)
	if err := g.MarkPlacedDial(ctx, dec.ID, dec.Dial); err != nil {
		t.Fatalf("MarkPlacedDial of a released decision: %v", err)
	}
	wantCalls(t, g, 1)
	if err := g.MarkPlacedDial(ctx, dec.ID, dec.Dial); err != nil {
		t.Fatal(err)
	}
	if err := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Answered: true}); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, g, 1)
	var fe *dialgate.FieldError
	if err := g.MarkPlacedDial(ctx, "", dec.Dial); !errors.As(err, &fe) || fe.Field != "decision_id" {
		t.Fatalf("MarkPlacedDial without an id: %v, want an error naming decision_id", err)
	}
}
