package pgstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dialgate/dialgate/storage"
)

var _ storage.CounterExpirer = (*Store)(nil)

// defaultExpiryBatch is how many rows one statement of an expiry deletes,
// locks or changes: each is its own short transaction, so a large table is
// worked through without holding many locks for long.
const defaultExpiryBatch = 1000

// ensureCounterExpiry gives counter entries their expiry column (schema
// version 4, a first-use migration) once per Store, and reports whether this
// build writes it (false in a test of a build before it).
func (s *Store) ensureCounterExpiry(ctx context.Context, op string) (bool, error) {
	if s.counterExpiryMigration == nil {
		return false, nil
	}
	if s.counterExpiryReady.Load() {
		return true, nil
	}
	if err := s.applyFirstUse(ctx, op+": add counter expiry", s.counterExpiryMigration); err != nil {
		return false, err
	}
	s.counterExpiryReady.Store(true)
	return true, nil
}

// ExpireCounters deletes, as of t, every counter entry no limit can count any
// more — those whose reservation's instant plus the longest window of their
// key (or a later instant ExtendCounterExpiry set) is at or before t — and
// then the rows of counter keys left without entries, and returns how many
// entries it deleted. See storage.CounterExpirer.
//
// It works in batches of a thousand rows, each its own transaction, and
// never waits for a reservation: entries and key rows locked by one are
// skipped (SKIP LOCKED) and left to a later run. A key row is deleted only
// while locked and found empty by a statement that starts after the lock,
// so a reservation that recorded under the key first keeps it; a
// reservation that made sure of the row just before it was deleted finds
// its lock missing and starts again (its transaction is run anew). Entries
// written without an expiry (by a build before schema version 4) are kept.
//
// Callers sharing the store across hosts should pass an instant earlier
// than their clock by the clocks' possible skew (`dialgate serve` passes one
// a day earlier): an entry one host's window still counts is then never
// deleted by another's.
func (s *Store) ExpireCounters(ctx context.Context, t time.Time) (int, error) {
	const op = "expire counters"
	if err := s.instantPreamble(ctx, op, t); err != nil {
		return 0, err
	}
	expiring, err := s.ensureCounterExpiry(ctx, op)
	if err != nil || !expiring {
		return 0, err
	}
	removed, err := s.deleteExpired(ctx, op, `DELETE FROM counter_entries WHERE (key, id) IN
		(SELECT key, id FROM counter_entries WHERE expires_ns <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, t.UnixNano())
	if err != nil {
		return removed, err
	}
	_, err = s.deleteEmptyKeys(ctx, op, "counter_keys",
		`DELETE FROM counter_keys k WHERE k.key = ANY($1) AND NOT EXISTS (SELECT 1 FROM counter_entries e WHERE e.key = k.key)`)
	return removed, err
}

// deleteExpired runs the batched delete q (arguments: the instant in Unix
// nanoseconds, the batch size) until a batch deletes fewer rows than the
// batch size, and returns how many rows it deleted.
func (s *Store) deleteExpired(ctx context.Context, op, q string, tn int64) (int, error) {
	removed := 0
	for {
		if err := ctx.Err(); err != nil {
			return removed, fmt.Errorf("pgstore: %s: %w", op, err)
		}
		tag, err := s.pool.Exec(ctx, q, tn, s.expiryBatch)
		if err != nil {
			return removed, s.fail(op, err)
		}
		removed += int(tag.RowsAffected())
		if tag.RowsAffected() < int64(s.expiryBatch) {
			return removed, nil
		}
	}
}

// deleteEmptyKeys walks table's key rows in key order, a batch at a time:
// each batch locks the rows no one holds (SKIP LOCKED) and runs del
// (argument: the locked keys) on them in the same transaction, a statement
// started after the lock, which sees every record committed under those keys
// (records are written only under their key's lock). It returns how many
// key rows del deleted.
func (s *Store) deleteEmptyKeys(ctx context.Context, op, table, del string, args ...any) (int, error) {
	sel := `SELECT key FROM ` + table + ` WHERE key > $1 ORDER BY key LIMIT $2 FOR UPDATE SKIP LOCKED`
	var (
		after   string
		deleted int
	)
	for {
		if err := ctx.Err(); err != nil {
			return deleted, fmt.Errorf("pgstore: %s: %w", op, err)
		}
		var keys []string
		err := s.inTxOnce(ctx, op, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, sel, after, s.expiryBatch)
			if err != nil {
				return s.fail(op+": "+table, err)
			}
			if keys, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
				return s.fail(op+": "+table, err)
			}
			if len(keys) == 0 {
				return nil
			}
			tag, err := tx.Exec(ctx, del, append([]any{keys}, args...)...)
			if err != nil {
				return s.fail(op+": "+table, err)
			}
			deleted += int(tag.RowsAffected())
			return nil
		})
		if err != nil {
			return deleted, err
		}
		if len(keys) < s.expiryBatch {
			return deleted, nil
		}
		after = keys[len(keys)-1]
	}
}

// ExtendCounterExpiry makes every counter entry whose key ends with suffix
// expire no sooner than until, and returns how many entries it extended
// (none when until is not after now). An entry expires its reservation's
// longest window after it was made: one recorded with a shorter window than
// a caller later counts it with (package schedule's counter history, after
// a frequency window was lengthened) would otherwise be deleted by
// ExpireCounters — of any host sharing the database — while it still
// counts. It walks the counter keys in batches of a thousand, each its own
// transaction holding the batch's matching key rows (as a reservation
// does); an entry is never shortened, and entries without an expiry (never
// expired) are left so.
func (s *Store) ExtendCounterExpiry(ctx context.Context, suffix string, until, now time.Time) (int, error) {
	const op = "extend counter expiry"
	if err := s.check(op); err != nil {
		return 0, err
	}
	if suffix == "" {
		return 0, fmt.Errorf("pgstore: %s: suffix: empty: %w", op, storage.ErrInvalid)
	}
	if !until.After(now) {
		return 0, nil
	}
	expiring, err := s.ensureCounterExpiry(ctx, op)
	if err != nil || !expiring {
		return 0, err
	}
	un := boundNanos(until)
	var (
		after    string
		extended int
	)
	for {
		if err := ctx.Err(); err != nil {
			return extended, fmt.Errorf("pgstore: %s: %w", op, err)
		}
		rows, err := s.pool.Query(ctx, `SELECT key FROM counter_keys WHERE key > $1 ORDER BY key LIMIT $2`, after, s.expiryBatch)
		if err != nil {
			return extended, s.fail(op, err)
		}
		keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return extended, s.fail(op, err)
		}
		var match []string
		for _, k := range keys {
			if strings.HasSuffix(k, suffix) {
				match = append(match, k)
			}
		}
		if len(match) > 0 {
			// Under the keys' locks, taken in key order as reservations take
			// them: a reservation pruning the same entries waits, or is
			// waited for, and never deadlocks with this.
			err := s.inTxOnce(ctx, op, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, `SELECT key FROM counter_keys WHERE key = ANY($1) ORDER BY key FOR UPDATE`, match); err != nil {
					return s.fail(op+": lock", err)
				}
				tag, err := tx.Exec(ctx, `UPDATE counter_entries SET expires_ns = $2 WHERE key = ANY($1) AND expires_ns < $2`, match, un)
				if err != nil {
					return s.fail(op, err)
				}
				extended += int(tag.RowsAffected())
				return nil
			})
			if err != nil {
				return extended, err
			}
		}
		if len(keys) < s.expiryBatch {
			return extended, nil
		}
		after = keys[len(keys)-1]
	}
}

// instantPreamble checks, before an operation named op as of t (an expiry,
// a counter reservation or read), that the store is usable, ctx not done
// and t a valid instant.
func (s *Store) instantPreamble(ctx context.Context, op string, t time.Time) error {
	if err := s.check(op); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pgstore: %s: %w", op, err)
	}
	if err := storage.ValidateInstant(t); err != nil {
		return fmt.Errorf("pgstore: %s: %w", op, err)
	}
	return nil
}

// ExpireRuns deletes, as of t, every run record that no longer counts (its
// instant plus its rule's window is at or before t), and then the rows of run
// keys left without records whose closing, if any, has ended by t; it
// returns how many records it deleted. It works in batches as ExpireCounters
// does, skipping what a RecordRun holds; a key row is deleted only while
// locked and found empty, so a record made under it first keeps it, and a
// RecordRun that made sure of the row just before it was deleted starts
// again. A database without run tables (its fleet keeps its runs elsewhere)
// is left as it is. Records written without an expiry (by a build before
// schema version 5) are kept. As for ExpireCounters, hosts sharing the
// store should pass an instant earlier than their clock by the clocks'
// possible skew.
func (s *Store) ExpireRuns(ctx context.Context, t time.Time) (int, error) {
	const op = "expire runs"
	if err := s.instantPreamble(ctx, op, t); err != nil {
		return 0, err
	}
	if s.runExpiryMigration == nil {
		return 0, nil
	}
	if !s.runsReady.Load() {
		// Only where run state is kept already: never create the tables.
		var exists bool
		if err := s.pool.QueryRow(ctx, `SELECT to_regclass('run_values') IS NOT NULL`).Scan(&exists); err != nil {
			return 0, s.fail(op, err)
		}
		if !exists {
			return 0, nil
		}
		if err := s.ensureRuns(ctx, op); err != nil {
			return 0, err
		}
	}
	tn := t.UnixNano()
	removed, err := s.deleteExpired(ctx, op, `DELETE FROM run_values WHERE id IN
		(SELECT id FROM run_values WHERE expires_ns <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, tn)
	if err != nil {
		return removed, err
	}
	_, err = s.deleteEmptyKeys(ctx, op, "run_keys",
		`DELETE FROM run_keys k WHERE k.key = ANY($1) AND (k.closed_until_ns IS NULL OR k.closed_until_ns <= $2)
			AND NOT EXISTS (SELECT 1 FROM run_values v WHERE v.key = k.key)`, tn)
	return removed, err
}
