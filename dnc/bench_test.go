package dnc_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/internal/benchcpu"
	"github.com/dialgate/dialgate/storage/boltstore"
)

// The 10⁷ fixtures are built lazily, only inside benchmarks: plain
// `go test ./...` never builds them. The 10⁸ build benchmark runs only with
// DIALGATE_BENCH_1E8=1:
//
//	DIALGATE_BENCH_1E8=1 go test -run XXX -bench BenchmarkBuild1e8 -benchtime 1x -timeout 30m ./dnc/

const n7 = 10_000_000

var fix struct {
	once     sync.Once
	set      *dnc.Set
	m        map[uint64]struct{}
	mapBytes uint64
	listed   []uint64
	absent   []uint64
}

func heapAlloc() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// cnKeys returns ~n synthetic Chinese mobile numbers spread over the 130–199
// network codes (about 14 a 号段).
func cnKeys(n int, seed uint64) []uint64 {
	r := rand.New(rand.NewPCG(seed, 7))
	vs := make([]uint64, n)
	for i := range vs {
		vs[i] = 8613000000000 + r.Uint64N(7_000_000_000)
	}
	return vs
}

func fixtures(b *testing.B) {
	fix.once.Do(func() {
		vs := cnKeys(n7, 1)
		fix.set = dnc.NewSet(slices.Clone(vs))
		before := heapAlloc()
		fix.m = make(map[uint64]struct{}, len(vs))
		for _, v := range vs {
			fix.m[v] = struct{}{}
		}
		fix.mapBytes = heapAlloc() - before
		r := rand.New(rand.NewPCG(9, 9))
		for len(fix.listed) < 1<<20 {
			fix.listed = append(fix.listed, vs[r.IntN(len(vs))])
		}
		for len(fix.absent) < 1<<20 {
			v := 8613000000000 + r.Uint64N(7_000_000_000)
			if _, ok := fix.m[v]; !ok {
				fix.absent = append(fix.absent, v)
			}
		}
	})
	b.ReportMetric(float64(fix.set.Bytes())/float64(fix.set.Len()), "set-B/number")
}

// BenchmarkLookup1e7 compares the exact compact set with a Go map holding the
// same 10⁷ numbers, for listed and absent numbers.
func BenchmarkLookup1e7(b *testing.B) {
	fixtures(b)
	for _, kind := range []string{"absent", "listed"} {
		qs := fix.absent
		if kind == "listed" {
			qs = fix.listed
		}
		b.Run("set/"+kind, func(b *testing.B) {
			hits := 0
			i := 0
			stop := benchcpu.Start(b)
			for b.Loop() {
				if fix.set.Contains(qs[i&(1<<20-1)]) {
					hits++
				}
				i++
			}
			stop()
			// After the loop: b.Loop's first call deletes metrics reported before it.
			b.ReportMetric(float64(fix.set.Bytes())/float64(fix.set.Len()), "B/number")
			if (kind == "listed") != (hits == i) {
				b.Fatalf("%s: %d hits of %d", kind, hits, i)
			}
		})
		b.Run("map/"+kind, func(b *testing.B) {
			hits := 0
			i := 0
			stop := benchcpu.Start(b)
			for b.Loop() {
				if _, ok := fix.m[qs[i&(1<<20-1)]]; ok {
					hits++
				}
				i++
			}
			stop()
			b.ReportMetric(float64(fix.mapBytes)/float64(len(fix.m)), "B/number")
			if (kind == "listed") != (hits == i) {
				b.Fatalf("%s: %d hits of %d", kind, hits, i)
			}
		})
	}
}

// BenchmarkBuild1e7 builds a 10⁷-number snapshot from a text file (the file
// is written once, outside the timer).
func BenchmarkBuild1e7(b *testing.B) { benchBuild(b, n7) }

