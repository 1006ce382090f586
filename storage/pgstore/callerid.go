package pgstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/storage"
)

var _ callerid.ConditionalStore = (*Store)(nil)

func (s *Store) bumpLedger(ctx context.Context, tx pgx.Tx, op string) error {
	if _, err := tx.Exec(ctx, `UPDATE ledger_version SET version = version + 1`); err != nil {
		return s.fail(op, err)
	}
	return nil
}

// PutLedger implements callerid.Store: the entries and the ledger version in
// one transaction.
func (s *Store) PutLedger(ctx context.Context, entries ...callerid.Entry) error {
	entries, err := callerid.NormalizeEntries(entries) // a new slice: the caller's is left as it is
	if err != nil {
		return fmt.Errorf("pgstore: PutLedger: %w", err)
	}
	norm := make([][]byte, len(entries))
	for i, n := range entries {
		if norm[i], err = json.Marshal(n); err != nil {
			return fmt.Errorf("pgstore: PutLedger: entries[%d]: %w", i, err)
		}
	}
	order := ledgerOrder(entries)
	return s.inTx(ctx, "PutLedger", func(tx pgx.Tx) error {
		for _, i := range order {
			e := entries[i]
			if _, err := tx.Exec(ctx, `INSERT INTO ledger (tenant, number, entry) VALUES ($1, $2, $3)
				ON CONFLICT (tenant, number) DO UPDATE SET entry = EXCLUDED.entry`, e.Tenant, num(e.Number), norm[i]); err != nil {
				return s.fail("PutLedger", err)
			}
		}
		return s.bumpLedger(ctx, tx, "PutLedger")
	})
}

// ledgerOrder returns the indexes of entries in (tenant, number) order, the
// order every ledger write takes its rows' locks in: two transactions that
// lock the same keys in opposite orders deadlock, and PostgreSQL aborts one
// of them (TestConformance/CallerID/ConcurrentBatches).
func ledgerOrder(entries []callerid.Entry) []int {
	order := make([]int, len(entries))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(entries[a].Tenant, entries[b].Tenant), cmp.Compare(entries[a].Number.Uint64(), entries[b].Number.Uint64()))
	})
	return order
}

