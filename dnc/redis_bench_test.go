package dnc_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
)

// redisStore is a minimal dnc.Store on Redis for BenchmarkStoreMissRedis: one
// hash per number (field = scope, value = the entry as JSON), so a lookup is
// one HGETALL round trip, as in a real shared-state back-end. It is not a
// product store (storage/redisstore is); it exists to measure what the Bloom
// prefilter saves when a miss costs a network round trip.
type redisStore struct {
	c      *redis.Client
	prefix string
}

func (s *redisStore) key(n dialgate.Number) string {
	return s.prefix + strconv.FormatUint(n.Uint64(), 10)
}

func (s *redisStore) AddDNC(ctx context.Context, entries ...dnc.Entry) error {
	p := s.c.Pipeline()
	for _, e := range entries {
		v, err := json.Marshal(e)
		if err != nil {
			return err
		}
		p.HSet(ctx, s.key(e.Number), e.Scope.String(), v)
	}
	_, err := p.Exec(ctx)
	return err
}

func (s *redisStore) DNCEntries(ctx context.Context, n dialgate.Number) ([]dnc.Entry, error) {
	m, err := s.c.HGetAll(ctx, s.key(n)).Result()
	if err != nil || len(m) == 0 {
		return nil, err
	}
	es := make([]dnc.Entry, 0, len(m))
	for _, v := range m {
		var e dnc.Entry
		if err := json.Unmarshal([]byte(v), &e); err != nil {
			return nil, err
		}
		es = append(es, e)
	}
	return es, nil
}

func (s *redisStore) RemoveDNC(ctx context.Context, n dialgate.Number, scope dnc.Scope, _ time.Time) error {
	return s.c.HDel(ctx, s.key(n), scope.String()).Err()
}

// RemoveDNCIf checks cond on a read before the removal: not atomic, which
// the lookup benchmarks this store serves do not need.
func (s *redisStore) RemoveDNCIf(ctx context.Context, n dialgate.Number, scope dnc.Scope, t time.Time, cond dnc.RemoveCondition) error {
	es, err := s.DNCEntries(ctx, n)
	if err != nil {
		return err
	}
	for _, e := range es {
		if e.Scope == scope && !cond.Allows(e) {
			return dnc.ErrChanged
		}
	}
	return s.RemoveDNC(ctx, n, scope, t)
}

func (s *redisStore) ScanDNC(ctx context.Context, fn func(dnc.Entry) error) error {
	it := s.c.Scan(ctx, 0, s.prefix+"*", 1000).Iterator()
	for it.Next(ctx) {
		v, err := strconv.ParseUint(strings.TrimPrefix(it.Val(), s.prefix), 10, 64)
		if err != nil {
			return err
		}
		n, err := dialgate.NumberFromUint64(v)
		if err != nil {
			return err
		}
		es, err := s.DNCEntries(ctx, n)
		if err != nil {
			return err
		}
		for _, e := range es {
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return it.Err()
}

// BenchmarkStoreMissRedis measures a miss against a Redis-backed list of 10⁵
// entries with and without the Bloom prefilter: without it every miss is a
// round trip. It needs a Redis server:
//
//	DIALGATE_TEST_REDIS=redis://127.0.0.1:6379/0 go test -run XXX -bench StoreMissRedis ./dnc/
func BenchmarkStoreMissRedis(b *testing.B) {
	url := os.Getenv("DIALGATE_TEST_REDIS")
	if url == "" {
		b.Skip("set DIALGATE_TEST_REDIS (e.g. redis://127.0.0.1:6379/0) to run against Redis")
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	c := redis.NewClient(opt)
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		b.Fatalf("redis: %v", err)
	}
	st := &redisStore{c: c, prefix: fmt.Sprintf("dialgate-bench-%d:", time.Now().UnixNano())}
	defer func() {
		it := c.Scan(ctx, 0, st.prefix+"*", 1000).Iterator()
		var keys []string
		for it.Next(ctx) {
			keys = append(keys, it.Val())
			if len(keys) == 1000 {
				c.Del(ctx, keys...)
				keys = keys[:0]
			}
		}
		if len(keys) > 0 {
			c.Del(ctx, keys...)
		}
	}()
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
	hit, _ := dialgate.NumberFromUint64(listed[0])
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
		// Every Bloom positive is confirmed: a listed number is still found.
		if es, err := l.Lookup(ctx, hit); err != nil || len(es) != 1 {
			b.Fatalf("%s: listed number: %v %v", tc.name, es, err)
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
