// Package seqrun is the in-memory state of sequential runs (storage.Runs's
// contract): per key, the values recorded recently and whether a run closed
// the key. Package sweep keeps a tenant's runs with it by default (one
// process), and storage/memstore implements storage.Runs on it.
package seqrun

import (
	"math"
	"slices"
	"sync"

	"github.com/dialgate/dialgate/storage"
)

// Set remembers, per key, the values recorded recently, to find runs of
// consecutive values. The zero Set is not usable; use New. Safe for
// concurrent use.
type Set[K comparable] struct {
	minRun int
	step   int // largest difference between neighbours of a run: MaxGap+1
	// maxStep is the largest common step of a progression (0: none);
	// progressions have steps from step+1 to maxStep.
	maxStep int
	window  int64 // ns
	// keep is how long a value is kept: the window plus
	// storage.PruneMargin, so that a call whose clock is behind the one
	// that last pruned still counts every value its window holds.
	keep int64 // ns

	mu        sync.Mutex
	keys      map[K]*keyState
	ids       map[string]idRef[K]
	lastPrune int64
}

type keyState struct {
	vals []val // sorted by value, distinct values
	// one backs vals while it holds at most one value (most keys: a
	// tenant's segment or stride sees few dials), saving an allocation.
	one [1]val
	// oldest is at most the earliest instant of vals (it may lag behind
	// after a release or a re-record): prune scans only when a value may
	// have left the window, not on every call.
	oldest int64

	// Once a run shows, the key stays closed until flagUntil (the
	// detection instant plus the window): a dialer that skips past the
	// denied numbers is still sweeping.
	flagUntil int64
	flagRun   int
}

// flagged returns the run length that closed the key, or 0.
func (st *keyState) flagged(t int64) int {
	if st.flagRun > 0 && t < st.flagUntil {
		return st.flagRun
	}
	return 0
}

// flag closes the key until t+window with run length n. It is called only
// when the key is not closed at t, so the new closing replaces the old.
func (st *keyState) flag(t, window int64, n int) {
	st.flagUntil = t + window
	st.flagRun = n
}

type val struct {
	x    int
	at   int64    // latest instant (unix ns) a holder recorded it
	id   string   // an id holding it (every val has one)
	more []string // further ids holding it (rare: one value recorded twice)
}

type idRef[K comparable] struct {
	k  K
	x  int
	at int64
}

// New returns an empty Set for runs of minRun or more values, each at most
// maxGap+1 apart or, when maxStep is not 0, in an arithmetic progression of
// a common step from maxGap+2 to maxStep (storage.Runs's contract), counted
// within window nanoseconds. The caller validates the parameters
// (storage.RunParams.Validate).
func New[K comparable](minRun, maxGap, maxStep int, window int64) *Set[K] {
	return &Set[K]{
		minRun: minRun, step: maxGap + 1, maxStep: maxStep, window: window, keep: window + int64(storage.PruneMargin),
		keys: map[K]*keyState{}, ids: map[string]idRef[K]{},
	}
}

// prune drops the values of st recorded at or before cutoff (the instant
// minus the window and storage.PruneMargin: see Set.keep).
func (st *keyState) prune(cutoff int64) {
	if len(st.vals) == 0 || st.oldest > cutoff {
		return
	}
	oldest := int64(math.MaxInt64)
	st.vals = slices.DeleteFunc(st.vals, func(v val) bool {
		if v.at <= cutoff {
			return true
		}
		oldest = min(oldest, v.at)
		return false
	})
	st.oldest = oldest
}

// insert adds the value x recorded at t for id at index i of st.vals (as
// find placed it), keeping st.oldest the oldest record of the key.
func (st *keyState) insert(i, x int, t int64, id string) {
	if len(st.vals) == 0 {
		st.oldest = t
	}
	st.oldest = min(st.oldest, t)
	st.vals = slices.Insert(st.vals, i, val{x: x, at: t, id: id})
}

func (st *keyState) find(x int) (int, bool) {
	return slices.BinarySearchFunc(st.vals, x, func(v val, x int) int { return v.x - x })
}

