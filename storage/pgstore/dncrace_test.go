package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
)

// An opt-out re-taken (with a hold) while another process removes the same
// entry must end up stored: either the removal went first (the add then
// inserts it afresh) or the add did (the removal then finds it held). Here the
// removal's transaction holds the row lock when the add finds the row.
func TestAddDNCRacingRemove(t *testing.T) {
	url := pgURL(t)
	sc := newSchema(t, url)
	s := open(t, url, sc)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	n := dialgate.MustParseNumber("+8613800138000")
	old := dnc.Entry{Number: n, Scope: dnc.GlobalScope, List: "opt_out", AddedAt: t0}
	if err := s.AddDNC(ctx, old); err != nil {
		t.Fatal(err)
	}
	// The removal, as RemoveDNC does it: lock the row, then delete it.
	tx, err := s.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT entry FROM dnc_entries WHERE number = $1 AND scope = $2 FOR UPDATE`, int64(n.Uint64()), "global"); err != nil {
		t.Fatal(err)
	}
	again := old
	again.AddedAt, again.HoldUntil, again.Source = t0.Add(time.Hour), t0.Add(365*24*time.Hour), "call"
	done := make(chan error, 1)
	go func() { done <- s.AddDNC(ctx, again) }()
	// Let the add find the row and wait for its lock.
	deadline := time.Now().Add(5 * time.Second)
	for {
		var waiting int
		if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%dnc_entries%FOR UPDATE%'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the add never waited for the row lock")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM dnc_entries WHERE number = $1 AND scope = $2`, int64(n.Uint64()), "global"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("AddDNC racing a removal: %v, want nil (the opt-out stored)", err)
	}
	es, err := s.DNCEntries(ctx, n)
	if err != nil || len(es) != 1 || !es[0].HoldUntil.Equal(again.HoldUntil) {
		t.Fatalf("after the race: %+v, %v; want the re-taken opt-out with its hold", es, err)
	}
}
