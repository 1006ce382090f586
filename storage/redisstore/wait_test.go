//go:build unix

package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/redisstore"
)

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startRedis starts a redis-server of its own on port with args, without
// persistence and in a temporary directory, and kills it when t ends.
func startRedis(t *testing.T, bin string, port int, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir()}, args...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

// TestWaitReplicasSameConnection: with Options.WaitReplicas, a write returns
// only once a replica acknowledged it. WAIT counts the acknowledgements of
// the writes made on its own connection, so it must run on the connection
// the write's script ran on: sent on another connection of the pool (one
// that wrote nothing the replica lacks) it answered at once, and the write
// was reported replicated although the replica never had it — a failover
// then lost an acknowledged opt-out or revocation. The replica is stopped
// (SIGSTOP: connected, never acknowledging); the pool is FIFO so that two
// successive commands take different connections.
func TestWaitReplicasSameConnection(t *testing.T) {
	redisURL(t) // opt-in like every test that needs Redis
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed")
	}
	mport, rport := freePort(t), freePort(t)
	startRedis(t, bin, mport, "--repl-diskless-sync-delay", "0")
	replica := startRedis(t, bin, rport, "--replicaof", "127.0.0.1", fmt.Sprint(mport))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	url := fmt.Sprintf("redis://127.0.0.1:%d/0?pool_fifo=true&min_idle_conns=4", mport)
	o, _ := redis.ParseURL(fmt.Sprintf("redis://127.0.0.1:%d/0", mport))
	admin := redis.NewClient(o)
	defer admin.Close()
	online := waitFor(func() bool {
		info, err := admin.Info(ctx, "replication").Result()
		return err == nil && strings.Contains(info, "connected_slaves:1") && strings.Contains(info, "state=online")
	})
	if !online {
		t.Skip("the replica did not come online")
	}
	s := openOpts(t, url, redisstore.Options{Prefix: "dgwait", Heartbeat: 100 * time.Millisecond, WaitReplicas: 1, WaitTimeout: time.Second}) // a replica on a loaded machine (go test -race, 2 cores) may take a few hundred ms to acknowledge

	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	entry := func(n string) dnc.Entry {
		return dnc.Entry{Number: dialgate.MustParseNumber(n), Scope: dnc.GlobalScope, List: "opt_out", Source: "call", AddedAt: t0}
	}
	rec := consent.Record{
		ID: "c-wait", Number: dialgate.MustParseNumber("+8613800138002"), Scope: "industry:finance", Method: consent.MethodWebForm,
		DisclosureSHA256: strings.Repeat("ab", 32), EvidenceURI: "https://evidence.example/c-wait", Channel: "website",
		GrantedAt: t0, ExpiresAt: t0.AddDate(1, 0, 0),
	}
	// Replicated: every write returns nil.
	if err := s.AddDNC(ctx, entry("+8613800138000")); err != nil {
		t.Fatalf("AddDNC with the replica up: %v", err)
	}
	if err := s.AddConsent(ctx, rec); err != nil {
		t.Fatalf("AddConsent with the replica up: %v", err)
	}

	// Stop the replica once it acknowledged everything written so far.
	caughtUp := waitFor(func() bool {
		info, err := admin.Info(ctx, "replication").Result()
		if err != nil {
			return false
		}
		var off string
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, "master_repl_offset:"); ok {
				off = v
			}
		}
		return off != "" && strings.Contains(info, ",offset="+off+",")
	})
	if !caughtUp {
		t.Skip("the replica did not catch up")
	}
	if err := replica.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer replica.Process.Signal(syscall.SIGCONT)
	for i := range 4 { // each on whatever connections the pool hands out
		err := s.AddDNC(ctx, entry(fmt.Sprintf("+861380013810%d", i)))
		if !errors.Is(err, storage.ErrUnavailable) {
			t.Fatalf("AddDNC %d with the replica stopped: %v, want storage.ErrUnavailable (not replicated)", i, err)
		}
	}
	if err := s.RemoveDNC(ctx, dialgate.MustParseNumber("+8613800138000"), dnc.GlobalScope, t0); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("RemoveDNC with the replica stopped: %v, want storage.ErrUnavailable", err)
	}
	if _, err := s.RevokeConsent(ctx, rec.ID, t0.Add(time.Hour), "sms"); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("RevokeConsent with the replica stopped: %v, want storage.ErrUnavailable", err)
	}
	// The client retries the revocation it was told did not replicate. The
	// record is revoked on the primary already, so the retry writes nothing;
	// it must still not report success while no replica has the revocation
	// (a failover would lose an acknowledged withdrawal).
	if _, err := s.RevokeConsent(ctx, rec.ID, t0.Add(time.Hour), "sms"); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("RevokeConsent retried with the replica stopped: %v, want storage.ErrUnavailable", err)
	}
	if err := s.AddDNC(ctx, entry("+8613800138100")); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("AddDNC retried with the replica stopped: %v, want storage.ErrUnavailable", err)
	}
	// Once the replica is back and has caught up, the retry succeeds.
	if err := replica.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if !waitFor(func() bool { _, err = s.RevokeConsent(ctx, rec.ID, t0.Add(time.Hour), "sms"); return err == nil }) {
		t.Fatalf("RevokeConsent retried with the replica back: %v", err)
	}
}
