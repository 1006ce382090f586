package seqrun

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// model is the reference the Set is checked against: every record kept in a
// list, a value present under a key while a record of it there is not
// released and was made after t-window; runs and closings recomputed from
// scratch at every call.
type model struct {
	minRun, step int
	maxStep      int // 0: no progressions
	window       int64
	recs         []modelRec
	flagUntil    map[string]int64
	flagRun      map[string]int
}

type modelRec struct {
	id       string
	k        string
	x        int
	at       int64
	released bool
}

func newModel(minRun, maxGap, maxStep int, window int64) *model {
	return &model{minRun: minRun, step: maxGap + 1, maxStep: maxStep, window: window,
		flagUntil: map[string]int64{}, flagRun: map[string]int{}}
}

// present returns the values of k present at t; loose counts released
// records too.
func (m *model) present(k string, t int64, loose bool) map[int]bool {
	s := map[int]bool{}
	for _, r := range m.recs {
		if r.k == k && r.at > t-m.window && (loose || !r.released) {
			s[r.x] = true
		}
	}
	return s
}

func (m *model) run(k string, x int, t int64, loose bool) int {
	s := m.present(k, t, loose)
	n := 1
	for prev, y := x, x-1; prev-y <= m.step; y-- {
		if s[y] {
			n++
			prev = y
		}
		if y < x-10000 {
			break
		}
	}
	for prev, y := x, x+1; y-prev <= m.step; y++ {
		if s[y] {
			n++
			prev = y
		}
		if y > x+10000 {
			break
		}
	}
	// Every step of a progression, tried one by one; up to step-1
	// (max_gap) members in a row may be missing.
	for st := m.step + 1; m.maxStep != 0 && st <= m.maxStep; st++ {
		np := 1
		for _, d := range []int{-st, st} {
			for y, miss := x+d, 0; miss < m.step && y >= 0 && y <= x+10000*st; y += d {
				if s[y] {
					np++
					miss = 0
				} else {
					miss++
				}
			}
		}
		n = max(n, np)
	}
	return n
}

func (m *model) flagged(k string, t int64) int {
	if m.flagRun[k] > 0 && t < m.flagUntil[k] {
		return m.flagRun[k]
	}
	return 0
}

func (m *model) length(k string, x int, t int64) int {
	if n := m.flagged(k, t); n > 0 {
		return n
	}
	n := m.run(k, x, t, false)
	if n >= m.minRun {
		m.flagUntil[k], m.flagRun[k] = t+m.window, n
	}
	return n
}

func (m *model) add(id, k string, x int, t int64) (int, bool) {
	if n := m.flagged(k, t); n > 0 {
		return n, false
	}
	if n := m.run(k, x, t, false); n >= m.minRun {
		m.flagUntil[k], m.flagRun[k] = t+m.window, n
		return n, false
	}
	m.recs = append(m.recs, modelRec{id: id, k: k, x: x, at: t})
	return 0, true
}

// randMaxStep returns a max step for maxGap: 0 (no progressions) a third of
// the time, else maxGap+2 to maxGap+7.
func randMaxStep(rng *rand.Rand, maxGap int) int {
	if rng.IntN(3) == 0 {
		return 0
	}
	return maxGap + 2 + rng.IntN(6)
}

// Without releases the Set answers every Length and Add as the model does,
// closings included, over random keys, values, gaps and instants moving
// forward by up to a window (so values leave it and keys are pruned).
func TestSetMatchesModel(t *testing.T) {
	for seed := uint64(1); seed <= 300; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		minRun := 2 + rng.IntN(6)
		maxGap := rng.IntN(3)
		maxStep := randMaxStep(rng, maxGap)
		window := int64(50 + rng.IntN(200))
		set, m := New[string](minRun, maxGap, maxStep, window), newModel(minRun, maxGap, maxStep, window)
		now := int64(rng.IntN(1000))
		for op := 0; op < 400; op++ {
			now += int64(rng.IntN(int(window / 4)))
			k := fmt.Sprint("k", rng.IntN(3))
			x := rng.IntN(40)
			if rng.IntN(3) == 0 {
				if got, want := set.Length(k, x, now), m.length(k, x, now); got != want {
					t.Fatalf("seed %d op %d: Length(%s, %d, %d) = %d, model %d", seed, op, k, x, now, got, want)
				}
				continue
			}
			id := fmt.Sprint("d", op)
			gn, gok := set.Add(id, k, x, now)
			wn, wok := m.add(id, k, x, now)
			if gn != wn || gok != wok {
				t.Fatalf("seed %d op %d: Add(%s, %d, %d) = %d %v, model %d %v", seed, op, k, x, now, gn, gok, wn, wok)
			}
		}
	}
}

// With releases (one value often held by several ids) and no closing, the
// Set's run is never shorter than the model's (a released value is
// forgotten no later than the model forgets it would allow a sweep) and
// never longer than a model that ignores releases: a release is never lost
// for good, an unreleased value never dropped within its window.
func TestSetReleaseBetweenModels(t *testing.T) {
	for seed := uint64(1); seed <= 300; seed++ {
		rng := rand.New(rand.NewPCG(seed, 11))
		maxGap := rng.IntN(3)
		maxStep := randMaxStep(rng, maxGap)
		window := int64(50 + rng.IntN(200))
		set, m := New[string](1<<30, maxGap, maxStep, window), newModel(1<<30, maxGap, maxStep, window)
		now := int64(rng.IntN(1000))
		var held []int // indexes into m.recs not yet released
		for op := 0; op < 400; op++ {
			now += int64(rng.IntN(int(window / 4)))
			k := fmt.Sprint("k", rng.IntN(2))
			x := rng.IntN(12)
			switch rng.IntN(4) {
			case 0:
				lo, hi := m.run(k, x, now, false), m.run(k, x, now, true)
				if got := set.Length(k, x, now); got < lo || got > hi {
					t.Fatalf("seed %d op %d: Length(%s, %d, %d) = %d, model between %d and %d", seed, op, k, x, now, got, lo, hi)
				}
			case 1:
				if len(held) == 0 {
					continue
				}
				j := rng.IntN(len(held))
				r := &m.recs[held[j]]
				held = slices.Delete(held, j, j+1)
				set.Release(r.id)
				r.released = true
			default:
				id := fmt.Sprint("d", op)
				if _, ok := set.Add(id, k, x, now); !ok {
					t.Fatalf("seed %d op %d: Add refused without a closing", seed, op)
				}
				m.add(id, k, x, now)
				held = append(held, len(m.recs)-1)
			}
		}
	}
}
