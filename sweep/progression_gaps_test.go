package sweep

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/teststores"
	"github.com/dialgate/dialgate/storage"
)

// cnRule is cn's sequential rule: runs of 20, gaps of up to 2, steps of up
// to 100, within 24 hours.
func cnRule() *Sequential {
	return &Sequential{MinRun: 20, MaxGap: 2, MaxStep: 100, Window: dialgate.Duration(24 * time.Hour), Cite: uCite}
}

// gapWalk dials the members j of the walk from+j*step (j from 0) for which
// skip(j) is false, through c (Attest then Commit, a minute apart), and
// returns how many dials were made up to and including the first denied
// one (0: none denied) and its reason.
func gapWalk(t *testing.T, c *Check, seg uint64, from, step int, skip func(j int) bool) (int, dialgate.Reason) {
	t.Helper()
	ctx := context.Background()
	dials := 0
	for j := 0; ; j++ {
		x := from + j*step
		if x < 0 || x > 9999 {
			return 0, dialgate.Reason{}
		}
		if skip(j) {
			continue
		}
		d := dialgate.Dial{To: seqNum(seg, x), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "l",
			At: t0.Add(time.Duration(dials) * time.Minute)}
		dials++
		rs, _, err := c.Attest(ctx, d)
		if err == nil && rs == nil {
			rs, err = c.Commit(ctx, d, fmt.Sprintf("g-%d-%d-%d", seg, from, j))
		}
		if err != nil {
			t.Fatal(err)
		}
		if rs != nil {
			return dials, rs[0]
		}
	}
}

// A walk by a fixed step that leaves members out — every 19th (so that no
// 20 members are consecutive), or one refused by a do-not-call list — is
// still a progression: up to max_gap missing members between two dialled
// ones are tolerated, as the gap rule tolerates skipped numbers. It is
// denied at its min_run-th dialled number, in memory and in every run store.
func TestProgressionWalkWithGapsIsStopped(t *testing.T) {
	for _, tc := range []struct {
		name       string
		from, step int
		skip       func(j int) bool
		want       int // dials made up to the denied one (0: none denied)
	}{
		{"step 7 skipping every 19th", 1234, 7, func(j int) bool { return j%19 == 18 }, 20},
		{"step 7 down skipping every 19th", 9000, -7, func(j int) bool { return j%19 == 18 }, 20},
		{"step 13 skipping 2 of every 10", 40, 13, func(j int) bool { return j%10 == 4 || j%10 == 5 }, 20},
		{"step 7, one member refused (dnc)", 1234, 7, func(j int) bool { return j == 6 }, 20},
	} {
		stores := map[string]func(testing.TB) storage.Runs{"in memory": nil}
		for name, open := range teststores.Runs(t) {
			stores[name] = open
		}
		for name, open := range stores {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				var opts []Option
				if open != nil {
					opts = append(opts, WithRuns(open(t)))
				}
				c, err := New(Config{Sequential: cnRule()}, nil, opts...)
				if err != nil {
					t.Fatal(err)
				}
				got, r := gapWalk(t, c, 861390013, tc.from, tc.step, tc.skip)
				if got != tc.want {
					t.Fatalf("denied at dial %d (%+v), want %d", got, r, tc.want)
				}
				if r.Code != dialgate.CodeSweepSequential || evidence(r, "sweep.run_length") != "20" {
					t.Fatalf("reason %+v, want sweep.sequential with run length 20", r)
				}
			})
		}
	}
}

// Members missing in a row beyond max_gap end the walk: 12 members of a
// walk by 7, 3 left out, 12 more (no 20 within reach by the step, nor by a
// multiple of it) are no run of cn's rule; with 2 left out, the walk is
// one and is denied at its 20th dialled number.
func TestProgressionWalkBeyondMaxGapNotJoined(t *testing.T) {
	for _, tc := range []struct {
		missing int
		want    int
	}{{3, 0}, {2, 20}} {
		c, err := New(Config{Sequential: cnRule()}, nil)
		if err != nil {
			t.Fatal(err)
		}
		skip := func(j int) bool { return (j >= 12 && j < 12+tc.missing) || j >= 24+tc.missing }
		if got, r := gapWalk(t, c, 861390013, 0, 7, skip); got != tc.want {
			t.Fatalf("%d missing: denied at dial %d (%+v), want %d", tc.missing, got, r, tc.want)
		}
	}
}

// A dialer of scattered leads is not denied at the default thresholds
// (cn's: runs of 20, gaps of up to 2, steps of up to 100, 24 hours) with
// step walks tolerating gaps: random leads in one segment, as many as the
// segment rate lets through within the window (50 an hour for 24 hours:
// 1,200 of its 10,000 numbers), in each of 5 segments, none denied; and
// us-ok's (runs of 10) with 300 random leads of an NPA-NXX a day in each of
// 20.
func TestProgressionGapsHonestRandomLeads(t *testing.T) {
	for _, tc := range []struct {
		name   string
		minRun int
		segs   int
		leads  int
	}{
		{"cn", 20, 5, 1200},
		{"us-ok", 10, 20, 300},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rule := cnRule()
			rule.MinRun = tc.minRun
			c, err := New(Config{Sequential: rule}, nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(20, 26))
			i := 0
			for seg := range tc.segs {
				for _, x := range rng.Perm(10000)[:tc.leads] {
					d := dialgate.Dial{To: seqNum(861390000+uint64(seg), x), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "l",
						At: t0.Add(time.Duration(i%tc.leads) * 24 * time.Hour / time.Duration(tc.leads))}
					rs, _, err := c.Attest(ctx, d)
					if err == nil && rs == nil {
						rs, err = c.Commit(ctx, d, fmt.Sprint("h", i))
					}
					if err != nil || rs != nil {
						t.Fatalf("segment %d, lead %d: %v %v", seg, i%tc.leads, rs, err)
					}
					i++
				}
			}
		})
	}
}
