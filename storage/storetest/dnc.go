package storetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage"
)

// TestDNC runs the dnc.Store conformance suite as subtests.
func TestDNC(t *testing.T, open func(t *testing.T) dnc.Store, opts ...Option) {
	t.Helper()
	runT(t, dncCases(), open, newConfig(opts))
}

// CheckDNC runs the dnc.Store conformance suite and joins every failure.
func CheckDNC(ctx context.Context, open func() (dnc.Store, error), opts ...Option) error {
	return checkAll(ctx, "DNC", dncCases(), open, newConfig(opts))
}

func dncCases() []testCase[dnc.Store] {
	return []testCase[dnc.Store]{
		{"AddLookup", dncAddLookup},
		{"ReAddExtendsHold", dncReAdd},
		{"ReAddKeepsLaterAddedAt", dncReAddLater},
		{"BatchAfterUnchanged", dncBatchAfterUnchanged},
		{"RemoveRespectsHold", dncRemove},
		{"HoldBeyond2262", dncHoldFar},
		{"AtomicBatch", dncAtomic},
		{"ConcurrentBatches", dncConcurrentBatches},
		{"Scan", dncScan},
		{"Reopen", dncReopen},
		{"AddRacingRemove", dncAddRacingRemove},
		{"RemoveIf", dncRemoveIf},
		{"RemoveIfRacingReAdd", dncRemoveIfRacingReAdd},
		{"ConcurrentReAdds", dncConcurrentReAdds},
		{"ReAddRacingRemoveIf", dncReAddRacingRemoveIf},
		{"ScanManyPages", dncScanMany},
		{"Closed", dncClosed},
		{"StoredRecords", dncStored},
		{"AddOverDamaged", dncStoredAdd},
		{"RemoveDamaged", dncStoredRemove},
		{"DirectWriteSeenByLists", dncDirectWriteSeen},
		{"RejectsNotUTF8", dncNotUTF8},
		{"UnkeptInstantsRefused", dncUnkeptRefused},
	}
}

var dncT0 = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

func dncEntry(n, scope string, hold time.Duration) dnc.Entry {
	return dnc.Entry{Number: dialgate.MustParseNumber(n), Scope: dnc.MustParseScope(scope), List: "opt_out",
		Source: "call", AddedAt: dncT0, HoldUntil: dncT0.Add(hold), Evidence: "decision:dg-1"}
}

func sameEntry(got, want dnc.Entry) error {
	if got.Number != want.Number || got.Scope != want.Scope || got.List != want.List || got.Source != want.Source ||
		!got.AddedAt.Equal(want.AddedAt) || !got.HoldUntil.Equal(want.HoldUntil) || got.Evidence != want.Evidence {
		return fmt.Errorf("got %+v, want %+v", got, want)
	}
	return nil
}

