package sidecar

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/storage/redisstore"
)

// A fleet on Redis alone keeps its consents in Redis: a consent granted
// through one sidecar and revoked through another is revoked for both (with
// each host's own store, the revocation failed with NotFound on the other
// host and the first kept allowing).
func TestOpenSharedRedisAloneSharesConsents(t *testing.T) {
	url := os.Getenv("DIALGATE_TEST_REDIS")
	if url == "" {
		t.Skip("DIALGATE_TEST_REDIS is not set; run with DIALGATE_TEST_REDIS=redis://127.0.0.1:6379/15")
	}
	cfg := Config{Redis: url, RedisPrefix: fmt.Sprintf("sharedtest%d", time.Now().UnixNano())}
	var deps policy.Deps
	_, done, err := OpenShared(context.Background(), cfg, &deps)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	if _, ok := deps.Consents.(*redisstore.Store); !ok {
		t.Fatalf("consents of a Redis-only fleet are kept in %T, want the shared *redisstore.Store", deps.Consents)
	}
	if _, ok := deps.Counters.(*redisstore.Store); !ok {
		t.Fatalf("counters in %T", deps.Counters)
	}
}
