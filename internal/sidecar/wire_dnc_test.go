package sidecar

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage/memstore"
)

// RemoveDNC checks the hold against the instant it is given (the Backend's
// clock, the one AddDncEntry stamps added_at with), not the wall clock.
func TestRemoveDNCUsesTheGivenInstant(t *testing.T) {
	ctx := context.Background()
	lists, err := dnc.NewLists(ctx, memstore.New(), dnc.ListsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer lists.Close()
	c, err := dnc.New(dnc.Config{Hold: dnc.Hold{Months: 12, Cite: dialgate.Citation{Source: dialgate.SourceConvention, Ref: "test hold"}}}, lists)
	if err != nil {
		t.Fatal(err)
	}
	a := dncAdmin{c: c}
	added := time.Date(2030, 1, 10, 9, 0, 0, 0, time.UTC) // after the wall clock: a wall-clock check would refuse
	n := dialgate.MustParseNumber("+8613900139011")
	if err := a.AddDNC(ctx, DNCEntry{Number: n, Scope: "global", AddedAt: added}); err != nil {
		t.Fatal(err)
	}
	if err := a.RemoveDNC(ctx, n, "global", added.AddDate(0, 11, 0)); !errors.Is(err, ErrFailedPrecondition) || !errors.Is(err, dnc.ErrHeld) {
		t.Fatalf("removal inside the hold = %v, want ErrFailedPrecondition wrapping dnc.ErrHeld", err)
	}
	if err := a.RemoveDNC(ctx, n, "global", added.AddDate(0, 12, 1)); err != nil {
		t.Fatalf("removal after the hold = %v", err)
	}
}

// An entry stored with a shorter hold than the profile's (imported with
// another profile's hold, or stored before the profile's hold was raised)
// is not released before the profile's hold from its added_at: us keeps a
// company do-not-call request 5 years, whatever the entry says.
func TestRemoveDNCKeepsTheProfileHold(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	lists, err := dnc.NewLists(ctx, st, dnc.ListsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer lists.Close()
	c, err := dnc.New(dnc.Config{Hold: dnc.Hold{Months: 60, Cite: dialgate.Citation{Source: dialgate.SourceConvention, Ref: "test hold"}}}, lists)
	if err != nil {
		t.Fatal(err)
	}
	a := dncAdmin{c: c}
	added := time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)
	n := dialgate.MustParseNumber("+12025550143")
	// As `dialgate dnc import` run with the default profile cn (12 months) writes it.
	if err := st.AddDNC(ctx, dnc.Entry{Number: n, Scope: dnc.GlobalScope, List: "opt_out", Source: "import:optouts.csv",
		AddedAt: added, HoldUntil: added.AddDate(0, 12, 0)}); err != nil {
		t.Fatal(err)
	}
	if err := a.RemoveDNC(ctx, n, "global", added.AddDate(0, 13, 0)); !errors.Is(err, ErrFailedPrecondition) || !errors.Is(err, dnc.ErrHeld) {
		t.Fatalf("removal 13 months in, inside the profile's 60-month hold = %v, want ErrFailedPrecondition wrapping dnc.ErrHeld", err)
	}
	if es, err := st.DNCEntries(ctx, n); err != nil || len(es) != 1 {
		t.Fatalf("entries after the refused removal: %v, %v", es, err)
	}
	if err := a.RemoveDNC(ctx, n, "global", added.AddDate(0, 60, 0)); err != nil {
		t.Fatalf("removal after the profile's hold = %v", err)
	}
}