// BenchmarkBuild1e8 builds 10⁸ numbers; opt-in with DIALGATE_BENCH_1E8=1.
func BenchmarkBuild1e8(b *testing.B) {
	if testing.Short() || os.Getenv("DIALGATE_BENCH_1E8") == "" {
		b.Skip("set DIALGATE_BENCH_1E8=1 (and no -short) to build 10⁸ numbers (needs ~1.5 GB disk, minutes)")
	}
	benchBuild(b, 100_000_000)
}

func benchBuild(b *testing.B, n int) {
	dir := b.TempDir()
	path := filepath.Join(dir, "list.txt")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	r := rand.New(rand.NewPCG(3, 3))
	buf := make([]byte, 0, 16)
	for i := 0; i < n; i++ {
		buf = append(buf[:0], '+')
		buf = strconv.AppendUint(buf, 8613000000000+r.Uint64N(7_000_000_000), 10)
		buf = append(buf, '\n')
		w.Write(buf)
	}
	w.Flush()
	f.Close()
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ResetTimer()
	for b.Loop() {
		in, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		set, bs, err := dnc.BuildSet(context.Background(), []dnc.Source{{Name: path, R: in}}, dnc.BuildOptions{TempDir: dir})
		in.Close()
		if err != nil {
			b.Fatal(err)
		}
		out, err := os.Create(filepath.Join(dir, "out.dnc"))
		if err != nil {
			b.Fatal(err)
		}
		bw := bufio.NewWriterSize(out, 1<<20)
		if _, err := dnc.WriteSnapshot(bw, dnc.Header{Name: "bench", CreatedAt: time.Unix(0, 0)}, set); err != nil {
			b.Fatal(err)
		}
		bw.Flush()
		out.Close()
		b.ReportMetric(float64(bs.Distinct), "distinct")
		b.ReportMetric(float64(bs.Runs), "runs")
		b.ReportMetric(float64(set.Bytes())/float64(set.Len()), "set-B/number")
		if hwm := peakRSS(); hwm > 0 {
			b.ReportMetric(float64(hwm)/(1<<20), "peak-RSS-MiB")
		}
	}
}

// peakRSS returns the process's peak resident set size in bytes (VmHWM,
// Linux only; 0 elsewhere): the memory a build really needed, fixture
// included.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkStoreMiss measures a miss against a bbolt-backed list of 10⁵
// entries, with and without the Bloom prefilter.
func BenchmarkStoreMiss(b *testing.B) {
	ctx := context.Background()
	st, err := boltstore.Open(filepath.Join(b.TempDir(), "s.db"), boltstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	listed := cnKeys(100_000, 5)
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < len(listed); i += 10_000 {
		var es []dnc.Entry
		for _, v := range listed[i : i+10_000] {
			n, _ := dialgate.NumberFromUint64(v)
			es = append(es, dnc.Entry{Number: n, Scope: dnc.GlobalScope, List: "opt_out", AddedAt: at})
		}
		if err := st.AddDNC(ctx, es...); err != nil {
			b.Fatal(err)
		}
	}
	in := map[uint64]bool{}
	for _, v := range listed {
		in[v] = true
	}
	var qs []dialgate.Number
	r := rand.New(rand.NewPCG(11, 11))
	for len(qs) < 1<<16 {
		v := 8613000000000 + r.Uint64N(7_000_000_000)
		if !in[v] {
			n, _ := dialgate.NumberFromUint64(v)
			qs = append(qs, n)
		}
	}
	for _, tc := range []struct {
		name string
		opts dnc.ListsOptions
	}{
		{"bloom", dnc.ListsOptions{}},
		{"no-bloom", dnc.ListsOptions{NoBloom: true, CacheSize: -1}},
	} {
		l, err := dnc.NewLists(ctx, st, tc.opts)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				es, err := l.Lookup(ctx, qs[i&(1<<16-1)])
				if err != nil || len(es) != 0 {
					b.Fatalf("miss: %v %v", es, err)
				}
				i++
			}
		})
	}
}

