package sweep

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
)

// boundaryCase is a sweep of 20 consecutive numbers whose first ten end one
// segment and last ten start the next: in no single segment do 20 numbers
// form a run, yet the numbers are successive integers (15 O.S. §755.1(D))
// and a dialer repeating this at every boundary sweeps every segment.
type boundaryCase struct {
	name  string
	first uint64 // the E.164 digits of the sweep's first number
	step  int    // +1 counts up, -1 counts down
	gap   int    // numbers skipped between neighbours (at most MaxGap)
}

var boundaryCases = []boundaryCase{
	{"mobile up", 8613800139990, 1, 0},
	{"mobile down", 8613800140009, -1, 0},
	{"mobile up, gaps of 2", 8613800139970, 1, 2},
	{"fixed up", 861058009990, 1, 0},
	{"fixed down, gaps of 2", 861058010029, -1, 2},
	{"NANP up", 14055559990, 1, 0},
}

func (bc boundaryCase) number(i int) dialgate.Number {
	n, err := dialgate.NumberFromUint64(uint64(int64(bc.first) + int64(bc.step*(bc.gap+1)*i)))
	if err != nil {
		panic(err)
	}
	return n
}

// A run of 20 that straddles the boundary between two segments is a sweep at
// run time, in memory and with a shared run store.
func TestSequentialAcrossSegmentBoundary(t *testing.T) {
	cfg := cnCfg
	cfg.SegmentRate = nil
	for _, bc := range boundaryCases {
		for _, shared := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/shared=%v", bc.name, shared), func(t *testing.T) {
				if seg(bc.number(0)) == seg(bc.number(19)) {
					t.Fatalf("case does not straddle a boundary: %s", seg(bc.number(0)))
				}
				var runs storage.Runs
				if shared {
					runs = memstore.New()
				}
				f := newFleet(t, 1, cfg, nil, runs)
				for i := range 20 {
					f.now = t0.Add(time.Duration(i) * time.Minute)
					dec := f.dial(bc.number(i))
					if i < 19 && !dec.Allowed {
						t.Fatalf("dial %d denied early: %v", i, dec.Reasons)
					}
					if i == 19 && (dec.Allowed || !dec.Has(dialgate.CodeSweepSequential)) {
						t.Fatalf("the 20th number of a run across %s and %s: allowed=%v %v",
							seg(bc.number(0)), seg(bc.number(19)), dec.Allowed, dec.Codes())
					}
				}
			})
		}
	}
}

// Ten numbers at the top of one segment and ten at the bottom of the next,
// dialled far apart from each other, are not a run (gap 3 at the boundary):
// the boundary rule does not make neighbours of numbers that are not.
func TestSequentialAcrossBoundaryNeedsNeighbours(t *testing.T) {
	cfg := cnCfg
	cfg.SegmentRate = nil
	h := newHarness(t, cfg)
	for i := range 10 {
		if dec := h.dial(seqNum(861380013, 9996-i*3)); !dec.Allowed {
			t.Fatalf("top %d: %v", i, dec.Reasons)
		}
		if dec := h.dial(seqNum(861380014, 2+i*3)); !dec.Allowed {
			t.Fatalf("bottom %d: %v", i, dec.Reasons)
		}
	}
	// 9999 closes the gap between 9996 and 0002 (3 and 2 apart): 21 numbers.
	if dec := h.dial(seqNum(861380013, 9999)); dec.Allowed || !dec.Has(dialgate.CodeSweepSequential) {
		t.Fatalf("the number joining the two halves: %+v", dec)
	}
}

// overseasSpelling returns the i-th number of a run through a Martinique
// range, written alternately with +33 (the national plan) and +596 (the
// territory's code): two spellings of one line (numbering.OverseasAlias).
func overseasSpelling(i int) dialgate.Number {
	if i%2 == 0 {
		return num(fmt.Sprintf("+33596120%03d", i))
	}
	return num(fmt.Sprintf("+596596120%03d", i))
}

// A dialer alternating the two spellings of French overseas lines splits a
// run over two segments ("+33 59612" and "+596 59612"): the lines are one
// run, at run time and in a list.
func TestSequentialOverseasSpellings(t *testing.T) {
	if seg(overseasSpelling(0)) == seg(overseasSpelling(1)) {
		t.Fatal("the two spellings already share a segment")
	}
	cfg := cnCfg
	cfg.SegmentRate = nil
	h := newHarness(t, cfg)
	for i := range 20 {
		h.now = t0.Add(time.Duration(i) * time.Minute)
		dec := h.dial(overseasSpelling(i))
		if i < 19 && !dec.Allowed {
			t.Fatalf("dial %d denied early: %v", i, dec.Reasons)
		}
		if i == 19 && (dec.Allowed || !dec.Has(dialgate.CodeSweepSequential)) {
			t.Fatalf("the 20th line of a run in two spellings: allowed=%v %v", dec.Allowed, dec.Codes())
		}
	}
}

// Dials racing through a run across a boundary, and through one segment's
// rate, never together get past the limits: the allowed numbers hold no run
// of MinRun (gaps of at most MaxGap), and at most Max numbers of the
// segment are allowed.
func TestConcurrentSweepsStayWithinLimits(t *testing.T) {
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprintf("shared=%v", shared), func(t *testing.T) {
			cfg := cnCfg
			store := memstore.New()
			var runs storage.Runs
			if shared {
				runs = store
			}
			f := newFleet(t, 4, cfg, store, runs)
			var (
				wg      sync.WaitGroup
				allowed atomic.Int64
				mu      sync.Mutex
				got     []int
			)
			bc := boundaryCases[0]
			for i := range 40 { // 40 consecutive numbers around a boundary
				g := f.gates[i%len(f.gates)]
				wg.Add(1)
				go func() {
					defer wg.Done()
					dec, err := g.Check(context.Background(), dialgate.Dial{To: bc.number(i), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"})
					if err != nil {
						t.Error(err)
					}
					if dec.Allowed {
						mu.Lock()
						got = append(got, i)
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			slices.Sort(got)
			longest := 0
			for a := 0; a < len(got); {
				b := a + 1
				for b < len(got) && got[b]-got[b-1] <= cfg.Sequential.MaxGap+1 {
					b++
				}
				longest = max(longest, b-a)
				a = b
			}
			if !shared {
				// Each in-memory Check sees only its own dials (every
				// fourth number: no run).
				return
			}
			if longest >= cfg.Sequential.MinRun {
				t.Fatalf("the numbers allowed concurrently hold a run of %d: %v", longest, got)
			}
			if len(got) < cfg.Sequential.MinRun-1 {
				t.Fatalf("only %d numbers allowed: %v", len(got), got)
			}
			// The segment rate: 60 distinct, non-consecutive numbers of
			// one segment at once; 50 pass.
			for i := range 60 {
				g := f.gates[i%len(f.gates)]
				wg.Add(1)
				go func() {
					defer wg.Done()
					dec, err := g.Check(context.Background(), dialgate.Dial{To: seqNum(861370013, i*10), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"})
					if err != nil {
						t.Error(err)
					}
					if dec.Allowed {
						allowed.Add(1)
					}
				}()
			}
			wg.Wait()
			if n := allowed.Load(); n != 50 {
				t.Fatalf("%d distinct numbers of one segment allowed concurrently, want 50", n)
			}
		})
	}
}
