package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
)

// TestMain lets the fleet test start this test binary as `dialgate serve`
// processes (no separate build step).
func TestMain(m *testing.M) {
	if os.Getenv("DIALGATE_TEST_RUN_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

const fleetProfile = `schema: dialgate.profile.v1
name: fleet-test
dnc: {}
frequency:
  caps:
    - count: 3
      window: 24h
      cite: {source: U, ref: "fleet test cap: 3 calls per callee per 24 h"}
`

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Two `dialgate serve` processes sharing Redis and PostgreSQL: 64 concurrent
// dials for one callee spread over both allow exactly the cap, an opt-out
// through one denies at the other on the next check, a recording registered
// through one can be held through the other, and a complaint filed through
// one is known to the other.
func TestFleetTwoProcesses(t *testing.T) {
	rurl, purl := os.Getenv("DIALGATE_TEST_REDIS"), os.Getenv("DIALGATE_TEST_POSTGRES")
	if rurl == "" || purl == "" {
		t.Skip("DIALGATE_TEST_REDIS and DIALGATE_TEST_POSTGRES are not set; run with DIALGATE_TEST_REDIS=redis://127.0.0.1:6379/15 DIALGATE_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' go test -run Fleet ./cmd/dialgate")
	}
	if testing.Short() {
		t.Skip("starts two server processes")
	}
	var b [6]byte
	rand.Read(b[:])
	tag := hex.EncodeToString(b[:])
	prefix, schema := "dgfleet-"+tag, "dgfleet_"+tag
	t.Cleanup(func() {
		ctx := context.Background()
		if o, err := redis.ParseURL(rurl); err == nil {
			c := redis.NewClient(o)
			keys, _ := c.Keys(ctx, "{"+prefix+"}:*").Result()
			if len(keys) > 0 {
				c.Del(ctx, keys...)
			}
			c.Close()
		}
		if c, err := pgx.Connect(ctx, purl); err == nil {
			c.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
			c.Close(ctx)
		}
	})
	dir := t.TempDir()
	prof := filepath.Join(dir, "fleet.yaml")
	if err := os.WriteFile(prof, []byte(fleetProfile), 0o600); err != nil {
		t.Fatal(err)
	}
	// Every sidecar of a fleet hashes callees with the same key.
	keyFile := filepath.Join(dir, "fleet-hmac.key")
	if err := os.WriteFile(keyFile, []byte("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var clients []*grpc.ClientConn
	for i := range 2 {
		addr := freeAddr(t)
		cfg := fmt.Sprintf("listen: %q\ndata: %q\nprofile: %q\nmetrics_listen: \"off\"\nredis: %q\nredis_require_aof: false\nredis_prefix: %q\npostgres: %q\npostgres_schema: %q\nhmac_key_file: %q\n",
			addr, filepath.Join(dir, fmt.Sprintf("data%d", i)), prof, rurl, prefix, purl, schema, keyFile)
		cfgFile := filepath.Join(dir, fmt.Sprintf("sidecar%d.yaml", i))
		if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "serve", "--config", cfgFile)
		cmd.Env = append(os.Environ(), "DIALGATE_TEST_RUN_MAIN=1")
		cmd.Stderr = &testWriter{t: t, name: fmt.Sprintf("serve%d", i)}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cmd.Process.Signal(os.Interrupt)
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				cmd.Process.Kill()
			}
		})
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		clients = append(clients, conn)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dial := func(to string) *pb.CheckRequest {
		return &pb.CheckRequest{Dial: &pb.Dial{To: to, From: "+861058001234", Purpose: pb.Purpose_PURPOSE_SERVICE, Tenant: "acme", LeadId: "crm-1"}}
	}
	// Wait until both servers answer.
	for i, c := range clients {
		deadline := time.Now().Add(30 * time.Second)
		for {
			_, err := pb.NewGateServiceClient(c).Check(ctx, dial("+8613900139099"))
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("serve%d never answered: %v", i, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	var allowed, failed atomic.Int32
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := pb.NewGateServiceClient(clients[i%2]).Check(ctx, dial("+8613900139050"))
			if err != nil {
				failed.Add(1)
				return
			}
			if resp.GetDecision().GetAllowed() {
				allowed.Add(1)
			}
		}()
	}
	wg.Wait()
	if allowed.Load() != 3 || failed.Load() != 0 {
		t.Fatalf("64 concurrent dials across two processes: %d allowed, %d RPC errors; want exactly 3 (the cap)", allowed.Load(), failed.Load())
	}

	to := "+8613900139051"
	if resp, err := pb.NewGateServiceClient(clients[1]).Check(ctx, dial(to)); err != nil || !resp.GetDecision().GetAllowed() {
		t.Fatalf("before the opt-out: %v, %v", resp, err)
	}
	if _, err := pb.NewAdminServiceClient(clients[0]).AddDncEntry(ctx, &pb.AddDncEntryRequest{Number: to, Scope: "global", Source: "opt_out"}); err != nil {
		t.Fatalf("AddDncEntry at serve0: %v", err)
	}
	// The next check at the other process: the change feed has normally
	// delivered within a millisecond; allow a short grace for a loaded host.
	deadline := time.Now().Add(2 * time.Second)
	for {
		resp, err := pb.NewGateServiceClient(clients[1]).Check(ctx, dial(to))
		if err == nil && !resp.GetDecision().GetAllowed() {
			var codes []string
			for _, r := range resp.GetDecision().GetReasons() {
				codes = append(codes, r.GetCode())
			}
			if fmt.Sprint(codes) != "[dnc.listed]" {
				t.Fatalf("after the opt-out: denied with %v, want [dnc.listed]", codes)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("an opt-out through serve0 never denied at serve1: %v, %v", resp, err)
		}
		time.Sleep(time.Millisecond)
	}

	// Recording metadata and complaints are shared through PostgreSQL.
	a0, a1 := pb.NewAdminServiceClient(clients[0]), pb.NewAdminServiceClient(clients[1])
	if _, err := a0.RegisterRecording(ctx, &pb.RegisterRecordingRequest{Id: "rec-fleet-1", Number: "+8613900139052",
		StartedAt: timestamppb.New(time.Now().Add(-time.Minute)), Tenant: "acme"}); err != nil {
		t.Fatalf("RegisterRecording at serve0: %v", err)
	}
	if _, err := a1.HoldRecording(ctx, &pb.HoldRecordingRequest{Id: "rec-fleet-1", Reason: "fleet test", HoldId: "hold-1"}); err != nil {
		t.Fatalf("HoldRecording at serve1 of a recording registered at serve0: %v", err)
	}
	if _, err := a0.FileComplaint(ctx, &pb.FileComplaintRequest{Number: "+8613900139053", Scope: "global", Tenant: "acme", ComplaintId: "cp-fleet-1"}); err != nil {
		t.Fatalf("FileComplaint at serve0: %v", err)
	}
	// The same complaint id with another scope is refused — at the other
	// process too, which can only know it from the shared store.
	if _, err := a1.FileComplaint(ctx, &pb.FileComplaintRequest{Number: "+8613900139053", Scope: "tenant:other", Tenant: "acme", ComplaintId: "cp-fleet-1"}); err == nil {
		t.Fatal("serve1 accepted a retry of serve0's complaint with another scope: complaints are not shared")
	}
}

type testWriter struct {
	t    *testing.T
	name string
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s: %s", w.name, p)
	return len(p), nil
}
