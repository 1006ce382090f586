package sweep

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
)

// progRule is a sequential rule with progressions: runs of 10, gaps of up
// to 2, steps of up to 100, within 24 hours.
func progRule() *Sequential {
	return &Sequential{MinRun: 10, MaxGap: 2, MaxStep: 100, Window: dialgate.Duration(24 * time.Hour), Cite: uCite}
}

// walkDenied dials seg's suffixes from..from+29*step through c (Attest
// then Commit, a minute apart) and returns the index of the first denied
// dial and its reason (-1: none denied).
func walkDenied(t *testing.T, c *Check, seg uint64, from, step int) (int, dialgate.Reason) {
	t.Helper()
	ctx := context.Background()
	for i := range 30 {
		x := from + i*step
		if x < 0 || x > 9999 {
			break
		}
		d := dialgate.Dial{To: seqNum(seg, x), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "l",
			At: t0.Add(time.Duration(i) * time.Minute)}
		rs, _, err := c.Attest(ctx, d)
		if err == nil && rs == nil {
			rs, err = c.Commit(ctx, d, fmt.Sprintf("d-%d-%d-%d", seg, from, i))
		}
		if err != nil {
			t.Fatal(err)
		}
		if rs != nil {
			return i, rs[0]
		}
	}
	return -1, dialgate.Reason{}
}

// A dialer walking a segment by a fixed step of 4 or more (…1234, …1241,
// …1248) is denied at the min_run-th number, up or down, steps from
// max_gap+2 to max_step, in memory and on a shared store; a step above
// max_step, or a rule without max_step, lets the walk through.
func TestProgressionWalkIsStopped(t *testing.T) {
	for _, tc := range []struct {
		name       string
		from, step int
		maxStep    int // 0: the rule's (100)
		want       int // index of the first denied dial, -1 none
	}{
		{"step 7 up", 1234, 7, 0, 9},
		{"step 7 down", 8000, -7, 0, 9},
		{"step 4 (max_gap+2)", 100, 4, 0, 9},
		{"step 100 (max_step)", 0, 100, 0, 9},
		{"step 101", 0, 101, 0, -1},
		{"step 3 (the gap rule)", 5000, 3, 0, 9},
		{"off: step 7", 1234, 7, -1, -1},
	} {
		for _, shared := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/shared=%v", tc.name, shared), func(t *testing.T) {
				rule := progRule()
				if tc.maxStep < 0 {
					rule.MaxStep = 0
				}
				var opts []Option
				if shared {
					opts = append(opts, WithRuns(memstore.New()))
				}
				c, err := New(Config{Sequential: rule}, nil, opts...)
				if err != nil {
					t.Fatal(err)
				}
				got, r := walkDenied(t, c, 861390013, tc.from, tc.step)
				if got != tc.want {
					t.Fatalf("first denied dial %d (%v), want %d", got, r, tc.want)
				}
				if got < 0 {
					return
				}
				if r.Code != dialgate.CodeSweepSequential || evidence(r, "sweep.run_length") != "10" {
					t.Fatalf("reason %+v, want sweep.sequential with run length 10", r)
				}
				if evidence(r, "sweep.max_step") != "100" || !strings.Contains(r.Message, "fixed step of up to 100") {
					t.Fatalf("reason %+v, want the max step (100) in evidence and message", r)
				}
				// The segment is closed: a number far from the walk too.
				if n, _ := walkDenied(t, c, 861390013, 9999, 1); n != 0 {
					t.Fatalf("after the walk, a far number: first denied %d, want 0 (segment closed)", n)
				}
			})
		}
	}
}