// BenchmarkCheckDuringSwap runs dnc checks against a 10⁶-number registry
// while another goroutine swaps in a new snapshot every millisecond (cycling
// through four, so the new one is never cache-warm), and times windows of 256
// checks on two clocks: wall time, and the checking thread's CPU time (the
// goroutine is locked to its thread; on a shared 2-core machine wall time
// mostly measures the wait for a core).
//
// The windows compared with the calm ones are the first window to start after
// each swap: one per swap, chosen by when it starts, when the new snapshot is
// coldest. (Taking the windows that overlap a swap instead picks the windows
// that were slow for any reason, since a long window is more likely to
// overlap one; that bias made an earlier version of this benchmark report a
// 3× tail with or without swaps.) Metrics, each a ratio to the calm median of
// the same clock: swap-p50 and swap-p99 (first windows after a swap) and
// calm-p99 (the machine's own tail, no swap near). "swap" is the measurement;
// "swap-same" swaps the same (cache-warm) snapshot in again, to separate the
// swap itself from the cold memory of a new snapshot; "reload" reads a
// snapshot file into memory and swaps it in, over and over (the path of a
// registry refresh: allocation, SHA-256, validation, GC of the old copy);
// "tick" is the control: the same timer wake-up every millisecond, no swap.
func BenchmarkCheckDuringSwap(b *testing.B) {
	ctx := context.Background()
	snaps := make([]*dnc.Snapshot, 4)
	for i := range snaps {
		s, err := dnc.NewSnapshot(dnc.Header{Name: "reg", CreatedAt: time.Unix(0, 0)}, dnc.NewSet(cnKeys(1_000_000, uint64(i))))
		if err != nil {
			b.Fatal(err)
		}
		snaps[i] = s
	}
	reg, _ := dnc.NewRegistry("reg")
	reg.Swap(snaps[0])
	c, err := dnc.New(dnc.Config{}, nil, reg)
	if err != nil {
		b.Fatal(err)
	}
	qs := cnKeys(1<<16, 99)
	dials := make([]dialgate.Dial, len(qs))
	for i, v := range qs {
		n, _ := dialgate.NumberFromUint64(v)
		dials[i] = dialgate.Dial{To: n, Purpose: dialgate.PurposeMarketing, At: time.Unix(0, 0)}
	}
	files := make([][]byte, len(snaps))
	for i, sn := range snaps {
		var buf bytes.Buffer
		if _, err := dnc.WriteSnapshot(&buf, sn.Header, sn.Set()); err != nil {
			b.Fatal(err)
		}
		files[i] = buf.Bytes()
	}
	b.Run("swap", func(b *testing.B) { benchDuringSwap(b, ctx, c, reg, snaps, nil, dials, true) })
	b.Run("swap-same", func(b *testing.B) { benchDuringSwap(b, ctx, c, reg, snaps[:1], nil, dials, true) })
	b.Run("reload", func(b *testing.B) { benchDuringSwap(b, ctx, c, reg, nil, files, dials, true) })
	b.Run("tick", func(b *testing.B) { benchDuringSwap(b, ctx, c, reg, snaps, nil, dials, false) })
	reg.Swap(snaps[0])
}

type window struct{ wall, cpu float64 } // ns per check

