//go:build unix

package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/redisstore"
)

// TestOpenRefusesReplica: Open refuses a server that is a replica. Its reads
// can lag behind writes its master acknowledged — a consent revoked or a
// number opted out through another sidecar would still be allowed here —
// and its writes fail (read-only), so a URL naming a replica (a
// misconfiguration, a failover's old master) is refused at once, naming the
// role, rather than deciding on stale reads. The replica's master is a dead
// port: the replica keeps serving its (empty) data, as replica-serve-stale-
// data does by default.
func TestOpenRefusesReplica(t *testing.T) {
	redisURL(t) // opt-in like every test that needs Redis
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed")
	}
	port, dead := freePort(t), freePort(t)
	startRedis(t, bin, port, "--replicaof", "127.0.0.1", fmt.Sprint(dead))
	url := fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	var s *redisstore.Store
	up := waitFor(func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s, err = redisstore.Open(ctx, url, redisstore.Options{Prefix: "dgreplica", Heartbeat: 100 * time.Millisecond})
		return !errors.Is(err, storage.ErrUnavailable) // not yet listening
	})
	if !up {
		t.Fatalf("the replica never answered: %v", err)
	}
	if err == nil {
		s.Close()
		t.Fatal("Open of a replica succeeded; want it refused")
	}
	if !errors.Is(err, storage.ErrInvalid) || !strings.Contains(err.Error(), "replica") || !strings.Contains(err.Error(), "role:slave") {
		t.Fatalf("Open of a replica: %v; want storage.ErrInvalid naming the replica's role", err)
	}
}
