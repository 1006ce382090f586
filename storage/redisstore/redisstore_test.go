package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/redisstore"
	"github.com/dialgate/dialgate/storage/storetest"
)

// redisURL returns DIALGATE_TEST_REDIS or skips the test.
func redisURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("DIALGATE_TEST_REDIS")
	if u == "" {
		t.Skip("DIALGATE_TEST_REDIS is not set; run with DIALGATE_TEST_REDIS=redis://127.0.0.1:6379/15 go test ./storage/redisstore")
	}
	return u
}

// newPrefix returns a fresh key prefix and deletes its keys when t ends.
func newPrefix(t testing.TB, url string) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	p := "dgtest-" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		o, err := redis.ParseURL(url)
		if err != nil {
			return
		}
		c := redis.NewClient(o)
		defer c.Close()
		ctx := context.Background()
		iter := c.Scan(ctx, 0, "{"+p+"}:*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		for len(keys) > 0 {
			n := min(len(keys), 500)
			c.Del(ctx, keys[:n]...)
			keys = keys[n:]
		}
	})
	return p
}

func open(t testing.TB, url, prefix string) *redisstore.Store {
	t.Helper()
	return openOpts(t, url, redisstore.Options{Prefix: prefix, Heartbeat: 100 * time.Millisecond})
}

// openOpts opens a Store with opts and closes it when t ends.
func openOpts(t testing.TB, url string, opts redisstore.Options) *redisstore.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := redisstore.Open(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	url := redisURL(t)
	prefixes := map[any]string{}
	var mu sync.Mutex
	storetest.Run(t, func(t *testing.T) any {
		p := newPrefix(t, url)
		s := open(t, url, p)
		mu.Lock()
		prefixes[s] = p
		mu.Unlock()
		return s
	}, storetest.WithReopen(func(old any) (any, error) {
		mu.Lock()
		p := prefixes[old]
		mu.Unlock()
		old.(io.Closer).Close()
		s, err := redisstore.Open(context.Background(), url, redisstore.Options{Prefix: p})
		if err != nil {
			return nil, err
		}
		mu.Lock()
		prefixes[s] = p
		mu.Unlock()
		return s, nil
	}), storetest.WithPlant(redisstore.Plant))
}

func TestCheckCounters(t *testing.T) {
	url := redisURL(t)
	err := storetest.CheckCounters(context.Background(), func() (storage.Counters, error) {
		return redisstore.Open(context.Background(), url, redisstore.Options{Prefix: newPrefix(t, url)})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpenOptions(t *testing.T) {
	url := redisURL(t)
	ctx := context.Background()
	for _, o := range []redisstore.Options{{Prefix: "a{b}"}, {Heartbeat: -1}} {
		if _, err := redisstore.Open(ctx, url, o); !errors.Is(err, storage.ErrInvalid) {
			t.Errorf("Open(%+v) = %v, want storage.ErrInvalid", o, err)
		}
	}
	if _, err := redisstore.Open(ctx, "http://x", redisstore.Options{}); !errors.Is(err, storage.ErrInvalid) {
		t.Errorf("Open with a bad url: %v, want storage.ErrInvalid", err)
	}
	// The test server runs without AOF (like this machine's): RequireAOF refuses it.
	c, _ := redis.ParseURL(url)
	rc := redis.NewClient(c)
	defer rc.Close()
	if m, err := rc.ConfigGet(ctx, "appendonly").Result(); err == nil && m["appendonly"] == "no" {
		_, err := redisstore.Open(ctx, url, redisstore.Options{Prefix: newPrefix(t, url), RequireAOF: true})
		if !errors.Is(err, storage.ErrInvalid) || !strings.Contains(err.Error(), "appendonly") {
			t.Errorf("Open with RequireAOF on a server without AOF: %v, want an error naming appendonly", err)
		}
	}
}

// An opt-out written through one process reaches the filter and cache of
// another.
func TestListsAcrossProcesses(t *testing.T) {
	url := redisURL(t)
	p := newPrefix(t, url)
	a, b := open(t, url, p), open(t, url, p)
	ctx := context.Background()
	la, err := dnc.NewLists(ctx, a, dnc.ListsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer la.Close()
	lb, err := dnc.NewLists(ctx, b, dnc.ListsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	n := dialgate.MustParseNumber("+8613800138000")
	// Cache "not listed" at b (Bloom miss: no store read at all).
	if es, err := lb.Lookup(ctx, n); err != nil || es != nil {
		t.Fatalf("Lookup before = %v, %v", es, err)
	}
	e := dnc.Entry{Number: n, Scope: dnc.MustParseScope("global"), List: "opt_out", Source: "call",
		AddedAt: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}
	if err := la.Add(ctx, e); err != nil {
		t.Fatal(err)
	}
	if !waitFor(func() bool { es, err := lb.Lookup(ctx, n); return err == nil && len(es) == 1 }) {
		t.Fatal("an opt-out added through one store never reached the other process's Lists")
	}
	// Removal reaches the other cache too.
	if err := la.Remove(ctx, n, e.Scope, e.AddedAt); err != nil {
		t.Fatal(err)
	}
	if !waitFor(func() bool { es, err := lb.Lookup(ctx, n); return err == nil && len(es) == 0 }) {
		t.Fatal("a removal through one store never reached the other process's cache")
	}
}

func waitFor(f func() bool) bool {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if f() {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

// proxy forwards TCP connections to a Redis server until killed.
type proxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	dead  bool
}

func newProxy(t *testing.T, url string) (*proxy, string) {
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", o.Addr)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			if p.dead {
				c.Close()
				u.Close()
				p.mu.Unlock()
				continue
			}
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { io.Copy(u, c); u.Close() }()
			go func() { io.Copy(c, u); c.Close() }()
		}
	}()
	t.Cleanup(p.kill)
	purl := strings.Replace(url, o.Addr, ln.Addr().String(), 1)
	return p, purl
}

func (p *proxy) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dead = true
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
}

// Redis down: reservations and DNC lookups fail with storage.ErrUnavailable,
// also for a number the Bloom filter has never seen.
func TestRedisDownFailsClosed(t *testing.T) {
	url := redisURL(t)
	px, purl := newProxy(t, url)
	s := open(t, purl, newPrefix(t, url))
	ctx := context.Background()
	l, err := dnc.NewLists(ctx, s, dnc.ListsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	n := dialgate.MustParseNumber("+8613800138001")
	if es, err := l.Lookup(ctx, n); err != nil || es != nil {
		t.Fatalf("Lookup while up = %v, %v", es, err)
	}
	lim := []storage.Limit{{Key: "k", Window: time.Hour, Max: 1}}
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	px.kill()
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if ok, _, err := s.Reserve(cctx, "a", at, lim); ok || !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Reserve with Redis down = %v, %v; want false, storage.ErrUnavailable", ok, err)
	}
	if err := s.Ping(cctx); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Ping with Redis down: %v", err)
	}
	// The feed notices the lost connection; from then on a Bloom miss no
	// longer answers "not listed".
	if !waitFor(func() bool { return !s.FeedLive() }) {
		t.Fatal("the change feed never noticed the lost connection")
	}
	lctx, cancel2 := context.WithTimeout(ctx, time.Second)
	defer cancel2()
	if es, err := l.Lookup(lctx, n); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Lookup with Redis down = %v, %v; want storage.ErrUnavailable", es, err)
	}
}