func benchDuringSwap(b *testing.B, ctx context.Context, c *dnc.Check, reg *dnc.Registry, snaps []*dnc.Snapshot, files [][]byte, dials []dialgate.Dial, swap bool) {
	const perWindow = 256
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	_, haveCPU := benchcpu.ThreadTime()
	var swapping atomic.Bool
	var swaps atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for i := 1; ; i++ {
			if files != nil {
				// Reload: read a snapshot file (verify, build the index) as
				// fast as one core can, and swap it in; the previous one
				// becomes garbage.
				select {
				case <-stop:
					return
				default:
				}
				sn, err := dnc.ReadSnapshot(bytes.NewReader(files[i%len(files)]))
				if err != nil {
					panic(err)
				}
				swapping.Store(true)
				reg.Swap(sn)
				swaps.Add(1)
				swapping.Store(false)
				continue
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
			swapping.Store(true)
			if swap {
				reg.Swap(snaps[i%len(snaps)])
			}
			swaps.Add(1)
			swapping.Store(false)
		}
	}()
	// Preallocated so that recording a window does not allocate.
	calm := make([]window, 0, 1<<18)
	after := make([]window, 0, 1<<16)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	gc0 := ms.NumGC
	i := 0
	seen := swaps.Load()
	for b.Loop() {
		before := swaps.Load()
		first := before != seen && !swapping.Load() // first window to start after a swap
		seen = before
		c0, _ := benchcpu.ThreadTime()
		start := time.Now()
		for j := 0; j < perWindow; j++ {
			if _, err := c.Check(ctx, dials[(i+j)&(1<<16-1)]); err != nil {
				b.Fatal(err)
			}
		}
		wall := time.Since(start)
		c1, _ := benchcpu.ThreadTime()
		w := window{float64(wall.Nanoseconds()) / perWindow, float64(c1-c0) / perWindow}
		switch {
		case first:
			if len(after) < cap(after) {
				after = append(after, w)
			}
		case swaps.Load() == before && !swapping.Load():
			if len(calm) < cap(calm) {
				calm = append(calm, w)
			}
		}
		i += perWindow
	}
	b.StopTimer()
	close(stop)
	<-done
	runtime.ReadMemStats(&ms)
	if len(calm) < 20 || len(after) < 20 { // too few for percentiles: run longer (-benchtime)
		return
	}
	report := func(clock string, get func(window) float64) {
		cs := make([]float64, len(calm))
		for k, w := range calm {
			cs[k] = get(w)
		}
		as := make([]float64, len(after))
		for k, w := range after {
			as[k] = get(w)
		}
		sort.Float64s(cs)
		sort.Float64s(as)
		med := cs[len(cs)/2]
		b.ReportMetric(med, "calm-p50-"+clock+"ns/check")
		b.ReportMetric(cs[len(cs)*99/100]/med, "calm-p99/p50-"+clock)
		b.ReportMetric(as[len(as)/2]/med, "swap-p50/calm-p50-"+clock)
		b.ReportMetric(as[len(as)*99/100]/med, "swap-p99/calm-p50-"+clock)
		// The same percentile with and without a swap: on a machine whose own
		// tail is over 2× its median, this is what a swap adds.
		b.ReportMetric(as[len(as)*99/100]/cs[len(cs)*99/100], "swap-p99/calm-p99-"+clock)
	}
	report("wall-", func(w window) float64 { return w.wall })
	if haveCPU {
		report("cpu-", func(w window) float64 { return w.cpu })
	}
	b.ReportMetric(float64(len(after)), "swaps")
	b.ReportMetric(float64(ms.NumGC-gc0), "gcs")
}

func ExampleRegistry_Swap() {
	reg, _ := dnc.NewRegistry("us-national")
	snap, _ := dnc.NewSnapshot(dnc.Header{Name: "us-national", CreatedAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
		dnc.NewSet([]uint64{12125550100, 12125550101}))
	reg.Swap(snap)
	c, _ := dnc.New(dnc.Config{Registries: []dnc.RegistryConfig{{Name: "us-national", MaxAge: dialgate.Duration(31 * 24 * time.Hour),
		Cite: dialgate.Citation{Source: dialgate.SourceLaw, Ref: "16 CFR 310.4(b)(3)(iv)"}}}}, nil, reg)
	for _, to := range []string{"+12125550100", "+12125550102"} {
		rs, _ := c.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber(to), Purpose: dialgate.PurposeMarketing,
			At: time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)})
		fmt.Println(len(rs) > 0)
	}
	// Output:
	// true
	// false
}

