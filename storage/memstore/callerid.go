package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/storage"
)

// ledgerState holds the caller-ID ledger. The zero value is an empty ledger.
type ledgerState struct {
	mu      sync.RWMutex
	m       map[ledgerKey]callerid.Entry
	version uint64
}

// put stores norm (normalized entries) and changes the version; l.mu must
// be held for writing.
func (l *ledgerState) put(norm []callerid.Entry) {
	if l.m == nil {
		l.m = make(map[ledgerKey]callerid.Entry)
	}
	for _, e := range norm {
		l.m[ledgerKey{e.Tenant, e.Number}] = e
	}
	l.version++
}

type ledgerKey struct {
	tenant string
	n      dialgate.Number
}

// check checks e, stored under k (callerid.Entry.ValidateStored).
func (k ledgerKey) check(e callerid.Entry) error {
	return storage.CheckRecord("ledger entry", fmt.Sprintf("%q %s", k.tenant, k.n), e.ValidateStored(k.tenant, k.n))
}

var _ callerid.ConditionalStore = (*Store)(nil)

func cloneEntry(e callerid.Entry) callerid.Entry {
	e.Purposes = slices.Clone(e.Purposes)
	return e
}

// PutLedger inserts or replaces entries, all or none, after Normalize. See
// callerid.Store.
func (s *Store) PutLedger(ctx context.Context, entries ...callerid.Entry) error {
	if err := s.check("PutLedger"); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	norm, err := callerid.NormalizeEntries(entries)
	if err != nil {
		return fmt.Errorf("memstore: PutLedger: %w", err)
	}
	l := &s.ledger
	l.mu.Lock()
	defer l.mu.Unlock()
	l.put(norm)
	return nil
}

// PutLedgerIf stores entries, all or none, if the ledger holds for each
// what its Expect says, checked under the lock the write takes. See
// callerid.ConditionalStore.
func (s *Store) PutLedgerIf(ctx context.Context, expect []callerid.Expect, entries ...callerid.Entry) error {
	if err := s.check("PutLedgerIf"); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	norm, xs, err := callerid.PairExpects(expect, entries)
	if err != nil {
		return fmt.Errorf("memstore: PutLedgerIf: %w", err)
	}
	l := &s.ledger
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, x := range xs {
		k := ledgerKey{x.Tenant, x.Number}
		e, ok := l.m[k]
		var found *callerid.Entry
		if ok {
			found = &e
		}
		if err := x.Match(found, ok && k.check(e) != nil); err != nil {
			return fmt.Errorf("memstore: PutLedgerIf: %w", err)
		}
	}
	l.put(norm)
	return nil
}

// DeleteLedgerEntry removes the entry of tenant and n. See callerid.Store.
func (s *Store) DeleteLedgerEntry(ctx context.Context, tenant string, n dialgate.Number) error {
	if err := s.check("DeleteLedgerEntry"); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	l := &s.ledger
	l.mu.Lock()
	defer l.mu.Unlock()
	k := ledgerKey{tenant, n}
	if _, ok := l.m[k]; !ok {
		return fmt.Errorf("memstore: ledger entry %s of tenant %q: %w", n, tenant, storage.ErrNotFound)
	}
	delete(l.m, k)
	l.version++
	return nil
}

// LedgerEntry returns the entry of tenant and n. See callerid.Store.
func (s *Store) LedgerEntry(ctx context.Context, tenant string, n dialgate.Number) (callerid.Entry, error) {
	if err := s.check("LedgerEntry"); err != nil {
		return callerid.Entry{}, err
	}
	if err := ctx.Err(); err != nil {
		return callerid.Entry{}, err
	}
	l := &s.ledger
	l.mu.RLock()
	defer l.mu.RUnlock()
	e, ok := l.m[ledgerKey{tenant, n}]
	if !ok {
		return callerid.Entry{}, fmt.Errorf("memstore: ledger entry %s of tenant %q: %w", n, tenant, storage.ErrNotFound)
	}
	if err := (ledgerKey{tenant, n}).check(e); err != nil {
		return callerid.Entry{}, err
	}
	return cloneEntry(e), nil
}

// ListLedger returns every entry ordered by tenant and number. See
// callerid.Store.
func (s *Store) ListLedger(ctx context.Context) ([]callerid.Entry, error) {
	if err := s.check("ListLedger"); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l := &s.ledger
	l.mu.RLock()
	out := make([]callerid.Entry, 0, len(l.m))
	for k, e := range l.m {
		if err := k.check(e); err != nil {
			l.mu.RUnlock()
			return nil, err
		}
		out = append(out, cloneEntry(e))
	}
	l.mu.RUnlock()
	slices.SortFunc(out, func(a, b callerid.Entry) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Number.Uint64(), b.Number.Uint64()))
	})
	return out, nil
}

// LedgerVersion returns the ledger's change counter. See callerid.Store.
func (s *Store) LedgerVersion(ctx context.Context) (uint64, error) {
	if err := s.check("LedgerVersion"); err != nil {
		return 0, err
	}
	l := &s.ledger
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.version, nil
}
