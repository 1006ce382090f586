package pgstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage"
)

var _ dnc.Store = (*Store)(nil)

func num(n dialgate.Number) int64 { return int64(n.Uint64()) }

// AddDNC implements dnc.Store in one transaction, notifying every process's
// change feed on commit; this process's watchers are told before AddDNC
// returns.
func (s *Store) AddDNC(ctx context.Context, entries ...dnc.Entry) error {
	for i, e := range entries {
		if err := e.Validate(); err != nil {
			return fmt.Errorf("pgstore: AddDNC: entry %d: %w", i, err)
		}
	}
	if len(entries) == 0 {
		return s.check("AddDNC")
	}
	// This process's watchers hear of the entries before AddDNC returns,
	// not when the NOTIFY comes back: a lookup in between would answer
	// "not listed" from the Bloom filter. Told even on an error (the
	// commit may have happened).
	defer func() {
		for _, e := range entries {
			s.hub.Notify(e.Number)
		}
	}()
	// Rows are locked in (number, scope) order, whatever the batch's:
	// two batches locking the same keys in opposite orders deadlock, and
	// PostgreSQL aborts one (TestConformance/DNC/ConcurrentBatches). The
	// sort is stable: entries of one key merge in the order given.
	sorted := slices.Clone(entries)
	slices.SortStableFunc(sorted, func(a, b dnc.Entry) int {
		return cmp.Or(cmp.Compare(a.Number.Uint64(), b.Number.Uint64()), cmp.Compare(a.Scope.String(), b.Scope.String()))
	})
	return s.inTx(ctx, "AddDNC", func(tx pgx.Tx) error {
		notified := map[int64]bool{}
		for _, e := range sorted {
			js, err := json.Marshal(e)
			if err != nil {
				return fmt.Errorf("pgstore: AddDNC: %w", err)
			}
			if err := s.addDNCEntry(ctx, tx, e, js, holdNanos(e.HoldUntil)); err != nil {
				return err
			}
			if !notified[num(e.Number)] {
				notified[num(e.Number)] = true
				if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, s.dncChannel(), strconv.FormatUint(e.Number.Uint64(), 10)); err != nil {
					return s.fail("AddDNC: notify", err)
				}
			}
		}
		return nil
	})
}

// addDNCEntry inserts e, or merges it into the stored entry of its
// (number, scope), inside tx (see mergeDNC). A row the insert conflicted
// with may be deleted by a concurrent RemoveDNC before it is locked: the
// insert is then tried again (the next statement sees the deletion), so
// that the new entry is stored rather than the add failing.
func (s *Store) addDNCEntry(ctx context.Context, tx pgx.Tx, e dnc.Entry, js []byte, hold *int64) error {
	for range 16 {
		tag, err := tx.Exec(ctx, `INSERT INTO dnc_entries (number, scope, list, hold_until_ns, entry) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (number, scope) DO NOTHING`, num(e.Number), e.Scope.String(), e.List, hold, js)
		if err != nil {
			return s.fail("AddDNC", err)
		}
		if tag.RowsAffected() == 1 {
			return nil
		}
		var (
			raw     []byte
			oldHold *int64
		)
		err = tx.QueryRow(ctx, `SELECT entry, hold_until_ns FROM dnc_entries WHERE number = $1 AND scope = $2 FOR UPDATE`,
			num(e.Number), e.Scope.String()).Scan(&raw, &oldHold)
		if errors.Is(err, pgx.ErrNoRows) {
			continue // removed meanwhile: insert it afresh
		}
		if err != nil {
			return s.fail("AddDNC", err)
		}
		return s.mergeDNC(ctx, tx, e, raw, oldHold)
	}
	return fmt.Errorf("pgstore: AddDNC %s: the entry kept being removed meanwhile: %w", e.Scope, storage.ErrConflict)
}

