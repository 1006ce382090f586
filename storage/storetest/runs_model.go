package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/dialgate/dialgate/storage"
)

// runModel is the reference runRandom checks a store against: every record
// kept in a list, a value present under a key while its record is not
// released and was made within the window; runs and closings recomputed
// from scratch at every call.
type runModel struct {
	p         storage.RunParams
	recs      []runModelRec
	flagUntil map[string]time.Time
	flagRun   map[string]int
}

type runModelRec struct {
	id       string
	key      string
	x        int
	at       time.Time
	released bool
}

// present reports whether a record of x under key is in force at t
// (released ones too when loose).
func (m *runModel) present(key string, x int, t time.Time, loose bool) bool {
	for _, r := range m.recs {
		if r.key == key && r.x == x && r.at.After(t.Add(-m.p.Window)) && (loose || !r.released) {
			return true
		}
	}
	return false
}

func (m *runModel) run(key string, x int, t time.Time) int {
	n, step := 1, m.p.MaxGap+1
	for _, dir := range []int{-1, 1} {
		for prev, y := x, x+dir; (y-prev)*dir <= step && y >= 0; y += dir {
			if m.present(key, y, t, false) {
				n++
				prev = y
			}
		}
	}
	// Every step of a progression, tried one by one; up to MaxGap members
	// in a row may be missing between two counted ones.
	for s := step + 1; m.p.MaxStep != 0 && s <= m.p.MaxStep; s++ {
		np := 1
		for _, dir := range []int{-s, s} {
			for y, miss := x+dir, 0; miss <= m.p.MaxGap && y >= 0 && y <= storage.MaxRunValue; y += dir {
				if m.present(key, y, t, false) {
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

func (m *runModel) flagged(key string, t time.Time) int {
	if m.flagRun[key] > 0 && t.Before(m.flagUntil[key]) {
		return m.flagRun[key]
	}
	return 0
}

func (m *runModel) length(key string, x int, t time.Time) int {
	if n := m.flagged(key, t); n > 0 {
		return n
	}
	n := m.run(key, x, t)
	if n >= m.p.MinRun {
		m.flagUntil[key], m.flagRun[key] = t.Add(m.p.Window), n
	}
	return n
}

func (m *runModel) record(id, key string, x int, t time.Time) (int, bool) {
	if n := m.flagged(key, t); n > 0 {
		return n, false
	}
	if n := m.run(key, x, t); n >= m.p.MinRun {
		m.flagUntil[key], m.flagRun[key] = t.Add(m.p.Window), n
		return n, false
	}
	m.recs = append(m.recs, runModelRec{id: id, key: key, x: x, at: t})
	return 0, true
}

// runRandom: random RecordRun, RunLength and ReleaseRun calls, the clock
// moving forward by up to a third of the window (so values leave it and
// closings end), answer as the model does. A value is recorded only while
// no other record of it under its key is within the window (released or
// not), so each value has one holder and a release forgets it exactly.
func runRandom(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	p := storage.RunParams{MinRun: 4, MaxGap: 1, Window: time.Hour}
	if err := runRandomWith(ctx, s, "random", p, 16); err != nil {
		return err
	}
	// Progressions: steps 3 to 7 among values 0–47.
	pp := storage.RunParams{MinRun: 4, MaxGap: 1, MaxStep: 7, Window: time.Hour}
	return runRandomWith(ctx, s, "progression", pp, 48)
}

// runRandomWith is runRandom with params p, values 0 to span-1 and keys and
// ids starting with name.
func runRandomWith(ctx context.Context, s storage.Runs, name string, p storage.RunParams, span int) error {
	for seed := uint64(1); seed <= 3; seed++ {
		rng := rand.New(rand.NewPCG(seed, 3))
		m := &runModel{p: p, flagUntil: map[string]time.Time{}, flagRun: map[string]int{}}
		now := t0
		var held []int
		for op := 0; op < 300; op++ {
			now = now.Add(time.Duration(rng.IntN(20)) * time.Minute)
			key := fmt.Sprintf("%s%d/k%d", name, seed, rng.IntN(2))
			x := rng.IntN(span)
			at := fmt.Sprintf("seed %d op %d at %s", seed, op, now.Sub(t0))
			switch r := rng.IntN(5); {
			case r == 0:
				if err := wantLength(ctx, s, key, x, now, p, m.length(key, x, now)); err != nil {
					return fmt.Errorf("%s: %w", at, err)
				}
			case r == 1 && len(held) > 0:
				j := rng.IntN(len(held))
				rec := &m.recs[held[j]]
				held = append(held[:j], held[j+1:]...)
				if err := s.ReleaseRun(ctx, rec.id); err != nil {
					return fmt.Errorf("%s: ReleaseRun(%q): %w", at, rec.id, err)
				}
				rec.released = true
			default:
				if m.present(key, x, now, true) {
					continue
				}
				id := fmt.Sprintf("%s%d-%d", name, seed, op)
				wn, wok := m.record(id, key, x, now)
				if err := record(ctx, s, id, key, x, now, p, wn, wok); err != nil {
					return fmt.Errorf("%s: %w", at, err)
				}
				if wok {
					held = append(held, len(m.recs)-1)
				}
			}
		}
	}
	return nil
}

// runRandomProgressions: as runRandom, with random parameters per seed
// (MaxGap 0 to 2, MaxStep MaxGap+2 to MaxGap+10, MinRun 3 to 6), values at
// the bottom (0–39) or the top (MaxRunValue-39 to MaxRunValue) of their
// range, and calls made by a clock up to 50 minutes behind the latest one
// (within storage.PruneMargin: values kept past the window must then count
// for it, and still not for the others). A value is recorded only while no
// record of it under its key lies within the window, storage.PruneMargin
// and that lag of the call (released or not), so that each value has one
// holder in every store and a release forgets it exactly.
func runRandomProgressions(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	const span = 40
	for seed := uint64(1); seed <= 4; seed++ {
		rng := rand.New(rand.NewPCG(seed, 17))
		p := storage.RunParams{MinRun: 3 + rng.IntN(4), MaxGap: rng.IntN(3), Window: time.Hour}
		p.MaxStep = p.MaxGap + 2 + rng.IntN(9)
		base := 0
		if seed%2 == 0 {
			base = storage.MaxRunValue - span + 1
		}
		m := &runModel{p: p, flagUntil: map[string]time.Time{}, flagRun: map[string]int{}}
		latest := t0
		var held []int
		for op := 0; op < 250; op++ {
			latest = latest.Add(time.Duration(rng.IntN(15)) * time.Minute)
			now := latest
			if rng.IntN(4) == 0 {
				now = now.Add(-time.Duration(rng.IntN(50)) * time.Minute)
			}
			key := fmt.Sprintf("randprog%d/k%d", seed, rng.IntN(2))
			x := base + rng.IntN(span)
			at := fmt.Sprintf("seed %d (%+v) op %d at %s", seed, p, op, now.Sub(t0))
			switch r := rng.IntN(5); {
			case r == 0:
				if err := wantLength(ctx, s, key, x, now, p, m.length(key, x, now)); err != nil {
					return fmt.Errorf("%s: %w", at, err)
				}
			case r == 1 && len(held) > 0:
				j := rng.IntN(len(held))
				rec := &m.recs[held[j]]
				held = append(held[:j], held[j+1:]...)
				if err := s.ReleaseRun(ctx, rec.id); err != nil {
					return fmt.Errorf("%s: ReleaseRun(%q): %w", at, rec.id, err)
				}
				rec.released = true
			default:
				if slices.ContainsFunc(m.recs, func(r runModelRec) bool {
					d := r.at.Sub(now)
					return r.key == key && r.x == x && d.Abs() < p.Window+storage.PruneMargin+time.Hour
				}) {
					continue
				}
				id := fmt.Sprintf("randprog%d-%d", seed, op)
				wn, wok := m.record(id, key, x, now)
				if err := record(ctx, s, id, key, x, now, p, wn, wok); err != nil {
					return fmt.Errorf("%s: %w", at, err)
				}
				if wok {
					held = append(held, len(m.recs)-1)
				}
			}
		}
	}
	return nil
}
