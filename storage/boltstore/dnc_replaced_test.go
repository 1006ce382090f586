package boltstore_test

import (
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage/boltstore"
	"github.com/dialgate/dialgate/storage/storetest"
)

// An opt-out added over a damaged entry replaces it, and the damaged bytes
// are kept, verbatim, in the dnc.replaced bucket (evidence), across a
// reopen; a sound entry merged with a re-add is not copied there.
func TestAddDNCKeepsTheDamagedEntryItReplaces(t *testing.T) {
	ctx := t.Context()
	s := openTemp(t)
	n := dialgate.MustParseNumber("+8613900139055")
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	damaged := []byte(`{"number":"+8613900139055","scope":"global","list":"opt_out","added_at":12}`)
	if err := boltstore.Plant(ctx, s, storetest.RawRecord{Kind: "dnc entry", Number: n, Scope: "global", JSON: damaged}); err != nil {
		t.Fatal(err)
	}
	e := dnc.Entry{Number: n, Scope: dnc.GlobalScope, List: "opt_out", Source: "call", AddedAt: at}
	for range 2 { // the second add merges with the sound entry the first left
		if err := s.AddDNC(ctx, e); err != nil {
			t.Fatalf("AddDNC over a damaged entry: %v", err)
		}
	}
	s2, err := reopen(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s2.(*boltstore.Store).Close() })
	got, err := boltstore.ReplacedDNC(s2.(*boltstore.Store))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || string(got[0]) != string(damaged) {
		t.Fatalf("dnc.replaced holds %q, want the damaged bytes once", got)
	}
}
