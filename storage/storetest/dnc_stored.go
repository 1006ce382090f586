package storetest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dialgate/dialgate/dnc"
)

// The write paths of the do-not-call store over a damaged stored entry: an
// opt-out being added is never refused for what is wrong with the entry
// stored under its key (it replaces it, keeping the longer hold), and a
// damaged entry is never removed (its hold or added_at cannot be trusted).

const dncStoredScope = "industry:finance"

// dncDamaged are the damaged entries planted under (storedNum,
// dncStoredScope), as edits of a base entry held for two years. hold says
// whether the base's hold_until can still be read from the damaged bytes
// (a store must then keep it when it replaces the entry).
var dncDamaged = []struct {
	storedCase
	hold bool
}{
	{storedCase{name: "MissingScope", edit: without("scope"), field: "scope"}, true},
	{storedCase{name: "UnknownScopeKind", edit: set("scope", "planet:mars"), field: "scope"}, true},
	{storedCase{name: "AnotherScope", edit: set("scope", "global"), field: "scope"}, true},
	{storedCase{name: "MissingNumber", edit: without("number"), field: "number"}, true},
	{storedCase{name: "AnotherNumber", edit: set("number", conNum2.String()), field: "number"}, true},
	{storedCase{name: "MissingList", edit: without("list"), field: "list"}, true},
	{storedCase{name: "ZeroAddedAt", edit: set("added_at", zeroTime), field: "added_at"}, true},
	{storedCase{name: "AddedAtWrongType", edit: set("added_at", 12), field: "added_at"}, true},
	{storedCase{name: "HoldBeforeAdded", edit: set("added_at", rfc(dncStoredHold.Add(time.Hour))), field: "hold_until"}, true},
	{storedCase{name: "HoldUntilLost", edit: without("hold_until", "added_at"), field: "added_at"}, false},
	{storedCase{name: "HoldUntilUnreadable", edit: set("hold_until", "2027-13-01"), field: "hold_until"}, false},
	{storedCase{name: "NotJSON", raw: `{"number":`, field: "decode"}, false},
}

// dncStoredHold is the hold of the damaged entries' base: two years, longer
// than the hold of the opt-outs added over them.
var dncStoredHold = storedT0.AddDate(2, 0, 0)

// dncStoredBase is the sound entry the damaged ones are edits of.
func dncStoredBase() map[string]any {
	return map[string]any{
		"number": storedNum.String(), "scope": dncStoredScope, "list": "opt_out", "source": "call",
		"added_at": rfc(storedT0), "hold_until": rfc(dncStoredHold), "evidence": "decision:dg-0",
	}
}

// dncStoredAdd adds an opt-out over each damaged entry (with a hold of a
// year, and with none), in a batch with another number's: the add must
// succeed, and leave the new entry, sound (every read returns it), held no
// shorter than either its own hold or the damaged entry's when that can
// still be read, and removable by nobody before that.
func dncStoredAdd(ctx context.Context, h harness[dnc.Store]) error {
	added := storedT0.AddDate(0, 1, 0)
	fresh := []dnc.Entry{
		{Number: storedNum, Scope: dnc.MustParseScope(dncStoredScope), List: "complaints", Source: "complaint",
			AddedAt: added, HoldUntil: added.AddDate(1, 0, 0), Evidence: "decision:dg-2"},
		{Number: storedNum, Scope: dnc.MustParseScope(dncStoredScope), List: "opt_out", Source: "call", AddedAt: added},
	}
	other := dncEntry("+8613800138000", "global", 0)
	planted := 0
	for _, c := range dncDamaged {
		for _, e := range fresh {
			name := fmt.Sprintf("%s (adding an entry held until %s)", c.name, e.HoldUntil.Format(time.DateOnly))
			s, err := h.open()
			if err != nil {
				return err
			}
			err = h.plantOrSkip(ctx, s, dncRaw(c.bytes(dncStoredBase())))
			if errors.Is(err, errNoPlant) {
				continue
			}
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			planted++
			if _, err := s.DNCEntries(ctx, storedNum); err == nil {
				return fmt.Errorf("%s: DNCEntries did not refuse the planted entry", name)
			}
			if err := s.AddDNC(ctx, e, other); err != nil {
				return fmt.Errorf("%s: AddDNC over the damaged entry: %w (the opt-out is lost)", name, err)
			}
			if err := dncCheckReplaced(ctx, s, e, c.hold); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if es, err := s.DNCEntries(ctx, other.Number); err != nil || len(es) != 1 {
				return fmt.Errorf("%s: the other entry of the batch: %v, %v; want it listed", name, es, err)
			}
		}
	}
	if planted == 0 {
		return errNoPlant
	}
	return nil
}

