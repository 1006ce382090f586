package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
)

// TestDNCAgainstModel runs random sequences of dnc.Store calls (batches of
// additions with repeated keys and holds, removals with and without a
// RemoveCondition, lookups and scans) against the store returned by open
// and checks every answer against a reference model of the contract. Every
// store runs the same seeded sequences against the same model, so an
// opt-out one store keeps and another drops after the same calls fails
// here. With WithReopen, the store is also reopened now and then. The seed
// and operation are named on failure; testing.Short runs fewer seeds.
func TestDNCAgainstModel(t *testing.T, open func(t *testing.T) dnc.Store, opts ...Option) {
	t.Helper()
	runT(t, dncModelCases(testing.Short()), open, newConfig(opts))
}

// CheckDNCAgainstModel is TestDNCAgainstModel outside a test, joining every
// failure (the short sequences).
func CheckDNCAgainstModel(ctx context.Context, open func() (dnc.Store, error), opts ...Option) error {
	return checkAll(ctx, "DNCModel", dncModelCases(true), open, newConfig(opts))
}

func dncModelCases(short bool) []testCase[dnc.Store] {
	return randomSequences(short, 200, dncRandom)
}

// randomSequences is the one case of a model suite: run with 3 seeds of
// 300 operations, or 2 of shortOps when short.
func randomSequences[S any](short bool, shortOps int, run func(ctx context.Context, h harness[S], seeds, ops int) error) []testCase[S] {
	seeds, ops := 3, 300
	if short {
		seeds, ops = 2, shortOps
	}
	return []testCase[S]{
		{"RandomSequences", func(ctx context.Context, h harness[S]) error { return run(ctx, h, seeds, ops) }},
	}
}

type dncKey struct {
	n     dialgate.Number
	scope string
}

// dncModel is the reference dncRandom checks a store against: one entry per
// (number, scope), merged by the contract's rule.
type dncModel map[dncKey]dnc.Entry

func (m dncModel) add(es []dnc.Entry) {
	for _, e := range es {
		k := dncKey{e.Number, e.Scope.String()}
		old, ok := m[k]
		if !ok {
			m[k] = e
			continue
		}
		// The stricter of the two: the later added_at and hold, never a
		// hold before added_at; old's list, source and evidence.
		if e.AddedAt.After(old.AddedAt) {
			old.AddedAt = e.AddedAt
		}
		if e.HoldUntil.After(old.HoldUntil) {
			old.HoldUntil = e.HoldUntil
		}
		if !old.HoldUntil.IsZero() && old.HoldUntil.Before(old.AddedAt) {
			old.HoldUntil = old.AddedAt
		}
		m[k] = old
	}
}

// remove returns the error RemoveDNCIf must wrap (nil: removed).
func (m dncModel) remove(n dialgate.Number, sc dnc.Scope, t time.Time, cond dnc.RemoveCondition) error {
	k := dncKey{n, sc.String()}
	e, ok := m[k]
	switch {
	case !ok:
		return dnc.ErrNotListed
	case t.Before(e.HoldUntil):
		return dnc.ErrHeld
	case !cond.Allows(e):
		return dnc.ErrChanged
	}
	delete(m, k)
	return nil
}

func (m dncModel) entries(n dialgate.Number) []dnc.Entry {
	var out []dnc.Entry
	for k, e := range m {
		if k.n == n {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b dnc.Entry) int { return cmp.Compare(a.Scope.String(), b.Scope.String()) })
	return out
}

func (m dncModel) all() []dnc.Entry {
	out := make([]dnc.Entry, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b dnc.Entry) int {
		return cmp.Or(cmp.Compare(a.Number.Uint64(), b.Number.Uint64()), cmp.Compare(a.Scope.String(), b.Scope.String()))
	})
	return out
}

// The numbers and scopes of dncRandom: numbers whose E.164 digit order
// differs from their text order (+4930… has fewer digits than +1212…), and
// scopes that differ only in case, by a space or by a byte beyond ASCII.
var (
	dncModelNumbers = []string{"+8613800138000", "+8613800138001", "+12125550100", "+4930123456", "+447700900123"}
	dncModelScopes  = []string{"global", "tenant:acme", "tenant:Acme", "tenant:acme x", "industry:finance",
		"industry:finanzé", "campaign:c1", "business:loans"}
)

// dncFarHolds are holds far ahead: the last instant of a Unix-nanosecond
// int64 (April 2262), the years 2500 and 3000, and the last second of 9999.
var dncFarHolds = []time.Time{time.Unix(0, 1<<63-1).UTC(), time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC), farFuture,
	time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)}