// A walk by a fixed step across a segment boundary (…139990+7k into the
// next segment) is one progression in the block across the boundary.
func TestProgressionAcrossBoundary(t *testing.T) {
	c, err := New(Config{Sequential: progRule()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 10 {
		v := uint64(8613900139950 + 11*i) // from …0139950 up by 11, into segment 1390014
		n, err := dialgate.NumberFromUint64(v)
		if err != nil {
			t.Fatal(err)
		}
		d := dialgate.Dial{To: n, Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "l", At: t0.Add(time.Duration(i) * time.Minute)}
		rs, _, err := c.Attest(ctx, d)
		if err == nil && rs == nil {
			rs, err = c.Commit(ctx, d, fmt.Sprint("b", i))
		}
		if err != nil {
			t.Fatal(err)
		}
		if (rs != nil) != (i == 9) {
			t.Fatalf("dial %d: reasons %v, want a deny at the 10th only", i, rs)
		}
		if i == 9 && evidence(rs[0], "sweep.across_boundary") != "true" {
			t.Fatalf("reason %+v, want across_boundary", rs[0])
		}
	}
}

// An honest random list of 500 numbers in each of 20 segments, dialled
// within the window, trips no progression (nor run).
func TestProgressionHonestRandomDials(t *testing.T) {
	c, err := New(Config{Sequential: progRule()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 8))
	i := 0
	for seg := range 20 {
		for _, x := range rng.Perm(10000)[:500] {
			d := dialgate.Dial{To: seqNum(861390000+uint64(seg), x), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "l",
				At: t0.Add(time.Duration(i) * time.Second)}
			rs, _, err := c.Attest(ctx, d)
			if err == nil && rs == nil {
				rs, err = c.Commit(ctx, d, fmt.Sprint("h", i))
			}
			if err != nil || rs != nil {
				t.Fatalf("dial %d: %v %v", i, rs, err)
			}
			i++
		}
	}
}

// max_step is validated naming the field; a tenant's is at least the
// profile's; the stride rule takes one too.
func TestProgressionValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  func() Config
		want string
	}{
		{"within the gap", func() Config { r := progRule(); r.MaxStep = 3; return Config{Sequential: r} }, "sweep.sequential.max_step: 3"},
		{"negative", func() Config { r := progRule(); r.MaxStep = -1; return Config{Sequential: r} }, "sweep.sequential.max_step: -1"},
		{"too large", func() Config { r := progRule(); r.MaxStep = MaxStepLimit + 1; return Config{Sequential: r} }, "sweep.sequential.max_step: 1001"},
		{"stride", func() Config { r := progRule(); r.MaxStep = 2; return Config{Stride: r} }, "sweep.stride.max_step: 2"},
		{"tenant lower", func() Config {
			r := progRule()
			r.MaxStep = 50
			return Config{Sequential: progRule(), Tenants: map[string]TenantRules{"acme": {Sequential: r}}}
		}, "sweep.tenants.acme.sequential.max_step: 50 is looser than the profile's 100"},
		{"tenant without", func() Config {
			r := progRule()
			r.MaxStep = 0
			return Config{Sequential: progRule(), Tenants: map[string]TenantRules{"acme": {Sequential: r}}}
		}, "sweep.tenants.acme.sequential.max_step: 0 is looser"},
		{"tenant stride lower", func() Config {
			r := progRule()
			r.MaxStep = 50
			return Config{Stride: progRule(), Tenants: map[string]TenantRules{"acme": {Stride: r}}}
		}, "sweep.tenants.acme.stride.max_step: 50 is looser"},
	} {
		err := tc.cfg().Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	// Valid: max_gap+2, the limit (with a min_run for which its
	// progressions span at most half a segment: TestProgressionSpanAcrossBoundary),
	// a tenant stricter, a tenant adding it.
	for _, ms := range []int{4, MaxStepLimit} {
		r := progRule()
		r.MaxStep = ms
		if ms == MaxStepLimit {
			r.MinRun = 3
		}
		if err := (Config{Sequential: r}).Validate(); err != nil {
			t.Errorf("max_step %d: %v", ms, err)
		}
	}
	stricter := progRule()
	stricter.MaxStep = 200
	off := progRule()
	off.MaxStep = 0
	for _, cfg := range []Config{
		{Sequential: progRule(), Tenants: map[string]TenantRules{"acme": {Sequential: stricter}}},
		{Sequential: off, Tenants: map[string]TenantRules{"acme": {Sequential: progRule()}}},
	} {
		if err := cfg.Validate(); err != nil {
			t.Errorf("%+v: %v", cfg.Tenants, err)
		}
	}
}

// The store keys of a rule do not name its max step: a rule with one and
// the same rule without it use the same keys (those of the builds before
// max_step), each key with the same params but MaxStep (storage.Runs), so
// that an upgrade keeps the run state (TestProgressionUpgradeKeepsRunState).
func TestProgressionStoreKeys(t *testing.T) {
	rec := &recordingRuns{Runs: memstore.New()}
	with := progRule()
	without := progRule()
	without.MaxStep = 0
	for _, rule := range []*Sequential{with, without} {
		c, err := New(Config{Sequential: rule, Stride: rule}, nil, WithRuns(rec))
		if err != nil {
			t.Fatal(err)
		}
		d := dialgate.Dial{To: seqNum(861390013, 1234+rule.MaxStep), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "l", At: t0}
		if _, err := c.Commit(context.Background(), d, fmt.Sprint("k", rule.MaxStep)); err != nil {
			t.Fatal(err)
		}
	}
	if len(rec.keys) != 4 { // the segment's, across the boundary, two strides' (two suffixes)
		t.Fatalf("keys %v: want 4", rec.keys)
	}
	for key, p := range rec.keys {
		if !strings.HasPrefix(key, "sweep/seq/10/2/1d/") && !strings.HasPrefix(key, "sweep/stride/10/2/1d/") || strings.Contains(key, "step") {
			t.Errorf("unexpected key %q", key)
		}
		p.MaxStep = 0
		if p != without.params() {
			t.Errorf("key %q used with %+v, want %+v", key, p, without.params())
		}
	}
}

// recordingRuns remembers the params every key was recorded with, and
// fails a key recorded with params other than its first's (MaxStep aside).
type recordingRuns struct {
	storage.Runs
	keys map[string]storage.RunParams
}

func (r *recordingRuns) RecordRun(ctx context.Context, id, key string, x int, t time.Time, p storage.RunParams) (int, bool, error) {
	if r.keys == nil {
		r.keys = map[string]storage.RunParams{}
	}
	if old, ok := r.keys[key]; ok && (old.MinRun != p.MinRun || old.MaxGap != p.MaxGap || old.Window != p.Window) {
		return 0, false, errors.New("key " + key + " used with two sets of params (MaxStep aside)")
	}
	r.keys[key] = p
	return r.Runs.RecordRun(ctx, id, key, x, t, p)
}

// Screening flags a progression of min_run or more numbers of one segment
// (any order, other numbers between), not one of min_run-1, not one of a
// step above max_step, nor without max_step.
func TestScreenProgression(t *testing.T) {
	for _, tc := range []struct {
		name    string
		n, step int
		maxStep int
		want    int // numbers flagged sweep.sequential
	}{
		{"10 by 7", 10, 7, 100, 10},
		{"12 by 100", 12, 100, 100, 12},
		{"9 by 7", 9, 7, 100, 0},
		{"10 by 101", 10, 101, 100, 0},
		{"10 by 7 without max_step", 10, 7, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			for i := tc.n - 1; i >= 0; i-- { // descending order in the file
				fmt.Fprintf(&b, "+86139001%05d\n", 3000+i*tc.step)
				fmt.Fprintf(&b, "+86139002%05d\n", 3000+i*(tc.step+13)) // another segment, a step 13 larger
			}
			b.WriteString("+8613900139000\n")
			rule := progRule()
			rule.MaxStep = tc.maxStep
			rep, err := Screen(context.Background(), readAll(t, b.String(), ListOptions{}), Config{Sequential: rule}, nil)
			if err != nil {
				t.Fatal(err)
			}
			wantFlagged := tc.want
			if tc.n >= rule.MinRun && steppedBy(tc.step+13, rule.MaxGap, tc.maxStep) {
				// The other segment's walk is one too (114 by 101's: 57,
				// every other member missing).
				wantFlagged += tc.n
			}
			if rep.Sequential != wantFlagged {
				t.Fatalf("%d flagged, want %d: %+v", rep.Sequential, wantFlagged, rep.Segments)
			}
			for _, r := range rep.Results {
				if r.Findings&FindingSequential != 0 && r.Run != tc.n {
					t.Errorf("line %d: run %d, want %d", r.Line, r.Run, tc.n)
				}
			}
		})
	}
}

