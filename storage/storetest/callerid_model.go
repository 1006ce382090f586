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
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/storage"
)

// TestCallerIDAgainstModel runs random sequences of callerid.Store calls
// (batches of puts, some naming one key twice or holding an invalid entry;
// conditional puts expecting the state stored or a stale one, where the
// store is a callerid.ConditionalStore; deletions, look-ups, listings and
// the ledger version) against the store returned by open, checking every
// answer against a reference model of the contract. Every store runs the
// same seeded sequences against the same model, so two stores that keep a
// different ledger after the same writes fail here. With WithReopen the
// store is also reopened now and then. The seed and operation are named on
// failure; testing.Short runs fewer seeds.
func TestCallerIDAgainstModel(t *testing.T, open func(t *testing.T) callerid.Store, opts ...Option) {
	t.Helper()
	runT(t, ledgerModelCases(testing.Short()), open, newConfig(opts))
}

// CheckCallerIDAgainstModel is TestCallerIDAgainstModel outside a test,
// joining every failure (the short sequences).
func CheckCallerIDAgainstModel(ctx context.Context, open func() (callerid.Store, error), opts ...Option) error {
	return checkAll(ctx, "CallerIDModel", ledgerModelCases(true), open, newConfig(opts))
}

func ledgerModelCases(short bool) []testCase[callerid.Store] {
	return randomSequences(short, 200, ledgerRandom)
}

type ledgerKey struct {
	tenant string
	n      dialgate.Number
}

func ledgerModelList(m map[ledgerKey]callerid.Entry) []callerid.Entry {
	out := make([]callerid.Entry, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b callerid.Entry) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Number.Uint64(), b.Number.Uint64()))
	})
	return out
}

