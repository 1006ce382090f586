package sweep

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
)

// strideCfg is cnCfg with the cn profile's stride rule (runs of 20
// successive segments, up to 2 skipped, within 24 hours).
func strideCfg() Config {
	cfg := cnCfg
	cfg.Stride = &Sequential{MinRun: 20, MaxGap: 2, Window: dialgate.Duration(24 * time.Hour), Cite: uCite}
	return cfg
}

// evidence returns the value of key in r's evidence, "" when missing.
func evidence(r dialgate.Reason, key string) string {
	for _, e := range r.Evidence {
		if e.Key == key {
			return e.Value
		}
	}
	return ""
}

// wantStride fails unless dec is denied with sweep.sequential naming a
// stride run of n.
func wantStride(t *testing.T, dec dialgate.Decision, n int) {
	t.Helper()
	if dec.Allowed || len(dec.Reasons) != 1 || dec.Reasons[0].Code != dialgate.CodeSweepSequential {
		t.Fatalf("decision %v %v, want a sweep.sequential deny", dec.Allowed, dec.Reasons)
	}
	r := dec.Reasons[0]
	if evidence(r, "sweep.kind") != "stride" || evidence(r, "sweep.run_length") != strconv.Itoa(n) {
		t.Fatalf("evidence %v, want sweep.kind stride and run_length %d", r.Evidence, n)
	}
}

// A dialer stepping through successive 号段 with one suffix (+86 138 0000
// 1234, +86 138 0001 1234, …) shows each segment one number: neither the
// segment rate nor the sequential rule sees it. The stride rule denies the
// twentieth, and the suffix stays closed to the tenant in the whole block
// for the window, however far the dialer jumps; other suffixes are not.
func TestStrideSweepIsStopped(t *testing.T) {
	h := newHarness(t, strideCfg())
	for i := range 19 {
		h.now = t0.Add(time.Duration(i) * time.Minute)
		if dec := h.dial(seqNum(861380000+uint64(i), 1234)); !dec.Allowed {
			t.Fatalf("dial %d: denied %v", i, dec.Reasons)
		}
	}
	h.now = t0.Add(19 * time.Minute)
	wantStride(t, h.dial(seqNum(861380019, 1234)), 20)
	// The key is closed: the next segment, and a far one, with the suffix.
	h.now = t0.Add(20 * time.Minute)
	wantStride(t, h.dial(seqNum(861380020, 1234)), 20)
	wantStride(t, h.dial(seqNum(861395555, 1234)), 20)
	// Another suffix in the same segments is not part of it.
	if dec := h.dial(seqNum(861380020, 4321)); !dec.Allowed {
		t.Fatalf("other suffix denied: %v", dec.Reasons)
	}
	// After the window the suffix opens again.
	h.now = t0.Add(20*time.Minute + 24*time.Hour)
	if dec := h.dial(seqNum(861380020, 1234)); !dec.Allowed {
		t.Fatalf("after the window: denied %v", dec.Reasons)
	}
}

// Strides down, with skipped segments, on fixed lines and North American
// NPA-NXX codes are runs; a stride skipping 3 segments each time is not
// (max_gap 2), nor is one that changes the suffix every time.
func TestStridePatterns(t *testing.T) {
	for _, tc := range []struct {
		name string
		num  func(i int) dialgate.Number
		deny bool
	}{
		{"down", func(i int) dialgate.Number { return seqNum(861390500-uint64(i), 8888) }, true},
		{"every third segment", func(i int) dialgate.Number { return seqNum(861380000+3*uint64(i), 42) }, true},
		{"fixed line", func(i int) dialgate.Number { return seqNum(86105800+uint64(i), 1234) }, true},
		{"NPA-NXX", func(i int) dialgate.Number { return seqNum(1405550+uint64(i), 100) }, true},
		{"across a network boundary", func(i int) dialgate.Number { return seqNum(861389990+uint64(i), 1234) }, true},
		// +49 1999999999x → +49 2000000000x: across a stride block
		// boundary of an 11-digit segment.
		{"long segment across a block", func(i int) dialgate.Number { return seqNum(49199999990+uint64(i), 1234) }, true},
		{"every fourth segment", func(i int) dialgate.Number { return seqNum(861380000+4*uint64(i), 1234) }, false},
		{"suffix stepping", func(i int) dialgate.Number { return seqNum(861380000+uint64(i), 1234+7*i) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := strideCfg()
			cfg.SegmentRate = nil
			h := newHarness(t, cfg)
			for i := range 20 {
				h.now = t0.Add(time.Duration(i) * time.Minute)
				dec := h.dial(tc.num(i))
				if i < 19 || !tc.deny {
					if !dec.Allowed {
						t.Fatalf("dial %d: denied %v", i, dec.Reasons)
					}
					continue
				}
				wantStride(t, dec, 20)
			}
		})
	}
}

