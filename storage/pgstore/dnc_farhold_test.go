package pgstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage/pgstore"
)

// TestAddDNCOverDamagedKeepsFarHoldColumn: an opt-out held past 2262 (a
// hold "for ever", until 3000) whose JSON hold_until is then damaged keeps
// its hold through the row's hold_until_ns column when an opt-out with a
// shorter hold replaces it (docs/deploy.md: "no hold is shortened"). The
// column held t.UnixNano() of 3000, which overflows int64 and wrapped to an
// instant in 1831: the replacement kept only the new, shorter hold, and
// the opt-out could be removed a year later. The column now saturates (as
// the complaints' received_ns does), so the hold kept is at least 2262.
func TestAddDNCOverDamagedKeepsFarHoldColumn(t *testing.T) {
	url := pgURL(t)
	s := open(t, url, newSchema(t, url))
	ctx := context.Background()
	n := dialgate.MustParseNumber("+8613900139057")
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	far := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.AddDNC(ctx, dnc.Entry{Number: n, Scope: dnc.GlobalScope, List: "opt_out", Source: "call", AddedAt: at, HoldUntil: far}); err != nil {
		t.Fatal(err)
	}
	// The JSON's hold_until damaged (unreadable): the column is the only
	// copy of the hold left.
	if err := pgstore.Exec(ctx, s, `UPDATE dnc_entries SET entry = jsonb_set(entry, '{hold_until}', '"3000-13-01"') WHERE number = $1`, int64(n.Uint64())); err != nil {
		t.Fatal(err)
	}
	added := at.AddDate(0, 1, 0)
	e := dnc.Entry{Number: n, Scope: dnc.GlobalScope, List: "opt_out", Source: "call", AddedAt: added, HoldUntil: added.AddDate(1, 0, 0)}
	if err := s.AddDNC(ctx, e); err != nil {
		t.Fatalf("AddDNC over the damaged entry: %v", err)
	}
	es, err := s.DNCEntries(ctx, n)
	floor := time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
	if err != nil || len(es) != 1 || es[0].HoldUntil.Before(floor) {
		t.Fatalf("DNCEntries after replacing an entry held until 3000: %+v, %v; want one entry held at least until %s", es, err, floor.Format(time.DateOnly))
	}
	if err := s.RemoveDNC(ctx, n, dnc.GlobalScope, added.AddDate(2, 0, 0)); !errors.Is(err, dnc.ErrHeld) {
		t.Fatalf("RemoveDNC two years later: %v, want dnc.ErrHeld (held until 3000)", err)
	}
}
