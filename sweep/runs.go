package sweep

import (
	"slices"
	"sync"

	"github.com/dialgate/dialgate/numbering"
)

// runs remembers, per tenant and segment, the suffixes dialled recently, to
// find runs of consecutive numbers. It is the run-time state of the
// sequential rule, kept in memory (per process). The zero runs is not usable;
// use newRuns. Safe for concurrent use.
type runs struct {
	minRun int
	step   int   // largest difference between neighbours of a run: MaxGap+1
	window int64 // ns

	mu        sync.Mutex
	segs      map[segKey]*segState
	ids       map[string]idRef
	lastPrune int64
}

type segKey struct {
	tenant string
	seg    numbering.Segment
}

type segState struct {
	vals []val // sorted by suffix, distinct suffixes

	// Once a run shows, the segment stays closed to the tenant until
	// flagUntil (the detection instant plus the window): a dialer that skips
	// past the denied numbers is still sweeping.
	flagUntil int64
	flagRun   int
}

// flagged returns the run length that closed the segment, or 0.
func (st *segState) flagged(t int64) int {
	if st.flagRun > 0 && t < st.flagUntil {
		return st.flagRun
	}
	return 0
}

func (st *segState) flag(t, window int64, n int) {
	if until := t + window; until > st.flagUntil || st.flagRun == 0 {
		st.flagUntil = until
	}
	st.flagRun = max(st.flagRun, n)
}

type val struct {
	suffix int
	at     int64    // latest instant (unix ns) a holder dialled it
	ids    []string // decisions holding it
}

type idRef struct {
	k      segKey
	suffix int
	at     int64
}

func newRuns(c *Sequential) *runs {
	return &runs{
		minRun: c.MinRun, step: c.MaxGap + 1, window: int64(c.Window.Std()),
		segs: map[segKey]*segState{}, ids: map[string]idRef{},
	}
}

// prune drops the values of st recorded at or before cutoff.
func (st *segState) prune(cutoff int64) {
	st.vals = slices.DeleteFunc(st.vals, func(v val) bool { return v.at <= cutoff })
}

// runLength returns the length of the run x would belong to among st's values
// (x counted once, whether or not it is already there).
func (st *segState) runLength(x, step int) int {
	i, found := slices.BinarySearchFunc(st.vals, x, func(v val, x int) int { return v.suffix - x })
	n := 1
	prev := x
	for j := i - 1; j >= 0 && prev-st.vals[j].suffix <= step; j-- {
		n++
		prev = st.vals[j].suffix
	}
	k := i
	if found {
		k++
	}
	prev = x
	for j := k; j < len(st.vals) && st.vals[j].suffix-prev <= step; j++ {
		n++
		prev = st.vals[j].suffix
	}
	return n
}

// length returns the run length x would make at instant t, without recording.
func (r *runs) length(k segKey, x int, t int64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.segs[k]
	if st == nil {
		return 1
	}
	if n := st.flagged(t); n > 0 {
		return n
	}
	st.prune(t - r.window)
	n := st.runLength(x, r.step)
	if n >= r.minRun {
		st.flag(t, r.window, n)
	}
	return n
}

// add records x for decision id at t unless that would make a run of minRun or
// more; it returns the run length and whether x was recorded. A decision id
// already recorded is not recorded again (ok, length 0).
func (r *runs) add(id string, k segKey, x int, t int64) (int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, held := r.ids[id]; held {
		return 0, true
	}
	r.maybePruneAll(t)
	st := r.segs[k]
	if st == nil {
		st = &segState{}
		r.segs[k] = st
	}
	if n := st.flagged(t); n > 0 {
		return n, false
	}
	st.prune(t - r.window)
	if n := st.runLength(x, r.step); n >= r.minRun {
		st.flag(t, r.window, n)
		return n, false
	}
	i, found := slices.BinarySearchFunc(st.vals, x, func(v val, x int) int { return v.suffix - x })
	if found {
		v := &st.vals[i]
		v.ids = append(v.ids, id)
		v.at = max(v.at, t)
	} else {
		st.vals = slices.Insert(st.vals, i, val{suffix: x, at: t, ids: []string{id}})
	}
	r.ids[id] = idRef{k: k, suffix: x, at: t}
	return 0, true
}

// release forgets what decision id recorded. Unknown ids are ignored.
func (r *runs) release(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ref, ok := r.ids[id]
	if !ok {
		return
	}
	delete(r.ids, id)
	st := r.segs[ref.k]
	if st == nil {
		return
	}
	i, found := slices.BinarySearchFunc(st.vals, ref.suffix, func(v val, x int) int { return v.suffix - x })
	if !found {
		return
	}
	v := &st.vals[i]
	v.ids = slices.DeleteFunc(v.ids, func(s string) bool { return s == id })
	if len(v.ids) == 0 {
		st.vals = slices.Delete(st.vals, i, i+1)
	}
}

// maybePruneAll drops expired state of every segment and decision, at most once
// per eighth of the window (in dial time), so memory stays bounded by what was
// dialled within the window.
func (r *runs) maybePruneAll(t int64) {
	if d := t - r.lastPrune; d >= 0 && d < r.window/8 {
		return
	}
	r.lastPrune = t
	cutoff := t - r.window
	for id, ref := range r.ids {
		if ref.at <= cutoff {
			delete(r.ids, id)
		}
	}
	for k, st := range r.segs {
		st.prune(cutoff)
		if len(st.vals) == 0 && st.flagged(t) == 0 {
			delete(r.segs, k)
		}
	}
}
