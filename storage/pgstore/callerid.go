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

var _ callerid.Store = (*Store)(nil)

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
	return s.inTx(ctx, "PutLedger", func(tx pgx.Tx) error {
		for i, e := range entries {
			if _, err := tx.Exec(ctx, `INSERT INTO ledger (tenant, number, entry) VALUES ($1, $2, $3)
				ON CONFLICT (tenant, number) DO UPDATE SET entry = EXCLUDED.entry`, e.Tenant, num(e.Number), norm[i]); err != nil {
				return s.fail("PutLedger", err)
			}
		}
		return s.bumpLedger(ctx, tx, "PutLedger")
	})
}

// DeleteLedgerEntry implements callerid.Store.
func (s *Store) DeleteLedgerEntry(ctx context.Context, tenant string, n dialgate.Number) error {
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
	if err := s.pool.QueryRow(ctx, `SELECT version FROM ledger_version`).Scan(&v); err != nil {
		return 0, s.fail("LedgerVersion", err)
	}
	return uint64(v), nil
}