// dncRandom: seeds × ops random calls. The clock only moves forward; holds
// are zero, short, long or past the year 2262; instants carry nanoseconds
// and zones other than UTC, which every store must give back as the same
// instant.
func dncRandom(ctx context.Context, h harness[dnc.Store], seeds, ops int) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	zones := []*time.Location{time.UTC, time.FixedZone("CST", 8*3600), time.FixedZone("EST", -5*3600)}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		rng := rand.New(rand.NewPCG(seed, 29))
		// Each seed on its own numbers: a store is not emptied between seeds.
		var nums []dialgate.Number
		for _, n := range dncModelNumbers {
			p := dialgate.MustParseNumber(n)
			nums = append(nums, dialgate.MustParseNumber(fmt.Sprintf("+%d", p.Uint64()+seed*10)))
		}
		m := dncModel{}
		now := dncT0
		instant := func() time.Time {
			t := now.Add(time.Duration(rng.IntN(3)) * time.Second)
			if rng.IntN(3) == 0 {
				t = t.Add(time.Duration(rng.IntN(1000)))
			}
			return t.In(zones[rng.IntN(len(zones))])
		}
		reopens := 0
		for op := 0; op < ops; op++ {
			now = now.Add(time.Duration(rng.IntN(90)) * time.Minute)
			at := fmt.Sprintf("seed %d op %d", seed, op)
			n := nums[rng.IntN(len(nums))]
			sc := dnc.MustParseScope(dncModelScopes[rng.IntN(len(dncModelScopes))])
			switch r := rng.IntN(10); {
			case r < 4:
				batch := make([]dnc.Entry, 1+rng.IntN(3))
				for i := range batch {
					e := dnc.Entry{Number: nums[rng.IntN(len(nums))], Scope: dnc.MustParseScope(dncModelScopes[rng.IntN(len(dncModelScopes))]),
						List: []string{"opt_out", "complaints", "internal"}[rng.IntN(3)], Source: []string{"", "call", "admin"}[rng.IntN(3)],
						AddedAt: instant(), Evidence: fmt.Sprintf("decision:dg-%d-%d-%d", seed, op, i)}
					if i > 0 && rng.IntN(3) == 0 {
						// The key of an earlier entry of the batch again, with
						// other facts: the first one given is kept.
						e.Number, e.Scope = batch[rng.IntN(i)].Number, batch[rng.IntN(i)].Scope
					}
					switch rng.IntN(4) {
					case 1:
						e.HoldUntil = e.AddedAt.Add(time.Duration(1+rng.IntN(300)) * time.Minute)
					case 2:
						e.HoldUntil = e.AddedAt.Add(time.Duration(rng.IntN(1000)) * time.Hour).Add(time.Duration(rng.IntN(1000)))
					case 3:
						if rng.IntN(3) == 0 {
							e.HoldUntil = dncFarHolds[rng.IntN(len(dncFarHolds))].Add(time.Duration(rng.IntN(3)-1) * time.Nanosecond)
						}
					}
					batch[i] = e
				}
				if err := s.AddDNC(ctx, batch...); err != nil {
					return fmt.Errorf("%s: AddDNC(%+v): %w", at, batch, err)
				}
				m.add(batch)
			case r < 7:
				var cond dnc.RemoveCondition
				if rng.IntN(2) == 0 {
					if e, ok := m[dncKey{n, sc.String()}]; ok && rng.IntN(3) > 0 {
						cond.AddedNotAfter = e.AddedAt.Add(time.Duration(rng.IntN(3)-1) * time.Nanosecond)
					} else {
						cond.AddedNotAfter = instant().Add(-time.Duration(rng.IntN(300)) * time.Minute)
					}
				}
				t := instant()
				if e, ok := m[dncKey{n, sc.String()}]; ok && !e.HoldUntil.IsZero() && rng.IntN(3) == 0 {
					// At, just before or just after the hold's end.
					t = e.HoldUntil.Add(time.Duration(rng.IntN(3)-1) * time.Nanosecond)
				} else if rng.IntN(8) == 0 {
					// Far ahead: around the far holds.
					t = dncFarHolds[rng.IntN(len(dncFarHolds))].Add(time.Duration(rng.IntN(3)-1) * time.Nanosecond)
				}
				want := m.remove(n, sc, t, cond)
				err := s.RemoveDNCIf(ctx, n, sc, t, cond)
				if err := wantRemoveErr(err, want); err != nil {
					return fmt.Errorf("%s: RemoveDNCIf(%s, %s, %s, %+v): %w", at, n, sc, t.Format(time.RFC3339Nano), cond, err)
				}
			case r < 9:
				got, err := s.DNCEntries(ctx, n)
				if err != nil {
					return fmt.Errorf("%s: DNCEntries(%s): %w", at, n, err)
				}
				if err := sameEntries(got, m.entries(n)); err != nil {
					return fmt.Errorf("%s: DNCEntries(%s): %w", at, n, err)
				}
			default:
				if err := dncModelScan(ctx, s, m, nums); err != nil {
					return fmt.Errorf("%s: %w", at, err)
				}
				if h.reopen != nil && reopens < 2 && rng.IntN(4) == 0 {
					reopens++ // twice a seed at most: a reopen takes long on some stores
					if s, err = h.reopen(s); err != nil {
						return fmt.Errorf("%s: reopen: %w", at, err)
					}
				}
			}
		}
		if err := dncModelScan(ctx, s, m, nums); err != nil {
			return fmt.Errorf("seed %d at the end: %w", seed, err)
		}
	}
	return nil
}

// dncModelScan compares the entries ScanDNC gives of nums with the model's.
func dncModelScan(ctx context.Context, s dnc.Store, m dncModel, nums []dialgate.Number) error {
	var got []dnc.Entry
	if err := s.ScanDNC(ctx, func(e dnc.Entry) error {
		if slices.Contains(nums, e.Number) {
			got = append(got, e)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("ScanDNC: %w", err)
	}
	if err := sameEntries(got, m.all()); err != nil {
		return fmt.Errorf("ScanDNC: %w", err)
	}
	return nil
}

func sameEntries(got, want []dnc.Entry) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d entries %+v, want %d %+v", len(got), got, len(want), want)
	}
	for i := range got {
		if err := sameEntry(got[i], want[i]); err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
	}
	return nil
}

// wantRemoveErr checks err against the model's answer: nil, or the
// sentinel err must wrap (ErrChanged when the hold has ended but the
// condition refuses, ErrHeld when the hold has not ended).
func wantRemoveErr(err, want error) error {
	switch {
	case want == nil && err != nil:
		return fmt.Errorf("got %w, want it removed", err)
	case want != nil && !errors.Is(err, want):
		return fmt.Errorf("got %v, want an error wrapping %v", err, want)
	}
	return nil
}