// mergeDNC merges e into the entry stored as raw under its key, whose row
// tx has locked (oldHold: the row's hold_until_ns). A sound entry is kept,
// dated by the later added_at and held until the later hold of the two
// (dnc.Merge); only its added_at and hold_until are rewritten (jsonb_set),
// so whatever else its JSON holds stays (the "replaced" evidence below). A damaged one (it fails
// dnc.Entry.ValidateStored) is replaced by e, keeping the later hold of the
// two (dnc.ReplaceDamaged: its JSON's hold_until, when readable, and its
// hold_until_ns): the opt-out is never refused for what is wrong with the
// entry stored. The damaged JSON is kept, as evidence, under the key
// "replaced" of the new row's JSON (which the decoder ignores).
func (s *Store) mergeDNC(ctx context.Context, tx pgx.Tx, e dnc.Entry, raw []byte, oldHold *int64) error {
	cur, err := storage.DecodeRecord("dnc entry", dnc.StoredKey(e.Number, e.Scope.String()), raw, func(x *dnc.Entry) error {
		return x.ValidateStored(e.Number, e.Scope)
	})
	if err == nil {
		keep, changed := dnc.Merge(cur, e)
		if !changed {
			return nil
		}
		at, err := json.Marshal(keep.AddedAt)
		if err != nil {
			return fmt.Errorf("pgstore: AddDNC: %w", err)
		}
		var ht *string // none: the stored entry has none either (holds only grow)
		if !keep.HoldUntil.IsZero() {
			b, err := json.Marshal(keep.HoldUntil)
			if err != nil {
				return fmt.Errorf("pgstore: AddDNC: %w", err)
			}
			ht = new(string(b))
		}
		// GREATEST ignores a NULL: the column is never lowered, nor
		// cleared.
		if _, err := tx.Exec(ctx, `UPDATE dnc_entries SET hold_until_ns = GREATEST(hold_until_ns, $3),
			entry = jsonb_set(CASE WHEN $4::jsonb IS NULL THEN entry ELSE jsonb_set(entry, '{hold_until}', $4::jsonb) END, '{added_at}', $5::jsonb)
			WHERE number = $1 AND scope = $2`, num(e.Number), e.Scope.String(), holdNanos(keep.HoldUntil), ht, string(at)); err != nil {
			return s.fail("AddDNC", err)
		}
		return nil
	}
	holds := []time.Time{dnc.StoredHoldUntil(raw)}
	if oldHold != nil {
		holds = append(holds, time.Unix(0, *oldHold).UTC())
	}
	keep := dnc.ReplaceDamaged(e, holds...)
	js, err := json.Marshal(keep)
	if err != nil {
		return fmt.Errorf("pgstore: AddDNC: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE dnc_entries SET list = $3, hold_until_ns = $4, entry = $5::jsonb || jsonb_build_object('replaced', entry)
		WHERE number = $1 AND scope = $2`, num(e.Number), e.Scope.String(), keep.List, holdNanos(keep.HoldUntil), js); err != nil {
		return s.fail("AddDNC", err)
	}
	return nil
}

// holdNanos is the hold_until_ns of a hold: nil for none; saturated to the
// int64 range (boundNanos), so a hold past 2262 reads back as the latest
// instant the column holds, never as one t.UnixNano() wrapped into the
// past (the column is the only copy of the hold of an entry whose JSON is
// damaged: mergeDNC).
func holdNanos(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	h := boundNanos(t)
	return &h
}

// scanEntries reads rows of (number, scope, entry), checking each entry
// against its key (dnc.Entry.ValidateStored).
func scanEntries(rows pgx.Rows) ([]dnc.Entry, error) {
	defer rows.Close()
	var out []dnc.Entry
	for rows.Next() {
		var (
			number int64
			scope  string
			raw    []byte
		)
		if err := rows.Scan(&number, &scope, &raw); err != nil {
			return nil, err
		}
		n, nerr := dialgate.NumberFromUint64(uint64(number))
		sc, serr := dnc.ParseScope(scope)
		e, err := storage.DecodeRecord("dnc entry", dnc.StoredKey(n, scope), raw, func(e *dnc.Entry) error {
			if err := errors.Join(nerr, serr); err != nil {
				return fmt.Errorf("key: %w", err)
			}
			return e.ValidateStored(n, sc)
		})
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// DNCEntries implements dnc.Store with one primary-key range query.
func (s *Store) DNCEntries(ctx context.Context, n dialgate.Number) ([]dnc.Entry, error) {
	if err := s.check("DNCEntries"); err != nil {
		return nil, err
	}
	// The store's identity is checked in the same query: a schema
	// re-created under the process has none of the opt-outs (a Bloom
	// filter's positive confirmed against it would allow the dial).
	rows, err := s.pool.Query(ctx, `SELECT number, scope, entry FROM dnc_entries WHERE number = $1 AND `+s.identityCond(), num(n))
	if err != nil {
		return nil, s.fail("DNCEntries", err)
	}
	out, err := scanEntries(rows)
	if err != nil {
		return nil, s.wrapScan("DNCEntries", err)
	}
	slices.SortFunc(out, func(a, b dnc.Entry) int { return cmp.Compare(a.Scope.String(), b.Scope.String()) })
	return out, nil
}

func (s *Store) wrapScan(op string, err error) error {
	if errors.Is(err, storage.ErrCorrupt) {
		return err
	}
	return s.fail(op, err)
}

// RemoveDNC implements dnc.Store.
func (s *Store) RemoveDNC(ctx context.Context, n dialgate.Number, sc dnc.Scope, t time.Time) error {
	return s.RemoveDNCIf(ctx, n, sc, t, dnc.RemoveCondition{})
}

// RemoveDNCIf implements dnc.Store: the entry's row is locked (SELECT … FOR
// UPDATE) and its soundness (dnc.Entry.ValidateStored), hold and cond
// checked in the transaction that deletes it; a damaged entry is kept.
func (s *Store) RemoveDNCIf(ctx context.Context, n dialgate.Number, sc dnc.Scope, t time.Time, cond dnc.RemoveCondition) error {
	defer s.hub.Notify(n) // this process's watchers at once, as AddDNC
	return s.inTx(ctx, "RemoveDNC", func(tx pgx.Tx) error {
		var raw []byte
		err := tx.QueryRow(ctx, `SELECT entry FROM dnc_entries WHERE number = $1 AND scope = $2 FOR UPDATE`, num(n), sc.String()).Scan(&raw)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("pgstore: RemoveDNC %s: %w", sc, dnc.ErrNotListed)
		}
		if err != nil {
			return s.fail("RemoveDNC", err)
		}
		e, err := storage.DecodeRecord("dnc entry", dnc.StoredKey(n, sc.String()), raw, func(e *dnc.Entry) error {
			return e.ValidateStored(n, sc)
		})
		if err != nil {
			// Its hold and added_at cannot be trusted: kept.
			return fmt.Errorf("pgstore: RemoveDNC: %w", err)
		}
		if t.Before(e.HoldUntil) {
			return fmt.Errorf("pgstore: RemoveDNC %s: held until %s: %w", sc, e.HoldUntil.Format(time.RFC3339), dnc.ErrHeld)
		}
		if !cond.Allows(e) {
			return fmt.Errorf("pgstore: RemoveDNC %s: added at %s: %w", sc, e.AddedAt.Format(time.RFC3339), dnc.ErrChanged)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM dnc_entries WHERE number = $1 AND scope = $2`, num(n), sc.String()); err != nil {
			return s.fail("RemoveDNC", err)
		}
		if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, s.dncChannel(), strconv.FormatUint(n.Uint64(), 10)); err != nil {
			return s.fail("RemoveDNC: notify", err)
		}
		return nil
	})
}

// ScanDNC implements dnc.Store: keyset pages of 1,000 rows in (number, scope)
// order. Not a snapshot across pages.
func (s *Store) ScanDNC(ctx context.Context, fn func(dnc.Entry) error) error {
	if err := s.check("ScanDNC"); err != nil {
		return err
	}
	var lastN int64 = -1
	lastS := ""
	for {
		rows, err := s.pool.Query(ctx, `SELECT number, scope, entry FROM dnc_entries WHERE (number, scope) > ($1, $2) AND `+s.identityCond()+` ORDER BY number, scope LIMIT 1000`, lastN, lastS)
		if err != nil {
			return s.fail("ScanDNC", err)
		}
		page, err := scanEntries(rows)
		if err != nil {
			return s.wrapScan("ScanDNC", err)
		}
		for _, e := range page {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(page) < 1000 {
			return nil
		}
		last := page[len(page)-1]
		lastN, lastS = num(last.Number), last.Scope.String()
	}
}