func dncAddLookup(ctx context.Context, h harness[dnc.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	a := dncEntry("+8613800138000", "industry:finance", time.Hour)
	b := dncEntry("+8613800138000", "global", 0)
	if err := s.AddDNC(ctx, a, b); err != nil {
		return err
	}
	es, err := s.DNCEntries(ctx, a.Number)
	if err != nil {
		return err
	}
	if len(es) != 2 {
		return fmt.Errorf("DNCEntries: %d entries, want 2", len(es))
	}
	if err := errors.Join(sameEntry(es[0], b), sameEntry(es[1], a)); err != nil {
		return fmt.Errorf("DNCEntries not in scope order: %w", err)
	}
	es, err = s.DNCEntries(ctx, dialgate.MustParseNumber("+8613800138001"))
	if err != nil || es != nil {
		return fmt.Errorf("absent number: %v, %v; want nil, nil", es, err)
	}
	return nil
}

func dncReAdd(ctx context.Context, h harness[dnc.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	a := dncEntry("+8613800138000", "global", time.Hour)
	if err := s.AddDNC(ctx, a); err != nil {
		return err
	}
	again := a
	again.Source, again.AddedAt, again.HoldUntil = "complaint", dncT0.Add(time.Minute), dncT0.Add(48*time.Hour)
	if err := s.AddDNC(ctx, again); err != nil {
		return err
	}
	shorter := a
	shorter.HoldUntil = dncT0
	if err := s.AddDNC(ctx, shorter); err != nil {
		return err
	}
	es, err := s.DNCEntries(ctx, a.Number)
	if err != nil {
		return err
	}
	want := a
	want.AddedAt, want.HoldUntil = again.AddedAt, dncT0.Add(48*time.Hour)
	if len(es) != 1 {
		return fmt.Errorf("%d entries after re-adding, want 1", len(es))
	}
	return sameEntry(es[0], want)
}

// dncReAddLater adds a new refusal (a later AddedAt, no HoldUntil, as
// dnc.Lists.Add passes it) over an entry whose own hold has ended: the
// entry kept is dated by the new refusal (a profile's hold runs from
// AddedAt: dnc.Check.Remove), held no shorter, and a removal decided on the
// old entry (RemoveDNCIf, AddedNotAfter its AddedAt) fails with
// dnc.ErrChanged. A store that kept the old AddedAt let Check.Remove remove
// the new refusal at once. A retry of the same add, an older add and a
// batch holding the key twice keep the stricter of the two, through a
// reopen.
func dncReAddLater(ctx context.Context, h harness[dnc.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	old := dncEntry("+8613800138000", "industry:finance", time.Hour)
	if err := s.AddDNC(ctx, old); err != nil {
		return err
	}
	later := old
	later.AddedAt, later.HoldUntil, later.Evidence = dncT0.Add(48*time.Hour), time.Time{}, "decision:dg-2"
	// Added twice: a retry of the same add (same AddedAt) is unchanged.
	for range 2 {
		if err := s.AddDNC(ctx, later); err != nil {
			return err
		}
	}
	// The stored entry: old's, dated again, its hold (now before that date)
	// no earlier than the date, never a hold before added_at.
	want := old
	want.AddedAt, want.HoldUntil = later.AddedAt, later.AddedAt
	get := func(s dnc.Store, what string, want dnc.Entry) error {
		es, err := s.DNCEntries(ctx, old.Number)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if len(es) != 1 {
			return fmt.Errorf("%s: %d entries, want 1", what, len(es))
		}
		if err := sameEntry(es[0], want); err != nil {
			return fmt.Errorf("%s (the new refusal's added_at kept, no hold shortened): %w", what, err)
		}
		return nil
	}
	if err := get(s, "after a new refusal over an entry whose hold ended", want); err != nil {
		return err
	}
	err = s.RemoveDNCIf(ctx, old.Number, old.Scope, later.AddedAt.Add(time.Minute), dnc.RemoveCondition{AddedNotAfter: old.AddedAt})
	if !errors.Is(err, dnc.ErrChanged) {
		return fmt.Errorf("removal judged on the old entry after a new refusal: %v, want dnc.ErrChanged (the new refusal is lost)", err)
	}
	// An older add with a longer hold: the later date stays, the longer
	// hold is taken.
	older := old
	older.AddedAt, older.HoldUntil = dncT0.Add(time.Minute), dncT0.Add(96*time.Hour)
	if err := s.AddDNC(ctx, older); err != nil {
		return err
	}
	want.HoldUntil = older.HoldUntil
	if err := get(s, "after an older add held longer", want); err != nil {
		return err
	}
	// One batch holding the key twice, the later one first: the later date
	// and the longer hold of the two.
	b1, b2 := later, later
	b1.AddedAt = dncT0.Add(72 * time.Hour)
	b2.AddedAt, b2.HoldUntil = dncT0.Add(60*time.Hour), dncT0.Add(120*time.Hour)
	if err := s.AddDNC(ctx, b1, b2); err != nil {
		return err
	}
	want.AddedAt, want.HoldUntil = b1.AddedAt, b2.HoldUntil
	if err := get(s, "after a batch of two adds of the key", want); err != nil {
		return err
	}
	if h.reopen == nil {
		return nil
	}
	s2, err := h.reopen(s)
	if err != nil {
		return err
	}
	return get(s2, "after reopening", want)
}

// dncBatchAfterUnchanged adds a batch whose first entries are already
// stored and left unchanged by it (an import run again with new numbers
// appended, a refusal listed twice): every entry after them must be stored
// too. A store that stopped at the first entry with nothing to write
// dropped the rest of the batch, reporting success.
func dncBatchAfterUnchanged(ctx context.Context, h harness[dnc.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	old := dncEntry("+8613800138000", "global", time.Hour)
	if err := s.AddDNC(ctx, old); err != nil {
		return err
	}
	batch := []dnc.Entry{old, old,
		dncEntry("+8613800138001", "global", time.Hour),
		dncEntry("+8613800138000", "industry:finance", time.Hour),
		old,
		dncEntry("+8613800138002", "tenant:acme", 0)}
	if err := s.AddDNC(ctx, batch...); err != nil {
		return err
	}
	var errs []error
	for _, e := range batch {
		es, err := s.DNCEntries(ctx, e.Number)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(es, func(x dnc.Entry) bool { return x.Scope == e.Scope })
		if i < 0 {
			errs = append(errs, fmt.Errorf("%s %s: not stored after a batch that began with an entry already stored (the opt-out is lost)", e.Number, e.Scope))
			continue
		}
		errs = append(errs, sameEntry(es[i], e))
	}
	return errors.Join(errs...)
}

func dncRemove(ctx context.Context, h harness[dnc.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	a := dncEntry("+8613800138000", "tenant:acme", 24*time.Hour)
	if err := s.AddDNC(ctx, a); err != nil {
		return err
	}
	if err := s.RemoveDNC(ctx, a.Number, a.Scope, dncT0.Add(24*time.Hour-time.Nanosecond)); !errors.Is(err, dnc.ErrHeld) {
		return fmt.Errorf("remove during hold: %v, want dnc.ErrHeld", err)
	}
	if err := s.RemoveDNC(ctx, a.Number, dnc.GlobalScope, dncT0.Add(48*time.Hour)); !errors.Is(err, dnc.ErrNotListed) || !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("remove other scope: %v, want dnc.ErrNotListed", err)
	}
	if err := s.RemoveDNC(ctx, a.Number, a.Scope, dncT0.Add(24*time.Hour)); err != nil {
		return fmt.Errorf("remove at hold end: %w", err)
	}
	if es, err := s.DNCEntries(ctx, a.Number); err != nil || len(es) != 0 {
		return fmt.Errorf("after remove: %v, %v", es, err)
	}
	// Removing one scope of a number listed in several removes that scope
	// only: a tenant's removal never takes the global opt-out stored before
	// it (nor a campaign's stored after it).
	g := dncEntry("+8613800138001", "global", 24*time.Hour)
	b := dncEntry("+8613800138001", "tenant:acme", 24*time.Hour)
	c := dncEntry("+8613800138001", "campaign:x", 24*time.Hour)
	if err := s.AddDNC(ctx, g, b, c); err != nil {
		return err
	}
	if err := s.RemoveDNC(ctx, b.Number, b.Scope, dncT0.Add(24*time.Hour)); err != nil {
		return fmt.Errorf("remove %s of a number also listed global and campaign:x: %w", b.Scope, err)
	}
	es, err := s.DNCEntries(ctx, b.Number)
	if err != nil {
		return err
	}
	slices.SortFunc(es, func(x, y dnc.Entry) int { return strings.Compare(x.Scope.String(), y.Scope.String()) })
	if len(es) != 2 || sameEntry(es[0], c) != nil || sameEntry(es[1], g) != nil {
		return fmt.Errorf("after removing %s: %v, want the campaign:x and global entries kept", b.Scope, es)
	}
	return nil
}

// dncHoldFar: a hold past the range of a Unix-nanosecond int64 (the year
// 2262) is a hold like any other: the entry cannot be removed before it
// ends, and a shorter hold added later does not replace it. (A store that
// compared holds as Unix nanoseconds read a hold until 3000 as one that had
// ended in 1977.)
func dncHoldFar(ctx context.Context, h harness[dnc.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	far := farFuture
	a := dncEntry("+8613800138000", "global", 0)
	a.HoldUntil = far
	if err := s.AddDNC(ctx, a); err != nil {
		return err
	}
	for _, at := range []time.Time{dncT0, time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC), far.Add(-time.Nanosecond)} {
		if err := s.RemoveDNC(ctx, a.Number, a.Scope, at); !errors.Is(err, dnc.ErrHeld) {
			return fmt.Errorf("remove at %s of an entry held until %s: %v, want dnc.ErrHeld", at.Format(time.RFC3339), far.Format(time.RFC3339), err)
		}
	}
	shorter := a
	shorter.HoldUntil = dncT0.Add(24 * time.Hour)
	if err := s.AddDNC(ctx, shorter); err != nil {
		return err
	}
	es, err := s.DNCEntries(ctx, a.Number)
	if err != nil {
		return err
	}
	if len(es) != 1 {
		return fmt.Errorf("%d entries, want 1", len(es))
	}
	if err := sameEntry(es[0], a); err != nil {
		return fmt.Errorf("after adding a shorter hold: %w", err)
	}
	if err := s.RemoveDNC(ctx, a.Number, a.Scope, dncT0.Add(48*time.Hour)); !errors.Is(err, dnc.ErrHeld) {
		return fmt.Errorf("remove after the shorter hold ended: %v, want dnc.ErrHeld", err)
	}
	// A later hold, also past 2262, extends it (a store comparing holds
	// saturated at 2262 found them equal and kept the earlier one).
	later := a
	later.HoldUntil = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.AddDNC(ctx, later); err != nil {
		return err
	}
	if es, err := s.DNCEntries(ctx, a.Number); err != nil || len(es) != 1 || !es[0].HoldUntil.Equal(later.HoldUntil) {
		return fmt.Errorf("after adding a later hold past 2262: %+v, %v; want one entry held until %s", es, err, later.HoldUntil.Format(time.RFC3339))
	}
	if err := s.RemoveDNC(ctx, a.Number, a.Scope, far); !errors.Is(err, dnc.ErrHeld) {
		return fmt.Errorf("remove at %s of an entry held until %s: %v, want dnc.ErrHeld", far.Format(time.RFC3339), later.HoldUntil.Format(time.RFC3339), err)
	}
	far = later.HoldUntil
	// The same in one batch.
	b1 := dncEntry("+8613800138001", "global", 0)
	b1.HoldUntil = farFuture
	b2 := b1
	b2.HoldUntil, b2.Source = later.HoldUntil, "complaint"
	if err := s.AddDNC(ctx, b1, b2); err != nil {
		return err
	}
	want := b1
	want.HoldUntil = later.HoldUntil
	if es, err := s.DNCEntries(ctx, b1.Number); err != nil || len(es) != 1 || sameEntry(es[0], want) != nil {
		return fmt.Errorf("after a batch adding holds until 3000 then 9999: %+v, %v; want %+v", es, err, want)
	}
	// Once it ends, the far hold no longer keeps the entry (the contract:
	// ErrHeld only while t is before HoldUntil). A store that saturated
	// instants past 2262 kept it for ever.
	if err := s.RemoveDNC(ctx, a.Number, a.Scope, far); err != nil {
		return fmt.Errorf("remove at the end of a hold until %s: %w", far.Format(time.RFC3339), err)
	}
	return nil
}

func dncAtomic(ctx context.Context, h harness[dnc.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	good := dncEntry("+8613800138000", "global", 0)
	bad := dncEntry("+8613800138001", "global", 0)
	bad.List = ""
	if err := s.AddDNC(ctx, good, bad); !errors.Is(err, dnc.ErrInvalidEntry) {
		return fmt.Errorf("batch with an invalid entry: %v, want dnc.ErrInvalidEntry", err)
	}
	if es, _ := s.DNCEntries(ctx, good.Number); len(es) != 0 {
		return fmt.Errorf("a rejected batch stored %d entries", len(es))
	}
	return nil
}

// oppositeOrders runs put with batch and with batch reversed at once,
// rounds times, and returns the first round's errors joined: a store that
// locks a batch's keys in the order given can deadlock on two such batches.
func oppositeOrders[E any](rounds int, batch []E, put func([]E) error) error {
	rev := slices.Clone(batch)
	slices.Reverse(rev)
	for r := range rounds {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for w, b := range [][]E{batch, rev} {
			wg.Go(func() { errs[w] = put(b) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("round %d: two batches of the same %d entries in opposite orders: %w", r, len(batch), err)
		}
	}
	return nil
}

// dncConcurrentBatches: two opt-out batches of the same entries in opposite
// orders, stored at once, both succeed (a store that locks the keys in the
// order given can deadlock, and the database then aborts one batch: a bulk
// import of opt-outs refused for the order of its lines).
func dncConcurrentBatches(ctx context.Context, h harness[dnc.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	const n, rounds = 16, 8
	var fwd []dnc.Entry
	for i := range n {
		num := fmt.Sprintf("+86138001381%02d", i)
		fwd = append(fwd, dncEntry(num, "global", 0), dncEntry(num, "business:loans", 0))
	}
	if err := oppositeOrders(rounds, fwd, func(b []dnc.Entry) error { return s.AddDNC(ctx, b...) }); err != nil {
		return fmt.Errorf("AddDNC: %w", err)
	}
	count := 0
	if err := s.ScanDNC(ctx, func(dnc.Entry) error { count++; return nil }); err != nil || count != len(fwd) {
		return fmt.Errorf("after the batches ScanDNC = %d entries, %v; want %d", count, err, len(fwd))
	}
	return nil
}

func dncScan(ctx context.Context, h harness[dnc.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	in := []dnc.Entry{dncEntry("+8613800138002", "global", 0), dncEntry("+12125550100", "campaign:x", 0), dncEntry("+8613800138002", "business:loans", 0)}
	if err := s.AddDNC(ctx, in...); err != nil {
		return err
	}
	var got []dnc.Entry
	if err := s.ScanDNC(ctx, func(e dnc.Entry) error { got = append(got, e); return nil }); err != nil {
		return err
	}
	if len(got) != 3 {
		return fmt.Errorf("scan: %d entries, want 3", len(got))
	}
	if err := errors.Join(sameEntry(got[0], in[1]), sameEntry(got[1], in[2]), sameEntry(got[2], in[0])); err != nil {
		return fmt.Errorf("scan order (number, then scope): %w", err)
	}
	stop := errors.New("stop")
	n := 0
	if err := s.ScanDNC(ctx, func(dnc.Entry) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		return fmt.Errorf("scan did not stop on the callback's error: %v after %d", err, n)
	}
	return nil
}

func dncReopen(ctx context.Context, h harness[dnc.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	a := dncEntry("+8613800138000", "industry:finance", 365*24*time.Hour)
	if err := s.AddDNC(ctx, a); err != nil {
		return err
	}
	s2, err := h.reopenOrSkip(s)
	if err != nil {
		return err
	}
	es, err := s2.DNCEntries(ctx, a.Number)
	if err != nil {
		return err
	}
	if len(es) != 1 {
		return fmt.Errorf("after reopen: %d entries, want 1", len(es))
	}
	return sameEntry(es[0], a)
}

// dncAddRacingRemove re-takes opt-outs (with a hold) while the same entries
// are being removed: whatever the order, every add succeeds and every entry
// ends up listed with the new hold (removal first: the add stores it afresh;
// add first: the removal finds it held).
func dncAddRacingRemove(ctx context.Context, h harness[dnc.Store]) error {
	hold := dncT0.Add(365 * 24 * time.Hour)
	return dncRaceEach(ctx, h, "+86138001", func(s dnc.Store, num dialgate.Number) []func() error {
		return []func() error{
			func() error {
				err := s.RemoveDNC(ctx, num, dnc.GlobalScope, dncT0.Add(time.Hour))
				if err != nil && !errors.Is(err, dnc.ErrHeld) {
					return fmt.Errorf("RemoveDNC %s racing an add: %w", num, err)
				}
				return nil
			},
			func() error {
				e := dnc.Entry{Number: num, Scope: dnc.GlobalScope, List: "opt_out", Source: "call", AddedAt: dncT0.Add(time.Hour), HoldUntil: hold}
				if err := s.AddDNC(ctx, e); err != nil {
					return fmt.Errorf("AddDNC %s racing a removal: %w", num, err)
				}
				return nil
			},
		}
	}, func(num dialgate.Number, es []dnc.Entry) error {
		if len(es) != 1 || !es[0].HoldUntil.Equal(hold) {
			return fmt.Errorf("%s after an add raced a removal: %+v, want listed and held until %s", num, es, hold.Format(time.RFC3339))
		}
		return nil
	})
}

// dncRaceEach adds 40 opt-outs (numbers starting with prefix, added at
// dncT0, no hold) to a store of h, runs for each number the operations race
// returns concurrently with each other and with the other numbers', and
// then checks each number's entries with want; it returns every problem.
func dncRaceEach(ctx context.Context, h harness[dnc.Store], prefix string, race func(s dnc.Store, num dialgate.Number) []func() error, want func(num dialgate.Number, es []dnc.Entry) error) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	nums := make([]dialgate.Number, 40)
	for i := range nums {
		nums[i] = dialgate.MustParseNumber(fmt.Sprintf("%s%05d", prefix, i))
		if err := s.AddDNC(ctx, dnc.Entry{Number: nums[i], Scope: dnc.GlobalScope, List: "opt_out", AddedAt: dncT0}); err != nil {
			return err
		}
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, num := range nums {
		for _, op := range race(s, num) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := op(); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	for _, num := range nums {
		es, err := s.DNCEntries(ctx, num)
		if err != nil {
			return err
		}
		if err := want(num, es); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// dncRemoveIf: RemoveDNCIf removes the entry only when its condition allows
// the entry stored (added at or before AddedNotAfter, whatever zone either
// is written in), and otherwise fails with dnc.ErrChanged (which wraps
// dnc.ErrHeld) and keeps it; the entry's own hold is still checked.
func dncRemoveIf(ctx context.Context, h harness[dnc.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	a := dncEntry("+8613800138000", "global", 0)
	a.AddedAt = dncT0.In(time.FixedZone("CST", 8*3600))
	b := dncEntry("+8613800138001", "global", time.Hour)
	if err := s.AddDNC(ctx, a, b); err != nil {
		return err
	}
	at := dncT0.Add(2 * time.Hour)
	err = s.RemoveDNCIf(ctx, a.Number, a.Scope, at, dnc.RemoveCondition{AddedNotAfter: dncT0.Add(-time.Nanosecond)})
	if !errors.Is(err, dnc.ErrChanged) || !errors.Is(err, dnc.ErrHeld) {
		return fmt.Errorf("RemoveDNCIf of an entry added after the condition: %v, want dnc.ErrChanged", err)
	}
	if es, err := s.DNCEntries(ctx, a.Number); err != nil || len(es) != 1 {
		return fmt.Errorf("after a refused RemoveDNCIf: %v, %v; want the entry kept", es, err)
	}
	if err := s.RemoveDNCIf(ctx, a.Number, dnc.MustParseScope("tenant:acme"), at, dnc.RemoveCondition{AddedNotAfter: dncT0}); !errors.Is(err, dnc.ErrNotListed) {
		return fmt.Errorf("RemoveDNCIf of a scope not listed: %v, want dnc.ErrNotListed", err)
	}
	if err := s.RemoveDNCIf(ctx, a.Number, a.Scope, at, dnc.RemoveCondition{AddedNotAfter: dncT0}); err != nil {
		return fmt.Errorf("RemoveDNCIf of the entry read (added_at in another zone): %w", err)
	}
	if err := s.RemoveDNCIf(ctx, b.Number, b.Scope, dncT0.Add(time.Minute), dnc.RemoveCondition{AddedNotAfter: dncT0.Add(time.Minute)}); !errors.Is(err, dnc.ErrHeld) {
		return fmt.Errorf("RemoveDNCIf during the entry's hold: %v, want dnc.ErrHeld", err)
	}
	if err := s.RemoveDNCIf(ctx, b.Number, b.Scope, dncT0.Add(time.Hour), dnc.RemoveCondition{AddedNotAfter: dncT0.Add(time.Minute)}); err != nil {
		return fmt.Errorf("RemoveDNCIf of an entry added before the condition: %w", err)
	}
	for _, n := range []dialgate.Number{a.Number, b.Number} {
		if es, err := s.DNCEntries(ctx, n); err != nil || len(es) != 0 {
			return fmt.Errorf("after RemoveDNCIf: %v, %v; want none", es, err)
		}
	}
	return nil
}

// dncRemoveIfRacingReAdd: an admin removes an opt-out it judged on the entry
// it read (RemoveDNCIf with that entry's added_at) after another removed it,
// while the callee refuses again (a new entry, no hold, as Lists.Add stores
// it). Whatever the order, the new refusal survives.
func dncRemoveIfRacingReAdd(ctx context.Context, h harness[dnc.Store]) error {
	now := dncT0.Add(400 * 24 * time.Hour)
	return dncRaceEach(ctx, h, "+86138002", func(s dnc.Store, num dialgate.Number) []func() error {
		// The conditional removal races the new refusal's add, started once
		// the other admin's removal is done (so that it decides on the new
		// entry or on none, half the time on each).
		removed := make(chan struct{})
		return []func() error{
			func() error {
				<-removed
				err := s.RemoveDNCIf(ctx, num, dnc.GlobalScope, now, dnc.RemoveCondition{AddedNotAfter: dncT0})
				if err != nil && !errors.Is(err, dnc.ErrChanged) && !errors.Is(err, dnc.ErrNotListed) {
					return fmt.Errorf("RemoveDNCIf %s racing a new refusal: %w", num, err)
				}
				return nil
			},
			func() error {
				err := s.RemoveDNC(ctx, num, dnc.GlobalScope, now)
				close(removed)
				if err != nil {
					return fmt.Errorf("RemoveDNC %s: %w", num, err)
				}
				e := dnc.Entry{Number: num, Scope: dnc.GlobalScope, List: "opt_out", Source: "call", AddedAt: now}
				if err := s.AddDNC(ctx, e); err != nil {
					return fmt.Errorf("AddDNC %s: %w", num, err)
				}
				return nil
			},
		}
	}, func(num dialgate.Number, es []dnc.Entry) error {
		if len(es) != 1 || !es[0].AddedAt.Equal(now) {
			return fmt.Errorf("%s after a conditional removal raced a new refusal: %+v, want the refusal of %s", num, es, now.Format(time.RFC3339))
		}
		return nil
	})
}

// dncConcurrentReAdds: the callee refuses again on several calls at once
// (sidecars adding one (number, scope) concurrently, each a later refusal
// with its own hold, the latest held least). Whatever the order, the entry
// kept is the stricter of all (dnc.Merge): the latest added_at and the
// latest hold; its first list, source and evidence stay. A store whose
// merge read then wrote without checking the entry was unchanged lost one
// of them (a refusal's date or a longer hold).
func dncConcurrentReAdds(ctx context.Context, h harness[dnc.Store]) error {
	const adds = 4
	at := func(k int) time.Time { return dncT0.Add(time.Duration(k+1) * time.Hour) }
	hold := func(k int) time.Time { return dncT0.Add(time.Duration(adds-k) * 30 * 24 * time.Hour) }
	return dncRaceEach(ctx, h, "+86138003", func(s dnc.Store, num dialgate.Number) []func() error {
		ops := make([]func() error, adds)
		for k := range ops {
			ops[k] = func() error {
				e := dnc.Entry{Number: num, Scope: dnc.GlobalScope, List: "complaints", Source: "call", AddedAt: at(k), HoldUntil: hold(k), Evidence: fmt.Sprintf("decision:dg-%d", k)}
				if err := s.AddDNC(ctx, e); err != nil {
					return fmt.Errorf("AddDNC %s (refusal %d of %d at once): %w", num, k, adds, err)
				}
				return nil
			}
		}
		return ops
	}, func(num dialgate.Number, es []dnc.Entry) error {
		if len(es) != 1 || !es[0].AddedAt.Equal(at(adds-1)) || !es[0].HoldUntil.Equal(hold(0)) ||
			es[0].List != "opt_out" || es[0].Source != "" || es[0].Evidence != "" {
			return fmt.Errorf("%s after %d concurrent re-adds: %+v, want the first entry (list opt_out, no source or evidence) added at %s, held until %s",
				num, adds, es, at(adds-1).Format(time.RFC3339), hold(0).Format(time.RFC3339))
		}
		return nil
	})
}

// dncReAddRacingRemoveIf: an admin removes an opt-out whose hold has ended,
// judged on the entry it read (RemoveDNCIf with that entry's added_at),
// while the callee refuses again (dating the same entry again, as
// Lists.Add stores it: no hold). Whatever the order (the removal first,
// then the refusal listed afresh; or the refusal first, the removal then
// refused with dnc.ErrChanged), the new refusal is listed.
func dncReAddRacingRemoveIf(ctx context.Context, h harness[dnc.Store]) error {
	now := dncT0.Add(400 * 24 * time.Hour)
	return dncRaceEach(ctx, h, "+86138004", func(s dnc.Store, num dialgate.Number) []func() error {
		return []func() error{
			func() error {
				err := s.RemoveDNCIf(ctx, num, dnc.GlobalScope, now, dnc.RemoveCondition{AddedNotAfter: dncT0})
				if err != nil && !errors.Is(err, dnc.ErrChanged) {
					return fmt.Errorf("RemoveDNCIf %s racing a new refusal: %w", num, err)
				}
				return nil
			},
			func() error {
				e := dnc.Entry{Number: num, Scope: dnc.GlobalScope, List: "opt_out", Source: "call", AddedAt: now}
				if err := s.AddDNC(ctx, e); err != nil {
					return fmt.Errorf("AddDNC %s racing a conditional removal: %w", num, err)
				}
				return nil
			},
		}
	}, func(num dialgate.Number, es []dnc.Entry) error {
		if len(es) != 1 || !es[0].AddedAt.Equal(now) {
			return fmt.Errorf("%s after a new refusal raced a conditional removal: %+v, want listed, added at %s", num, es, now.Format(time.RFC3339))
		}
		return nil
	})
}

// dncScanMany scans more entries than a shared store reads per page, with a
// number's scopes straddling page boundaries: none may be skipped or repeated
// (the Bloom filter of dnc.Lists is rebuilt from this scan).
func dncScanMany(ctx context.Context, h harness[dnc.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	scopes := []string{"business:loans", "campaign:x", "global"}
	var in []dnc.Entry
	for i := range 1100 {
		num := fmt.Sprintf("+86139001%05d", i)
		for _, sc := range scopes[:1+i%len(scopes)] {
			in = append(in, dncEntry(num, sc, 0))
		}
	}
	if err := s.AddDNC(ctx, in...); err != nil {
		return err
	}
	var got []dnc.Entry
	if err := s.ScanDNC(ctx, func(e dnc.Entry) error { got = append(got, e); return nil }); err != nil {
		return err
	}
	if len(got) != len(in) {
		return fmt.Errorf("scan of %d entries returned %d", len(in), len(got))
	}
	for i := range in {
		if err := sameEntry(got[i], in[i]); err != nil {
			return fmt.Errorf("scan entry %d: %w", i, err)
		}
	}
	return nil
}

// dncDirectWriteSeen: a store with a change feed (dnc.ChangeFeed) tells a
// dnc.Lists built on it of an entry written straight into the store
// (Store.AddDNC, as an embedder does, not through Lists.Add) before the write
// returns, and of its removal: the next lookup answers from them, never from
// a Bloom filter or cache that has not heard. A store without a feed is not
// held to it (its writes must go through the Lists; see dnc.Store).
func dncDirectWriteSeen(ctx context.Context, h harness[dnc.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	if _, ok := s.(dnc.ChangeFeed); !ok {
		return nil
	}
	lists, err := dnc.NewLists(ctx, s, dnc.ListsOptions{})
	if err != nil {
		return err
	}
	defer lists.Close()
	missed, stale := 0, 0
	for i := range 200 {
		n := dialgate.MustParseNumber(fmt.Sprintf("+86139001%05d", i))
		if err := s.AddDNC(ctx, dnc.Entry{Number: n, Scope: dnc.GlobalScope, List: "opt_out", AddedAt: dncT0}); err != nil {
			return err
		}
		if es, err := lists.Lookup(ctx, n); err != nil {
			return err
		} else if len(es) == 0 {
			missed++
		}
		if err := s.RemoveDNC(ctx, n, dnc.GlobalScope, dncT0); err != nil {
			return err
		}
		if es, err := lists.Lookup(ctx, n); err != nil {
			return err
		} else if len(es) != 0 {
			stale++
		}
	}
	if missed != 0 || stale != 0 {
		return fmt.Errorf("of 200 numbers, %d not listed right after AddDNC and %d still listed right after RemoveDNC; want 0 and 0", missed, stale)
	}
	return nil
}

func dncClosed(ctx context.Context, h harness[dnc.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	c, ok := s.(io.Closer)
	if !ok {
		return errSkip
	}
	a := dncEntry("+8613800138000", "global", 0)
	if err := c.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	checks := map[string]error{"AddDNC": s.AddDNC(ctx, a)}
	_, checks["DNCEntries"] = s.DNCEntries(ctx, a.Number)
	checks["RemoveDNC"] = s.RemoveDNC(ctx, a.Number, a.Scope, dncT0)
	checks["ScanDNC"] = s.ScanDNC(ctx, func(dnc.Entry) error { return nil })
	for _, name := range []string{"AddDNC", "DNCEntries", "RemoveDNC", "ScanDNC"} {
		if !errors.Is(checks[name], storage.ErrClosed) {
			return fmt.Errorf("%s after Close: %v, want storage.ErrClosed (a closed store must never answer \"not listed\")", name, checks[name])
		}
	}
	return nil
}

// dncNotUTF8: an entry whose text is not UTF-8 is refused naming the field,
// and nothing of its batch is stored. Its JSON would hold U+FFFD in place
// of each bad byte: a scope no longer the key's (every lookup of the
// number failing as damaged, its other opt-outs unreadable with it), a list,
// source or evidence other than the one written.
func dncNotUTF8(ctx context.Context, h harness[dnc.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	for field, mutate := range map[string]func(e *dnc.Entry){
		"scope":    func(e *dnc.Entry) { e.Scope = dnc.Scope{Kind: dnc.ScopeTenant, Value: "acme\xff"} },
		"list":     func(e *dnc.Entry) { e.List = "opt_out\xff" },
		"source":   func(e *dnc.Entry) { e.Source = "call\xff" },
		"evidence": func(e *dnc.Entry) { e.Evidence = "decision:\xff" },
	} {
		good := dncEntry("+8613800138001", "global", time.Hour)
		bad := dncEntry("+8613800138000", "global", time.Hour)
		mutate(&bad)
		err := s.AddDNC(ctx, good, bad)
		if !errors.Is(err, dnc.ErrInvalidEntry) || !strings.Contains(err.Error(), field) {
			return fmt.Errorf("AddDNC with %s not UTF-8: %v, want ErrInvalidEntry naming %s", field, err, field)
		}
		for _, n := range []dialgate.Number{good.Number, bad.Number} {
			if es, err := s.DNCEntries(ctx, n); err != nil || len(es) != 0 {
				return fmt.Errorf("DNCEntries(%s) after a refused batch (%s): %d entries, %v; want none, no error", n, field, len(es), err)
			}
		}
	}
	return nil
}
