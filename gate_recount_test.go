package dialgate_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage/memstore"
)

// An outcome of a placed call reported after its decision was released (a
// dialer that released and dialled anyway, or a Release that won its race
// with the outcome) counts the call again: it is reserved under its own id
// (the decision's id and "#placed"), so that the next dial of the callee
// over the cap is denied, whichever Gate of the store is asked. A retried
// Release of the decision does not give it back; a retried outcome counts
// nothing more. When another decision took the slot in between the call
// cannot be counted (the cap is full: the next dial is denied all the
// same): not an error. An outcome without its dial cannot be counted: it
// is refused (ErrInvalidOutcome naming dial) until retried with it.
func TestOutcomeAfterReleaseCountsAgain(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	a, b := guardedGate(t, s, nil), guardedGate(t, s, nil)
	dec := allow(t, a)
	if err := b.Release(ctx, dec); err != nil {
		t.Fatal(err)
	}
	o := dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Answered: true}
	if err := a.ReportOutcome(ctx, o); err != nil {
		t.Fatal(err)
	}
	wantCapped(t, a)
	wantCapped(t, b)
	if err := b.Release(ctx, dec); err != nil && !errors.Is(err, dialgate.ErrPlaced) {
		t.Fatal(err)
	}
	if err := a.ReportOutcome(ctx, o); err != nil {
		t.Fatal(err)
	}
	wantCapped(t, b)

	// The slot taken by another decision before the outcome came.
	s2 := memstore.New()
	c := guardedGate(t, s2, nil)
	dec = allow(t, c)
	if err := c.Release(ctx, dec); err != nil {
		t.Fatal(err)
	}
	dec2 := allow(t, c)
	if err := c.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Answered: true}); err != nil {
		t.Fatalf("outcome after release, cap full: %v", err)
	}
	if err := c.Release(ctx, dec2); err != nil {
		t.Fatal(err)
	}
	// Without the dial nothing can be counted: refused, naming the dial
	// (TestLateOutcomeWithoutDialIsRefused), until retried with it.
	s3 := memstore.New()
	d := guardedGate(t, s3, nil)
	dec = allow(t, d)
	if err := d.Release(ctx, dec); err != nil {
		t.Fatal(err)
	}
	if err := d.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Answered: true}); !errors.Is(err, dialgate.ErrInvalidOutcome) {
		t.Fatalf("outcome after release without its dial: %v, want ErrInvalidOutcome", err)
	}
	if err := d.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Answered: true}); err != nil {
		t.Fatal(err)
	}
	wantCapped(t, d)
}

// The reservation a recount makes (the decision's id and "#placed") is not
// a decision: a Release naming it, or an outcome reporting it released, is
// refused (ErrInvalidOutcome naming decision_id) and gives nothing back. A
// dialer that released a decision and placed its call anyway could
// otherwise release "<id>#placed" too, and call the callee over the cap.
func TestRecountNotReleasable(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	g := guardedGate(t, s, nil)
	dec := allow(t, g)
	if err := g.Release(ctx, dec); err != nil {
		t.Fatal(err)
	}
	if err := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Answered: true}); err != nil {
		t.Fatal(err)
	}
	wantCapped(t, g)
	recount := dialgate.Decision{ID: dec.ID + "#placed", Dial: dec.Dial}
	if err := g.Release(ctx, recount); !errors.Is(err, dialgate.ErrInvalidOutcome) {
		t.Errorf("Release of the recount's id: %v, want ErrInvalidOutcome", err)
	}
	wantCapped(t, g)
	err := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: recount.ID, Dial: dec.Dial, Released: true})
	if !errors.Is(err, dialgate.ErrInvalidOutcome) {
		t.Errorf("released outcome of the recount's id: %v, want ErrInvalidOutcome", err)
	}
	wantCapped(t, g)
}

// A call placed after its release is counted again even when the cap is
// full at its outcome (another decision took the slot in between): it
// happened, and it counts for its whole window. Refused as another dial's
// reservation would be, it was not counted at all, and the callee was
// callable again as soon as the other call left the window, a day before
// this one does.
func TestRecountOverFullCap(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	now := placedT0
	g := clockedGate(t, s, 48*time.Hour, &now, capCheck(t, oneADay, s))
	a := allow(t, g)
	if err := g.Release(ctx, a); err != nil {
		t.Fatal(err)
	}
	now = placedT0.Add(time.Hour)
	b := allow(t, g)
	if err := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: b.ID, Dial: b.Dial, Answered: true}); err != nil {
		t.Fatal(err)
	}
	// a's call, placed after all, reported at +2h: the cap is full (b).
	now = placedT0.Add(2 * time.Hour)
	if err := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: a.ID, Dial: a.Dial, Answered: true}); err != nil {
		t.Fatal(err)
	}
	// b has left the window; a's call has not.
	now = placedT0.Add(25*time.Hour + time.Minute)
	wantCapped(t, g)
	// Once a's call has left it too, the callee may be called.
	now = placedT0.Add(26*time.Hour + time.Minute)
	allow(t, g)
}
