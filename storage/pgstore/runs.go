package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dialgate/dialgate/internal/seqrun"
	"github.com/dialgate/dialgate/storage"
)

var _ storage.Runs = (*Store)(nil)

// runArgs checks a Runs call's arguments and that the run tables exist,
// creating them on the first call (schema version 3, see the package doc).
func (s *Store) runArgs(ctx context.Context, op, key string, x int, t time.Time, p storage.RunParams) error {
	if err := s.check(op); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pgstore: %s: %w", op, err)
	}
	if err := storage.ValidateRun(key, x, t, p); err != nil {
		return fmt.Errorf("pgstore: %s: %w", op, err)
	}
	return s.ensureRuns(ctx, op)
}

// ensureRuns creates the run tables and records their schema version, once
// per database (the first call of any process) and checked once per Store.
func (s *Store) ensureRuns(ctx context.Context, op string) error {
	if s.runsReady.Load() {
		return nil
	}
	if s.runsMigration == nil {
		return fmt.Errorf("pgstore: %s: this build has no run tables (schema version %d): %w", op, schemaSweepRuns, storage.ErrInvalid)
	}
	if err := s.applyFirstUse(ctx, op+": create run tables", s.runsMigration); err != nil {
		return err
	}
	if s.runExpiryMigration != nil {
		if err := s.applyFirstUse(ctx, op+": add run expiry", s.runExpiryMigration); err != nil {
			return err
		}
	}
	s.runsReady.Store(true)
	return nil
}

// runQuerier is what runWalk reads with: the pool or a transaction.
type runQuerier interface {
	querier
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// The statements of runWalk. runDownSQL and runUpSQL read the values within
// a span below or above a value; runValuesSQL reads every value of a key
// counted (recorded after a cutoff), in order, for a rule with a max step:
// a progression with up to MaxGap members in a row missing may reach any
// of the key's values, so no span bounds the read (a key holds the values
// dialled under it within a window and storage.PruneMargin: a sequential
// key at most its segment's 10,000 suffixes). They read run_values_key_x.
const (
	runDownSQL   = `SELECT DISTINCT x FROM run_values WHERE key = $1 AND x < $2 AND x >= $3 AND at_ns > $4 ORDER BY x DESC`
	runUpSQL     = `SELECT DISTINCT x FROM run_values WHERE key = $1 AND x > $2 AND x <= $3 AND at_ns > $4 ORDER BY x`
	runValuesSQL = `SELECT DISTINCT x FROM run_values WHERE key = $1 AND at_ns > $2 ORDER BY x`
)

// runWalk returns the length of the run x makes among the values recorded
// under key after cutoff (x counted once), with p. With p.MaxStep it reads
// the key's counted values (runValuesSQL, one round trip) and measures the
// run on them with seqrun.RunLength, the in-memory store's code: a
// progression with missing members may reach any of them. Without, it
// walks from x down and up, in steps of at most MaxGap+1, reading the
// values MinRun*(MaxGap+1) at a time: the first reads of both directions
// go in one batch (one round trip); a walk goes on, a read a round trip,
// only while every value read is in the run.
func (s *Store) runWalk(ctx context.Context, q runQuerier, op, key string, x int, p storage.RunParams, cutoff int64) (int, error) {
	if p.MaxStep != 0 {
		rows, err := q.Query(ctx, runValuesSQL, key, cutoff)
		if err != nil {
			return 0, s.fail(op, err)
		}
		vals, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			return 0, s.fail(op, err)
		}
		return seqrun.RunLength(vals, x, p.MaxGap, p.MaxStep), nil
	}
	step := p.MaxGap + 1
	span := p.MinRun * step
	b := &pgx.Batch{}
	b.Queue(runDownSQL, key, x, x-span, cutoff)
	b.Queue(runUpSQL, key, x, x+span, cutoff)
	br := q.SendBatch(ctx, b)
	var (
		first [2][]int
		err   error
	)
	for i := range first {
		rows, qerr := br.Query()
		if qerr != nil {
			err = qerr
			break
		}
		if first[i], err = pgx.CollectRows(rows, pgx.RowTo[int]); err != nil {
			break
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, s.fail(op, err)
	}
	n := 1
	for i, down := range []bool{true, false} {
		prev, vals := x, first[i]
		for {
			// Every value within span of prev was read: none means no
			// neighbour within step; all of them in the run means the run
			// may go on past them.
			more := len(vals) > 0
			for _, v := range vals {
				if d := v - prev; d > step || -d > step {
					more = false
					break
				}
				n++
				prev = v
			}
			if !more {
				break
			}
			var rows pgx.Rows
			if down {
				rows, err = q.Query(ctx, runDownSQL, key, prev, prev-span, cutoff)
			} else {
				rows, err = q.Query(ctx, runUpSQL, key, prev, prev+span, cutoff)
			}
			if err != nil {
				return 0, s.fail(op, err)
			}
			if vals, err = pgx.CollectRows(rows, pgx.RowTo[int]); err != nil {
				return 0, s.fail(op, err)
			}
		}
	}
	return n, nil
}

// runBounds returns the instant at or before which records no longer count
// at t, and the end of a closing made at t.
func runBounds(t time.Time, p storage.RunParams) (cutoff, until int64) {
	tn := t.UnixNano() // storage.ValidateRun keeps t, t±Window within int64
	return tn - int64(p.Window), tn + int64(p.Window)
}

// RunLength returns the length of the run x would make under key at t. It
// reads without locking; when it finds a run it closes the key (an UPDATE
// that keeps a closing made meanwhile). See storage.Runs.
func (s *Store) RunLength(ctx context.Context, key string, x int, t time.Time, p storage.RunParams) (int, error) {
	const op = "run length"
	if err := s.runArgs(ctx, op, key, x, t, p); err != nil {
		return 0, err
	}
	tn := t.UnixNano()
	cutoff, until := runBounds(t, p)
	var (
		closedUntil *int64
		closedRun   int
	)
	err := s.pool.QueryRow(ctx, `SELECT closed_until_ns, closed_run FROM run_keys WHERE key = $1 AND `+s.identityCond(), key).Scan(&closedUntil, &closedRun)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return 1, nil // nothing was ever recorded under key
	case err != nil:
		return 0, s.fail(op, err)
	}
	if closedUntil != nil && tn < *closedUntil && closedRun > 0 {
		return closedRun, nil
	}
	n, err := s.runWalk(ctx, s.pool, op, key, x, p, cutoff)
	if err != nil {
		return 0, err
	}
	if n >= p.MinRun {
		if _, err := s.pool.Exec(ctx, `UPDATE run_keys SET closed_until_ns = $2, closed_run = $3
			WHERE key = $1 AND (closed_until_ns IS NULL OR closed_until_ns <= $4 OR closed_run <= 0)`, key, until, n, tn); err != nil {
			return 0, s.fail(op, err)
		}
	}
	return n, nil
}

