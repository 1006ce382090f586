package pgstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/internal/window"
)

var _ storage.Counters = (*Store)(nil)

func (s *Store) countersArgs(ctx context.Context, op string, t time.Time, limits []storage.Limit) error {
	if err := s.instantPreamble(ctx, op, t); err != nil {
		return err
	}
	if err := storage.ValidateLimits(limits); err != nil {
		return fmt.Errorf("pgstore: %s: %w", op, err)
	}
	return nil
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// tallies reports every limit at t from the entries stored under its key.
// cond is "" in a transaction (its BEGIN checked the store's identity) and
// " AND " + identityCond() on the pool.
func (s *Store) tallies(ctx context.Context, q querier, op string, t time.Time, limits []storage.Limit, cond string) ([]storage.Usage, error) {
	tn := t.UnixNano()
	out := make([]storage.Usage, len(limits))
	byKey := map[string][]window.Entry{}
	for i, l := range limits {
		es, ok := byKey[l.Key]
		if !ok {
			// Every entry a limit of this key could count: the longest window.
			longest := l.Window
			for _, o := range limits {
				if o.Key == l.Key && o.Window > longest {
					longest = o.Window
				}
			}
			rows, err := q.Query(ctx, `SELECT at_ns, member FROM counter_entries WHERE key = $1 AND at_ns > $2`+cond+` ORDER BY at_ns`, l.Key, tn-int64(longest))
			if err != nil {
				return nil, s.fail(op, err)
			}
			for rows.Next() {
				var e window.Entry
				if err := rows.Scan(&e.At, &e.Member); err != nil {
					rows.Close()
					return nil, s.fail(op, err)
				}
				es = append(es, e)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, s.fail(op, err)
			}
			byKey[l.Key] = es
		}
		members := slices.ContainsFunc(es, func(e window.Entry) bool { return e.Member != "" })
		out[i] = window.Tally(es, t, l, members)
	}
	return out, nil
}

// Usage reports the usage of each limit at t without reserving. See
// storage.Counters.
func (s *Store) Usage(ctx context.Context, t time.Time, limits []storage.Limit) ([]storage.Usage, error) {
	if err := s.countersArgs(ctx, "usage", t, limits); err != nil {
		return nil, err
	}
	// Outside a transaction: the store's identity is checked in each query
	// (the caps' Check and the abandoned-call guard decide from it).
	return s.tallies(ctx, s.pool, "usage", t, limits, " AND "+s.identityCond())
}

// Reserve checks every limit at t and, only if none would be exceeded, records
// id under every key that is not check-only, in one transaction holding a
// row lock per key (check-only keys included). See storage.Counters.
func (s *Store) Reserve(ctx context.Context, id string, t time.Time, limits []storage.Limit) (bool, []storage.Usage, error) {
	if err := storage.ValidateID(id); err != nil {
		return false, nil, fmt.Errorf("pgstore: reserve: %w", err)
	}
	if err := s.countersArgs(ctx, "reserve", t, limits); err != nil {
		return false, nil, err
	}
	expiring, err := s.ensureCounterExpiry(ctx, "reserve")
	if err != nil {
		return false, nil, err
	}
	var keys []string
	for _, l := range limits {
		if !slices.Contains(keys, l.Key) {
			keys = append(keys, l.Key)
		}
	}
	slices.Sort(keys)
	var (
		ok  bool
		out []storage.Usage
	)
	err = s.inTxRelock(ctx, "reserve", func(tx pgx.Tx) error {
		if err := s.lockCounterKeys(ctx, tx, keys); err != nil {
			return err
		}
		var err error
		out, err = s.tallies(ctx, tx, "reserve", t, limits, "")
		if err != nil {
			return err
		}
		var held bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM counter_entries WHERE id = $1)`, id).Scan(&held); err != nil {
			return s.fail("reserve", err)
		}
		if held {
			ok = true
			return nil
		}
		for _, u := range out {
			if u.Exceeded {
				return nil
			}
		}
		ok = true
		tn := t.UnixNano()
		for i, l := range limits {
			first := !l.CheckOnly // a check-only key is tallied, never written
			for _, o := range limits[:i] {
				if o.Key == l.Key {
					first = false
				}
			}
			if !first {
				continue
			}
			longest := l.Window
			for _, o := range limits[i+1:] {
				if o.Key == l.Key && o.Window > longest {
					longest = o.Window
				}
			}
			if !expiring {
				// A build without the entries' expiry (tests of older builds).
				if _, err := tx.Exec(ctx, `DELETE FROM counter_entries WHERE key = $1 AND at_ns <= $2`, l.Key, tn-int64(longest)); err != nil {
					return s.fail("reserve: prune", err)
				}
				if _, err := tx.Exec(ctx, `INSERT INTO counter_entries (key, id, at_ns, member) VALUES ($1, $2, $3, $4)`, l.Key, id, tn, l.Member); err != nil {
					return s.fail("reserve", err)
				}
				continue
			}
			// Prune what left the window, and give the entries stored
			// without an expiry (by a build before it) theirs: one
			// statement, on disjoint rows. An entry whose own expiry is
			// still ahead is kept: ExtendCounterExpiry kept it for a
			// lengthened window a later configuration still counts it
			// with (or a reservation with a longer window made it);
			// ExpireCounters deletes it when its expiry passes. The
			// tallies count by window, so keeping it denies no more.
			if _, err := tx.Exec(ctx, `WITH pruned AS (DELETE FROM counter_entries WHERE key = $1 AND at_ns <= $2 AND (expires_ns IS NULL OR expires_ns <= $4))
				UPDATE counter_entries SET expires_ns = at_ns + $3 WHERE key = $1 AND at_ns > $2 AND expires_ns IS NULL`,
				l.Key, tn-int64(longest), int64(longest), tn); err != nil {
				return s.fail("reserve: prune", err)
			}
			// storage.ValidateInstant and MaxWindow keep tn+longest within int64.
			if _, err := tx.Exec(ctx, `INSERT INTO counter_entries (key, id, at_ns, member, expires_ns) VALUES ($1, $2, $3, $4, $5)`,
				l.Key, id, tn, l.Member, tn+int64(longest)); err != nil {
				return s.fail("reserve", err)
			}
		}
		return nil
	})
	if err != nil {
		return false, nil, err
	}
	return ok, out, nil
}

// lockCounterKeys makes sure every key has its row and locks them all, in
// key order: concurrent reservations on overlapping keys queue here and
// cannot deadlock. Check-only keys are locked too, so that what is recorded
// under them (by other reservations) cannot slip between the tally and the
// commit. When ExpireCounters deleted a row between the insert and the lock
// (it deletes the rows of keys without entries), the lock misses it and
// errRelock makes inTxRelock run the transaction again: a reservation never
// goes on without the lock of each of its keys.
func (s *Store) lockCounterKeys(ctx context.Context, tx pgx.Tx, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO counter_keys (key) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`, keys); err != nil {
		return s.fail("reserve", err)
	}
	tag, err := tx.Exec(ctx, `SELECT key FROM counter_keys WHERE key = ANY($1) ORDER BY key FOR UPDATE`, keys)
	if err != nil {
		return s.fail("reserve: lock", err)
	}
	if tag.RowsAffected() != int64(len(keys)) {
		return errRelock
	}
	return nil
}

// errRelock is returned by a transaction's function when a key row it was
// to lock was deleted (by an expiry) after it made sure the row existed.
var errRelock = errors.New("pgstore: a key row was deleted before it was locked")

// lockAttempts bounds how many times inTxRelock runs a transaction whose
// key rows an expiry keeps deleting.
const lockAttempts = 8

// inTxRelock is inTxOnce, run again (from the start, its locks released) while
// fn returns errRelock.
func (s *Store) inTxRelock(ctx context.Context, op string, fn func(tx pgx.Tx) error) error {
	for range lockAttempts {
		if err := s.inTxOnce(ctx, op, fn); !errors.Is(err, errRelock) {
			return err
		}
	}
	return fmt.Errorf("pgstore: %s: lock: the key rows kept being expired meanwhile: %w", op, storage.ErrUnavailable)
}

// Release removes everything recorded for id. See storage.Counters.
func (s *Store) Release(ctx context.Context, id string) error {
	if err := s.check("release"); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pgstore: release: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM counter_entries WHERE id = $1`, id); err != nil {
		return s.fail("release", err)
	}
	return nil
}