// runLength returns the length of the run x would belong to among st's values
// recorded after cutoff (x counted once, whether or not it is already
// there); values recorded at or before cutoff, kept for callers whose clock
// is behind, are not part of it.
func (st *keyState) runLength(x, step, maxStep int, cutoff int64) int {
	i, found := st.find(x)
	n := st.gapRun(x, i, found, step, cutoff)
	if maxStep > step {
		n = max(n, st.progression(x, i, step, maxStep, cutoff))
	}
	return n
}

// lookup answers whether a value is counted (recorded after cutoff): from
// a bitmap of the key's counted values when they span fewer than
// len(bits)*64 (a segment's suffixes, 0–9999, always do), else by binary
// search.
type lookup struct {
	st     *keyState
	cutoff int64
	base   int
	dense  bool
	bits   [160]uint64
}

// init readies l for st's values counted after cutoff.
func (l *lookup) init(st *keyState, cutoff int64) {
	l.st, l.cutoff = st, cutoff
	n := len(st.vals)
	l.base = st.vals[0].x
	if l.dense = st.vals[n-1].x-l.base < len(l.bits)*64; !l.dense {
		return
	}
	for j := range st.vals {
		if v := &st.vals[j]; v.at > cutoff {
			d := v.x - l.base
			l.bits[d/64] |= 1 << (d % 64)
		}
	}
}

// counted reports whether y is one of the values counted.
func (l *lookup) counted(y int) bool {
	if l.dense {
		d := y - l.base
		return d >= 0 && d < len(l.bits)*64 && l.bits[d/64]&(1<<(d%64)) != 0
	}
	k, found := l.st.find(y)
	return found && l.st.vals[k].at > l.cutoff
}

// stepWalk returns how many counted values follow x in its progression of
// step s (s < 0: below x), each the nearest one at most g steps on from
// the one before: up to g-1 members in a row may be missing (g is MaxGap+1,
// the gap rule's tolerance).
func (l *lookup) stepWalk(x, s, g int) int {
	n := 0
	for {
		next := false
		for k := 1; k <= g; k++ {
			y := x + k*s
			if y < 0 {
				break
			}
			if l.counted(y) {
				n++
				x, next = y, true
				break
			}
		}
		if !next {
			return n
		}
	}
}

// progression returns the length of the longest arithmetic progression of
// values recorded after cutoff that holds x, with a common step above step
// and at most maxStep, up to step-1 (MaxGap) missing members in a row
// between two counted ones (x counted once). i is st.find(x): x's index,
// or where it would go. Only steps joining x to a counted value within
// step×maxStep of it (a distance d, the step d/k for k from 1 to step) can
// make a progression of 2 or more; each is walked once.
func (st *keyState) progression(x, i int, step, maxStep int, cutoff int64) int {
	best := 1
	reach := step * maxStep
	lo := i
	for lo > 0 && x-st.vals[lo-1].x <= reach {
		lo--
	}
	var (
		tried [storage.MaxRunStep/64 + 1]uint64
		l     lookup
		ready bool
	)
	for j := lo; j < len(st.vals); j++ {
		v := &st.vals[j]
		d := v.x - x
		if d < 0 {
			d = -d
		}
		if d > reach {
			if v.x > x {
				break
			}
			continue
		}
		if d == 0 || v.at <= cutoff {
			continue
		}
		for k := 1; k <= step; k++ {
			s := d / k
			if s <= step {
				break
			}
			if d%k != 0 || s > maxStep || tried[s/64]&(1<<(s%64)) != 0 {
				continue
			}
			tried[s/64] |= 1 << (s % 64)
			if !ready {
				l.init(st, cutoff)
				ready = true
			}
			best = max(best, 1+l.stepWalk(x, -s, step)+l.stepWalk(x, s, step))
		}
	}
	return best
}

// RunLength returns the length of the run x would make among vals (x
// counted once, whether or not vals holds it), with runs of values at most
// maxGap+1 apart or, when maxStep is not 0, arithmetic progressions of a
// common step from maxGap+2 to maxStep with up to maxGap members in a row
// missing (storage.Runs): what a Set's Length measures, by the same code.
// vals are the values counted (recorded within the window); they may be
// unsorted and hold a value more than once. Stores that keep run state
// elsewhere (storage/pgstore) call it on the values they read, so that
// they answer as the Set does.
func RunLength(vals []int, x, maxGap, maxStep int) int {
	st := counted(vals)
	return st.runLength(x, maxGap+1, maxStep, 0)
}

