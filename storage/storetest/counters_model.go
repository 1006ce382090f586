package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
)

// TestCountersAgainstModel runs random sequences of storage.Counters calls
// against the store returned by open and checks every answer (ok, and each
// Usage's Count, Exceeded and NextAt) against a reference model of the
// contract: frequency caps (every reservation counts), segment guards
// (distinct members), a pause recorded by some reservations and checked
// (CheckOnly) by others, retries of held ids, releases (of unknown ids
// too), ExpireCounters where implemented, and a clock that moves forward
// but answers calls up to five minutes behind the latest (within the prune
// margin every recording limit carries, as package schedule's do). Every
// store runs the same seeded sequences against the same model, so two stores
// that count one history differently fail here. The seed and operation are
// named on failure; testing.Short runs fewer seeds.
func TestCountersAgainstModel(t *testing.T, open func(t *testing.T) storage.Counters, opts ...Option) {
	t.Helper()
	runT(t, counterModelCases(testing.Short()), open, newConfig(opts))
}

// CheckCountersAgainstModel is TestCountersAgainstModel outside a test,
// joining every failure (the short sequences).
func CheckCountersAgainstModel(ctx context.Context, open func() (storage.Counters, error), opts ...Option) error {
	return checkAll(ctx, "CountersModel", counterModelCases(true), open, newConfig(opts))
}

func counterModelCases(short bool) []testCase[storage.Counters] {
	return randomSequences(short, 250, counterRandom)
}

type counterModelEntry struct {
	id, key, member string
	at              time.Time
}

// counterModel is the reference counterRandom checks a store against:
// every entry recorded and not released, counted from scratch.
type counterModel struct {
	entries []counterModelEntry
}

func (m *counterModel) held(id string) bool {
	return slices.ContainsFunc(m.entries, func(e counterModelEntry) bool { return e.id == id })
}

func (m *counterModel) usage(t time.Time, l storage.Limit) storage.Usage {
	u := storage.Usage{Limit: l}
	var ats []time.Time // the latest instant of each distinct member, or of each entry without one
	latest := map[string]int{}
	for _, e := range m.entries {
		if e.key != l.Key || !e.at.After(t.Add(-l.Window)) {
			continue
		}
		if e.member == "" {
			ats = append(ats, e.at)
			continue
		}
		if i, ok := latest[e.member]; ok {
			if e.at.After(ats[i]) {
				ats[i] = e.at
			}
			continue
		}
		latest[e.member] = len(ats)
		ats = append(ats, e.at)
	}
	u.Count = len(ats)
	_, present := latest[l.Member]
	if u.Count >= l.Max && (l.Member == "" || !present) {
		slices.SortFunc(ats, func(a, b time.Time) int { return b.Compare(a) })
		u.Exceeded, u.NextAt = true, ats[l.Max-1].Add(l.Window)
	}
	return u
}

func (m *counterModel) reserve(id string, t time.Time, limits []storage.Limit) (bool, []storage.Usage) {
	us := make([]storage.Usage, len(limits))
	ok := true
	for i, l := range limits {
		us[i] = m.usage(t, l)
		ok = ok && !us[i].Exceeded
	}
	if m.held(id) {
		return true, us
	}
	if !ok {
		return false, us
	}
	done := map[string]bool{}
	for _, l := range limits {
		if !l.CheckOnly && !done[l.Key] {
			done[l.Key] = true
			m.entries = append(m.entries, counterModelEntry{id: id, key: l.Key, member: l.Member, at: t})
		}
	}
	return true, us
}

func (m *counterModel) release(id string) {
	m.entries = slices.DeleteFunc(m.entries, func(e counterModelEntry) bool { return e.id == id })
}

// marginMax is the Max of counterRandom's margin limits: never reached.
const marginMax = 1 << 20

func sameUsages(got, want []storage.Usage) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d usages, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Limit == w.Limit && w.Limit.Max == marginMax {
			// A margin limit's count depends on what the store pruned
			// (it reaches past the windows the margin protects).
			continue
		}
		if g.Limit != w.Limit || g.Count != w.Count || g.Exceeded != w.Exceeded || !g.NextAt.Equal(w.NextAt) {
			return fmt.Errorf("usage %d = %+v, want %+v", i, g, w)
		}
	}
	return nil
}

