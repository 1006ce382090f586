package placedguard_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate/internal/testdb"
	"github.com/dialgate/dialgate/placedguard"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/boltstore"
	"github.com/dialgate/dialgate/storage/memstore"
	"github.com/dialgate/dialgate/storage/pgstore"
	"github.com/dialgate/dialgate/storage/redisstore"
)

var t0 = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

// stores returns, by name, a function opening two handles on one shared
// store of each kind available (two sidecars of a fleet).
func stores(t *testing.T) map[string]func(t *testing.T) (storage.Counters, storage.Counters) {
	m := map[string]func(t *testing.T) (storage.Counters, storage.Counters){
		"memstore": func(*testing.T) (storage.Counters, storage.Counters) { s := memstore.New(); return s, s },
		"boltstore": func(t *testing.T) (storage.Counters, storage.Counters) {
			s, err := boltstore.Open(filepath.Join(t.TempDir(), "store.db"), boltstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s, s
		},
		"redisstore": func(t *testing.T) (storage.Counters, storage.Counters) {
			url := os.Getenv("DIALGATE_TEST_REDIS")
			if url == "" {
				t.Skip("DIALGATE_TEST_REDIS is not set; run with DIALGATE_TEST_REDIS=redis://127.0.0.1:6379/N")
			}
			prefix := fmt.Sprintf("guardtest%d", time.Now().UnixNano())
			t.Cleanup(func() { testdb.DropRedisPrefix(url, prefix) })
			var out []storage.Counters
			for range 2 {
				s, err := redisstore.Open(context.Background(), url, redisstore.Options{Prefix: prefix})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				out = append(out, s)
			}
			return out[0], out[1]
		},
		"pgstore": func(t *testing.T) (storage.Counters, storage.Counters) {
			url := os.Getenv("DIALGATE_TEST_POSTGRES")
			if url == "" {
				t.Skip("DIALGATE_TEST_POSTGRES is not set; run with DIALGATE_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'")
			}
			schema := fmt.Sprintf("guardtest%d", time.Now().UnixNano())
			t.Cleanup(func() { testdb.DropPostgresSchema(url, schema) })
			var out []storage.Counters
			for range 2 {
				s, err := pgstore.Open(context.Background(), url, pgstore.Options{Schema: schema})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				out = append(out, s)
			}
			return out[0], out[1]
		},
	}
	return m
}

func guards(t *testing.T, open func(t *testing.T) (storage.Counters, storage.Counters)) (*placedguard.Guard, *placedguard.Guard) {
	t.Helper()
	ca, cb := open(t)
	a, err := placedguard.New(ca, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	b, err := placedguard.New(cb, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

// The first mark of a decision wins on every store, whichever handle wrote
// it; marks are idempotent; and they last the guard's window.
func TestMarks(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			a, b := guards(t, open)
			ctx := context.Background()
			if rb, err := a.MarkPlaced(ctx, "d1", t0); err != nil || rb {
				t.Fatalf("mark placed: %v %v", rb, err)
			}
			if rb, err := a.MarkPlaced(ctx, "d1", t0.Add(time.Minute)); err != nil || rb {
				t.Fatalf("mark placed again: %v %v", rb, err)
			}
			if p, err := b.MarkReleased(ctx, "d1", t0.Add(time.Minute)); err != nil || !p {
				t.Fatalf("release of a placed decision: placed %v %v, want true", p, err)
			}
			if p, err := b.MarkReleased(ctx, "d1", t0.Add(59*time.Minute)); err != nil || !p {
				t.Fatalf("release within the window: placed %v %v, want true", p, err)
			}
			if p, err := b.MarkReleased(ctx, "d2", t0); err != nil || p {
				t.Fatalf("release without outcome: placed %v %v, want false", p, err)
			}
			if p, err := a.MarkReleased(ctx, "d2", t0.Add(time.Minute)); err != nil || p {
				t.Fatalf("release again: placed %v %v, want false", p, err)
			}
			if rb, err := a.MarkPlaced(ctx, "d2", t0.Add(time.Minute)); err != nil || !rb {
				t.Fatalf("outcome after release: releasedBefore %v %v, want true", rb, err)
			}
			// After the window no reservation of the decision counts: the
			// mark no longer does either.
			if p, err := b.MarkReleased(ctx, "d1", t0.Add(2*time.Hour)); err != nil || p {
				t.Fatalf("release after the window: placed %v %v, want false", p, err)
			}
		})
	}
}

// A release and an outcome of one decision at once on two handles: exactly
// one of them wins, on every store.
func TestMarksRace(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			a, b := guards(t, open)
			ctx := context.Background()
			var placedWon, releasedWon int
			for i := range 40 {
				id := fmt.Sprintf("race-%d", i)
				var rb, p bool
				var errA, errB error
				var wg sync.WaitGroup
				wg.Add(2)
				go func() { defer wg.Done(); rb, errA = a.MarkPlaced(ctx, id, t0) }()
				go func() { defer wg.Done(); p, errB = b.MarkReleased(ctx, id, t0) }()
				wg.Wait()
				if errA != nil || errB != nil {
					t.Fatal(errA, errB)
				}
				if rb == p {
					t.Fatalf("%s: releasedBefore %v and placed %v: exactly one must win", id, rb, p)
				}
				if p {
					placedWon++
				} else {
					releasedWon++
				}
			}
			t.Logf("placed first %d, released first %d", placedWon, releasedWon)
		})
	}
}

func TestNewInvalid(t *testing.T) {
	for _, w := range []time.Duration{0, -time.Second, storage.MaxWindow + 1} {
		if _, err := placedguard.New(memstore.New(), w); !errors.Is(err, storage.ErrInvalid) || !strings.Contains(err.Error(), "window") {
			t.Errorf("window %v: %v", w, err)
		}
	}
	if _, err := placedguard.New(nil, time.Hour); !errors.Is(err, storage.ErrInvalid) {
		t.Errorf("nil counters: %v", err)
	}
	g, _ := placedguard.New(memstore.New(), time.Hour)
	if _, err := g.MarkReleased(context.Background(), "", t0); !errors.Is(err, storage.ErrInvalid) || !strings.Contains(err.Error(), "decision_id") {
		t.Errorf("empty id: %v", err)
	}
}