// Progression returns the length of the longest arithmetic progression of
// vals holding x, with a common step from maxGap+2 to maxStep and up to
// maxGap members in a row missing between two counted ones (x counted
// once): the progression part of RunLength. With maxStep at most maxGap+1
// it returns 1.
func Progression(vals []int, x, maxGap, maxStep int) int {
	step := maxGap + 1
	if maxStep <= step || len(vals) == 0 {
		return 1
	}
	st := counted(vals)
	i, _ := st.find(x)
	return st.progression(x, i, step, maxStep, 0)
}

// counted returns a key holding vals, every one counted after cutoff 0.
func counted(vals []int) *keyState {
	if !slices.IsSorted(vals) {
		vals = slices.Sorted(slices.Values(vals))
	}
	st := &keyState{vals: make([]val, 0, len(vals))}
	for _, v := range vals {
		if n := len(st.vals); n > 0 && st.vals[n-1].x == v {
			continue
		}
		st.vals = append(st.vals, val{x: v, at: 1})
	}
	return st
}

// gapRun is the gap walk of runLength; i and found are st.find(x).
func (st *keyState) gapRun(x, i int, found bool, step int, cutoff int64) int {
	n := 1
	prev := x
	for j := i - 1; j >= 0 && prev-st.vals[j].x <= step; j-- {
		if st.vals[j].at > cutoff {
			n++
			prev = st.vals[j].x
		}
	}
	k := i
	if found {
		k++
	}
	prev = x
	for j := k; j < len(st.vals) && st.vals[j].x-prev <= step; j++ {
		if st.vals[j].at > cutoff {
			n++
			prev = st.vals[j].x
		}
	}
	return n
}

// Length returns the run length x would make under k at instant t (unix ns),
// without recording x; when k is closed, the length of the run that closed
// it. A run of minRun or more closes k until t+window.
func (r *Set[K]) Length(k K, x int, t int64) int {
	return r.LengthStep(k, x, t, r.maxStep)
}

// LengthStep is Length measuring progressions with maxStep (0: none, else
// above the Set's maxGap+1) instead of the Set's: what a key holds (its
// values and closing) does not depend on it, so callers whose max step
// differs share the Set (storage/memstore: storage.Runs keys used with
// several MaxStep).
func (r *Set[K]) LengthStep(k K, x int, t int64, maxStep int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.keys[k]
	if st == nil {
		return 1
	}
	if n := st.flagged(t); n > 0 {
		return n
	}
	st.prune(t - r.keep)
	n := st.runLength(x, r.step, maxStep, t-r.window)
	if n >= r.minRun {
		st.flag(t, r.window, n)
	}
	return n
}

// Add records x under k for id at t unless k is closed or x would make a
// run of minRun or more (which closes k); it returns the run length and
// whether x was recorded. An id already held is not recorded again (length
// 0, ok).
func (r *Set[K]) Add(id string, k K, x int, t int64) (int, bool) {
	return r.AddStep(id, k, x, t, r.maxStep)
}

// AddStep is Add measuring progressions with maxStep instead of the Set's
// (see LengthStep).
func (r *Set[K]) AddStep(id string, k K, x int, t int64, maxStep int) (int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, held := r.ids[id]; held {
		return 0, true
	}
	r.maybePruneAll(t)
	st := r.keys[k]
	if st == nil {
		st = &keyState{}
		st.vals = st.one[:0]
		r.keys[k] = st
	}
	if n := st.flagged(t); n > 0 {
		return n, false
	}
	st.prune(t - r.keep)
	if n := st.runLength(x, r.step, maxStep, t-r.window); n >= r.minRun {
		st.flag(t, r.window, n)
		return n, false
	}
	i, found := st.find(x)
	if found {
		v := &st.vals[i]
		// The holders the Set has forgotten (their records left the
		// window and the margin, maybePruneAll) are dropped: a value
		// recorded again within every window (a callee dialled daily)
		// never leaves it, and kept an id a record for as long.
		r.dropForgotten(v)
		if _, held := r.ids[v.id]; held {
			v.more = append(v.more, id)
		} else {
			v.id = id
		}
		v.at = max(v.at, t)
	} else {
		st.insert(i, x, t, id)
	}
	r.ids[id] = idRef[K]{k: k, x: x, at: t}
	return 0, true
}