// counterRandom: seeds × ops random calls, each seed on a fresh store.
func counterRandom(ctx context.Context, h harness[storage.Counters], seeds, ops int) error {
	const (
		margin = 10 * time.Minute // every recording limit's prune margin
		behind = 5 * time.Minute  // how far behind the latest a call may be
	)
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		s, err := h.open()
		if err != nil {
			return err
		}
		rng := rand.New(rand.NewPCG(seed, 37))
		// Each key with its window and max; every recording limit comes with
		// its margin limit, as WithPruneMargin gives.
		recording := func(key, member string, w time.Duration, max int) []storage.Limit {
			return []storage.Limit{{Key: key, Member: member, Window: w, Max: max}, {Key: key, Member: member, Window: w + margin, Max: marginMax}}
		}
		members := []string{"m1", "m2", "m3", "m4"}
		dial := func() []storage.Limit {
			var ls []storage.Limit
			for len(ls) == 0 {
				if rng.IntN(2) == 0 {
					ls = append(ls, recording(fmt.Sprintf("cap%d", rng.IntN(2)), "", time.Hour, 3)...)
				}
				if rng.IntN(2) == 0 {
					ls = append(ls, recording("seg", members[rng.IntN(len(members))], 30*time.Minute, 2)...)
				}
				if rng.IntN(4) == 0 {
					// One key counted with a member by some calls and
					// without by others (each of those counts on its own).
					ls = append(ls, recording("mixed", []string{"", "m1", "m2"}[rng.IntN(3)], 45*time.Minute, 3)...)
				}
				if rng.IntN(3) == 0 {
					ls = append(ls, storage.Limit{Key: "pause", Window: 20 * time.Minute, Max: 1, CheckOnly: true})
				}
			}
			return ls
		}
		m := &counterModel{}
		latest := t0.Add(time.Duration(seed) * 1000 * time.Hour)
		var ids []string // ids reserved, held or not
		reserved := map[string]time.Time{}
		reopens := 0
		for op := 0; op < ops; op++ {
			latest = latest.Add(time.Duration(rng.IntN(600)) * time.Second)
			now := latest
			if rng.IntN(3) == 0 {
				now = now.Add(-time.Duration(rng.IntN(int(behind/time.Second))) * time.Second)
			}
			if rng.IntN(4) == 0 {
				now = now.Add(time.Duration(rng.IntN(1000)))
			}
			at := fmt.Sprintf("seed %d op %d at %s", seed, op, now.Sub(t0))
			switch r := rng.IntN(10); {
			case r < 5:
				id := fmt.Sprintf("d%d-%d", seed, op)
				limits := dial()
				if r == 0 {
					// A conversation: recorded under the pause key.
					limits = recording("pause", "", 20*time.Minute, 1000)
				}
				// A retry of a recent reservation (held, released or
				// refused), with other limits.
				if len(ids) > 0 && rng.IntN(5) == 0 {
					if old := ids[rng.IntN(len(ids))]; now.Sub(reserved[old]) < 20*time.Minute {
						id = old
					}
				}
				wok, wus := m.reserve(id, now, limits)
				ok, us, err := s.Reserve(ctx, id, now, limits)
				if err != nil {
					return fmt.Errorf("%s: Reserve(%q, %+v): %w", at, id, limits, err)
				}
				if ok != wok {
					return fmt.Errorf("%s: Reserve(%q, %+v) = %t, want %t (usage %+v, model %+v)", at, id, limits, ok, wok, us, wus)
				}
				if err := sameUsages(us, wus); err != nil {
					return fmt.Errorf("%s: Reserve(%q, %+v): %w", at, id, limits, err)
				}
				if _, ok := reserved[id]; !ok {
					ids = append(ids, id)
					reserved[id] = now
				}
			case r < 7:
				limits := dial()
				us, err := s.Usage(ctx, now, limits)
				if err == nil {
					wus := make([]storage.Usage, len(limits))
					for i, l := range limits {
						wus[i] = m.usage(now, l)
					}
					err = sameUsages(us, wus)
				}
				if err != nil {
					return fmt.Errorf("%s: Usage(%+v): %w", at, limits, err)
				}
			case r < 9:
				id := "unknown"
				if len(ids) > 0 {
					id = ids[rng.IntN(len(ids))]
				}
				if err := s.Release(ctx, id); err != nil {
					return fmt.Errorf("%s: Release(%q): %w", at, id, err)
				}
				m.release(id)
			default:
				if ex, ok := s.(storage.CounterExpirer); ok {
					// Entries it removes no call can count any more (each is
					// older than its key's window and margin).
					if _, err := ex.ExpireCounters(ctx, latest); err != nil {
						return fmt.Errorf("%s: ExpireCounters: %w", at, err)
					}
				}
				if h.reopen != nil && reopens < 2 && rng.IntN(4) == 0 {
					reopens++
					if s, err = h.reopen(s); err != nil {
						return fmt.Errorf("%s: reopen: %w", at, err)
					}
				}
			}
		}
	}
	return nil
}
