package dnc_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
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
			defer b.ReportMetric(float64(fix.set.Bytes())/float64(fix.set.Len()), "mem-B/number")
			hits := 0
			i := 0
			for b.Loop() {
				if fix.set.Contains(qs[i&(1<<20-1)]) {
					hits++
				}
				i++
			}
			if (kind == "listed") != (hits == i) {
				b.Fatalf("%s: %d hits of %d", kind, hits, i)
			}
		})
		b.Run("map/"+kind, func(b *testing.B) {
			defer b.ReportMetric(float64(fix.mapBytes)/float64(len(fix.m)), "mem-B/number")
			hits := 0
			i := 0
			for b.Loop() {
				if _, ok := fix.m[qs[i&(1<<20-1)]]; ok {
					hits++
				}
				i++
			}
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
	if os.Getenv("DIALGATE_BENCH_1E8") == "" {
		b.Skip("set DIALGATE_BENCH_1E8=1 to build 10⁸ numbers (needs ~1.5 GB disk, minutes)")
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
	}
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
// while another goroutine swaps in a new snapshot every millisecond, and
// reports the median and the worst per-window latency ratio.
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
	const window = 256
	var swapping atomic.Bool
	var swaps atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			swapping.Store(true)
			reg.Swap(snaps[i%len(snaps)])
			swaps.Add(1)
			swapping.Store(false)
		}
	}()
	var calm, during []float64
	i := 0
	for b.Loop() {
		start := time.Now()
		sw := swapping.Load() || false
		before := swaps.Load()
		for j := 0; j < window; j++ {
			if _, err := c.Check(ctx, dials[(i+j)&(1<<16-1)]); err != nil {
				b.Fatal(err)
			}
		}
		per := float64(time.Since(start).Nanoseconds()) / window
		if sw || swaps.Load() != before {
			during = append(during, per)
		} else {
			calm = append(calm, per)
		}
		i += window
	}
	close(stop)
	<-done
	if len(calm) > 0 && len(during) > 0 {
		sort.Float64s(calm)
		sort.Float64s(during)
		med := calm[len(calm)/2]
		b.ReportMetric(med, "calm-median-ns/check")
		b.ReportMetric(during[len(during)/2]/med, "swap-median/calm-median")
		b.ReportMetric(during[len(during)*99/100]/med, "swap-p99/calm-median")
		b.ReportMetric(float64(swaps.Load()), "swaps")
	}
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
