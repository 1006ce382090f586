// Command bench measures, in one run on one machine, what a shared back-end
// costs dialgate:
//
//   - a DNC lookup in dialgate's in-memory snapshot (dnc.Set) against the same
//     lookup as a Redis SISMEMBER and as a PostgreSQL primary-key query (the
//     way dialer shops usually do it);
//   - a full gate decision (dnc lists + cn frequency caps) embedded on
//     memstore, the same gate served over gRPC by the sidecar, and the gate
//     on storage/redisstore;
//   - storage/redisstore cap reservations at 1 and 32 concurrent callers
//     (p50, p90, p99), with one script call per reservation and with
//     reservations group-committed (the default).
//
// Run it with the services up:
//
//	go run ./bench -redis redis://127.0.0.1:6379/15 -postgres 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
//
// It prints a Markdown table with ratios; docs/performance.md holds a run.
// It creates its own keys ({dgbench-…}:…) and schema (dgbench_…) and removes
// them at the end.
package main

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/internal/sidecar"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
	"github.com/dialgate/dialgate/storage/redisstore"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

var (
	redisURL = flag.String("redis", os.Getenv("DIALGATE_TEST_REDIS"), "Redis URL (default $DIALGATE_TEST_REDIS)")
	pgURL    = flag.String("postgres", os.Getenv("DIALGATE_TEST_POSTGRES"), "PostgreSQL URL (default $DIALGATE_TEST_POSTGRES)")
	nNumbers = flag.Int("numbers", 1_000_000, "listed numbers loaded into each DNC store")
	lookups  = flag.Int("lookups", 20_000, "sequential lookups per back-end")
	dials    = flag.Int("dials", 20_000, "gate decisions per back-end")
	workers  = flag.Int("concurrency", 32, "concurrent callers for the reservation and throughput runs")
	paced    = flag.Int("paced", 2000, "total reservations per second of the paced run")
)

// base is the first synthetic listed number: +86 138 0000 0000.
const base = 8613800000000

