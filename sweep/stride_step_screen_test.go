package sweep

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// strideStepCfg is strideCfg with a stride max_step of 10, and no segment
// rate or sequential rule (only the stride is judged).
func strideStepCfg() Config {
	cfg := strideCfg()
	cfg.SegmentRate, cfg.Sequential = nil, nil
	cfg.Stride.MaxStep = 10
	return cfg
}

// A stride rule with max_step denies one suffix dialled in segments a fixed
// step apart (…0000 1234, …0007 1234, …0014 1234) at run time; Screen flags
// the same list, not one of min_run-1 members, nor one whose step is above
// max_step: screening a list applies the rule the dials meet.
func TestScreenStrideProgression(t *testing.T) {
	for _, tc := range []struct {
		name    string
		n, step int
		want    int // run length flagged, 0: none
	}{
		{"20 by 7", 20, 7, 20},
		{"20 by 10 descending", 20, -10, 20},
		{"19 by 7", 19, 7, 0},
		{"20 by 11", 20, 11, 0},
		{"20 by 3 (the gaps)", 20, 3, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := strideStepCfg()
			h := newHarness(t, cfg)
			var items []Item
			denied := 0
			for i := range tc.n {
				n := seqNum(uint64(861380500+i*tc.step), 1234)
				items = append(items, Item{Line: i + 1, Number: n})
				h.now = t0.Add(time.Duration(i) * time.Minute)
				if dec := h.dial(n); !dec.Allowed {
					denied = i + 1
					wantStride(t, dec, tc.want)
					break
				}
			}
			if (denied != 0) != (tc.want != 0) || (denied != 0 && denied != tc.n) {
				t.Fatalf("run time: dial %d denied (0: none), want the %d-th when flagged", denied, tc.n)
			}
			// Noise: other suffixes in the same segments.
			for i := range tc.n {
				items = append(items, Item{Line: 100 + i, Number: seqNum(uint64(861380500+i*tc.step), 4000+i)})
			}
			rep, err := Screen(context.Background(), items, cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rep.Results {
				want := 0
				if r.Line <= tc.n {
					want = tc.want
				}
				got := 0
				if r.Findings&FindingSequential != 0 {
					got = r.Run
				}
				if got != want {
					t.Fatalf("line %d (%v): run %d flagged, want %d", r.Line, r.Number, got, want)
				}
			}
		})
	}
}

// Screen flags strides as a brute-force model does, over random small lists
// of a few suffixes in neighbouring segments: a number is in a stride when
// the segments dialled with its suffix hold a gap run of min_run or more
// through its segment, or a progression of min_run or more (a step above
// max_gap+1, at most max_step); its Run is the longest of those.
func TestScreenStrideProgressionMatchesModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	progressions := 0
	for round := range 200 {
		st := &Sequential{MinRun: 3 + rng.IntN(3), MaxGap: rng.IntN(2), Window: dialgate.Duration(time.Hour), Cite: uCite}
		st.MaxStep = st.MaxGap + 2 + rng.IntN(8)
		sets := map[int]map[int]bool{} // suffix → segment indexes
		var items []Item
		for range 20 + rng.IntN(60) {
			suffix, seg := 1000+rng.IntN(2), rng.IntN(120)
			if sets[suffix] == nil {
				sets[suffix] = map[int]bool{}
			}
			if sets[suffix][seg] {
				continue
			}
			sets[suffix][seg] = true
			items = append(items, Item{Line: len(items) + 1, Number: seqNum(uint64(861380000+seg), suffix)})
		}
		rep, err := Screen(context.Background(), items, Config{Stride: st}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rep.Results {
			d := items[i].Number.Digits()
			var seg, suffix int
			fmt.Sscanf(d[len(d)-8:len(d)-4], "%d", &seg)
			fmt.Sscanf(d[len(d)-4:], "%d", &suffix)
			set := sets[suffix]
			want, gap := 0, 0
			lo, hi := seg, seg
			for moved := true; moved; {
				moved = false
				for g := 1; g <= st.MaxGap+1; g++ {
					if set[lo-g] {
						lo, moved = lo-g, true
						break
					}
				}
			}
			for moved := true; moved; {
				moved = false
				for g := 1; g <= st.MaxGap+1; g++ {
					if set[hi+g] {
						hi, moved = hi+g, true
						break
					}
				}
			}
			for y := lo; y <= hi; y++ {
				if set[y] {
					gap++
				}
			}
			if gap >= st.MinRun {
				want = gap
			}
			// Up to max_gap members in a row may be missing.
			for s := st.MaxGap + 2; s <= st.MaxStep; s++ {
				p := 1
				for _, d := range []int{-s, s} {
					for y, miss := seg+d, 0; miss <= st.MaxGap && y >= -20000 && y <= 30000; y += d {
						if set[y] {
							p++
							miss = 0
						} else {
							miss++
						}
					}
				}
				if p >= st.MinRun && p > want {
					want = p
					if p > gap {
						progressions++
					}
				}
			}
			got := 0
			if r.Findings&FindingSequential != 0 {
				got = r.Run
			}
			if got != want {
				t.Fatalf("round %d, rule %+v: suffix %d segment %d: run %d, model %d", round, *st, suffix, seg, got, want)
			}
		}
	}
	if progressions == 0 {
		t.Fatal("no number was in a stride by a progression only: the lists need some")
	}
}
