package dnc

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A new refusal added through Lists.Add (no HoldUntil) over an old entry of
// the same (number, scope), whose configured hold has ended, is a refusal
// whose hold has just begun: Check.Remove must not remove it a minute later
// (the store kept the old entry's AddedAt, and the profile's hold was
// judged from it).
func TestReAddRestartsConfiguredHold(t *testing.T) {
	c, st := newTestCheck(t, Config{Hold: Hold{Months: 12, Cite: cite}})
	ctx := context.Background()
	n := num("+8613900139000")
	fin := MustParseScope("industry:finance")
	if err := c.Lists().Add(ctx, Entry{Number: n, Scope: fin, List: "opt_out", Source: "call", AddedAt: t0}); err != nil {
		t.Fatal(err)
	}
	now := t0.AddDate(0, 13, 0) // the first refusal's hold has ended
	again := Entry{Number: n, Scope: fin, List: "opt_out", Source: "call", AddedAt: now, Evidence: "decision:dg-2"}
	if err := c.Lists().Add(ctx, again); err != nil {
		t.Fatal(err)
	}
	// The same add retried changes nothing.
	if err := c.Lists().Add(ctx, again); err != nil {
		t.Fatal(err)
	}
	if err := c.Remove(ctx, n, fin, now.Add(time.Minute)); !errors.Is(err, ErrHeld) {
		t.Fatalf("remove a minute after a new refusal: %v, want ErrHeld (the hold runs from the new refusal)", err)
	}
	es, _ := st.DNCEntries(ctx, n)
	if len(es) != 1 || !es[0].AddedAt.Equal(now) {
		t.Fatalf("entries after re-adding: %v, want one added at %s", es, now)
	}
	// An older add (a backdated import) does not date it back.
	if err := c.Lists().Add(ctx, Entry{Number: n, Scope: fin, List: "import", AddedAt: t0.AddDate(0, 6, 0)}); err != nil {
		t.Fatal(err)
	}
	if err := c.Remove(ctx, n, fin, now.AddDate(0, 12, 0).Add(-time.Second)); !errors.Is(err, ErrHeld) {
		t.Fatalf("remove before 12 months from the new refusal: %v, want ErrHeld", err)
	}
	if err := c.Remove(ctx, n, fin, now.AddDate(0, 12, 0)); err != nil {
		t.Fatalf("remove 12 months after the new refusal: %v", err)
	}
}
