package sweep

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/numbering"
	"github.com/dialgate/dialgate/storage/memstore"
)

var (
	uCite = dialgate.Citation{Source: dialgate.SourceConvention, Ref: "dialgate convention (CN-S4b)"}
	cnCfg = Config{
		Provenance:  &Rule{Cite: dialgate.Citation{Source: dialgate.SourceLaw, Ref: "工信厅信管函〔2018〕337号 (CN-S4b)"}},
		SegmentRate: &SegmentRate{Max: 50, Window: dialgate.Duration(time.Hour), Cite: uCite},
		Sequential:  &Sequential{MinRun: 20, MaxGap: 2, Window: dialgate.Duration(24 * time.Hour), Cite: uCite},
		Coverage:    &Coverage{MaxPerSegment: 200, Cite: uCite},
	}
	t0 = time.Date(2026, 12, 5, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
)

func num(s string) dialgate.Number { return dialgate.MustParseNumber(s) }

func seqNum(seg uint64, suffix int) dialgate.Number {
	n, err := dialgate.NumberFromUint64(seg*10000 + uint64(suffix))
	if err != nil {
		panic(err)
	}
	return n
}

type harness struct {
	t   testing.TB
	g   *dialgate.Gate
	now time.Time
	c   *Check
}

func newHarness(t testing.TB, cfg Config) *harness {
	c, err := New(cfg, memstore.New())
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, c: c, now: t0}
	var id atomic.Int64
	g, err := dialgate.New([]dialgate.Checker{c}, dialgate.WithoutAuditLog(),
		dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return h.now })),
		dialgate.WithDecisionIDs(func() string { return fmt.Sprintf("d%d", id.Add(1)) }))
	if err != nil {
		t.Fatal(err)
	}
	h.g = g
	return h
}

func (h *harness) dial(to dialgate.Number) dialgate.Decision {
	h.t.Helper()
	dec, err := h.g.Check(context.Background(), dialgate.Dial{To: to, Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"})
	if err != nil {
		h.t.Fatal(err)
	}
	for _, r := range dec.Reasons {
		if strings.Contains(r.Message, to.Digits()) || strings.Contains(r.Message, to.National()) {
			h.t.Fatalf("reason message %q holds the callee number", r.Message)
		}
		for _, e := range r.Evidence {
			if strings.Contains(e.Value, to.National()) {
				h.t.Fatalf("evidence %v holds the callee number", e)
			}
		}
	}
	return dec
}

func TestProvenance(t *testing.T) {
	h := newHarness(t, cnCfg)
	ctx := context.Background()
	base := dialgate.Dial{To: num("+8613900139000"), Purpose: dialgate.PurposeService, Tenant: "acme"}
	dec, _ := h.g.Check(ctx, base)
	if dec.Allowed || !dec.Has(dialgate.CodeSweepNoProvenance) {
		t.Fatalf("no provenance: %+v", dec)
	}
	for name, d := range map[string]dialgate.Dial{
		"lead":    {To: base.To, Purpose: base.Purpose, LeadID: "crm-42"},
		"consent": {To: base.To, Purpose: base.Purpose, ConsentID: "c-1"},
		"trigger": {To: base.To, Purpose: dialgate.PurposeCallback, TriggerAt: t0.Add(-time.Minute)},
	} {
		if dec, err := h.g.Check(ctx, d); err != nil || !dec.Allowed {
			t.Errorf("%s: %+v %v", name, dec, err)
		}
	}
	// Provenance off: allowed.
	off := cnCfg
	off.Provenance = nil
	h2 := newHarness(t, off)
	if dec, _ := h2.g.Check(ctx, base); !dec.Allowed {
		t.Errorf("provenance off: %+v", dec)
	}
}

// The sweep of the issue: +86139000 0000, 0001, 0002… is stopped once 20
// numbers make a run, and stays stopped.
func TestSequentialAscendingSweepIsStopped(t *testing.T) {
	h := newHarness(t, cnCfg)
	for i := 0; i < 40; i++ {
		h.now = t0.Add(time.Duration(i) * 30 * time.Second)
		dec := h.dial(seqNum(861390000, i))
		if i < 19 && !dec.Allowed {
			t.Fatalf("dial %d denied early: %v", i, dec.Reasons)
		}
		if i >= 19 {
			if dec.Allowed || !dec.Has(dialgate.CodeSweepSequential) {
				t.Fatalf("dial %d (run of %d) allowed: %+v", i, i+1, dec)
			}
		}
	}
	// Skipping ahead by at most the gap keeps it stopped.
	if dec := h.dial(seqNum(861390000, 21)); dec.Allowed {
		t.Fatal("skipping two numbers escaped the run")
	}
	// Another segment is not affected.
	if dec := h.dial(seqNum(861390001, 0)); !dec.Allowed {
		t.Fatalf("other segment: %v", dec.Reasons)
	}
}

func TestSequentialPatterns(t *testing.T) {
	tests := []struct {
		name     string
		suffixes []int
		denyAt   int // index of the first denied dial, -1 for none
	}{
		{"descending", seq(9999, -1, 25), 19},
		{"gap 2", seq(100, 3, 25), 19},
		{"gap 3 is no run", seq(100, 4, 25), -1},
		{"interleaved up and down", interleave(seq(0, 1, 12), seq(22, -1, 12)), 20},
		{"shuffled block", []int{5, 1, 9, 3, 7, 2, 8, 4, 6, 10, 0, 12, 11, 14, 13, 16, 15, 18, 17, 19, 20}, 19},
		{"scattered", []int{17, 4512, 9001, 233, 7777, 1234, 5678, 4321, 8765, 3030, 6060, 9090, 101, 2020, 4040, 5050, 7070, 8080, 9191, 3131, 6262, 333}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := cnCfg
			cfg.SegmentRate = nil
			h := newHarness(t, cfg)
			for i, s := range tt.suffixes {
				dec := h.dial(seqNum(861380013, s))
				denied := !dec.Allowed
				if tt.denyAt >= 0 && i >= tt.denyAt && !denied {
					t.Fatalf("dial %d (suffix %d) allowed, want denied from %d", i, s, tt.denyAt)
				}
				if (tt.denyAt < 0 || i < tt.denyAt) && denied {
					t.Fatalf("dial %d (suffix %d) denied: %v", i, s, dec.Reasons)
				}
				if denied && !dec.Has(dialgate.CodeSweepSequential) {
					t.Fatalf("dial %d: %v", i, dec.Codes())
				}
			}
		})
	}
}

func seq(from, step, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = from + i*step
	}
	return out
}

