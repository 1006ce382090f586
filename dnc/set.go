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
// numbers each. A lookup finds the block through an index built when the set
// is built or loaded (a directory indexed by block key for one numbering
// plan's dense keys, a hash table otherwise), ranks the prefix with one
// popcount and searches its run without branches: no binary search over the
// blocks. Lookups make no allocation and are safe for concurrent use.
//
// The zero Set is empty. Build one with a SetBuilder or read one from a
// snapshot file.
type Set struct {
	keys     []uint64 // sorted distinct block keys (prefix / blockBits)
	blocks   []block  // parallel to keys
	offsets  []uint32 // per present prefix, start of its run in suffixes; len = prefixes+1
	suffixes []uint16 // sorted within each prefix run
	count    int

	// The block index, derived from keys when the set is built or loaded
	// (not stored in snapshot files): a direct-indexed directory when the
	// keys are dense (one country's numbering plan), else a hash table.
	dirBase uint64   // block key of dir[0]
	dir     []uint32 // dir[k-dirBase] = block index + 1; 0 = no block
	slots   []slot   // open addressing, len a power of two; nil when dir is used
	shift   uint     // 64 - log2(len(slots))
}

// slot is one entry of the block hash table; idx is the block index + 1, 0
// for an empty slot.
type slot struct {
	key uint64
	idx uint32
	_   uint32
}

// block is the bitmap of which of blockBits consecutive prefixes are present,
// the rank (index into offsets) of its first present prefix, and the number
// of present prefixes before each bitmap word. In files the cum bytes are
// zero (reserved); they are derived on load.
type block struct {
	base uint32
	cum  [blockBits / 64]uint8 // cum[w] = present prefixes in bits[:w]
	bits [blockBits / 64]uint64
}

// fillCum derives cum from bits.
func (b *block) fillCum() {
	c := 0
	for w := range b.bits {
		b.cum[w] = uint8(c)
		c += bits.OnesCount64(b.bits[w])
	}
}

// hashKey spreads block keys over the hash table (Fibonacci hashing).
func hashKey(k uint64, shift uint) uint64 { return (k * 0x9E3779B97F4A7C15) >> shift }

// buildIndex derives the block index from keys: a directory when the keys
// span at most four times their number (plus slack), else a hash table at
// most half full.
func (s *Set) buildIndex() {
	s.dirBase, s.dir, s.slots, s.shift = 0, nil, nil, 0
	n := len(s.keys)
	if n == 0 {
		return
	}
	span := s.keys[n-1] - s.keys[0] + 1
	if span <= 4*uint64(n)+1024 {
		s.dirBase = s.keys[0]
		s.dir = make([]uint32, span)
		for i, k := range s.keys {
			s.dir[k-s.dirBase] = uint32(i + 1)
		}
		return
	}
	size := 1
	for size < 2*n {
		size <<= 1
	}
	s.slots = make([]slot, size)
	s.shift = uint(64 - bits.TrailingZeros(uint(size)))
	mask := uint64(size - 1)
	for i, k := range s.keys {
		h := hashKey(k, s.shift)
		for s.slots[h].idx != 0 {
			h = (h + 1) & mask
		}
		s.slots[h] = slot{key: k, idx: uint32(i + 1)}
	}
}

// block returns the index of the block with key k, or -1.
func (s *Set) block(k uint64) int {
	if s.dir != nil {
		i := k - s.dirBase
		if i >= uint64(len(s.dir)) {
			return -1
		}
		return int(s.dir[i]) - 1
	}
	if len(s.slots) == 0 {
		return -1
	}
	mask := uint64(len(s.slots) - 1)
	for h := hashKey(k, s.shift); ; h = (h + 1) & mask {
		sl := &s.slots[h]
		if sl.idx == 0 {
			return -1
		}
		if sl.key == k {
			return int(sl.idx) - 1
		}
	}
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
	return len(s.keys)*8 + len(s.blocks)*40 + len(s.offsets)*4 + len(s.suffixes)*2 + len(s.dir)*4 + len(s.slots)*16
}

// Contains reports whether the number whose E.164 digits are v
// (dialgate.Number.Uint64) is in the set.
func (s *Set) Contains(v uint64) bool {
	if s == nil {
		return false
	}
	p := v / suffixMod
	suf := uint16(v - p*suffixMod)
	bi := s.block(p / blockBits)
	if bi < 0 || bi >= len(s.blocks) {
		return false
	}
	b := &s.blocks[bi]
	bit := uint(p % blockBits)
	w := bit >> 6
	mask := uint64(1) << (bit & 63)
	x := b.bits[w&3]
	if x&mask == 0 {
		return false
	}
	r := uint(b.base) + uint(b.cum[w&3]) + uint(bits.OnesCount64(x&(mask-1)))
	if r+1 >= uint(len(s.offsets)) {
		return false
	}
	start, end := uint(s.offsets[r]), uint(s.offsets[r+1])
	if start >= end || end > uint(len(s.suffixes)) {
		return false
	}
	run := s.suffixes[start:end]
	// Branchless binary search: base ends at the last suffix <= suf, or 0.
	// The step is arithmetic (gt is 1 when the probed suffix is greater than
	// suf, both below 2¹⁶) because the compiler keeps a branch, which
	// mispredicts half the time, for a conditional in a loop.
	base, n, q := uint(0), uint(len(run)), uint(suf)
	for n > 1 {
		half := n >> 1
		gt := (q - uint(run[base+half])) >> (bits.UintSize - 1)
		base += half & (gt - 1)
		n -= half
	}
	return run[base] == suf
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
}

// ErrUnsorted is returned by SetBuilder.Add for a number smaller than the one
// added before it.
var ErrUnsorted = fmtErr("dnc: numbers not in ascending order")

type fmtErr string

// Error returns the message.
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
	for i := range s.blocks {
		s.blocks[i].fillCum()
	}
	s.buildIndex()
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