// steppedBy reports whether a walk by d is a progression of a rule with
// maxGap and maxStep: d/k is a step of it (above maxGap+1, at most maxStep)
// for some k from 1 to maxGap+1 (k-1 members missing between two dialled).
func steppedBy(d, maxGap, maxStep int) bool {
	for k := 1; k <= maxGap+1; k++ {
		if d%k == 0 && d/k > maxGap+1 && d/k <= maxStep {
			return true
		}
	}
	return false
}

// An honest list (random numbers over the networks in use) holds no
// progression, with cn's min_run (20) or us-ok's (10) and a max step of
// 100.
func TestScreenProgressionHonestList(t *testing.T) {
	for _, minRun := range []int{20, 10} {
		rule := progRule()
		rule.MinRun = minRun
		for _, seed := range []uint64{1, 2} {
			rep, err := Screen(context.Background(), realLooking(100_000, seed), Config{Sequential: rule}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Sequential != 0 {
				t.Fatalf("min_run %d seed %d: %d numbers falsely flagged: %+v", minRun, seed, rep.Sequential, rep.Segments)
			}
		}
	}
}

// Screen flags as a brute-force model does, over random small lists in two
// neighbouring segments: a number is in a run when a gap run of min_run or
// more, or a progression of min_run or more (a step above max_gap+1, at most
// max_step, up to max_gap members in a row missing) holds it; its Run is
// the longest of those.
func TestScreenProgressionMatchesModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	flagged, progressions := 0, 0 // numbers flagged; of which by a progression longer than their gap run
	for round := range 300 {
		rule := &Sequential{MinRun: 3 + rng.IntN(3), MaxGap: rng.IntN(2), Window: dialgate.Duration(time.Hour), Cite: uCite}
		rule.MaxStep = rule.MaxGap + 2 + rng.IntN(10)
		set := map[int]bool{}
		var b strings.Builder
		for range 20 + rng.IntN(60) {
			x := 9800 + rng.IntN(400) // across the boundary of 1390013 and 1390014
			if set[x] {
				continue
			}
			set[x] = true
			fmt.Fprintf(&b, "+86139001%d%04d\n", 3+x/10000, x%10000)
		}
		rep, err := Screen(context.Background(), readAll(t, b.String(), ListOptions{}), Config{Sequential: rule}, nil)
		if err != nil {
			t.Fatal(err)
		}
		// The model: every value's longest gap run and progression.
		want := map[int]int{}
		for x := range set {
			n := 0
			// gap run: the connected chain.
			lo, hi := x, x
			for {
				moved := false
				for d := 1; d <= rule.MaxGap+1; d++ {
					if set[lo-d] {
						lo -= d
						moved = true
						break
					}
				}
				if !moved {
					break
				}
			}
			for {
				moved := false
				for d := 1; d <= rule.MaxGap+1; d++ {
					if set[hi+d] {
						hi += d
						moved = true
						break
					}
				}
				if !moved {
					break
				}
			}
			g := 0
			for y := lo; y <= hi; y++ {
				if set[y] {
					g++
				}
			}
			if g >= rule.MinRun {
				n = g
			}
			gapOnly := n
			// Up to max_gap members in a row may be missing.
			for s := rule.MaxGap + 2; s <= rule.MaxStep; s++ {
				p := 1
				for _, d := range []int{-s, s} {
					for y, miss := x+d, 0; miss <= rule.MaxGap && y >= -20000 && y <= 30000; y += d {
						if set[y] {
							p++
							miss = 0
						} else {
							miss++
						}
					}
				}
				if p >= rule.MinRun {
					n = max(n, p)
				}
			}
			if n > 0 {
				want[x] = n
				flagged++
			}
			if n > gapOnly {
				progressions++
			}
		}
		for _, r := range rep.Results {
			d := r.Number.Digits()
			x, _ := strconv.Atoi(d[len(d)-5:])
			x = (x/10000-3)*10000 + x%10000
			got := 0
			if r.Findings&FindingSequential != 0 {
				got = r.Run
			}
			if got != want[x] {
				t.Fatalf("round %d, rule %+v: value %d: run %d, model %d", round, *rule, x, got, want[x])
			}
		}
	}
	if flagged == 0 || progressions == 0 {
		t.Fatalf("%d numbers flagged, %d by a progression: the lists need both", flagged, progressions)
	}
	t.Logf("%d numbers flagged, %d by a progression", flagged, progressions)
}