func interleave(a, b []int) []int {
	var out []int
	for i := range a {
		out = append(out, a[i], b[i])
	}
	return out
}

func TestSequentialWindowAndRelease(t *testing.T) {
	cfg := cnCfg
	cfg.SegmentRate = nil
	h := newHarness(t, cfg)
	var decs []dialgate.Decision
	for i := range 19 {
		decs = append(decs, h.dial(seqNum(861380013, i)))
	}
	// Releasing a dial that was not placed takes it out of the run.
	if err := h.g.Release(context.Background(), decs[18]); err != nil {
		t.Fatal(err)
	}
	if err := h.g.Release(context.Background(), decs[17]); err != nil {
		t.Fatal(err)
	}
	if dec := h.dial(seqNum(861380013, 17)); !dec.Allowed {
		t.Fatalf("after release: %v", dec.Reasons)
	}
	if dec := h.dial(seqNum(861380013, 18)); !dec.Allowed {
		t.Fatalf("after release: %v", dec.Reasons)
	}
	if dec := h.dial(seqNum(861380013, 19)); dec.Allowed {
		t.Fatal("20th number allowed")
	}
	// After the window the old numbers no longer count.
	h.now = t0.Add(24*time.Hour + time.Second)
	if dec := h.dial(seqNum(861380013, 19)); !dec.Allowed {
		t.Fatalf("after the window: %v", dec.Reasons)
	}
}

