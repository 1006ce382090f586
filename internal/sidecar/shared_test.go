package sidecar

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/internal/testdb"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/pgstore"
	"github.com/dialgate/dialgate/storage/redisstore"
	"github.com/redis/go-redis/v9"
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
	cfg := Config{Redis: url, RedisPrefix: fmt.Sprintf("sharedtest%d", time.Now().UnixNano()), RedisRequireAOF: new(false)}
	t.Cleanup(func() { testdb.DropRedisPrefix(url, cfg.RedisPrefix) })
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

// By default a fleet refuses a Redis that does not persist every write: its
// opt-outs and cap counters would not survive a Redis restart.
func TestOpenSharedRefusesRedisWithoutAOF(t *testing.T) {
	url := os.Getenv("DIALGATE_TEST_REDIS")
	if url == "" {
		t.Skip("DIALGATE_TEST_REDIS is not set; run with DIALGATE_TEST_REDIS=redis://127.0.0.1:6379/15")
	}
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(o)
	defer rc.Close()
	m, err := rc.ConfigGet(context.Background(), "appendonly").Result()
	if err != nil {
		t.Skipf("CONFIG GET appendonly: %v", err)
	}
	if m["appendonly"] == "yes" {
		t.Skip("the test server runs with appendonly yes: nothing to refuse")
	}
	var deps policy.Deps
	_, _, err = OpenShared(context.Background(), Config{Redis: url, RedisPrefix: "aoftest"}, &deps)
	if err == nil || !strings.Contains(err.Error(), "appendonly") || !strings.Contains(err.Error(), "redis_require_aof: false") {
		t.Fatalf("OpenShared on a Redis without appendonly = %v; want a refusal naming appendonly and redis_require_aof", err)
	}
	if deps.DNC != nil || deps.Counters != nil {
		t.Error("deps were pointed at the refused Redis")
	}
}

type fakeFeedStore struct {
	ping error
	live bool
}

func (f *fakeFeedStore) Ping(context.Context) error { return f.ping }
func (f *fakeFeedStore) FeedLive() bool             { return f.live }

// The probe of a shared store fails when it does not answer and, where it
// holds the fleet's do-not-call lists, when their change feed is lost
// (PostgreSQL without Redis: its LISTEN feed was not watched).
func TestStoreProbe(t *testing.T) {
	ctx := context.Background()
	s := &fakeFeedStore{live: true}
	if err := storeProbe("postgres", s, true)(ctx); err != nil {
		t.Fatalf("live: %v", err)
	}
	s.live = false
	if err := storeProbe("postgres", s, true)(ctx); err == nil || !strings.Contains(err.Error(), "postgres: DNC change feed not live") {
		t.Fatalf("feed lost: %v", err)
	}
	if err := storeProbe("postgres", s, false)(ctx); err != nil {
		t.Fatalf("feed lost, lists elsewhere (Redis): %v", err)
	}
	s.ping = errors.New("down")
	if err := storeProbe("redis", s, false)(ctx); err == nil {
		t.Fatal("a store that does not answer passed")
	}
}

// redis_wait_replicas reaches the Redis store: a fleet whose Redis has
// replicas (Sentinel) can make every DNC and consent write wait for them, so
// that a failover does not lose an acknowledged revocation. Before, the
// option docs/deploy.md asks for could not be set through the sidecar's
// config. The test server has no replica: a consent write then fails
// (storage.ErrUnavailable) instead of being reported durable.
func TestOpenSharedRedisWaitReplicas(t *testing.T) {
	url := os.Getenv("DIALGATE_TEST_REDIS")
	if url == "" {
		t.Skip("DIALGATE_TEST_REDIS is not set; run with DIALGATE_TEST_REDIS=redis://127.0.0.1:6379/15")
	}
	prefix := fmt.Sprintf("waittest%d", time.Now().UnixNano())
	t.Cleanup(func() { testdb.DropRedisPrefix(url, prefix) }) // the write is applied; only its WAIT fails
	cfg := Config{Redis: url, RedisPrefix: prefix, RedisRequireAOF: new(false), RedisWaitReplicas: 1}
	var deps policy.Deps
	_, done, err := OpenShared(context.Background(), cfg, &deps)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	r := consent.Record{ID: "c-wait", Number: dialgate.MustParseNumber("+8613900139031"), Scope: "industry:finance",
		Method: consent.MethodWritten, EvidenceURI: "s3://consents/c-wait.pdf", GrantedAt: time.Now().Add(-time.Hour)}
	if err := deps.Consents.AddConsent(context.Background(), r); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("AddConsent with redis_wait_replicas: 1 and no replica = %v, want storage.ErrUnavailable", err)
	}
}

