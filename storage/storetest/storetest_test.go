package storetest_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
	"github.com/dialgate/dialgate/storage/storetest"
)

// racy checks then reserves in two steps: the classic check-then-act bug.
type racy struct {
	*memstore.Store
}

func (r racy) Reserve(ctx context.Context, id string, t time.Time, limits []storage.Limit) (bool, []storage.Usage, error) {
	u, err := r.Usage(ctx, t, limits)
	if err != nil {
		return false, nil, err
	}
	for _, x := range u {
		if x.Exceeded {
			return false, u, nil
		}
	}
	time.Sleep(time.Millisecond) // widen the window a real back-end has
	big := make([]storage.Limit, len(limits))
	for i, l := range limits {
		l.Max = 1 << 30
		big[i] = l
	}
	_, _, err = r.Store.Reserve(ctx, id, t, big)
	return err == nil, u, err
}

func TestCheckCountersCatchesBrokenStores(t *testing.T) {
	ctx := context.Background()
	err := storetest.CheckCounters(ctx, func() (storage.Counters, error) {
		return racy{memstore.New()}, nil
	})
	if err == nil || !strings.Contains(err.Error(), "Race64") {
		t.Errorf("a check-then-act store passed the race cases: %v", err)
	}

	err = storetest.CheckCounters(ctx, func() (storage.Counters, error) {
		return memstore.New(), nil
	}, storetest.WithReopen(func(old any) (any, error) { return memstore.New(), nil }))
	if err == nil || !strings.Contains(err.Error(), "Reopen") {
		t.Errorf("a store that forgets on reopen passed the durability case: %v", err)
	}
}

func TestRunFindsCounters(t *testing.T) {
	storetest.Run(t, func(t *testing.T) any {
		s := memstore.New()
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// racyRuns decides a record on what it read before, without holding its
// lock in between: two records of one segment can both pass.
type racyRuns struct {
	mu   sync.Mutex
	vals []int
	ids  map[string]bool
}

func (r *racyRuns) length(x int, p storage.RunParams) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 1
	for _, v := range r.vals {
		if v != x && v-x <= p.MaxGap+1 && x-v <= p.MaxGap+1 {
			n++
		}
	}
	return n
}

func (r *racyRuns) RunLength(_ context.Context, _ string, x int, _ time.Time, p storage.RunParams) (int, error) {
	return r.length(x, p), nil
}

func (r *racyRuns) RecordRun(_ context.Context, id, _ string, x int, _ time.Time, p storage.RunParams) (int, bool, error) {
	if n := r.length(x, p); n >= p.MinRun {
		return n, false, nil
	}
	time.Sleep(time.Millisecond) // widen the window a real back-end has
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ids == nil {
		r.ids = map[string]bool{}
	}
	r.ids[id] = true
	if !slices.Contains(r.vals, x) {
		r.vals = append(r.vals, x)
	}
	return 0, true, nil
}

func (r *racyRuns) ReleaseRun(context.Context, string) error { return nil }

func TestCheckRunsCatchesBrokenStores(t *testing.T) {
	ctx := context.Background()
	err := storetest.CheckRuns(ctx, func() (storage.Runs, error) { return &racyRuns{}, nil })
	if err == nil || !strings.Contains(err.Error(), "Runs/Race64:") {
		t.Errorf("a check-then-act store passed the race case: %v", err)
	}
	err = storetest.CheckRuns(ctx, func() (storage.Runs, error) {
		return memstore.New(), nil
	}, storetest.WithReopen(func(old any) (any, error) { return memstore.New(), nil }))
	if err == nil || !strings.Contains(err.Error(), "Reopen") {
		t.Errorf("a store that forgets on reopen passed the durability case: %v", err)
	}
}
