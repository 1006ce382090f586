package redisstore_test

import (
	"context"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/redisstore"
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
