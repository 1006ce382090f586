package pgstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
)

// A dense key (1,200 random values of 10,000, a third recorded an hour and
// a half before: kept past the window, not counted) answers run lengths as
// memstore does with a max step of 1,000 and of 100 (MinRun too high to
// close the key, so that each answer is a length): the progression query
// and the gap walk's batch.
func TestRunsProgressionDenseKeyMatchesMemstore(t *testing.T) {
	url := pgURL(t)
	rs := open(t, url, newSchema(t, url))
	ms := memstore.New()
	ctx := context.Background()
	at := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, maxStep := range []int{100, 1000} {
		p := storage.RunParams{MinRun: storage.MaxRunLength, MaxGap: 2, MaxStep: maxStep, Window: time.Hour}
		key := fmt.Sprint("dense", maxStep)
		rng := rand.New(rand.NewPCG(uint64(maxStep), 5))
		for i, x := range rng.Perm(10000)[:1200] {
			t1 := at
			if i%3 == 0 {
				t1 = at.Add(-90 * time.Minute)
			}
			id := fmt.Sprint("d", maxStep, "-", i)
			n1, ok1, err1 := rs.RecordRun(ctx, id, key, x, t1, p)
			n2, ok2, err2 := ms.RecordRun(ctx, id, key, x, t1, p)
			if err1 != nil || err2 != nil || n1 != n2 || ok1 != ok2 {
				t.Fatalf("max_step %d: RecordRun(%d): redis %d %v %v, memstore %d %v %v", maxStep, x, n1, ok1, err1, n2, ok2, err2)
			}
		}
		probe := at.Add(time.Minute)
		longest, start, calls := 0, time.Now(), 0
		for x := 0; x < 10000; x += 29 {
			n1, err1 := rs.RunLength(ctx, key, x, probe, p)
			n2, err2 := ms.RunLength(ctx, key, x, probe, p)
			if err1 != nil || err2 != nil || n1 != n2 {
				t.Fatalf("max_step %d: RunLength(%d): redis %d %v, memstore %d %v", maxStep, x, n1, err1, n2, err2)
			}
			longest = max(longest, n1)
			calls++
		}
		t.Logf("max_step %d: %v a RunLength (with memstore's)", maxStep, time.Since(start)/time.Duration(calls))
		if longest < 4 {
			t.Fatalf("max_step %d: longest run %d: the key should hold progressions", maxStep, longest)
		}
	}
}
