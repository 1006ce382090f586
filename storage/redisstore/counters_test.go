package redisstore_test

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/redisstore"
	"github.com/redis/go-redis/v9"
)

// benchLimits are shaped like the cn caps: three windows, each under its own
// key, no member (every reservation is distinct).
func benchLimits(callee string) []storage.Limit {
	return []storage.Limit{
		{Key: callee + "/24h", Window: 24 * time.Hour, Max: 3},
		{Key: callee + "/168h", Window: 168 * time.Hour, Max: 10},
		{Key: callee + "/720h", Window: 720 * time.Hour, Max: 20},
	}
}

// BenchmarkReserve measures one Reserve round trip (cn-shaped caps, a fresh
// callee each time) from one caller and from 32 concurrent callers, with
// reservations group-committed (the default) and each in its own script call
// (batch=off). Run with
// DIALGATE_TEST_REDIS=redis://127.0.0.1:6379/15 go test -run '^$' -bench Reserve ./storage/redisstore
func BenchmarkReserve(b *testing.B) {
	url := redisURL(b)
	ctx := context.Background()
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	var seq atomic.Int64
	for _, mode := range []struct {
		name  string
		batch int
	}{{"batch=off", -1}, {"batch=64", 64}} {
		s := openOpts(b, url, redisstore.Options{Prefix: newPrefix(b, url), MaxCounterBatch: mode.batch})
		reserve := func(b *testing.B) {
			i := strconv.FormatInt(seq.Add(1), 10)
			ok, _, err := s.Reserve(ctx, "r"+i, at, benchLimits("c/"+i))
			if err != nil || !ok {
				b.Fatalf("reserve: ok=%v err=%v", ok, err)
			}
		}
		b.Run(mode.name+"/callers=1", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				reserve(b)
			}
		})
		b.Run(mode.name+"/callers=32", func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0)))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					reserve(b)
				}
			})
		})
	}
}

// TestReserveManyLimits covers the scripts' chunked HSET (Lua's stack bounds
// unpack): one reservation under more keys than one chunk holds.
func TestReserveManyLimits(t *testing.T) {
	url := redisURL(t)
	s := open(t, url, newPrefix(t, url))
	ctx := context.Background()
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	limits := make([]storage.Limit, 4500) // 9,000 HSET arguments: more than Lua 5.1 unpacks at once
	for i := range limits {
		limits[i] = storage.Limit{Key: "many/" + strconv.Itoa(i), Window: time.Hour, Max: 1}
	}
	ok, _, err := s.Reserve(ctx, "many-1", at, limits)
	if err != nil || !ok {
		t.Fatalf("first reserve: ok=%v err=%v", ok, err)
	}
	u, err := s.Usage(ctx, at, limits)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range u {
		if x.Count != 1 || !x.Exceeded {
			t.Fatalf("usage[%d] = %+v, want count 1, exceeded", i, x)
		}
	}
	if ok, _, err := s.Reserve(ctx, "many-2", at, limits); err != nil || ok {
		t.Fatalf("second id: ok=%v err=%v, want denied", ok, err)
	}
	if err := s.Release(ctx, "many-1"); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := s.Reserve(ctx, "many-2", at, limits); err != nil || !ok {
		t.Fatalf("after release: ok=%v err=%v, want allowed (every entry of many-1 released)", ok, err)
	}
}

// ExtendCounterExpiry lengthens the expiry of the counter keys ending with
// the suffix, never shortens one, and leaves other keys alone.
func TestExtendCounterExpiry(t *testing.T) {
	url := redisURL(t)
	p := newPrefix(t, url)
	s := open(t, url, p)
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	reserve := func(id, key string, w time.Duration) {
		t.Helper()
		if ok, _, err := s.Reserve(ctx, id, now, []storage.Limit{{Key: key, Window: w, Max: 10}}); err != nil || !ok {
			t.Fatalf("reserve %s: %v %v", key, ok, err)
		}
	}
	reserve("a", "frequency|aa|cap|callee||30d", 30*24*time.Hour)
	reserve("b", "frequency|bb|cap|callee||30d", 30*24*time.Hour)
	reserve("c", "frequency|cc|cap|callee|marketing|30d", 30*24*time.Hour)
	reserve("d", "frequency|dd|cap|callee||90d", 90*24*time.Hour)
	n, err := s.ExtendCounterExpiry(ctx, "|cap|callee||30d", now.Add(60*24*time.Hour), now)
	if err != nil || n != 2 {
		t.Fatalf("ExtendCounterExpiry = %d, %v; want the two keys of the suffix", n, err)
	}
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(o)
	defer rc.Close()
	ttl := func(key string) time.Duration { return rc.PTTL(ctx, "{"+p+"}:c:"+key).Val() }
	for key, want := range map[string][2]time.Duration{
		"frequency|aa|cap|callee||30d":          {59 * 24 * time.Hour, 61 * 24 * time.Hour},
		"frequency|bb|cap|callee||30d":          {59 * 24 * time.Hour, 61 * 24 * time.Hour},
		"frequency|cc|cap|callee|marketing|30d": {30 * 24 * time.Hour, 32 * 24 * time.Hour}, // another suffix
		"frequency|dd|cap|callee||90d":          {90 * 24 * time.Hour, 92 * 24 * time.Hour},
	} {
		if got := ttl(key); got < want[0] || got > want[1] {
			t.Errorf("TTL of %s = %s, want %s to %s", key, got, want[0], want[1])
		}
	}
	// Never shortened: a shorter until leaves the keys as they are.
	if n, err := s.ExtendCounterExpiry(ctx, "|cap|callee||90d", now.Add(24*time.Hour), now); err != nil || n != 0 {
		t.Errorf("a shorter until extended %d, %v", n, err)
	}
	if _, err := s.ExtendCounterExpiry(ctx, "", now.Add(time.Hour), now); !errors.Is(err, storage.ErrInvalid) {
		t.Errorf("empty suffix: %v, want ErrInvalid", err)
	}
}