func TestSegmentRate(t *testing.T) {
	cfg := cnCfg
	cfg.Sequential = nil
	h := newHarness(t, cfg)
	rng := rand.New(rand.NewPCG(1, 2))
	perm := rng.Perm(10000)
	var first dialgate.Decision
	for i := range 50 {
		h.now = t0.Add(time.Duration(i) * time.Second)
		dec := h.dial(seqNum(861390013, perm[i]))
		if !dec.Allowed {
			t.Fatalf("dial %d denied: %v", i, dec.Reasons)
		}
		if i == 0 {
			first = dec
		}
	}
	// A number already counted is not a new distinct number.
	if dec := h.dial(seqNum(861390013, perm[3])); !dec.Allowed {
		t.Fatalf("redial of a counted number: %v", dec.Reasons)
	}
	dec := h.dial(seqNum(861390013, perm[50]))
	if dec.Allowed || !dec.Has(dialgate.CodeSweepSegmentRate) {
		t.Fatalf("51st distinct number: %+v", dec)
	}
	if next, ok := dec.NextAllowedAt(); !ok || !next.Equal(t0.Add(time.Hour)) {
		t.Errorf("next allowed at %v %v, want %v", next, ok, t0.Add(time.Hour))
	}
	// Another tenant has its own counter.
	other, _ := h.g.Check(context.Background(), dialgate.Dial{To: seqNum(861390013, perm[50]), Purpose: dialgate.PurposeService, Tenant: "globex", LeadID: "x"})
	if !other.Allowed {
		t.Fatalf("other tenant: %v", other.Reasons)
	}
	// Release gives the slot back.
	if err := h.g.Release(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	if dec := h.dial(seqNum(861390013, perm[50])); !dec.Allowed {
		t.Fatalf("after release: %v", dec.Reasons)
	}
	// The window slides.
	h.now = t0.Add(time.Hour + 10*time.Second)
	if dec := h.dial(seqNum(861390013, perm[51])); !dec.Allowed {
		t.Fatalf("after the window: %v", dec.Reasons)
	}
}

func TestCommitIdempotentAndRollback(t *testing.T) {
	cfg := cnCfg
	cfg.SegmentRate = &SegmentRate{Max: 1, Window: dialgate.Duration(time.Hour), Cite: uCite}
	c, err := New(cfg, memstore.New())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d := dialgate.Dial{To: seqNum(861380013, 5), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "l", At: t0}
	for range 2 {
		if rs, err := c.Commit(ctx, d, "a"); rs != nil || err != nil {
			t.Fatalf("commit a: %v %v", rs, err)
		}
	}
	d2 := d
	d2.To = seqNum(861380013, 6)
	if rs, err := c.Commit(ctx, d2, "b"); err != nil || len(rs) != 1 || rs[0].Code != dialgate.CodeSweepSegmentRate {
		t.Fatalf("commit b: %v %v", rs, err)
	}
	// The refused commit left nothing in the run state: 7 makes a run with
	// 5 alone (6 would make it three).
	if n := c.base.runs.Length(segKey{"acme", seg(d2.To), false}, 7, t0.UnixNano()); n != 2 {
		t.Fatalf("run length = %d, want 2 (5 and the new 7)", n)
	}
	// Nor in the block across the boundary below the segment.
	if n := c.base.runs.Length(segKey{"acme", seg(d2.To), true}, 5007, t0.UnixNano()); n != 2 {
		t.Fatalf("run length across the boundary = %d, want 2 (5 and the new 7)", n)
	}
}

func TestNewErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		cfg  Config
		want string
	}{
		"nothing":       {Config{}, "no run-time rule"},
		"only coverage": {Config{Coverage: cnCfg.Coverage}, "no run-time rule"},
		"max":           {Config{SegmentRate: &SegmentRate{Max: 0, Window: 1, Cite: uCite}}, "sweep.segment_rate.max"},
		"window":        {Config{SegmentRate: &SegmentRate{Max: 5, Cite: uCite}}, "sweep.segment_rate.window"},
		"min_run":       {Config{Sequential: &Sequential{MinRun: 2, Window: 1, Cite: uCite}}, "sweep.sequential.min_run"},
		"gap":           {Config{Sequential: &Sequential{MinRun: 20, MaxGap: -1, Window: 1, Cite: uCite}}, "sweep.sequential.max_gap"},
		"cite":          {Config{Provenance: &Rule{}}, "sweep.provenance.cite.source"},
		"coverage":      {Config{Provenance: cnCfg.Provenance, Coverage: &Coverage{Cite: uCite}}, "sweep.coverage.max_per_segment"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := New(tc.cfg, memstore.New()); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := New(cnCfg, nil); err == nil {
		t.Fatal("segment_rate without counters accepted")
	}
}

func TestServiceCodesHaveNoSegment(t *testing.T) {
	h := newHarness(t, cnCfg)
	for range 60 {
		if dec := h.dial(num("+8695566")); !dec.Allowed {
			t.Fatalf("95 callee: %v", dec.Reasons)
		}
	}
}

func BenchmarkSegmentRate(b *testing.B) {
	cfg := Config{SegmentRate: &SegmentRate{Max: 1 << 13, Window: dialgate.Duration(time.Hour), Cite: uCite}}
	ms := memstore.New()
	c, err := New(cfg, ms)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	d := dialgate.Dial{Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "l", At: t0}
	const n = 1 << 14
	ids := make([]string, n)
	nums := make([]dialgate.Number, n)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range nums {
		ids[i] = fmt.Sprintf("d%d", i)
		nums[i] = seqNum(861300000+uint64(rng.IntN(1000)), rng.IntN(10000))
	}
	// check: the read-only part a Gate runs for every dial (Attest).
	b.Run("check", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			d.To = nums[i%n]
			if rs, _, err := c.Attest(ctx, d); rs != nil || err != nil {
				b.Fatal(rs, err)
			}
			i++
		}
	})
	// commit: the atomic reservation in the segment counter (memstore).
	b.Run("commit", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if i%n == 0 && i > 0 {
				b.StopTimer()
				for _, id := range ids {
					c.Release(ctx, id)
				}
				b.StartTimer()
			}
			d.To = nums[i%n]
			if rs, err := c.Commit(ctx, d, ids[i%n]); rs != nil || err != nil {
				b.Fatal(rs, err)
			}
			i++
		}
	})
	// cycle: check, commit and release, with the sequential rule on too.
	b.Run("cycle", func(b *testing.B) {
		full, err := New(cnCfg, memstore.New())
		if err != nil {
			b.Fatal(err)
		}
		full.cfg.SegmentRate.Max = 1 << 13
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			d.To = nums[i%n]
			id := ids[i%n]
			if rs, err := full.Check(ctx, d); rs != nil || err != nil {
				b.Fatal(rs, err)
			}
			if rs, err := full.Commit(ctx, d, id); rs != nil || err != nil {
				b.Fatal(rs, err)
			}
			if err := full.Release(ctx, id); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

func seg(n dialgate.Number) numbering.Segment { return numbering.Classify(n).Segment }