func run() error {
	flag.Parse()
	if *redisURL == "" || *pgURL == "" {
		return fmt.Errorf("-redis and -postgres are required (or set DIALGATE_TEST_REDIS and DIALGATE_TEST_POSTGRES)")
	}
	ctx := context.Background()
	var b [4]byte
	_, _ = crand.Read(b[:])
	tag := hex.EncodeToString(b[:])
	prefix, schema := "dgbench-"+tag, "dgbench_"+tag

	ro, err := redis.ParseURL(*redisURL)
	if err != nil {
		return err
	}
	rdb := redis.NewClient(ro)
	defer rdb.Close()
	defer cleanRedis(ctx, rdb, prefix)
	pg, err := pgx.Connect(ctx, *pgURL)
	if err != nil {
		return err
	}
	defer pg.Close(ctx)
	defer pg.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")

	// Listed numbers: every other number from base; lookups hit half the time.
	listed := make([]uint64, *nNumbers)
	for i := range listed {
		listed[i] = base + 2*uint64(i)
	}
	probe := make([]uint64, *lookups)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range probe {
		probe[i] = base + uint64(r.IntN(2**nNumbers))
	}

	fmt.Fprintf(os.Stderr, "loading %d numbers into dnc.Set, Redis and PostgreSQL…\n", *nNumbers)
	set := dnc.NewSet(slices.Clone(listed))
	setKey := "{" + prefix + "}:bench:dnc"
	for i := 0; i < len(listed); i += 10_000 {
		pipe := rdb.Pipeline()
		chunk := listed[i:min(i+10_000, len(listed))]
		args := make([]any, len(chunk))
		for j, v := range chunk {
			args[j] = strconv.FormatUint(v, 10)
		}
		pipe.SAdd(ctx, setKey, args...)
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("redis load: %w", err)
		}
	}
	if _, err := pg.Exec(ctx, "CREATE SCHEMA "+schema+"; CREATE TABLE "+schema+".dnc (number bigint PRIMARY KEY)"); err != nil {
		return err
	}
	rows := make([][]any, len(listed))
	for i, v := range listed {
		rows[i] = []any{int64(v)}
	}
	if _, err := pg.CopyFrom(ctx, pgx.Identifier{schema, "dnc"}, []string{"number"}, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("postgres load: %w", err)
	}
	if _, err := pg.Exec(ctx, "ANALYZE "+schema+".dnc"); err != nil {
		return err
	}

	// 1. DNC lookups, one caller, sequential.
	// The set answers in nanoseconds: repeat it so the timer resolution does not matter.
	setNs := perOp(len(probe)*50, func(i int) error { set.Contains(probe[i%len(probe)]); return nil })
	redisNs := perOp(len(probe), func(i int) error {
		return rdb.SIsMember(ctx, setKey, strconv.FormatUint(probe[i], 10)).Err()
	})
	q := "SELECT EXISTS (SELECT 1 FROM " + schema + ".dnc WHERE number = $1)"
	pgNs := perOp(len(probe), func(i int) error {
		var ok bool
		return pg.QueryRow(ctx, q, int64(probe[i])).Scan(&ok)
	})
	if redisNs < 0 || pgNs < 0 {
		return fmt.Errorf("lookup failed")
	}

	// 2. Full gate decision: embedded (memstore) vs Redis back-end.
	mem := memstore.New()
	defer mem.Close()
	rs, err := redisstore.Open(ctx, *redisURL, redisstore.Options{Prefix: prefix})
	if err != nil {
		return err
	}
	defer rs.Close()
	// The same store without group commit: one script call per reservation.
	rsOne, err := redisstore.Open(ctx, *redisURL, redisstore.Options{Prefix: prefix, MaxCounterBatch: -1})
	if err != nil {
		return err
	}
	defer rsOne.Close()
	optOuts := make([]dnc.Entry, 10_000)
	for i := range optOuts {
		n, _ := dialgate.NumberFromUint64(listed[i*(len(listed)/len(optOuts))])
		optOuts[i] = dnc.Entry{Number: n, Scope: dnc.MustParseScope("global"), List: "opt_out", Source: "bench", AddedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	}
	for i := 0; i < len(optOuts); i += 1000 {
		if err := mem.AddDNC(ctx, optOuts[i:i+1000]...); err != nil {
			return err
		}
		if err := rs.AddDNC(ctx, optOuts[i:i+1000]...); err != nil {
			return err
		}
	}
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	gm, err := gate(ctx, mem, mem, at)
	if err != nil {
		return err
	}
	gr, err := gate(ctx, rs, rs, at)
	if err != nil {
		return err
	}
	grOne, err := gate(ctx, rsOne, rsOne, at)
	if err != nil {
		return err
	}
	// Distinct callees (not listed), so every decision reserves capacity.
	var seq atomic.Uint64
	mkDial := func() dialgate.Dial {
		n, _ := dialgate.NumberFromUint64(8613900000000 + seq.Add(1))
		return dialgate.Dial{To: n, From: dialgate.MustParseNumber("+861058001234"), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"}
	}
	decide := func(g *dialgate.Gate) func(int) error {
		return func(int) error {
			d, err := g.Check(ctx, mkDial())
			if err == nil && !d.Allowed {
				err = fmt.Errorf("denied: %v", d.Codes())
			}
			return err
		}
	}
	// The same embedded gate served over gRPC by the sidecar (loopback TCP,
	// no TLS, no tokens), as a dialer in another language calls it.
	sc, stop, err := serveSidecar(gm)
	if err != nil {
		return err
	}
	defer stop()
	viaSidecar := func(int) error {
		d := mkDial()
		r, err := sc.Check(ctx, &pb.CheckRequest{Dial: &pb.Dial{To: d.To.String(), From: d.From.String(),
			Purpose: pb.Purpose_PURPOSE_SERVICE, Tenant: d.Tenant, LeadId: d.LeadID}})
		if err == nil && !r.GetDecision().GetAllowed() {
			err = fmt.Errorf("denied over gRPC: %v", r.GetDecision().GetReasons())
		}
		return err
	}
	gmNs := perOp(*dials, decide(gm))
	gsNs := perOp(*dials, viaSidecar)
	grNs := perOp(*dials, decide(gr))
	if gmNs < 0 || gsNs < 0 || grNs < 0 {
		return fmt.Errorf("gate decisions failed")
	}
	gmTput := throughput(*dials, *workers, decide(gm))
	gsTput := throughput(*dials, *workers, viaSidecar)
	// Without and with batching, alternating (see 3.).
	var grOneSecs, grSecs float64
	for range 4 {
		grOneSecs += float64(*dials/4) / throughput(*dials/4, *workers, decide(grOne))
		grSecs += float64(*dials/4) / throughput(*dials/4, *workers, decide(gr))
	}
	grOneTput, grTput := float64(*dials/4*4)/grOneSecs, float64(*dials/4*4)/grSecs

	// 3. Redis cap reservations at 32 concurrent callers, one script call
	// per reservation and group-committed. The two alternate in parts of
	// each load, so that a machine whose speed drifts (other work, a noisy
	// neighbour) affects both alike.
	caps := schedule.CapsCN()
	type load struct {
		name       string
		n, w, rate int
		one, batch []time.Duration
	}
	loads := []*load{
		{name: "1 caller, back to back", n: *dials / 4, w: 1},
		{name: fmt.Sprintf("%d callers, %d/s in total", *workers, *paced), n: *dials / 2, w: *workers, rate: *paced},
		{name: fmt.Sprintf("%d callers, back to back (saturated)", *workers), n: *dials, w: *workers},
	}
	const parts = 8
	for i, l := range loads {
		for k := range parts {
			run := strconv.Itoa(i) + "." + strconv.Itoa(k)
			one, err := reservations(ctx, rsOne, l.n/parts, l.w, l.rate, caps, at, "one"+run)
			if err != nil {
				return err
			}
			batch, err := reservations(ctx, rs, l.n/parts, l.w, l.rate, caps, at, "batch"+run)
			if err != nil {
				return err
			}
			l.one, l.batch = append(l.one, one...), append(l.batch, batch...)
		}
		slices.Sort(l.one)
		slices.Sort(l.batch)
	}

	fmt.Printf("Machine: %s/%s, %d CPUs (GOMAXPROCS %d), %s; Redis and PostgreSQL on 127.0.0.1\n\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Printf("DNC lookup, %d listed numbers, %d random probes (half listed), one caller:\n\n", *nNumbers, len(probe))
	fmt.Println("| lookup | ns/op | × dnc.Set |")
	fmt.Println("|---|---:|---:|")
	fmt.Printf("| dialgate dnc.Set (in memory) | %.0f | 1 |\n", setNs)
	fmt.Printf("| Redis SISMEMBER | %.0f | %.0f |\n", redisNs, redisNs/setNs)
	fmt.Printf("| PostgreSQL primary-key SELECT | %.0f | %.0f |\n\n", pgNs, pgNs/setNs)
	fmt.Printf("Full gate decision (dnc lists with %d opt-outs + cn frequency caps, distinct callees; no audit log, the clock fixed):\n\n", len(optOuts))
	fmt.Println("| back-end | µs/decision, one caller | decisions/s at", *workers, "callers | × embedded (latency) |")
	fmt.Println("|---|---:|---:|---:|")
	fmt.Printf("| embedded (memstore) | %.1f | %.0f | 1 |\n", gmNs/1e3, gmTput)
	fmt.Printf("| the same gate via the sidecar (gRPC over loopback) | %.1f | %.0f | %.1f |\n", gsNs/1e3, gsTput, gsNs/gmNs)
	fmt.Printf("| redisstore | %.1f | %.0f | %.1f |\n", grNs/1e3, grTput, grNs/gmNs)
	fmt.Printf("| redisstore, MaxCounterBatch -1 | | %.0f | |\n\n", grOneTput)
	fmt.Printf("redisstore cap reservation (cn caps: 3 limits under 3 keys), one script call per reservation (MaxCounterBatch -1) and group-committed (default):\n\n")
	fmt.Println("| load | reservations | script calls | p50 | p90 | p99 | max |")
	fmt.Println("|---|---:|---|---:|---:|---:|---:|")
	row := func(name, mode string, l []time.Duration) {
		fmt.Printf("| %s | %d | %s | %s | %s | %s | %s |\n", name, len(l), mode, pct(l, 50), pct(l, 90), pct(l, 99), l[len(l)-1].Round(time.Microsecond))
	}
	for _, l := range loads {
		row(l.name, "one per reservation", l.one)
		row(l.name, "group commit", l.batch)
	}
	return nil
}

// serveSidecar serves g with the sidecar's gRPC server on a loopback port
// and returns a client of it and a function that stops both.
func serveSidecar(g *dialgate.Gate) (pb.GateServiceClient, func(), error) {
	cfg := sidecar.Config{Listen: "127.0.0.1:0", MetricsListen: "off"}
	srv, err := sidecar.NewServer(cfg, &sidecar.Backend{Gate: g}, nil)
	if err != nil {
		return nil, nil, err
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	go srv.Serve(lis)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		srv.Shutdown(context.Background())
		return nil, nil, err
	}
	return pb.NewGateServiceClient(conn), func() {
		conn.Close()
		srv.Shutdown(context.Background())
	}, nil
}

// gate builds the bench gate: dnc lists over d and the cn caps over c.
func gate(ctx context.Context, d dnc.Store, c storage.Counters, at time.Time) (*dialgate.Gate, error) {
	lists, err := dnc.NewLists(ctx, d, dnc.ListsOptions{})
	if err != nil {
		return nil, err
	}
	dc, err := dnc.New(dnc.Config{}, lists)
	if err != nil {
		return nil, err
	}
	caps, err := schedule.NewCapCheck(schedule.CapsCN(), c)
	if err != nil {
		return nil, err
	}
	return dialgate.New([]dialgate.Checker{dc, caps}, dialgate.WithoutAuditLog(), dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return at })))
}

