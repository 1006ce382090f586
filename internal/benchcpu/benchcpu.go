// Package benchcpu reports the process CPU time per benchmark operation, a
// figure that stays meaningful on a busy machine where wall time per op does
// not (other processes take the CPU while a benchmark waits).
package benchcpu

import "testing"

// Start returns a function that, called at the end of a benchmark, reports
// "cpu-ns/op": user plus system CPU time of the whole process since Start,
// divided by b.N. It includes GC and every goroutine of the process.
func Start(b *testing.B) (stop func()) {
	b.Helper()
	t0 := ProcessTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(ProcessTime()-t0)/float64(b.N), "cpu-ns/op")
		}
	}
}