// dncCheckReplaced checks that e, added over a damaged entry (whose hold
// could be read when hold is set), is what the store now lists, held until
// the later hold.
func dncCheckReplaced(ctx context.Context, s dnc.Store, e dnc.Entry, hold bool) error {
	want := e
	if hold && dncStoredHold.After(want.HoldUntil) {
		want.HoldUntil = dncStoredHold
	}
	es, err := s.DNCEntries(ctx, storedNum)
	if err != nil {
		return fmt.Errorf("DNCEntries after the add: %w (the entry is still damaged)", err)
	}
	if len(es) != 1 {
		return fmt.Errorf("DNCEntries after the add: %d entries, want 1", len(es))
	}
	got := es[0]
	if got.HoldUntil.Before(want.HoldUntil) {
		return fmt.Errorf("the entry is held until %s, want no earlier than %s (a hold was shortened)", got.HoldUntil.Format(time.RFC3339), want.HoldUntil.Format(time.RFC3339))
	}
	got.HoldUntil = want.HoldUntil
	if err := sameEntry(got, want); err != nil {
		return fmt.Errorf("the entry after the add is not the one added: %w", err)
	}
	n := 0
	if err := s.ScanDNC(ctx, func(x dnc.Entry) error {
		if x.Number == storedNum {
			n++
		}
		return nil
	}); err != nil || n != 1 {
		return fmt.Errorf("ScanDNC after the add: the entry %d times, %v; want once", n, err)
	}
	if !want.HoldUntil.IsZero() {
		if err := s.RemoveDNC(ctx, storedNum, e.Scope, want.HoldUntil.Add(-time.Nanosecond)); !errors.Is(err, dnc.ErrHeld) {
			return fmt.Errorf("RemoveDNC before the hold of %s ends: %v, want dnc.ErrHeld", want.HoldUntil.Format(time.RFC3339), err)
		}
	}
	return nil
}

// dncStoredRemove tries to remove each damaged entry (RemoveDNC, and
// RemoveDNCIf with a condition the entry would meet), long after any hold
// it had: each must fail with a storage.RecordError naming the entry and
// its bad field, and leave it stored (a read still refuses it).
func dncStoredRemove(ctx context.Context, h harness[dnc.Store]) error {
	late := dncStoredHold.AddDate(10, 0, 0)
	sc := dnc.MustParseScope(dncStoredScope)
	cases := make([]storedCase, len(dncDamaged))
	for i, c := range dncDamaged {
		cases[i] = c.storedCase
	}
	return runStoredCases(ctx, h, "dnc entry", dnc.ErrInvalidEntry, cases, dncStoredBase(), dnc.StoredKey(storedNum, dncStoredScope),
		dncRaw, dncNeighbour,
		func(s dnc.Store) []storedRead {
			return []storedRead{
				{"RemoveDNC", func(ctx context.Context) (int, error) {
					return 0, s.RemoveDNC(ctx, storedNum, sc, late)
				}},
				{"RemoveDNCIf", func(ctx context.Context) (int, error) {
					return 0, s.RemoveDNCIf(ctx, storedNum, sc, late, dnc.RemoveCondition{AddedNotAfter: late})
				}},
				{"DNCEntries", func(ctx context.Context) (int, error) {
					es, err := s.DNCEntries(ctx, storedNum)
					return len(es), err
				}},
			}
		})
}

// dncRaw is a dnc entry of JSON js planted under (storedNum,
// dncStoredScope).
func dncRaw(js []byte) RawRecord {
	return RawRecord{Kind: "dnc entry", Number: storedNum, Scope: dncStoredScope, JSON: js}
}

// dncNeighbour adds a sound entry of another number and returns how to read
// it back.
func dncNeighbour(ctx context.Context, s dnc.Store) (func(context.Context) error, error) {
	e := dncEntry("+8613800138000", "global", 0)
	return neighbour(ctx, func(ctx context.Context) error { return s.AddDNC(ctx, e) },
		func(ctx context.Context) ([]dnc.Entry, error) { return s.DNCEntries(ctx, e.Number) })
}
