package sidecar_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate/internal/benchcpu"
	"github.com/dialgate/dialgate/internal/sidecar"
	"github.com/dialgate/dialgate/internal/testdb"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// loadCallers is the most concurrent callers of the load benchmarks (a
// dialer pool).
const loadCallers = 64

// loadPhase is how long each phase of a load benchmark runs:
// DIALGATE_LOAD_SECONDS (default 3), regardless of b.N.
func loadPhase(b *testing.B) time.Duration {
	if s := os.Getenv("DIALGATE_LOAD_SECONDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("DIALGATE_LOAD_SECONDS=%q: want a positive integer", s)
		}
		return time.Duration(n) * time.Second
	}
	return 3 * time.Second
}

// loadSidecar starts the sidecar as `dialgate serve` wires it (profile cn,
// boltstore, audit log with fsync) on a loopback TCP port, adds the caller ID
// of loadDial to the ledger over AdminService (so checks take the allow path,
// commits included), and returns a few client connections, as a real dialer
// pool would use.
func loadSidecar(b *testing.B) (*sidecar.Backend, []*grpc.ClientConn) {
	b.Helper()
	cfg := sidecar.Config{Listen: "127.0.0.1:0", MetricsListen: "off", Data: b.TempDir(), Profile: "cn"}
	// DIALGATE_LOAD_REDIS=1 (with DIALGATE_TEST_REDIS) runs the sidecar as a
	// fleet member: counters and shared DNC entries on Redis.
	if os.Getenv("DIALGATE_LOAD_REDIS") == "1" {
		url := os.Getenv("DIALGATE_TEST_REDIS")
		if url == "" {
			b.Skip("DIALGATE_LOAD_REDIS=1 needs DIALGATE_TEST_REDIS, e.g. redis://127.0.0.1:6379/15")
		}
		key := filepath.Join(cfg.Data, "fleet-hmac.key")
		if err := os.WriteFile(key, []byte("00112233445566778899aabbccddeeff\n"), 0o600); err != nil {
			b.Fatal(err)
		}
		cfg.Redis, cfg.RedisPrefix, cfg.HMACKeyFile = url, fmt.Sprintf("load%d", time.Now().UnixNano()), key
		cfg.RedisRequireAOF = new(false) // the test server keeps nothing on disk
		// Registered first, so it runs after the sidecar's shutdown: a run
		// leaves ≈ 10⁶ keys, and every later store opened on the same
		// database scans past them (a CI run on a database a load run had
		// used timed out).
		b.Cleanup(func() { testdb.DropRedisPrefix(url, cfg.RedisPrefix) })
	}
	be, err := sidecar.Open(context.Background(), cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	srv, err := sidecar.NewServer(cfg, be, nil)
	if err != nil {
		b.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(lis)
	b.Cleanup(func() { srv.Shutdown(context.Background()) })
	conns := make([]*grpc.ClientConn, 4)
	for i := range conns {
		c, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		conns[i] = c
	}
	if err := addLedger(context.Background(), pb.NewAdminServiceClient(conns[0]), e2eFrom); err != nil {
		b.Fatal(err)
	}
	return be, conns
}

// loadDial is the i-th dial of a load run: an instant callback (allowed at
// any hour by cn) to a number whose 号段 no other i of the run shares within
// 100,000 dials, with a scrambled last four digits, so that the sweep guard
// (segment rate, sequential runs, strides) does not trip and every check is
// allowed. The last four digits change with the segment: one suffix through
// successive segments would be a stride sweep (sweep.stride).
func loadDial(i int, trigger *timestamppb.Timestamp) *pb.Dial {
	seg := i % 100_000 // 13x xxxx: 100,000 segments
	to := fmt.Sprintf("+861%d%04d%04d", 30+seg%10, seg/10, (seg*7919+i/100_000*104_729+1234)%10_000)
	return &pb.Dial{To: to, From: e2eFrom, Purpose: pb.Purpose_PURPOSE_CALLBACK, TriggerAt: trigger, LeadId: "crm-1", Tenant: "acme"}
}

func checkOnce(ctx context.Context, c *grpc.ClientConn, d *pb.Dial) error {
	r, err := pb.NewGateServiceClient(c).Check(ctx, &pb.CheckRequest{Dial: d})
	if err == nil && !r.GetDecision().GetAllowed() {
		return fmt.Errorf("load dial denied: %v", r.GetDecision().GetReasons())
	}
	return err
}

func pct(l []time.Duration, p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	return l[int(float64(len(l)-1)*p)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkLoad measures, in one run, 64 concurrent callers in a closed loop
// (each sends its next call as soon as the last one returns) on one loopback
// TCP connection pool: first the bare gRPC health call (the ceiling of the
// stack on this machine), then Check on the sidecar as `dialgate serve` wires
// it. It reports both throughputs, their ratio and Check's p50/p99 latency at
// saturation; BenchmarkCheckRate measures latency at a fixed offered load.
// Each phase runs for DIALGATE_LOAD_SECONDS (default 3) regardless of b.N;
// run it with
//
//	go test -run '^$' -bench Load -benchtime 1x ./internal/sidecar/
//
// The data directory is under $TMPDIR: TMPDIR=/dev/shm (where fdatasync
// does nothing) shows what the decision costs without the disk, the
// durability's share of the figures.
func BenchmarkLoad(b *testing.B) {
	be, conns := loadSidecar(b)
	phase := loadPhase(b)
	var next atomic.Int64
	run := func(call func(ctx context.Context, c *grpc.ClientConn) error) (rps, cpuUS float64, lat []time.Duration) {
		ctx, cancel := context.WithTimeout(context.Background(), phase)
		defer cancel()
		var (
			mu  sync.Mutex
			all []time.Duration
			wg  sync.WaitGroup
		)
		start, cpu0 := time.Now(), benchcpu.ProcessTime()
		for w := 0; w < loadCallers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				local := make([]time.Duration, 0, 4096)
				c := conns[w%len(conns)]
				for {
					t0 := time.Now()
					if err := call(ctx, c); err != nil {
						// The phase ends with the context's deadline, which
						// the server may notice first (RST_STREAM).
						if c := status.Code(err); ctx.Err() == nil && c != codes.DeadlineExceeded && c != codes.Canceled {
							b.Error(err)
						}
						break
					}
					local = append(local, time.Since(t0))
				}
				mu.Lock()
				all = append(all, local...)
				mu.Unlock()
			}(w)
		}
		wg.Wait()
		cpu := benchcpu.ProcessTime() - cpu0
		slices.Sort(all)
		return float64(len(all)) / time.Since(start).Seconds(), float64(cpu.Microseconds()) / float64(max(1, len(all))), all
	}
	trigger := timestamppb.New(time.Now())
	b.ResetTimer()
	healthRPS, healthCPU, hl := run(func(ctx context.Context, c *grpc.ClientConn) error {
		_, err := healthpb.NewHealthClient(c).Check(ctx, &healthpb.HealthCheckRequest{})
		return err
	})
	checkRPS, checkCPU, cl := run(func(ctx context.Context, c *grpc.ClientConn) error {
		return checkOnce(ctx, c, loadDial(int(next.Add(1)), trigger))
	})
	b.StopTimer()
	b.ReportMetric(healthRPS, "health_rps")
	b.ReportMetric(checkRPS, "check_rps")
	b.ReportMetric(checkRPS/healthRPS, "check/health")
	// CPU per call of the whole process (server, client and GC), which other
	// processes on the machine disturb far less than wall-clock throughput:
	// on a machine the load saturates, the throughput ratio tends to
	// health_cpu_us / check_cpu_us.
	b.ReportMetric(healthCPU, "health_cpu_us")
	b.ReportMetric(checkCPU, "check_cpu_us")
	b.ReportMetric(ms(pct(hl, 0.99)), "health_p99_ms")
	b.ReportMetric(ms(pct(cl, 0.50)), "check_p50_ms")
	b.ReportMetric(ms(pct(cl, 0.99)), "check_p99_ms")
	b.Logf("checks on profile cn: %s", be.Gate.CheckNames())
}

// BenchmarkCheckRate measures Check's latency at a fixed offered load (open
// loop): calls are scheduled at a constant rate whatever the server does, and
// handed to at most 64 concurrent callers. A call's latency runs from its
// scheduled instant, so time spent waiting for a free caller (because the
// server fell behind) or for the scheduler counts, as a dialer would see it
// (no coordinated omission). For each rate (2,000 and 5,000 calls/s, each for
// DIALGATE_LOAD_SECONDS, default 3) it first runs the bare gRPC health call —
// the noise floor of the stack and the machine at that load — then Check on
// the sidecar as BenchmarkLoad wires it, and reports p50, p99 and max latency,
// the achieved rate and the share of calls that started more than 1 ms late.
// Run it with
//
//	go test -run '^$' -bench CheckRate -benchtime 1x ./internal/sidecar/
//
// The data directory is under $TMPDIR: TMPDIR=/dev/shm takes the disk's
// fsync latency out of the figures.
func BenchmarkCheckRate(b *testing.B) {
	be, conns := loadSidecar(b)
	phase := loadPhase(b)
	var next atomic.Int64
	// Warm up (connections, caches, the first bolt pages) outside the figures.
	for i := 0; i < 200; i++ {
		if err := checkOnce(context.Background(), conns[i%len(conns)], loadDial(int(next.Add(1)), timestamppb.Now())); err != nil {
			b.Fatal(err)
		}
	}
	health := func(ctx context.Context, c *grpc.ClientConn) error {
		_, err := healthpb.NewHealthClient(c).Check(ctx, &healthpb.HealthCheckRequest{})
		return err
	}
	for _, rate := range []int{2000, 5000} {
		for _, call := range []string{"health", "check"} {
			b.Run(fmt.Sprintf("rate=%d/%s", rate, call), func(b *testing.B) {
				do := health
				if call == "check" {
					trigger := timestamppb.Now()
					do = func(ctx context.Context, c *grpc.ClientConn) error {
						return checkOnce(ctx, c, loadDial(int(next.Add(1)), trigger))
					}
				}
				openLoop(b, conns, rate, phase, do)
			})
		}
	}
	b.Logf("checks on profile cn: %s", be.Gate.CheckNames())
}

// openLoop offers rate calls per second for phase to at most loadCallers
// concurrent callers and reports the latency figures.
func openLoop(b *testing.B, conns []*grpc.ClientConn, rate int, phase time.Duration, call func(context.Context, *grpc.ClientConn) error) {
	total := int(phase.Seconds() * float64(rate))
	interval := time.Second / time.Duration(rate)
	type job struct {
		i   int
		due time.Time
	}
	jobs := make(chan job, total)
	lat := make([]time.Duration, total)
	var (
		late   atomic.Int64 // calls that started more than 1 ms after their instant
		failed atomic.Int64
		wg     sync.WaitGroup
	)
	for w := 0; w < loadCallers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := conns[w%len(conns)]
			for j := range jobs {
				if time.Since(j.due) > time.Millisecond {
					late.Add(1)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				err := call(ctx, c)
				cancel()
				lat[j.i] = time.Since(j.due)
				if err != nil && failed.Add(1) == 1 {
					b.Error(err)
				}
			}
		}(w)
	}
	b.ResetTimer()
	start := time.Now()
	// The scheduler releases every call whose instant has come, then sleeps a
	// little; calls are never dropped, only delayed.
	for sent := 0; sent < total; {
		due := min(total, int(time.Since(start)/interval)+1)
		for ; sent < due; sent++ {
			jobs <- job{i: sent, due: start.Add(time.Duration(sent) * interval)}
		}
		time.Sleep(interval / 2)
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(total)/elapsed.Seconds(), "calls/s")
	b.ReportMetric(ms(pct(lat, 0.50)), "p50_ms")
	b.ReportMetric(ms(pct(lat, 0.99)), "p99_ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max_ms")
	b.ReportMetric(float64(late.Load())/float64(total)*100, "late_%")
	if n := failed.Load(); n > 0 {
		b.Errorf("%d of %d calls failed", n, total)
	}
}

// BenchmarkLoadStream is BenchmarkLoad's Check phase over CheckStream, the
// RPC for high-rate dialers: one stream per connection, 64 dials in flight in
// all, each answered dial replaced by the next at once (closed loop). It
// reports the throughput, its ratio to the bare health call measured in the
// same run, latency from send to answer, and process CPU per dial. Run it
// with
//
//	go test -run '^$' -bench LoadStream -benchtime 1x ./internal/sidecar/
func BenchmarkLoadStream(b *testing.B) {
	_, conns := loadSidecar(b)
	phase := loadPhase(b)
	// The health ceiling of this run, as BenchmarkLoad measures it.
	hctx, hcancel := context.WithTimeout(context.Background(), phase)
	var hn atomic.Int64
	var hwg sync.WaitGroup
	hstart := time.Now()
	for w := 0; w < loadCallers; w++ {
		hwg.Add(1)
		go func() {
			defer hwg.Done()
			for hctx.Err() == nil {
				if _, err := healthpb.NewHealthClient(conns[w%len(conns)]).Check(hctx, &healthpb.HealthCheckRequest{}); err == nil {
					hn.Add(1)
				}
			}
		}()
	}
	hwg.Wait()
	hcancel()
	healthRPS := float64(hn.Load()) / time.Since(hstart).Seconds()

	ctx, cancel := context.WithTimeout(context.Background(), phase)
	defer cancel()
	trigger := timestamppb.New(time.Now())
	var (
		next atomic.Int64
		mu   sync.Mutex
		all  []time.Duration
		wg   sync.WaitGroup
	)
	perStream := loadCallers / len(conns)
	start, cpu0 := time.Now(), benchcpu.ProcessTime()
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := pb.NewGateServiceClient(c).CheckStream(ctx)
			if err != nil {
				b.Error(err)
				return
			}
			var (
				smu  sync.Mutex
				sent = map[string]time.Time{}
			)
			send := func() error {
				id := strconv.FormatInt(next.Add(1), 10)
				smu.Lock()
				sent[id] = time.Now()
				smu.Unlock()
				n, _ := strconv.Atoi(id)
				return st.Send(&pb.CheckStreamRequest{RequestId: id, Dial: loadDial(n, trigger)})
			}
			for range perStream {
				if err := send(); err != nil {
					return
				}
			}
			local := make([]time.Duration, 0, 4096)
			for {
				r, err := st.Recv()
				if err != nil {
					break
				}
				smu.Lock()
				t0 := sent[r.GetRequestId()]
				delete(sent, r.GetRequestId())
				smu.Unlock()
				if !r.GetDecision().GetAllowed() {
					if ctx.Err() == nil {
						b.Errorf("stream dial not allowed: %v %v", r.GetError(), r.GetDecision().GetReasons())
					}
					break
				}
				local = append(local, time.Since(t0))
				if ctx.Err() != nil || send() != nil {
					break
				}
			}
			mu.Lock()
			all = append(all, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), benchcpu.ProcessTime()-cpu0
	slices.Sort(all)
	rps := float64(len(all)) / elapsed.Seconds()
	b.ReportMetric(healthRPS, "health_rps")
	b.ReportMetric(rps, "stream_rps")
	b.ReportMetric(rps/healthRPS, "stream/health")
	b.ReportMetric(float64(cpu.Microseconds())/float64(max(1, len(all))), "stream_cpu_us")
	b.ReportMetric(ms(pct(all, 0.50)), "stream_p50_ms")
	b.ReportMetric(ms(pct(all, 0.99)), "stream_p99_ms")
}

// BenchmarkGateAsServed measures the gate exactly as `dialgate serve` wires it
// (profile cn, boltstore, fsynced audit log) called directly by 32 goroutines
// per GOMAXPROCS (b.SetParallelism(32): 64 on a 2-core machine), without
// gRPC: the gate's share of a Check, with allocations and the process's CPU
// (cpu-ns/op, every goroutine and the GC) per decision.
// Run it with TMPDIR=/dev/shm to leave the disk's fsync latency out of ns/op:
//
//	TMPDIR=/dev/shm go test -run '^$' -bench GateAsServed ./internal/sidecar/
func BenchmarkGateAsServed(b *testing.B) {
	be, _ := loadSidecar(b)
	trigger := timestamppb.Now()
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(32)
	b.ResetTimer()
	defer benchcpu.Start(b)() // the process's CPU per decision: meaningful on a busy machine
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			d, err := sidecar.DialFromProto(loadDial(int(next.Add(1)), trigger))
			if err != nil {
				b.Error(err)
				return
			}
			dec, err := be.Gate.Check(context.Background(), d)
			if err != nil || !dec.Allowed {
				b.Errorf("decision: %v %v", err, dec.Reasons)
				return
			}
		}
	})
}