// Honest dialling is not a stride: random numbers, and a CRM list sorted
// ascending (the numbers of successive segments, a few each, with random
// suffixes), dialled within one window.
func TestStrideHonestPatterns(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var random, sorted []dialgate.Number
	for range 5000 {
		random = append(random, seqNum(861300000+rng.Uint64N(700000), rng.IntN(10000)))
	}
	for s := range uint64(2000) {
		for range 3 {
			sorted = append(sorted, seqNum(861380000+s, rng.IntN(10000)))
		}
	}
	slices.SortFunc(sorted, func(a, b dialgate.Number) int { return int(a.Uint64()) - int(b.Uint64()) })
	sorted = slices.Compact(sorted)
	for name, list := range map[string][]dialgate.Number{"random": random, "CRM list sorted ascending": sorted} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, strideCfg())
			for i, n := range list {
				h.now = t0.Add(time.Duration(i) * 10 * time.Second)
				if dec := h.dial(n); !dec.Allowed {
					t.Fatalf("dial %d: denied %v", i, dec.Reasons)
				}
			}
		})
	}
}

// A stride spread round-robin over four sidecars sharing one run store is
// seen as on one; the stride and sequential rules' keys in the store do not
// mix (a sequential run of 19 and a stride of 19 with the same values, in
// one store, are both allowed).
func TestStrideAcrossFleet(t *testing.T) {
	cfg := strideCfg()
	cfg.SegmentRate = nil
	var runs storage.Runs = memstore.New()
	f := newFleet(t, 4, cfg, nil, runs)
	for i := range 19 {
		f.now = t0.Add(time.Duration(i) * time.Minute)
		// Sequential values 0–18 in segment 1380000 …
		if dec := f.dial(seqNum(861380000, i)); !dec.Allowed {
			t.Fatalf("sequential dial %d: %v", i, dec.Reasons)
		}
	}
	for i := range 19 {
		f.now = t0.Add(time.Duration(20+i) * time.Minute)
		// … and a stride of suffix 0 through segments 1390000–1390018.
		if dec := f.dial(seqNum(861390000+uint64(i), 0)); !dec.Allowed {
			t.Fatalf("stride dial %d through sidecar %d: %v", i, (19+i)%4, dec.Reasons)
		}
	}
	f.now = t0.Add(40 * time.Minute)
	dec := f.dial(seqNum(861390019, 0))
	if dec.Allowed || evidence(dec.Reasons[0], "sweep.kind") != "stride" {
		t.Fatalf("20th stride dial: %v %v", dec.Allowed, dec.Reasons)
	}
}

