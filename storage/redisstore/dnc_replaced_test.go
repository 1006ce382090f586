package redisstore_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage/redisstore"
	"github.com/dialgate/dialgate/storage/storetest"
)

// An opt-out added over a damaged entry replaces it: the damaged JSON is
// kept, verbatim, in the list "{p}:dr" (evidence), and the hold stamp the
// damaged entry had is never lowered (the entry stays held until it ends,
// though its JSON's hold_until was lost).
func TestAddDNCKeepsTheDamagedEntryItReplaces(t *testing.T) {
	url := redisURL(t)
	s := open(t, url, newPrefix(t, url))
	ctx := t.Context()
	n := dialgate.MustParseNumber("+8613900139055")
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	held := at.AddDate(2, 0, 0)
	damaged := `{"number":"+8613900139055","scope":"global","list":"opt_out","added_at":12}`
	if err := redisstore.Plant(ctx, s, storetest.RawRecord{Kind: "dnc entry", Number: n, Scope: "global", JSON: []byte(damaged)}); err != nil {
		t.Fatal(err)
	}
	if err := redisstore.SetDNCHoldStamp(ctx, s, n, "global", held); err != nil {
		t.Fatal(err)
	}
	e := dnc.Entry{Number: n, Scope: dnc.GlobalScope, List: "opt_out", Source: "call", AddedAt: at, HoldUntil: at.AddDate(1, 0, 0)}
	if err := s.AddDNC(ctx, e); err != nil {
		t.Fatalf("AddDNC over a damaged entry: %v", err)
	}
	if err := s.RemoveDNC(ctx, n, dnc.GlobalScope, held.Add(-time.Second)); !errors.Is(err, dnc.ErrHeld) {
		t.Fatalf("RemoveDNC before the damaged entry's hold stamp: %v, want dnc.ErrHeld", err)
	}
	items, err := redisstore.ReplacedDNC(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	var item struct{ Number, Scope, Stored string }
	if len(items) != 1 || json.Unmarshal([]byte(items[0]), &item) != nil || item.Stored != damaged || item.Scope != "global" {
		t.Fatalf("{p}:dr holds %q, want the damaged JSON once", items)
	}
	if err := s.RemoveDNC(ctx, n, dnc.GlobalScope, held); err != nil {
		t.Fatalf("RemoveDNC once every hold ended: %v", err)
	}
}