// dropForgotten removes from v's holders the ids r no longer holds, keeping
// v.id a held one when another is. r.mu is held.
func (r *Set[K]) dropForgotten(v *val) {
	v.more = slices.DeleteFunc(v.more, func(id string) bool {
		_, held := r.ids[id]
		return !held
	})
	if _, held := r.ids[v.id]; !held && len(v.more) > 0 {
		v.id = v.more[len(v.more)-1]
		v.more = v.more[:len(v.more)-1]
	}
}

// Release forgets what id recorded. Unknown ids are ignored.
func (r *Set[K]) Release(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ref, ok := r.ids[id]
	if !ok {
		return
	}
	delete(r.ids, id)
	st := r.keys[ref.k]
	if st == nil {
		return
	}
	i, found := st.find(ref.x)
	if !found {
		return
	}
	v := &st.vals[i]
	switch {
	case v.id == id && len(v.more) == 0:
		st.vals = slices.Delete(st.vals, i, i+1)
	case v.id == id:
		v.id = v.more[len(v.more)-1]
		v.more = v.more[:len(v.more)-1]
	default:
		v.more = slices.DeleteFunc(v.more, func(s string) bool { return s == id })
	}
}

// maybePruneAll drops expired state of every key and id, at most once per
// eighth of the window (in the callers' time), so memory stays bounded by
// what was recorded within the window (and storage.PruneMargin before it).
func (r *Set[K]) maybePruneAll(t int64) {
	if d := t - r.lastPrune; d >= 0 && d < r.window/8 {
		return
	}
	r.lastPrune = t
	cutoff := t - r.keep
	for id, ref := range r.ids {
		if ref.at <= cutoff {
			delete(r.ids, id)
		}
	}
	for k, st := range r.keys {
		st.prune(cutoff)
		// A closing that ended less than a window before t is kept: a
		// caller whose clock runs behind t must still find the key closed
		// (flagged answers for its instant, not for t).
		if len(st.vals) == 0 && (st.flagRun == 0 || st.flagUntil <= cutoff) {
			delete(r.keys, k)
		}
	}
}

// Held reports whether id holds a value (recorded by Add, not released, not
// yet pruned).
func (r *Set[K]) Held(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.ids[id]
	return ok
}

// Closed returns the length of the run that closed k, when k is closed at
// t, or 0.
func (r *Set[K]) Closed(k K, t int64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st := r.keys[k]; st != nil {
		return st.flagged(t)
	}
	return 0
}

// Restore records x under k for id at t without deciding anything: the
// replay of a store's journal (storage/boltstore), which holds only what
// Add recorded. An id already held is left as it is.
func (r *Set[K]) Restore(id string, k K, x int, t int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, held := r.ids[id]; held {
		return
	}
	st := r.keys[k]
	if st == nil {
		st = &keyState{}
		st.vals = st.one[:0]
		r.keys[k] = st
	}
	i, found := st.find(x)
	if found {
		v := &st.vals[i]
		v.more = append(v.more, id)
		v.at = max(v.at, t)
	} else {
		st.insert(i, x, t, id)
	}
	r.ids[id] = idRef[K]{k: k, x: x, at: t}
}

// RestoreClose closes k from t until t plus the window with run length n,
// unless k is closed until later already: the replay of a closing a store
// journaled (storage/boltstore).
func (r *Set[K]) RestoreClose(k K, t int64, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.keys[k]
	if st == nil {
		st = &keyState{}
		st.vals = st.one[:0]
		r.keys[k] = st
	}
	if st.flagRun == 0 || t+r.window > st.flagUntil {
		st.flag(t, r.window, n)
	}
}
