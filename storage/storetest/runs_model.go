package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
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
	// Every step of a progression, tried one by one.
	for s := step + 1; m.p.MaxStep != 0 && s <= m.p.MaxStep; s++ {
		np := 1
		for _, dir := range []int{-s, s} {
			for y := x + dir; y >= 0 && m.present(key, y, t, false); y += dir {
				np++
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