// Nothing listening: Open fails with storage.ErrUnavailable.
func TestOpenClosedPort(t *testing.T) {
	redisURL(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := redisstore.Open(ctx, "redis://"+addr+"/0", redisstore.Options{}); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Open on a closed port: %v, want storage.ErrUnavailable", err)
	}
}

// A subscription that answers PING but receives no messages must not pass
// for live: the heartbeat proves delivery with a message published through
// the store's own client. Taken for live, another process's opt-out never
// reached this process's Bloom filter, and its lookups answered "not listed"
// for as long as it ran.
func TestDeafFeedIsLost(t *testing.T) {
	url := redisURL(t)
	prefix := newPrefix(t, url)
	ctx := context.Background()
	a, b := open(t, url, prefix), open(t, url, prefix)
	la, err := dnc.NewLists(ctx, a, dnc.ListsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer la.Close()
	n := dialgate.MustParseNumber("+8613800138004")
	if es, err := la.Lookup(ctx, n); err != nil || es != nil {
		t.Fatalf("Lookup before = %v, %v", es, err)
	}
	redisstore.DeafenFeed(a)
	time.Sleep(300 * time.Millisecond) // the hook runs before the feed's next wait
	e := dnc.Entry{Number: n, Scope: dnc.GlobalScope, List: "opt_out", AddedAt: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}
	if err := b.AddDNC(ctx, e); err != nil {
		t.Fatal(err)
	}
	if !waitFor(func() bool { es, err := la.Lookup(ctx, n); return err == nil && len(es) == 1 }) {
		t.Fatalf("another process's opt-out never reached a process whose feed went deaf (feed live: %v)", a.FeedLive())
	}
}

// A revocation through one process is in force for the next check of
// another process sharing the Redis, whatever that one has cached.
func TestConsentAcrossProcesses(t *testing.T) {
	url := redisURL(t)
	p := newPrefix(t, url)
	storetest.TestConsentAcrossProcesses(t, open(t, url, p), open(t, url, p))
}

// Two processes sharing the Redis count one campaign's abandoned-call rate.
func TestAbandonAcrossProcesses(t *testing.T) {
	url := redisURL(t)
	p := newPrefix(t, url)
	storetest.TestAbandonAcrossProcesses(t, open(t, url, p), open(t, url, p))
}
