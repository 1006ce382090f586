package dnc

import (
	crand "crypto/rand"
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"sort"
)

// Sample returns every k-th number of the snapshot in ascending order — the
// numbers at positions 0, k, 2k, … of its sorted set, k = ⌈Len/max⌉ — so at
// most max numbers, all of them when Len ≤ max, and always the same ones
// for the same copy. Each number is found by two binary searches (no walk
// of the set), so it costs O(max · log Len) whatever the size of the copy.
// Being always the same, it is predictable: a reloader comparing copies
// (how many of a sample of the copy in force a new copy lacks, Missing,
// estimates the share of the numbers it dropped, which its count hides when
// it added as many others) draws its sample with SampleFrom instead, which
// a copy that drops only the numbers between the k-th ones cannot pass. A
// memory-mapped snapshot whose file was truncated under it returns an error
// wrapping ErrSnapshotFault instead of faulting the process.
func (s *Snapshot) Sample(max int) (out []uint64, err error) {
	if max < 1 {
		return nil, errors.New("dnc: sample of fewer than 1 number")
	}
	n := s.set.Len()
	if n == 0 {
		return nil, nil
	}
	k := (n + max - 1) / max
	out = make([]uint64, 0, (n+k-1)/k)
	err = s.guard(func() {
		var c setCursor
		for i := 0; i < n; i += k {
			out = append(out, s.set.at(i, &c))
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SampleFrom is Sample with the numbers drawn at random: the sorted set is
// cut into strata of k = ⌈Len/max⌉ positions (0…k−1, k…2k−1, …; the last
// may be shorter) and one position of each is chosen with src, uniformly —
// at most max numbers, all of them when Len ≤ max, in ascending order, at
// the same cost as Sample. Every number of the set is as likely to be
// sampled as the others of its stratum, so the share of a sample that a new
// copy lacks (Missing) estimates the share of the numbers it dropped
// whichever numbers it dropped: a copy that drops only numbers a fixed
// sample never reads (those between the k-th ones) is caught as readily as
// one that drops numbers at random. Pass a source seeded from crypto/rand
// (NewSampleSource) where the copies come from outside the process, a
// seeded one (math/rand/v2.NewPCG) for a sample a test can reproduce. src
// is used by one goroutine at a time; nil is an error. A memory-mapped
// snapshot whose file was truncated under it returns an error wrapping
// ErrSnapshotFault.
func (s *Snapshot) SampleFrom(max int, src rand.Source) (out []uint64, err error) {
	if max < 1 {
		return nil, errors.New("dnc: sample of fewer than 1 number")
	}
	if src == nil {
		return nil, errors.New("dnc: sample with no random source")
	}
	n := s.set.Len()
	if n == 0 {
		return nil, nil
	}
	k := (n + max - 1) / max
	r := rand.New(src)
	out = make([]uint64, 0, (n+k-1)/k)
	err = s.guard(func() {
		var c setCursor
		for i := 0; i < n; i += k {
			out = append(out, s.set.at(i+r.IntN(min(k, n-i)), &c))
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// NewSampleSource returns a random source for SampleFrom seeded from
// crypto/rand: the positions it draws cannot be foreseen from the copy, the
// process or earlier samples.
func NewSampleSource() (rand.Source, error) {
	var seed [32]byte
	if _, err := crand.Read(seed[:]); err != nil {
		return nil, fmt.Errorf("dnc: seed of a sample source: %w", err)
	}
	return rand.NewChaCha8(seed), nil
}

// Missing returns how many of vs (dialgate.Number.Uint64 values) the
// snapshot does not list. A memory-mapped snapshot whose file was truncated
// under it returns an error wrapping ErrSnapshotFault.
func (s *Snapshot) Missing(vs []uint64) (missing int, err error) {
	err = s.guard(func() {
		for _, v := range vs {
			if !s.set.Contains(v) {
				missing++
			}
		}
	})
	return missing, err
}

// guard runs fn, which reads the snapshot's set, turning a memory fault in a
// memory-mapped snapshot into an error (as lookupMapped does for one lookup).
func (s *Snapshot) guard(fn func()) (err error) {
	if s.m == nil {
		fn()
		return nil
	}
	prev := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(prev)
		if r := recover(); r != nil {
			err = s.m.fault(r)
		}
	}()
	fn()
	runtime.KeepAlive(s)
	return nil
}

// setCursor is where Set.at found the previous number: positions asked
// for in ascending order are found from there.
type setCursor struct {
	r, bi int // the prefix's rank and its block
}

// gallop returns the last index j ≥ from (from ≤ j < n) with below(j) true,
// given below(from) true and below monotone (true, then false): steps of
// 1, 2, 4, … from from, then a binary search of the last step — O(log
// distance), so a walk of ascending positions costs the log of each gap,
// not of the whole set.
func gallop(from, n int, below func(int) bool) int {
	lo, step := from, 1
	for lo+step < n && below(lo+step) {
		lo += step
		step <<= 1
	}
	hi := min(lo+step, n) // below(hi) is false, or hi == n
	return lo + sort.Search(hi-lo-1, func(j int) bool { return !below(lo + 1 + j) })
}

// at returns the i-th number of the set in ascending order (0 ≤ i < Len),
// i at least the position c was left at: the prefix whose run holds
// position i (a galloping search of the offsets), the block holding that
// prefix's rank (the same over the blocks' bases), the prefix's bit in the
// block's bitmap, and the suffix.
func (s *Set) at(i int, c *setCursor) uint64 {
	// r: the last prefix whose run starts at or before i.
	c.r = gallop(c.r, len(s.offsets), func(j int) bool { return int(s.offsets[j]) <= i })
	r := c.r
	c.bi = gallop(c.bi, len(s.blocks), func(j int) bool { return int(s.blocks[j].base) <= r })
	bi := c.bi
	b := &s.blocks[bi]
	j := r - int(b.base) // the prefix is the j-th present one of the block
	for w := range b.bits {
		n := bits.OnesCount64(b.bits[w])
		if j >= n {
			j -= n
			continue
		}
		x := b.bits[w]
		for ; j > 0; j-- {
			x &= x - 1
		}
		p := s.keys[bi]*blockBits + uint64(w*64+bits.TrailingZeros64(x))
		return p*suffixMod + uint64(s.suffixes[i])
	}
	panic("dnc: set rank out of its block") // validate rules it out
}