// ledgerRandom: seeds × ops random calls, each seed on a fresh store.
// Numbers of 12 and 13 digits (their digit order is not their text order),
// tenants that differ in case and length.
func ledgerRandom(ctx context.Context, h harness[callerid.Store], seeds, ops int) error {
	nums := []dialgate.Number{ledFixed, ledFixed2, ledMobile, led400}
	tenants := []string{"", "acme", "Acme", "b", "acme-2"}
	holders := []string{"Acme Ltd", "Globex 有限公司", "Initech"}
	purposes := []dialgate.Purpose{dialgate.PurposeMarketing, dialgate.PurposeService, dialgate.PurposeCollections}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		s, err := openLedger(h)
		if err != nil {
			return err
		}
		rng := rand.New(rand.NewPCG(seed, 41))
		m := map[ledgerKey]callerid.Entry{}
		versions := map[uint64]string{} // each version seen, and at which op
		written := false                // a write succeeded since lastV was read
		newEntry := func() callerid.Entry {
			n := nums[rng.IntN(len(nums))]
			e := callerid.Entry{Tenant: tenants[rng.IntN(len(tenants))], Number: n, Holder: holders[rng.IntN(len(holders))]}
			if n == ledMobile || rng.IntN(2) == 0 {
				e.Type = map[dialgate.Number]callerid.ResourceType{ledFixed: callerid.TypeFixed, ledFixed2: callerid.TypeFixed,
					ledMobile: callerid.TypeMobileBusiness, led400: callerid.Type400}[n]
			}
			if rng.IntN(2) == 0 {
				e.Access = "SIP trunk"
			}
			for _, p := range purposes {
				if rng.IntN(2) == 0 {
					e.Purposes = append(e.Purposes, p)
				}
			}
			if rng.IntN(10) > 0 && len(e.Purposes) == 0 {
				e.Purposes = []dialgate.Purpose{dialgate.PurposeService}
			}
			if rng.IntN(2) == 0 {
				e.ValidFrom = t0.Add(time.Duration(rng.IntN(1000)-500) * time.Hour)
			}
			if rng.IntN(2) == 0 {
				e.ValidUntil = t0.Add(time.Duration(rng.IntN(1000)) * time.Hour).Add(time.Duration(rng.IntN(1000)))
			}
			e.OfficeUseOnly = rng.IntN(5) == 0
			return e
		}
		reopens := 0
		for op := 0; op < ops; op++ {
			at := fmt.Sprintf("seed %d op %d", seed, op)
			switch r := rng.IntN(10); {
			case r < 3:
				es := make([]callerid.Entry, 1+rng.IntN(3))
				for i := range es {
					es[i] = newEntry()
				}
				norm, werr := callerid.NormalizeEntries(slices.Clone(es))
				err := s.PutLedger(ctx, es...)
				if werr != nil {
					if !errors.Is(err, callerid.ErrInvalidEntry) {
						return fmt.Errorf("%s: PutLedger(%+v): %v, want callerid.ErrInvalidEntry (%v)", at, es, err, werr)
					}
					continue
				}
				if err != nil {
					return fmt.Errorf("%s: PutLedger(%+v): %w", at, es, err)
				}
				for _, e := range norm {
					m[ledgerKey{e.Tenant, e.Number}] = e
				}
				written = true
			case r < 5:
				cs, ok := s.(callerid.ConditionalStore)
				if !ok {
					continue
				}
				es := make([]callerid.Entry, 1+rng.IntN(2))
				for i := range es {
					es[i] = newEntry()
				}
				norm, werr := callerid.NormalizeEntries(slices.Clone(es))
				if werr != nil {
					continue // PutLedger's case checks the refusal
				}
				var expect []callerid.Expect
				var conflict *ledgerKey
				for _, e := range norm {
					k := ledgerKey{e.Tenant, e.Number}
					old, held := m[k]
					var x callerid.Expect
					stale := rng.IntN(4) == 0
					switch {
					case held && !stale:
						x = callerid.ExpectSame(old)
					case held:
						if rng.IntN(2) == 0 {
							x = callerid.ExpectNone(k.tenant, k.n)
						} else {
							other := old
							other.Holder += " (old)"
							x = callerid.ExpectSame(other)
						}
					case !stale:
						x = callerid.ExpectNone(k.tenant, k.n)
					default:
						other := e
						other.Holder += " (old)"
						x = callerid.ExpectSame(other)
					}
					if stale && conflict == nil {
						conflict = &k
					}
					expect = append(expect, x)
				}
				// The expectations in another order than the entries.
				rng.Shuffle(len(expect), func(i, j int) { expect[i], expect[j] = expect[j], expect[i] })
				err := cs.PutLedgerIf(ctx, expect, es...)
				if conflict != nil {
					var ce *callerid.ConflictError
					if !errors.As(err, &ce) || !errors.Is(err, storage.ErrConflict) || ce.Tenant != conflict.tenant || ce.Number != conflict.n {
						return fmt.Errorf("%s: PutLedgerIf(%+v, %+v): %v, want a *callerid.ConflictError naming %q %s", at, expect, es, err, conflict.tenant, conflict.n)
					}
					continue
				}
				if err != nil {
					return fmt.Errorf("%s: PutLedgerIf(%+v, %+v): %w", at, expect, es, err)
				}
				for _, e := range norm {
					m[ledgerKey{e.Tenant, e.Number}] = e
				}
				written = true
			case r < 6:
				k := ledgerKey{tenants[rng.IntN(len(tenants))], nums[rng.IntN(len(nums))]}
				err := s.DeleteLedgerEntry(ctx, k.tenant, k.n)
				if _, held := m[k]; !held {
					if !errors.Is(err, storage.ErrNotFound) {
						return fmt.Errorf("%s: DeleteLedgerEntry(%q, %s) of none: %v, want storage.ErrNotFound", at, k.tenant, k.n, err)
					}
					continue
				}
				if err != nil {
					return fmt.Errorf("%s: DeleteLedgerEntry(%q, %s): %w", at, k.tenant, k.n, err)
				}
				delete(m, k)
				written = true
			case r < 8:
				k := ledgerKey{tenants[rng.IntN(len(tenants))], nums[rng.IntN(len(nums))]}
				got, err := s.LedgerEntry(ctx, k.tenant, k.n)
				want, held := m[k]
				switch {
				case !held && !errors.Is(err, storage.ErrNotFound):
					return fmt.Errorf("%s: LedgerEntry(%q, %s) of none: %+v, %v, want storage.ErrNotFound", at, k.tenant, k.n, got, err)
				case held && err != nil:
					return fmt.Errorf("%s: LedgerEntry(%q, %s): %w", at, k.tenant, k.n, err)
				case held:
					if err := sameLedgerEntry(got, want); err != nil {
						return fmt.Errorf("%s: LedgerEntry(%q, %s): %w", at, k.tenant, k.n, err)
					}
				}
			case r < 9:
				if err := ledgerModelCheckList(ctx, s, m); err != nil {
					return fmt.Errorf("%s: %w", at, err)
				}
			default:
				v, err := s.LedgerVersion(ctx)
				if err != nil {
					return fmt.Errorf("%s: LedgerVersion: %w", at, err)
				}
				// A version seen before, after a write: the Check would not
				// reload the ledger.
				if when, seen := versions[v]; written && seen {
					return fmt.Errorf("%s: LedgerVersion %d after a write, already the version at %s", at, v, when)
				}
				if _, seen := versions[v]; !seen {
					versions[v] = at
				}
				written = false
				if h.reopen != nil && reopens < 2 && rng.IntN(3) == 0 {
					reopens++
					if s, err = h.reopen(s); err != nil {
						return fmt.Errorf("%s: reopen: %w", at, err)
					}
				}
			}
		}
		if err := ledgerModelCheckList(ctx, s, m); err != nil {
			return fmt.Errorf("seed %d at the end: %w", seed, err)
		}
	}
	return nil
}

func ledgerModelCheckList(ctx context.Context, s callerid.Store, m map[ledgerKey]callerid.Entry) error {
	got, err := s.ListLedger(ctx)
	if err != nil {
		return fmt.Errorf("ListLedger: %w", err)
	}
	want := ledgerModelList(m)
	if len(got) != len(want) {
		return fmt.Errorf("ListLedger: %d entries %+v, want %d %+v", len(got), got, len(want), want)
	}
	for i := range got {
		if err := sameLedgerEntry(got[i], want[i]); err != nil {
			return fmt.Errorf("ListLedger entry %d: %w", i, err)
		}
	}
	return nil
}
