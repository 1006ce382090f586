package seqrun

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// gapLen is the gap walk over counted values: neighbours at most g apart.
func gapLen(counted map[int]bool, x, g int) int {
	n := 1
	for _, dir := range []int{-1, 1} {
		for y := x; ; {
			next := false
			for k := 1; k <= g; k++ {
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

// naiveProgression is the longest progression holding x by brute force:
// every step from g+1 to maxStep, walked both ways to the nearest counted
// member at most g steps on.
func naiveProgression(counted map[int]bool, x, g, maxStep int) int {
	best := 1
	for s := g + 1; s <= maxStep; s++ {
		n := 1
		for _, dir := range []int{-1, 1} {
			for y := x; ; {
				next := false
				for k := 1; k <= g; k++ {
					if z := y + dir*k*s; z >= 0 && counted[z] {
						y, next = z, true
						n++
						break
					}
				}
				if !next {
					break
				}
			}
		}
		best = max(best, n)
	}
	return best
}

// Progression, given a key's counted values in any order and with
// repeats, answers as a brute-force walk of every step, and together with
// the gap walk (and RunLength) as a Set's Length: what stores keeping their values
// elsewhere (pgstore) rely on to answer as memstore.
func TestRunLengthMatchesSet(t *testing.T) {
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 7))
		maxGap := rng.IntN(4)
		maxStep := maxGap + 2 + rng.IntN(40)
		span := []int{100, 1000, 20000}[seed%3]
		r := New[string](1<<30, maxGap, maxStep, 1000)
		counted := map[int]bool{}
		var vals []int
		for i, x := range rng.Perm(span)[:5+rng.IntN(span/3)] {
			at := int64(2000)
			if rng.IntN(4) == 0 {
				at = 500 // outside the window at 2000: kept, not counted
			} else {
				counted[x] = true
				vals = append(vals, x)
				if rng.IntN(5) == 0 {
					vals = append(vals, x) // a repeat
				}
			}
			r.Add("d"+strconv.Itoa(i), "k", x, at)
		}
		rng.Shuffle(len(vals), func(i, j int) { vals[i], vals[j] = vals[j], vals[i] })
		for range 80 {
			x := rng.IntN(span)
			p := Progression(vals, x, maxGap, maxStep)
			if want := naiveProgression(counted, x, maxGap+1, maxStep); p != want {
				t.Fatalf("seed %d (max gap %d, max step %d): Progression(%d) = %d, brute force %d", seed, maxGap, maxStep, x, p, want)
			}
			if got, want := max(gapLen(counted, x, maxGap+1), p), r.Length("k", x, 2100); got != want {
				t.Fatalf("seed %d (max gap %d, max step %d): Progression(%d) with the gap walk = %d, Set %d", seed, maxGap, maxStep, x, got, want)
			}
			if got, want := RunLength(vals, x, maxGap, maxStep), r.Length("k", x, 2100); got != want {
				t.Fatalf("seed %d (max gap %d, max step %d): RunLength(%d) = %d, Set %d", seed, maxGap, maxStep, x, got, want)
			}
		}
	}
	if n := Progression(nil, 5, 2, 100); n != 1 {
		t.Fatalf("no values: %d, want 1", n)
	}
	if n := Progression([]int{1, 5, 9}, 13, 2, 3); n != 1 {
		t.Fatalf("max step within the gap rule: %d, want 1", n)
	}
}
