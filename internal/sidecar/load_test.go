package sidecar_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate/internal/sidecar"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// BenchmarkLoad measures, in one run, 64 concurrent callers on one loopback
// TCP connection pool: first the bare gRPC health call (the ceiling of the
// stack on this machine), then Check on the sidecar as `dialgate serve` wires
// it (profile cn, boltstore, audit log with fsync). It reports both
// throughputs, their ratio and Check's p50/p99 latency. Each phase runs for
// DIALGATE_LOAD_SECONDS (default 3) regardless of b.N; run it with
//
//	go test -run '^$' -bench Load -benchtime 1x ./internal/sidecar/
func BenchmarkLoad(b *testing.B) {
	const callers = 64
	phase := 3 * time.Second
	dir := b.TempDir()
	cfg := sidecar.Config{Listen: "127.0.0.1:0", MetricsListen: "off", Data: dir, Profile: "cn"}
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
	defer srv.Shutdown(context.Background())

	// A few connections, as a real dialer pool would use.
	conns := make([]*grpc.ClientConn, 4)
	for i := range conns {
		c, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	run := func(call func(ctx context.Context, c *grpc.ClientConn, i int) error) (rps float64, lat []time.Duration) {
		ctx, cancel := context.WithTimeout(context.Background(), phase)
		defer cancel()
		var (
			mu  sync.Mutex
			all []time.Duration
			wg  sync.WaitGroup
		)
		start := time.Now()
		for w := 0; w < callers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				local := make([]time.Duration, 0, 4096)
				c := conns[w%len(conns)]
				for i := 0; ; i++ {
					t0 := time.Now()
					if err := call(ctx, c, w*1_000_000+i); err != nil {
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
		slices.Sort(all)
		return float64(len(all)) / time.Since(start).Seconds(), all
	}
	pct := func(l []time.Duration, p float64) time.Duration {
		if len(l) == 0 {
			return 0
		}
		return l[int(float64(len(l)-1)*p)]
	}
	trigger := timestamppb.New(time.Now()) // an instant callback: allowed at any hour by cn
	b.ResetTimer()
	healthRPS, hl := run(func(ctx context.Context, c *grpc.ClientConn, _ int) error {
		_, err := healthpb.NewHealthClient(c).Check(ctx, &healthpb.HealthCheckRequest{})
		return err
	})
	checkRPS, cl := run(func(ctx context.Context, c *grpc.ClientConn, i int) error {
		r, err := pb.NewGateServiceClient(c).Check(ctx, &pb.CheckRequest{Dial: &pb.Dial{
			To: fmt.Sprintf("+86139%08d", i%100_000_000), From: "+861058001234",
			Purpose: pb.Purpose_PURPOSE_CALLBACK, TriggerAt: trigger, LeadId: "crm-1", Tenant: "acme"}})
		if err == nil && r.GetDecision().GetId() == "" {
			return fmt.Errorf("no decision")
		}
		return err
	})
	b.StopTimer()
	b.ReportMetric(healthRPS, "health_rps")
	b.ReportMetric(checkRPS, "check_rps")
	b.ReportMetric(checkRPS/healthRPS, "check/health")
	b.ReportMetric(float64(pct(hl, 0.99).Microseconds())/1000, "health_p99_ms")
	b.ReportMetric(float64(pct(cl, 0.50).Microseconds())/1000, "check_p50_ms")
	b.ReportMetric(float64(pct(cl, 0.99).Microseconds())/1000, "check_p99_ms")
	b.Logf("checks on profile cn: %s", be.Gate.CheckNames())
}