// RecordRun records x under key at t for id unless that would make a run,
// in one transaction holding the key's row lock. See storage.Runs.
func (s *Store) RecordRun(ctx context.Context, id, key string, x int, t time.Time, p storage.RunParams) (int, bool, error) {
	const op = "record run"
	if err := storage.ValidateID(id); err != nil {
		return 0, false, fmt.Errorf("pgstore: %s: %w", op, err)
	}
	if err := s.runArgs(ctx, op, key, x, t, p); err != nil {
		return 0, false, err
	}
	tn := t.UnixNano()
	cutoff, until := runBounds(t, p)
	var (
		n  int
		ok bool
	)
	expiring := s.runExpiryMigration != nil
	err := s.inTxRelock(ctx, op, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO run_keys (key) VALUES ($1) ON CONFLICT DO NOTHING`, key); err != nil {
			return s.fail(op, err)
		}
		// Records under one key queue here; each statement after the lock
		// reads what the ones before it committed (READ COMMITTED).
		var (
			closedUntil *int64
			closedRun   int
		)
		err := tx.QueryRow(ctx, `SELECT closed_until_ns, closed_run FROM run_keys WHERE key = $1 FOR UPDATE`, key).Scan(&closedUntil, &closedRun)
		if errors.Is(err, pgx.ErrNoRows) {
			return errRelock // expired (ExpireRuns) since the insert: insert it again
		}
		if err != nil {
			return s.fail(op+": lock", err)
		}
		var held bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM run_values WHERE id = $1)`, id).Scan(&held); err != nil {
			return s.fail(op, err)
		}
		if held {
			ok = true
			return nil
		}
		if closedUntil != nil && tn < *closedUntil && closedRun > 0 {
			n = closedRun
			return nil
		}
		// Records are kept storage.PruneMargin past the window, so that a
		// call whose clock is behind this one still counts every record its
		// window holds (runWalk counts only those after cutoff).
		// storage.ValidateRun keeps the bound within int64.
		pruned := cutoff - int64(storage.PruneMargin)
		if expiring {
			// Prune what left the window, and give the records stored
			// without an expiry (by a build before it) theirs.
			if _, err := tx.Exec(ctx, `WITH pruned AS (DELETE FROM run_values WHERE key = $1 AND at_ns <= $2)
				UPDATE run_values SET expires_ns = at_ns + $3 WHERE key = $1 AND at_ns > $2 AND expires_ns IS NULL`,
				key, pruned, int64(p.Window)); err != nil {
				return s.fail(op+": prune", err)
			}
		} else if _, err := tx.Exec(ctx, `DELETE FROM run_values WHERE key = $1 AND at_ns <= $2`, key, pruned); err != nil {
			return s.fail(op+": prune", err)
		}
		if n, err = s.runWalk(ctx, tx, op, key, x, p, cutoff); err != nil {
			return err
		}
		if n >= p.MinRun {
			if _, err := tx.Exec(ctx, `UPDATE run_keys SET closed_until_ns = $2, closed_run = $3 WHERE key = $1`, key, until, n); err != nil {
				return s.fail(op, err)
			}
			return nil
		}
		if expiring {
			// runBounds: storage.ValidateRun keeps tn+Window within int64.
			_, err = tx.Exec(ctx, `INSERT INTO run_values (id, key, x, at_ns, expires_ns) VALUES ($1, $2, $3, $4, $5)`, id, key, x, tn, until)
		} else {
			_, err = tx.Exec(ctx, `INSERT INTO run_values (id, key, x, at_ns) VALUES ($1, $2, $3, $4)`, id, key, x, tn)
		}
		if err != nil {
			return s.fail(op, err)
		}
		n, ok = 0, true
		return nil
	})
	if err != nil {
		return 0, false, err
	}
	return n, ok, nil
}

// ReleaseRun removes what RecordRun recorded for id. See storage.Runs.
func (s *Store) ReleaseRun(ctx context.Context, id string) error {
	const op = "release run"
	if err := s.check(op); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pgstore: %s: %w", op, err)
	}
	if err := s.ensureRuns(ctx, op); err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM run_values WHERE id = $1`, id); err != nil {
		return s.fail(op, err)
	}
	return nil
}
