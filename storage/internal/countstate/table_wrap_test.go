package countstate

import (
	"math/rand/v2"
	"testing"
)

// Random hashes over small tables: probe runs wrap around the end of the
// slice, which TestTableCollisions (every home slot 0) never exercises.
func TestTableWrap(t *testing.T) {
	for seed := range uint64(300) {
		rnd := rand.New(rand.NewPCG(seed, 3))
		var tb table
		hashOf := map[int32]uint32{}
		live := map[int32]bool{}
		var next int32
		for step := 0; step < 3000; step++ {
			if rnd.IntN(2) == 0 && len(live) > 0 {
				for idx := range live {
					if !tb.remove(hashOf[idx], idx) {
						t.Fatalf("seed %d: remove %d failed", seed, idx)
					}
					delete(live, idx)
					break
				}
			} else {
				idx := next
				next++
				// high bits vary (hash identity), low bits cluster near the end
				h := uint32(rnd.IntN(1<<16))<<16 | uint32(0xFFFF-rnd.IntN(4))
				hashOf[idx] = h
				pos, got := tb.find(h, func(i int32) bool { return i == idx })
				if got >= 0 {
					t.Fatalf("found before insert")
				}
				tb.insert(pos, h, idx)
				live[idx] = true
			}
			for idx := range live {
				if _, got := tb.find(hashOf[idx], func(i int32) bool { return i == idx }); got != idx {
					t.Fatalf("seed %d step %d: %d not found (got %d)", seed, step, idx, got)
				}
			}
			if tb.n != len(live) {
				t.Fatalf("n %d live %d", tb.n, len(live))
			}
		}
	}
}
