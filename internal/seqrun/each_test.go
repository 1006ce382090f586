package seqrun

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// lengthLoop and addLoop are the loops package sweep ran over a dial's
// spots before LengthEach and AddEach (a lock per spot): the test oracle.
func lengthLoop(r *Set[string], spots []Spot[string], t int64, min int) (int, int) {
	for i, sp := range spots {
		if n := r.Length(sp.K, sp.X, t); n >= min {
			return n, i
		}
	}
	return 0, -1
}

func addLoop(r *Set[string], spots []Spot[string], t int64) (int, int) {
	for i, sp := range spots {
		if n, ok := r.Add(sp.ID, sp.K, sp.X, t); !ok {
			return n, i
		}
	}
	return 0, -1
}

// TestEachOracle drives two Sets through the same random dials — one with
// LengthEach and AddEach, one with the loops of Length and Add — with
// releases and time moving on, and compares every answer and, at the end,
// the length every key and value gives.
func TestEachOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for round := range 40 {
		minRun, maxGap, window := 2+r.IntN(5), r.IntN(3), int64(50+r.IntN(200))
		got, want := New[string](minRun, maxGap, window), New[string](minRun, maxGap, window)
		now := int64(1000)
		var ids []string
		for step := range 600 {
			now += int64(r.IntN(5))
			spots := make([]Spot[string], 1+r.IntN(3))
			id := "d" + strconv.Itoa(step)
			for i := range spots {
				spots[i] = Spot[string]{ID: id + "~" + strconv.Itoa(i), K: "k" + strconv.Itoa(r.IntN(4)), X: r.IntN(40)}
			}
			if r.IntN(10) == 0 && len(ids) > 0 { // a held id again
				spots[0].ID = ids[r.IntN(len(ids))]
			}
			switch r.IntN(3) {
			case 0:
				min := minRun + r.IntN(2) - 1
				gn, gi := got.LengthEach(spots, now, min)
				wn, wi := lengthLoop(want, spots, now, min)
				if gn != wn || gi != wi {
					t.Fatalf("round %d step %d: LengthEach %d %d, the loop %d %d", round, step, gn, gi, wn, wi)
				}
			case 1:
				gn, gi := got.AddEach(spots, now)
				wn, wi := addLoop(want, spots, now)
				if gn != wn || gi != wi {
					t.Fatalf("round %d step %d: AddEach %d %d, the loop %d %d", round, step, gn, gi, wn, wi)
				}
				for _, sp := range spots {
					ids = append(ids, sp.ID)
				}
			case 2:
				if len(ids) > 0 {
					id := ids[r.IntN(len(ids))]
					got.Release(id)
					want.Release(id)
				}
			}
		}
		for k := range 4 {
			for x := range 40 {
				key := "k" + strconv.Itoa(k)
				if g, w := got.Length(key, x, now), want.Length(key, x, now); g != w {
					t.Fatalf("round %d: at the end Length(%s, %d) %d, the oracle %d", round, key, x, g, w)
				}
			}
		}
	}
}
