package dialgate_test

import (
	"context"
	"errors"
	"testing"

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
// same), and an outcome without its dial cannot be: neither is an error.
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
	// Without the dial nothing can be counted.
	s3 := memstore.New()
	d := guardedGate(t, s3, nil)
	dec = allow(t, d)
	if err := d.Release(ctx, dec); err != nil {
		t.Fatal(err)
	}
	if err := d.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Answered: true}); err != nil {
		t.Fatalf("outcome after release without its dial: %v", err)
	}
	allow(t, d)
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
