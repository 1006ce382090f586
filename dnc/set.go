package dnc

import (
	"fmt"
	"math/bits"
	"slices"
)

// SuffixDigits is how many trailing digits of a number a Set stores as a 16-bit
// suffix; the digits before them are the number's prefix. For a Chinese mobile
// number the prefix is the country code and the 号段 (first 7 national digits),
// whose 10,000 numbers the suffix tells apart.
const SuffixDigits = 4

const suffixMod = 10000

// maxSetLen bounds a Set: offsets are 32-bit.
const maxSetLen = 1<<32 - 2

// maxNumber is the largest E.164 value (15 digits).
const maxNumber = 999_999_999_999_999

// maxKey is the largest block key of a number of at most 15 digits.
const maxKey = maxNumber / suffixMod / blockBits

// blockBits is the number of consecutive prefixes one block's bitmap covers.
const blockBits = 256

// Set is an exact, compact, immutable set of numbers (keys are
// dialgate.Number.Uint64 values). It stores each number as a 2-byte suffix in a
// sorted per-prefix run and each prefix as one bit of a block bitmap plus a
// 4-byte offset, about 2.3 bytes a number when prefixes hold a dozen or more
// numbers each. Lookups make no allocation and are safe for concurrent use.
//
// The zero Set is empty. Build one with a SetBuilder or read one from a
// snapshot file.
type Set struct {
	keys     []uint64 // sorted distinct block keys (prefix / blockBits)
	blocks   []block  // parallel to keys
	offsets  []uint32 // per present prefix, start of its run in suffixes; len = prefixes+1
	suffixes []uint16 // sorted within each prefix run
	count    int
}

// block is the bitmap of which of blockBits consecutive prefixes are present,
// and the rank (index into offsets) of its first present prefix.
type block struct {
	base uint32
	_    uint32
	bits [blockBits / 64]uint64
}

// Len returns the number of numbers in the set.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return s.count
}

// Prefixes returns the number of distinct prefixes (segments) in the set.
func (s *Set) Prefixes() int {
	if s == nil || len(s.offsets) == 0 {
		return 0
	}
	return len(s.offsets) - 1
}

// Bytes returns the memory the set's arrays take, in bytes.
func (s *Set) Bytes() int {
	if s == nil {
		return 0
	}
	return len(s.keys)*8 + len(s.blocks)*40 + len(s.offsets)*4 + len(s.suffixes)*2
}

// Contains reports whether the number whose E.164 digits are v
// (dialgate.Number.Uint64) is in the set.
func (s *Set) Contains(v uint64) bool {
	if s == nil || len(s.keys) == 0 {
		return false
	}
	p := v / suffixMod
	suf := uint16(v - p*suffixMod)
	k := p / blockBits
	// Binary search the block keys (a few thousand; the top levels stay cached).
	keys := s.keys
	lo, hi := 0, len(keys)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if keys[m] < k {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == len(keys) || keys[lo] != k {
		return false
	}
	b := &s.blocks[lo]
	bit := uint(p % blockBits)
	w := bit >> 6
	mask := uint64(1) << (bit & 63)
	if b.bits[w]&mask == 0 {
		return false
	}
	r := uint(b.base)
	for i := uint(0); i < w; i++ {
		r += uint(bits.OnesCount64(b.bits[i]))
	}
	r += uint(bits.OnesCount64(b.bits[w] & (mask - 1)))
	start, end := uint(s.offsets[r]), uint(s.offsets[r+1])
	run := s.suffixes[start:end]
	// Runs are short (a few to a few hundred suffixes): binary search.
	l, h := 0, len(run)
	for l < h {
		m := int(uint(l+h) >> 1)
		if run[m] < suf {
			l = m + 1
		} else {
			h = m
		}
	}
	return l < len(run) && run[l] == suf
}

// All calls fn for every number in the set, in ascending order, until fn
// returns false.
func (s *Set) All(fn func(v uint64) bool) {
	if s == nil {
		return
	}
	r := 0
	for bi, k := range s.keys {
		b := &s.blocks[bi]
		for w := range b.bits {
			x := b.bits[w]
			for x != 0 {
				t := bits.TrailingZeros64(x)
				x &= x - 1
				p := k*blockBits + uint64(w*64+t)
				for _, suf := range s.suffixes[s.offsets[r]:s.offsets[r+1]] {
					if !fn(p*suffixMod + uint64(suf)) {
						return
					}
				}
				r++
			}
		}
	}
}

// SetBuilder builds a Set from numbers given in ascending order. Duplicates
// are dropped. The zero SetBuilder is ready to use; it is not safe for
// concurrent use.
type SetBuilder struct {
	s       Set
	last    uint64
	started bool
	curKey  uint64
}

// ErrUnsorted is returned by SetBuilder.Add for a number smaller than the one
// added before it.
var ErrUnsorted = fmtErr("dnc: numbers not in ascending order")

type fmtErr string

func (e fmtErr) Error() string { return string(e) }

// Add adds v, which must not be smaller than the previous value added.
func (b *SetBuilder) Add(v uint64) error {
	if v == 0 || v > maxNumber {
		return fmt.Errorf("dnc: %d is not a number of 1 to 15 digits", v)
	}
	if b.s.count >= maxSetLen {
		return fmt.Errorf("dnc: set too large (more than %d numbers)", maxSetLen)
	}
	if b.started {
		if v == b.last {
			return nil
		}
		if v < b.last {
			return fmt.Errorf("%w: %d after %d", ErrUnsorted, v, b.last)
		}
	}
	p := v / suffixMod
	suf := uint16(v - p*suffixMod)
	k := p / blockBits
	s := &b.s
	newPrefix := !b.started || p != b.last/suffixMod
	if newPrefix {
		if len(s.keys) == 0 || s.keys[len(s.keys)-1] != k {
			s.keys = append(s.keys, k)
			s.blocks = append(s.blocks, block{base: uint32(len(s.offsets))})
		}
		bit := p % blockBits
		s.blocks[len(s.blocks)-1].bits[bit>>6] |= 1 << (bit & 63)
		s.offsets = append(s.offsets, uint32(len(s.suffixes)))
	}
	s.suffixes = append(s.suffixes, suf)
	s.count++
	b.last = v
	b.started = true
	return nil
}

// Len returns the number of distinct numbers added so far.
func (b *SetBuilder) Len() int { return b.s.count }

// Set returns the built set and resets the builder.
func (b *SetBuilder) Set() *Set {
	s := b.s
	s.offsets = append(s.offsets, uint32(len(s.suffixes)))
	s.keys = slices.Clip(s.keys)
	s.blocks = slices.Clip(s.blocks)
	s.offsets = slices.Clip(s.offsets)
	s.suffixes = slices.Clip(s.suffixes)
	*b = SetBuilder{}
	return &s
}

// NewSet returns the set of the given values, in any order, with duplicates.
// It sorts vs in place.
func NewSet(vs []uint64) *Set {
	slices.Sort(vs)
	var b SetBuilder
	for _, v := range vs {
		_ = b.Add(v) // sorted: cannot fail
	}
	return b.Set()
}