// PutLedgerIf implements callerid.ConditionalStore in one transaction, the
// keys taken in (tenant, number) order (so that two writers of the same
// keys do not deadlock): an entry expected absent is inserted with ON
// CONFLICT DO NOTHING, which waits for a concurrent insert of the key and
// inserts nothing when a row is there; an entry expected present is read
// with SELECT ... FOR UPDATE, which waits for a concurrent writer of the
// row and reads what it committed, compared, then updated. Any mismatch
// rolls everything back: two writers expecting the same state cannot
// both succeed.
func (s *Store) PutLedgerIf(ctx context.Context, expect []callerid.Expect, entries ...callerid.Entry) error {
	entries, xs, err := callerid.PairExpects(expect, entries)
	if err != nil {
		return fmt.Errorf("pgstore: PutLedgerIf: %w", err)
	}
	norm := make([][]byte, len(entries))
	for i, n := range entries {
		if norm[i], err = json.Marshal(n); err != nil {
			return fmt.Errorf("pgstore: PutLedgerIf: entries[%d]: %w", i, err)
		}
	}
	order := ledgerOrder(entries)
	var conflicts []error // by index in entries: the first in their order is reported
	err = s.inTx(ctx, "PutLedgerIf", func(tx pgx.Tx) error {
		conflicts = make([]error, len(entries))
		for _, i := range order {
			e, x := entries[i], xs[i]
			if x.State == callerid.ExpectAbsent {
				tag, err := tx.Exec(ctx, `INSERT INTO ledger (tenant, number, entry) VALUES ($1, $2, $3)
					ON CONFLICT (tenant, number) DO NOTHING`, e.Tenant, num(e.Number), norm[i])
				if err != nil {
					return s.fail("PutLedgerIf", err)
				}
				if tag.RowsAffected() == 1 {
					continue
				}
				// A row is there (committed, or by a writer this insert
				// waited for): read it only to say what it is.
				found, damaged, err := s.ledgerRow(ctx, tx, e)
				if err != nil {
					return err
				}
				if conflicts[i] = x.Match(found, damaged); conflicts[i] == nil {
					conflicts[i] = &callerid.ConflictError{Tenant: e.Tenant, Number: e.Number, Want: x.State, Found: callerid.ExpectEntry}
				}
				continue
			}
			found, damaged, err := s.ledgerRow(ctx, tx, e, "FOR UPDATE")
			if err != nil {
				return err
			}
			if conflicts[i] = x.Match(found, damaged); conflicts[i] != nil {
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE ledger SET entry = $3 WHERE tenant = $1 AND number = $2`, e.Tenant, num(e.Number), norm[i]); err != nil {
				return s.fail("PutLedgerIf", err)
			}
		}
		for _, c := range conflicts {
			if c != nil {
				return c // rolled back: nothing written
			}
		}
		return s.bumpLedger(ctx, tx, "PutLedgerIf")
	})
	if errors.As(err, new(*callerid.ConflictError)) {
		return fmt.Errorf("pgstore: PutLedgerIf: %w", err)
	}
	return err
}

// ledgerRow reads, in tx, the row of e's key (with lock, a locking clause
// such as "FOR UPDATE"): the entry, nil when there is none, or damaged
// when it does not decode or fails its validation.
func (s *Store) ledgerRow(ctx context.Context, tx pgx.Tx, e callerid.Entry, lock ...string) (*callerid.Entry, bool, error) {
	q := `SELECT entry FROM ledger WHERE tenant = $1 AND number = $2`
	for _, l := range lock {
		q += " " + l
	}
	var raw []byte
	err := tx.QueryRow(ctx, q, e.Tenant, num(e.Number)).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, s.fail("PutLedgerIf", err)
	}
	got, err := decodeLedger(e.Tenant, num(e.Number), raw)
	if err != nil {
		return nil, true, nil
	}
	return &got, false, nil
}

// DeleteLedgerEntry implements callerid.Store.
func (s *Store) DeleteLedgerEntry(ctx context.Context, tenant string, n dialgate.Number) error {
	if !storable(tenant) {
		// No entry has it (see storable); the store is asked nothing.
		if err := s.check("DeleteLedgerEntry"); err != nil {
			return err
		}
		return fmt.Errorf("pgstore: ledger entry %s of tenant %q: %w", n, tenant, storage.ErrNotFound)
	}
	return s.inTx(ctx, "DeleteLedgerEntry", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM ledger WHERE tenant = $1 AND number = $2`, tenant, num(n))
		if err != nil {
			return s.fail("DeleteLedgerEntry", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("pgstore: ledger entry %s of tenant %q: %w", n, tenant, storage.ErrNotFound)
		}
		return s.bumpLedger(ctx, tx, "DeleteLedgerEntry")
	})
}

// decodeLedger decodes the entry stored under (tenant, number) and checks
// it against its key (callerid.Entry.ValidateStored).
func decodeLedger(tenant string, number int64, raw []byte) (callerid.Entry, error) {
	n, nerr := dialgate.NumberFromUint64(uint64(number))
	return storage.DecodeRecord("ledger entry", fmt.Sprintf("%q %s", tenant, n), raw, func(e *callerid.Entry) error {
		if nerr != nil {
			return fmt.Errorf("key: %w", nerr)
		}
		return e.ValidateStored(tenant, n)
	})
}

// LedgerEntry implements callerid.Store.
func (s *Store) LedgerEntry(ctx context.Context, tenant string, n dialgate.Number) (callerid.Entry, error) {
	if err := s.check("LedgerEntry"); err != nil {
		return callerid.Entry{}, err
	}
	if !storable(tenant) {
		return callerid.Entry{}, fmt.Errorf("pgstore: ledger entry %s of tenant %q: %w", n, tenant, storage.ErrNotFound)
	}
	var raw []byte
	err := s.pool.QueryRow(ctx, `SELECT entry FROM ledger WHERE tenant = $1 AND number = $2`, tenant, num(n)).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return callerid.Entry{}, fmt.Errorf("pgstore: ledger entry %s of tenant %q: %w", n, tenant, storage.ErrNotFound)
	}
	if err != nil {
		return callerid.Entry{}, s.fail("LedgerEntry", err)
	}
	return decodeLedger(tenant, num(n), raw)
}

// ListLedger implements callerid.Store.
func (s *Store) ListLedger(ctx context.Context) ([]callerid.Entry, error) {
	if err := s.check("ListLedger"); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT tenant, number, entry FROM ledger`)
	if err != nil {
		return nil, s.fail("ListLedger", err)
	}
	defer rows.Close()
	out := []callerid.Entry{}
	for rows.Next() {
		var (
			tenant string
			number int64
			raw    []byte
		)
		if err := rows.Scan(&tenant, &number, &raw); err != nil {
			return nil, s.fail("ListLedger", err)
		}
		e, err := decodeLedger(tenant, number, raw)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("ListLedger", err)
	}
	slices.SortFunc(out, func(a, b callerid.Entry) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Number.Uint64(), b.Number.Uint64()))
	})
	return out, nil
}

// LedgerVersion implements callerid.Store with one single-row read.
func (s *Store) LedgerVersion(ctx context.Context) (uint64, error) {
	if err := s.check("LedgerVersion"); err != nil {
		return 0, err
	}
	var v int64
	if err := s.pool.QueryRow(ctx, `SELECT version FROM ledger_version WHERE `+s.identityCond()).Scan(&v); err != nil {
		return 0, s.fail("LedgerVersion", err)
	}
	return uint64(v), nil
}
