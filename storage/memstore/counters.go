package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/dialgate/dialgate/storage"
)

// Usage reports the usage of each limit at t without reserving. See
// storage.Counters.
func (s *Store) Usage(ctx context.Context, t time.Time, limits []storage.Limit) ([]storage.Usage, error) {
	if err := s.countersArgs(ctx, "usage", t, limits); err != nil {
		return nil, err
	}
	return s.counters.Usage(t, limits), nil
}

// Reserve checks every limit at t and, only if none would be exceeded, records
// id under every key, atomically. Idempotent by id. See storage.Counters.
func (s *Store) Reserve(ctx context.Context, id string, t time.Time, limits []storage.Limit) (bool, []storage.Usage, error) {
	if err := storage.ValidateID(id); err != nil {
		return false, nil, fmt.Errorf("memstore: reserve: %w", err)
	}
	if err := s.countersArgs(ctx, "reserve", t, limits); err != nil {
		return false, nil, err
	}
	ok, out, _ := s.counters.Reserve(id, 0, t, limits)
	return ok, out, nil
}

// ExpireCounters removes every entry older than the longest window its key
// was used with, at t. See storage.CounterExpirer.
func (s *Store) ExpireCounters(ctx context.Context, t time.Time) (int, error) {
	if err := s.check("expire"); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("memstore: expire: %w", err)
	}
	if err := storage.ValidateInstant(t); err != nil {
		return 0, fmt.Errorf("memstore: expire: %w", err)
	}
	return s.counters.Expire(t), nil
}

// Release removes everything recorded for id. See storage.Counters.
func (s *Store) Release(ctx context.Context, id string) error {
	if err := s.check("release"); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: release: %w", err)
	}
	s.counters.Release(id)
	return nil
}

func (s *Store) countersArgs(ctx context.Context, op string, t time.Time, limits []storage.Limit) error {
	if err := s.check(op); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: %s: %w", op, err)
	}
	if err := storage.ValidateInstant(t); err != nil {
		return fmt.Errorf("memstore: %s: %w", op, err)
	}
	if err := storage.ValidateLimits(limits); err != nil {
		return fmt.Errorf("memstore: %s: %w", op, err)
	}
	return nil
}

// CounterSize returns how many counter keys and held reservations the
// store keeps in memory (its counters' memory grows with them).
func (s *Store) CounterSize() (keys, reservations int) { return s.counters.Size() }
