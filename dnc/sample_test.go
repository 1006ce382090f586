package dnc

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// Sample returns every k-th number of the snapshot in ascending order (k =
// ⌈Len/max⌉): at most max numbers, all of them when Len ≤ max, the same for
// the same copy — in memory and memory-mapped alike.
func TestSnapshotSample(t *testing.T) {
	vs := cnMobiles(30_000, 3)
	for i := uint64(0); i < 10000; i += 7 {
		vs = append(vs, 8613900130000+i) // a dense 号段
	}
	vs = append(vs, 12125550100, 12125550199, 442079460000) // other plans: the hash index
	set := NewSet(slices.Clone(vs))
	var all []uint64
	set.All(func(v uint64) bool { all = append(all, v); return true })
	mem, err := NewSnapshot(Header{Name: "r", CreatedAt: time.Unix(0, 0)}, set)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "r.dnc")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteSnapshot(f, Header{Name: "r", CreatedAt: time.Unix(0, 0)}, set); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	mapped, err := OpenSnapshot(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Snapshot{mem, mapped} {
		for _, max := range []int{1, 2, 100, 1024, 4096, len(all) - 1, len(all), len(all) + 5} {
			got, err := s.Sample(max)
			if err != nil {
				t.Fatal(err)
			}
			k := (len(all) + max - 1) / max
			var want []uint64
			for i := 0; i < len(all); i += k {
				want = append(want, all[i])
			}
			if !slices.Equal(got, want) {
				t.Fatalf("Sample(%d): %d numbers, want every %d-th: %d (first %v, want %v)", max, len(got), k, len(want), got[:min(3, len(got))], want[:min(3, len(want))])
			}
			if len(got) > max {
				t.Fatalf("Sample(%d) returned %d numbers", max, len(got))
			}
		}
	}
	empty, err := NewSnapshot(Header{Name: "r", CreatedAt: time.Unix(0, 0)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := empty.Sample(10); err != nil || len(got) != 0 {
		t.Fatalf("Sample of an empty copy: %v, %v", got, err)
	}
	if _, err := mem.Sample(0); err == nil {
		t.Fatal("Sample(0) without an error")
	}
}

// Missing counts the numbers of a list the snapshot does not hold.
func TestSnapshotMissing(t *testing.T) {
	vs := cnMobiles(20_000, 4)
	r := rand.New(rand.NewPCG(5, 5))
	var kept, dropped []uint64
	for _, v := range vs {
		if r.IntN(10) == 0 {
			dropped = append(dropped, v)
		} else {
			kept = append(kept, v)
		}
	}
	s, err := NewSnapshot(Header{Name: "r", CreatedAt: time.Unix(0, 0)}, NewSet(slices.Clone(kept)))
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.Missing(vs)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(dropped) {
		t.Fatalf("Missing = %d, want %d", n, len(dropped))
	}
	if n, err := s.Missing(kept); err != nil || n != 0 {
		t.Fatalf("Missing of its own numbers = %d, %v", n, err)
	}
}

// SampleFrom draws one number at a random position of each stratum of k =
// ⌈Len/max⌉: ascending, at most max, all numbers when Len ≤ max, each from
// its own stratum; the same source seed gives the same sample (tests can
// reproduce one), another seed another; a sample of a copy that dropped
// only the numbers a fixed sample never reads (every position not a
// multiple of k) lacks about the share dropped — none of Sample's. A nil
// source is an error.
func TestSnapshotSampleFrom(t *testing.T) {
	vs := cnMobiles(30_000, 5)
	set := NewSet(slices.Clone(vs))
	var all []uint64
	set.All(func(v uint64) bool { all = append(all, v); return true })
	s, err := NewSnapshot(Header{Name: "r", CreatedAt: time.Unix(0, 0)}, set)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SampleFrom(10, nil); err == nil {
		t.Fatal("SampleFrom with a nil source: no error")
	}
	for _, max := range []int{1, 7, 1024, len(all) - 1, len(all), len(all) + 5} {
		got, err := s.SampleFrom(max, rand.NewPCG(1, 2))
		if err != nil {
			t.Fatal(err)
		}
		k := (len(all) + max - 1) / max
		if want := (len(all) + k - 1) / k; len(got) != want || len(got) > max {
			t.Fatalf("SampleFrom(%d): %d numbers, want %d (≤ %d)", max, len(got), want, max)
		}
		for j, v := range got {
			i, ok := slices.BinarySearch(all, v)
			if !ok || i/k != j {
				t.Fatalf("SampleFrom(%d): number %d at position %d (found %v), want one of stratum %d", max, j, i, ok, j)
			}
		}
		again, _ := s.SampleFrom(max, rand.NewPCG(1, 2))
		if !slices.Equal(got, again) {
			t.Fatalf("SampleFrom(%d) with the same seed gave another sample", max)
		}
		if other, _ := s.SampleFrom(max, rand.NewPCG(3, 4)); k > 1 && slices.Equal(got, other) {
			t.Fatalf("SampleFrom(%d) with another seed gave the same sample", max)
		}
	}
	// A copy dropping 40 % of the numbers, none at a multiple of k = 2.
	const max = 15_000
	k := (len(all) + max - 1) / max
	var kept []uint64
	dropped := 0
	for i, v := range all {
		if i%k != 0 && dropped < len(all)*4/10 {
			dropped++
			continue
		}
		kept = append(kept, v)
	}
	next, err := NewSnapshot(Header{Name: "r", CreatedAt: time.Unix(0, 0)}, NewSet(kept))
	if err != nil {
		t.Fatal(err)
	}
	fixed, err := s.Sample(max)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := next.Missing(fixed); err != nil || m != 0 {
		t.Fatalf("fixture: the fixed sample misses %d (%v), want 0", m, err)
	}
	src, err := NewSampleSource()
	if err != nil {
		t.Fatal(err)
	}
	random, err := s.SampleFrom(max, src)
	if err != nil {
		t.Fatal(err)
	}
	m, err := next.Missing(random)
	if err != nil {
		t.Fatal(err)
	}
	if share := float64(m) / float64(len(random)); share < 0.3 || share > 0.5 {
		t.Fatalf("a random sample misses %d of %d (%.2f) of a copy that dropped 40 %%", m, len(random), share)
	}
}
