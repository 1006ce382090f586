package pgstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/dialgate/dialgate/internal/seqrun"
	"github.com/dialgate/dialgate/storage"
)

// BenchmarkRunLengthProgression is a RunLength call (the check) with a max
// step of 100 and a max gap of 2 (cn's) on a key holding n random values
// of 0–9999 (a tenant's segment dialled at that density within the
// window): the cost of the progression on PostgreSQL. Run with
// DIALGATE_TEST_POSTGRES=… go test -run '^$' -bench RunLengthProgression ./storage/pgstore
func BenchmarkRunLengthProgression(b *testing.B) {
	url := pgURL(b)
	ctx := context.Background()
	s := open(b, url, newSchema(b, url))
	// MinRun at its bound: no call closes the key, every call walks.
	rp := storage.RunParams{MinRun: storage.MaxRunLength, MaxGap: 2, MaxStep: 100, Window: 24 * time.Hour}
	for _, n := range []int{300, 3000} {
		key := "bench/" + strconv.Itoa(n)
		rng := rand.New(rand.NewPCG(1, uint64(n)))
		for i, x := range rng.Perm(10000)[:n] {
			if _, ok, err := s.RecordRun(ctx, fmt.Sprintf("b%d-%d", n, i), key, x, runT0, rp); err != nil || !ok {
				b.Fatalf("record %d: %v %v", x, ok, err)
			}
		}
		b.Run("values="+strconv.Itoa(n), func(b *testing.B) {
			xs := rng.Perm(10000)
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.RunLength(ctx, key, xs[i%len(xs)], runT0.Add(time.Second), rp); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// gapLength is the gap walk of a run (storage.Runs) over the counted
// values: neighbours at most maxGap+1 apart, x counted once.
func gapLength(counted map[int]bool, x, maxGap int) int {
	n := 1
	for _, dir := range []int{-1, 1} {
		for y := x; ; {
			next := false
			for k := 1; k <= maxGap+1; k++ {
				if counted[y+dir*k] {
					y, next = y+dir*k, true
					n++
					break
				}
			}
			if !next {
				break
			}
		}
	}
	return n
}

// TestRunLengthProgressionMatchesSeqrun: over random keys (values of a
// small or a whole segment, some recorded before the window: kept, not
// counted; some released), random max gaps and max steps, RunLength
// answers the larger of the gap walk and seqrun.Progression over the
// counted values, for values recorded and not.
func TestRunLengthProgressionMatchesSeqrun(t *testing.T) {
	url := pgURL(t)
	ctx := context.Background()
	s := open(t, url, newSchema(t, url))
	for seed := range uint64(12) {
		rng := rand.New(rand.NewPCG(seed, 20))
		maxGap := rng.IntN(4)
		maxStep := maxGap + 2 + rng.IntN(60)
		rp := storage.RunParams{MinRun: storage.MaxRunLength, MaxGap: maxGap, MaxStep: maxStep, Window: time.Hour}
		key := "diff/" + strconv.FormatUint(seed, 10)
		span := []int{200, 2000, 10000}[seed%3]
		n := 20 + rng.IntN(span/4)
		counted := map[int]bool{}
		var vals []int
		for i, x := range rng.Perm(span)[:n] {
			at := runT0
			old := rng.IntN(4) == 0
			if old {
				at = runT0.Add(-90 * time.Minute) // past the window, within the prune margin
			}
			id := fmt.Sprintf("d%d-%d", seed, i)
			if _, ok, err := s.RecordRun(ctx, id, key, x, at, rp); err != nil || !ok {
				t.Fatalf("seed %d: record %d: %v %v", seed, x, ok, err)
			}
			switch {
			case rng.IntN(10) == 0:
				if err := s.ReleaseRun(ctx, id); err != nil {
					t.Fatal(err)
				}
			case !old:
				counted[x] = true
				vals = append(vals, x)
			}
		}
		if gapLength(counted, 0, maxGap) >= storage.MaxRunLength {
			t.Fatalf("seed %d: the key would close", seed)
		}
		for range 60 {
			x := rng.IntN(span)
			want := max(gapLength(counted, x, maxGap), seqrun.Progression(vals, x, maxGap, maxStep))
			got, err := s.RunLength(ctx, key, x, runT0.Add(time.Minute), rp)
			if err != nil || got != want {
				t.Fatalf("seed %d (max gap %d, max step %d, %d values): RunLength(%d) = %d, %v; want %d", seed, maxGap, maxStep, len(vals), x, got, err, want)
			}
		}
	}
}
