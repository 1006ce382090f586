package seqrun

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// BenchmarkLength is a Length call on a key holding n random values of
// 0–9999 (a tenant's segment dialled at that density within the window),
// without and with a max step of 100 (cn's and us-ok's): the cost the
// progression adds per dial.
func BenchmarkLength(b *testing.B) {
	for _, n := range []int{20, 200, 1000} {
		for _, maxStep := range []int{0, 100} {
			b.Run("values="+strconv.Itoa(n)+"/max_step="+strconv.Itoa(maxStep), func(b *testing.B) {
				r := New[string](1<<30, 2, maxStep, 1<<40)
				rng := rand.New(rand.NewPCG(1, 2))
				for i, x := range rng.Perm(10000)[:n] {
					r.Add("d"+strconv.Itoa(i), "k", x, 1)
				}
				xs := rng.Perm(10000)
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					r.Length("k", xs[i%len(xs)], 2)
					i++
				}
			})
		}
	}
}