// A tenant may be held to a stricter stride rule; a looser one is refused,
// naming the field.
func TestStrideTenantAndValidate(t *testing.T) {
	cfg := strideCfg()
	cfg.SegmentRate = nil
	cfg.Tenants = map[string]TenantRules{"strict": {Stride: &Sequential{MinRun: 5, MaxGap: 2, Window: dialgate.Duration(48 * time.Hour), Cite: uCite}}}
	f := newFleet(t, 1, cfg, nil, nil)
	for i := range 5 {
		f.now = t0.Add(time.Duration(i) * time.Minute)
		dec := f.dialAs("strict", seqNum(861380000+uint64(i), 77))
		if (i < 4) != dec.Allowed {
			t.Fatalf("strict dial %d: allowed=%v %v", i, dec.Allowed, dec.Reasons)
		}
		if dec := f.dialAs("acme", seqNum(861380000+uint64(i), 77)); !dec.Allowed {
			t.Fatalf("acme dial %d: %v", i, dec.Reasons)
		}
	}
	for _, tc := range []struct {
		name string
		mut  func(*Config)
		want string
	}{
		{"min_run", func(c *Config) { c.Stride.MinRun = 2 }, "sweep.stride.min_run: 2 is not between 3 and 10000"},
		{"max_gap", func(c *Config) { c.Stride.MaxGap = 101 }, "sweep.stride.max_gap"},
		{"window", func(c *Config) { c.Stride.Window = 0 }, "sweep.stride.window"},
		{"cite", func(c *Config) { c.Stride.Cite = dialgate.Citation{} }, "sweep.stride.cite"},
		{"tenant looser", func(c *Config) {
			c.Tenants = map[string]TenantRules{"a": {Stride: &Sequential{MinRun: 21, MaxGap: 2, Window: dialgate.Duration(24 * time.Hour), Cite: uCite}}}
		}, "sweep.tenants.a.stride.min_run: 21 is looser than the profile's 20"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := strideCfg()
			s := *cfg.Stride
			cfg.Stride = &s
			tc.mut(&cfg)
			if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate: %v, want %q", err, tc.want)
			}
		})
	}
	// A stride rule alone is a run-time rule.
	if _, err := New(Config{Stride: strideCfg().Stride}, nil); err != nil {
		t.Fatalf("stride alone: %v", err)
	}
}

// Screening finds a stride in a list, in whatever order, as
// sweep.sequential; a CRM list sorted by number (random suffixes), and a
// large random list, hold none.
func TestScreenStride(t *testing.T) {
	var items []Item
	for i := range 20 {
		items = append(items, Item{Line: i + 1, Number: seqNum(861380000+uint64(19-i), 1234)})
	}
	// Noise: the same segments with other suffixes, and 19 of another stride.
	for i := range 19 {
		items = append(items, Item{Line: 100 + i, Number: seqNum(861380000+uint64(i), 4000+i)})
		items = append(items, Item{Line: 200 + i, Number: seqNum(861390000+2*uint64(i), 5555)})
	}
	rep, err := Screen(context.Background(), items, strideCfg(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rep.Results {
		want := i < 20
		if got := r.Findings&FindingSequential != 0; got != want {
			t.Fatalf("line %d (%v): sequential finding %v, want %v", r.Line, r.Number, got, want)
		}
		if want && r.Run != 20 {
			t.Fatalf("line %d: run %d, want 20", r.Line, r.Run)
		}
	}
	// Without the stride rule the list passes.
	cfg := strideCfg()
	cfg.Stride = nil
	if rep, err := Screen(context.Background(), items, cfg, nil); err != nil || rep.Sequential != 0 {
		t.Fatalf("without stride: %v, %d sequential", err, rep.Sequential)
	}
	// Honest lists.
	rng := rand.New(rand.NewPCG(3, 4))
	var sorted []Item
	for s := range uint64(5000) {
		for range 5 {
			sorted = append(sorted, Item{Line: len(sorted) + 1, Number: seqNum(861380000+s, rng.IntN(10000))})
		}
	}
	for name, list := range map[string][]Item{"CRM list sorted ascending": sorted, "random": realLooking(100_000, 7)} {
		rep, err := Screen(context.Background(), list, strideCfg(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Sequential != 0 {
			t.Errorf("%s: %d numbers falsely in runs: %+v", name, rep.Sequential, rep.Segments[:min(3, len(rep.Segments))])
		}
	}
}
