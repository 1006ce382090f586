package memstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/dialgate/dialgate/internal/seqrun"
	"github.com/dialgate/dialgate/storage"
)

// runState is the storage.Runs state: one seqrun.Set per set of parameters
// but MaxStep (a key is always used with the same ones, its MaxStep aside:
// the calls measure progressions with their own, seqrun.Set.LengthStep).
type runState struct {
	mu   sync.Mutex
	sets map[storage.RunParams]*seqrun.Set[string]
}

// set returns the Set of p with MaxStep 0, creating it. s.mu is held.
func (s *runState) set(p storage.RunParams) *seqrun.Set[string] {
	p.MaxStep = 0
	r := s.sets[p]
	if r == nil {
		if s.sets == nil {
			s.sets = map[storage.RunParams]*seqrun.Set[string]{}
		}
		r = seqrun.New[string](p.MinRun, p.MaxGap, 0, int64(p.Window))
		s.sets[p] = r
	}
	return r
}

func (s *Store) runArgs(ctx context.Context, op, key string, x int, t time.Time, p storage.RunParams) error {
	if err := s.check(op); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: %s: %w", op, err)
	}
	if err := storage.ValidateRun(key, x, t, p); err != nil {
		return fmt.Errorf("memstore: %s: %w", op, err)
	}
	return nil
}

// RunLength returns the length of the run x would make under key at t. See
// storage.Runs.
func (s *Store) RunLength(ctx context.Context, key string, x int, t time.Time, p storage.RunParams) (int, error) {
	if err := s.runArgs(ctx, "run length", key, x, t, p); err != nil {
		return 0, err
	}
	s.runs.mu.Lock()
	defer s.runs.mu.Unlock()
	return s.runs.set(p).LengthStep(key, x, t.UnixNano(), p.MaxStep), nil
}

// RecordRun records x under key at t for id unless that would make a run.
// See storage.Runs.
func (s *Store) RecordRun(ctx context.Context, id, key string, x int, t time.Time, p storage.RunParams) (int, bool, error) {
	if err := storage.ValidateID(id); err != nil {
		return 0, false, fmt.Errorf("memstore: record run: %w", err)
	}
	if err := s.runArgs(ctx, "record run", key, x, t, p); err != nil {
		return 0, false, err
	}
	s.runs.mu.Lock()
	defer s.runs.mu.Unlock()
	for _, r := range s.runs.sets { // ids are global to the store's runs
		if r.Held(id) {
			return 0, true, nil
		}
	}
	n, ok := s.runs.set(p).AddStep(id, key, x, t.UnixNano(), p.MaxStep)
	return n, ok, nil
}

// ReleaseRun removes what RecordRun recorded for id. See storage.Runs.
func (s *Store) ReleaseRun(ctx context.Context, id string) error {
	if err := s.check("release run"); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: release run: %w", err)
	}
	s.runs.mu.Lock()
	defer s.runs.mu.Unlock()
	for _, r := range s.runs.sets {
		r.Release(id)
	}
	return nil
}
