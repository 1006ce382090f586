package dnc

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// FuzzStoredEntry fuzzes a stored entry's JSON as every store reads it back
// (json.Unmarshal into an Entry, then Entry.ValidateStored) and as AddDNC
// reads the hold of a damaged one (StoredHoldUntil): neither panics; an entry
// that passes is written again as it was read (a store writes it back when
// an add extends its hold: Merge), so its number, scope, added_at and hold
// survive the rewrite, and StoredHoldUntil reads its hold.
func FuzzStoredEntry(f *testing.F) {
	e := Entry{Number: dialgate.MustParseNumber("+8613800138000"), Scope: MustParseScope("industry:finance"), List: "opt_out", Source: "admin",
		AddedAt: time.Date(2026, 12, 1, 8, 0, 0, 0, time.FixedZone("", 8*3600)), HoldUntil: time.Date(2027, 12, 1, 8, 0, 0, 0, time.UTC), Evidence: "decision:x"}
	js, err := json.Marshal(e)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(js)
	f.Add([]byte(`{"number":"+12125550100","scope":"global","list":"l","added_at":"2026-01-01T00:00:00Z","hold_until":"9999-12-31T23:59:59-23:59"}`))
	f.Add([]byte(`{"hold_until":"2027-01-01T00:00:00Z","scope":"nope"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		hold := StoredHoldUntil(raw)
		var e Entry
		if json.Unmarshal(raw, &e) != nil || e.ValidateStored(e.Number, e.Scope) != nil {
			return
		}
		if !hold.Equal(e.HoldUntil) {
			t.Fatalf("StoredHoldUntil %v, the entry's hold %v", hold, e.HoldUntil)
		}
		again, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("an entry read back cannot be written again: %v", err)
		}
		var back Entry
		if err := json.Unmarshal(again, &back); err != nil {
			t.Fatalf("an entry written again does not read back: %v", err)
		}
		if back.Number != e.Number || back.Scope != e.Scope || back.List != e.List || back.Source != e.Source || back.Evidence != e.Evidence ||
			!back.AddedAt.Equal(e.AddedAt) || !back.HoldUntil.Equal(e.HoldUntil) {
			t.Fatalf("entry %+v written again reads back as %+v", e, back)
		}
		if err := back.ValidateStored(e.Number, e.Scope); err != nil {
			t.Fatalf("entry written again fails its key: %v", err)
		}
	})
}