func TestConfigRedisWaitReplicas(t *testing.T) {
	for _, c := range []Config{{RedisWaitReplicas: 1}, {Redis: "redis://127.0.0.1:6379/9", RedisWaitReplicas: -1}} {
		c.HMACKeyFile = "k"
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "redis_wait_replicas") {
			t.Errorf("%+v: Validate = %v, want an error naming redis_wait_replicas", c, err)
		}
	}
}

// redis_require_epoch reaches the Redis store: a sidecar started after its
// Redis lost the fleet's data (restarted without persistence) refuses the
// empty store instead of counting caps from zero without the opt-outs.
func TestOpenSharedRedisRequireEpoch(t *testing.T) {
	url := os.Getenv("DIALGATE_TEST_REDIS")
	if url == "" {
		t.Skip("DIALGATE_TEST_REDIS is not set; run with DIALGATE_TEST_REDIS=redis://127.0.0.1:6379/15")
	}
	prefix := fmt.Sprintf("epochtest%d", time.Now().UnixNano())
	t.Cleanup(func() { testdb.DropRedisPrefix(url, prefix) })
	cfg := Config{Redis: url, RedisPrefix: prefix, RedisRequireAOF: new(false), RedisRequireEpoch: true}
	var deps policy.Deps
	if _, done, err := OpenShared(context.Background(), cfg, &deps); !errors.Is(err, redisstore.ErrNoEpoch) {
		if err == nil {
			done()
		}
		t.Fatalf("redis_require_epoch on a store without its epoch key: %v, want redisstore.ErrNoEpoch", err)
	}
	if err := (Config{RedisRequireEpoch: true, HMACKeyFile: "k"}).Validate(); err == nil || !strings.Contains(err.Error(), "redis_require_epoch") {
		t.Errorf("redis_require_epoch without redis: Validate = %v, want an error naming it", err)
	}
}

// postgres_require_schema reaches the PostgreSQL store: a sidecar started
// against a database without the fleet's schema (a failover to an empty
// server, a wrong database in the URL) refuses it instead of serving from a
// new, empty store; once the store exists it starts.
func TestOpenSharedPostgresRequireSchema(t *testing.T) {
	url := os.Getenv("DIALGATE_TEST_POSTGRES")
	if url == "" {
		t.Skip("DIALGATE_TEST_POSTGRES is not set; run with DIALGATE_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'")
	}
	schema := fmt.Sprintf("reqschema%d", time.Now().UnixNano())
	t.Cleanup(func() { testdb.DropPostgresSchema(url, schema) })
	ctx := context.Background()
	cfg := Config{Postgres: url, PostgresSchema: schema, PostgresRequireSchema: true, HMACKeyFile: "k"}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	var deps policy.Deps
	_, done, err := OpenShared(ctx, cfg, &deps)
	if !errors.Is(err, pgstore.ErrNoSchema) || !strings.Contains(err.Error(), "postgres_require_schema") || !strings.Contains(err.Error(), schema) {
		if err == nil {
			done()
		}
		t.Fatalf("postgres_require_schema on a database without the schema: %v, want pgstore.ErrNoSchema naming the schema and the key", err)
	}
	cfg.PostgresRequireSchema = false
	_, done, err = OpenShared(ctx, cfg, &deps)
	if err != nil {
		t.Fatal(err)
	}
	done()
	cfg.PostgresRequireSchema = true
	_, done, err = OpenShared(ctx, cfg, &deps)
	if err != nil {
		t.Fatalf("postgres_require_schema on the fleet's schema: %v", err)
	}
	done()
	if err := (Config{PostgresRequireSchema: true, HMACKeyFile: "k"}).Validate(); err == nil || !strings.Contains(err.Error(), "postgres_require_schema") {
		t.Errorf("postgres_require_schema without postgres: Validate = %v, want an error naming it", err)
	}
}
