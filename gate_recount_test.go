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