// BenchmarkMappedLookup1e7 measures what the fault guard costs a lookup in a
// memory-mapped 10⁷-number snapshot: "contains" is Snapshot.Contains (no
// guard: a truncated file faults the process), "lookup" is Snapshot.Lookup
// (debug.SetPanicOnFault set and restored once per call, a deferred
// recover), "registry" is Registry.Lookup (the guard, the withdrawn and
// scope checks, the Hit: what a check does per registry). "back-to-back"
// runs lookups in a tight loop, where the processor overlaps one lookup's
// cache misses with the next's (a longer lookup overlaps less); "spaced"
// does about 300 ns of unrelated arithmetic after each lookup, as a check
// does between lookups, so each lookup's own latency counts ("none" is that
// arithmetic alone).
func BenchmarkMappedLookup1e7(b *testing.B) {
	vs := cnKeys(n7, 1)
	set := dnc.NewSet(slices.Clone(vs))
	path := filepath.Join(b.TempDir(), "reg.dnc")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := dnc.WriteSnapshot(f, dnc.Header{Name: "reg", CreatedAt: time.Unix(0, 0)}, set); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	regs, err := dnc.LoadRegistries(path)
	if err != nil {
		b.Fatal(err)
	}
	reg := regs[0]
	snap := reg.Snapshot()
	r := rand.New(rand.NewPCG(9, 9))
	listed := make([]dialgate.Number, 1<<20)
	absent := make([]dialgate.Number, 0, 1<<20)
	for i := range listed {
		listed[i], _ = dialgate.NumberFromUint64(vs[r.IntN(len(vs))])
	}
	for len(absent) < 1<<20 {
		v := 8613000000000 + r.Uint64N(7_000_000_000)
		if !set.Contains(v) {
			n, _ := dialgate.NumberFromUint64(v)
			absent = append(absent, n)
		}
	}
	vs, set = nil, nil
	ctx := context.Background()
	variants := []struct {
		name string
		f    func(dialgate.Number) bool
	}{
		{"none", func(dialgate.Number) bool { return true }},
		{"contains", snap.Contains},
		{"lookup", func(n dialgate.Number) bool {
			ok, err := snap.Lookup(n)
			if err != nil {
				panic(err)
			}
			return ok
		}},
		{"registry", func(n dialgate.Number) bool {
			_, ok, err := reg.Lookup(ctx, dialgate.Dial{To: n})
			if err != nil {
				panic(err)
			}
			return ok
		}},
	}
	for _, order := range []string{"back-to-back", "spaced"} {
		for _, kind := range []string{"absent", "listed"} {
			qs := absent
			if kind == "listed" {
				qs = listed
			}
			for _, v := range variants {
				if v.name == "none" && order == "back-to-back" {
					continue
				}
				b.Run(order+"/"+kind+"/"+v.name, func(b *testing.B) {
					hits, i := 0, 0
					var x uint64
					for b.Loop() {
						if v.f(qs[i&(1<<20-1)]) {
							hits++
						}
						i++
						if order == "spaced" {
							x = spin(x, 200)
						}
					}
					spinSink = x
					if v.name != "none" && (kind == "listed") != (hits == i) {
						b.Fatalf("%s: %d hits of %d", kind, hits, i)
					}
				})
			}
		}
	}
}

var spinSink uint64

// spin does n dependent multiply-adds (about 1.5 ns each): work between
// lookups that touches no memory.
//
//go:noinline
func spin(x uint64, n int) uint64 {
	for range n {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

// BenchmarkMappedCheckFile measures Registry.CheckFile (an fstat of the open
// file and a compare of the header), which `dialgate serve` runs once a
// second per registry file.
func BenchmarkMappedCheckFile(b *testing.B) {
	path := filepath.Join(b.TempDir(), "reg.dnc")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := dnc.WriteSnapshot(f, dnc.Header{Name: "reg", CreatedAt: time.Unix(0, 0)}, dnc.NewSet(cnKeys(100_000, 1))); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	regs, err := dnc.LoadRegistries(path)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := regs[0].CheckFile(); err != nil {
			b.Fatal(err)
		}
	}
}