// perOp runs f n times and returns the mean ns per call, or -1 on an error.
func perOp(n int, f func(i int) error) float64 {
	start := time.Now()
	for i := range n {
		if err := f(i); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return -1
		}
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

// throughput runs f n times on w goroutines and returns calls per second.
func throughput(n, w int, f func(int) error) float64 {
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > n {
					return
				}
				if err := f(i); err != nil {
					fmt.Fprintln(os.Stderr, "bench:", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds()
}

// reservations reserves n distinct callees' cn caps on w goroutines and
// returns every call's latency, sorted.
func reservations(ctx context.Context, c storage.Counters, n, w, rate int, caps schedule.CapsConfig, at time.Time, run string) ([]time.Duration, error) {
	lat := make([]time.Duration, n)
	var every time.Duration // per caller, when paced
	if rate > 0 {
		every = time.Duration(int64(w) * int64(time.Second) / int64(rate))
	}
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for k := range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Paced callers start staggered by every/w, so that together they
			// issue one reservation every 1/rate instead of w at once every
			// `every` (which measured queueing behind a burst of w).
			tick := start.Add(time.Duration(k) * every / time.Duration(w))
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if every > 0 {
					time.Sleep(time.Until(tick))
					tick = tick.Add(every)
				}
				key := "bench/" + run + "/callee/" + strconv.Itoa(i)
				limits := make([]storage.Limit, len(caps.Caps))
				for j, cp := range caps.Caps {
					limits[j] = storage.Limit{Key: key + "/" + cp.Window.String(), Window: cp.Window.Std(), Max: cp.Count}
				}
				t0 := time.Now()
				ok, _, err := c.Reserve(ctx, "bench-"+run+strconv.Itoa(i), at, limits)
				lat[i] = time.Since(t0)
				if err != nil || !ok {
					failed.Store(fmt.Errorf("reserve %d: ok=%v err=%v", i, ok, err))
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		return nil, err
	}
	slices.Sort(lat)
	return lat, nil
}

func pct(sorted []time.Duration, p int) string {
	i := min(len(sorted)-1, len(sorted)*p/100)
	return sorted[i].Round(time.Microsecond).String()
}

func cleanRedis(ctx context.Context, rdb *redis.Client, prefix string) {
	iter := rdb.Scan(ctx, 0, "{"+prefix+"}:*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
		if len(keys) == 500 {
			rdb.Unlink(ctx, keys...)
			keys = keys[:0]
		}
	}
	if len(keys) > 0 {
		rdb.Unlink(ctx, keys...)
	}
}
