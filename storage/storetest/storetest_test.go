package storetest_test

import (
	"context"
	"strings"
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
