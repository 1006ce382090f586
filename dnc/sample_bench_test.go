package dnc_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/dialgate/dialgate/dnc"
)

// BenchmarkSampleSwap1e7 measures the reload's swap check on two
// memory-mapped 10⁷-number copies, the second with 10 % of the first's
// numbers replaced by others (same count): "sample" is Snapshot.Sample of
// the copy in force (max 65,536: every 153rd number), "missing" is
// Snapshot.Missing of that sample in the new copy, "both" the whole check.
// Its cost does not grow with the copy's size (two binary searches and one
// lookup per sampled number), only with the sample.
func BenchmarkSampleSwap1e7(b *testing.B) {
	const max = 65_536
	vs := cnKeys(n7, 1)
	r := rand.New(rand.NewPCG(3, 3))
	next := slices.Clone(vs)
	for i := range next {
		if r.IntN(10) == 0 {
			next[i] = 8613000000000 + r.Uint64N(7_000_000_000)
		}
	}
	dir := b.TempDir()
	write := func(name string, nums []uint64) *dnc.Snapshot {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := dnc.WriteSnapshot(f, dnc.Header{Name: "reg", CreatedAt: time.Unix(0, 0)}, dnc.NewSet(nums)); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		s, err := dnc.OpenSnapshot(path)
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	cur, nw := write("cur.dnc", vs), write("next.dnc", next)
	vs, next = nil, nil
	sample, err := cur.Sample(max)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("sample", func(b *testing.B) {
		for b.Loop() {
			if _, err := cur.Sample(max); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(sample)), "numbers")
	})
	b.Run("missing", func(b *testing.B) {
		for b.Loop() {
			if _, err := nw.Missing(sample); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("both", func(b *testing.B) {
		var miss int
		for b.Loop() {
			s, err := cur.Sample(max)
			if err != nil {
				b.Fatal(err)
			}
			if miss, err = nw.Missing(s); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(100*float64(miss)/float64(len(sample)), "%missing")
	})
}
