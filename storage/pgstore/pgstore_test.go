package pgstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/pgstore"
	"github.com/dialgate/dialgate/storage/storetest"
)

// pgURL returns DIALGATE_TEST_POSTGRES or skips the test.
func pgURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("DIALGATE_TEST_POSTGRES")
	if u == "" {
		t.Skip("DIALGATE_TEST_POSTGRES is not set; run with DIALGATE_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' go test ./storage/pgstore")
	}
	return u
}

// newSchema returns a fresh schema name and drops the schema when t ends.
func newSchema(t testing.TB, url string) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	name := "dgtest_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		c.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE")
	})
	return name
}

func open(t testing.TB, url, schema string) *pgstore.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := pgstore.Open(ctx, url, pgstore.Options{Schema: schema, Heartbeat: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	url := pgURL(t)
	var mu sync.Mutex
	schemas := map[any]string{}
	storetest.Run(t, func(t *testing.T) any {
		sc := newSchema(t, url)
		s := open(t, url, sc)
		mu.Lock()
		schemas[s] = sc
		mu.Unlock()
		return s
	}, storetest.WithReopen(func(old any) (any, error) {
		mu.Lock()
		sc := schemas[old]
		mu.Unlock()
		old.(io.Closer).Close()
		s, err := pgstore.Open(context.Background(), url, pgstore.Options{Schema: sc})
		if err != nil {
			return nil, err
		}
		mu.Lock()
		schemas[s] = sc
		mu.Unlock()
		return s, nil
	}), storetest.WithPlant(pgstore.Plant))
}

func TestMigrations(t *testing.T) {
	url := pgURL(t)
	ctx := context.Background()
	sc := newSchema(t, url)
	// Concurrent first starts apply the schema once.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := pgstore.Open(ctx, url, pgstore.Options{Schema: sc})
			if err == nil {
				s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent Open: %v", err)
	}
	s := open(t, url, sc)
	var n, v int
	if err := s.Pool().QueryRow(ctx, `SELECT count(*), max(version) FROM schema_migrations`).Scan(&n, &v); err != nil {
		t.Fatal(err)
	}
	// Every migration but the lazy ones (recorded by the write that needs
	// them; see schema_test.go).
	applied := pgstore.AppliedByOpen()
	if n != len(applied) || v != applied[len(applied)-1] {
		t.Fatalf("schema_migrations has %d rows up to version %d, want %d up to %d", n, v, len(applied), applied[len(applied)-1])
	}
	// A newer schema is refused and left untouched.
	if _, err := s.Pool().Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES (999, '0999_future.sql')`); err != nil {
		t.Fatal(err)
	}
	if _, err := pgstore.Open(ctx, url, pgstore.Options{Schema: sc}); !errors.Is(err, storage.ErrSchemaTooNew) {
		t.Fatalf("Open on a newer schema: %v, want storage.ErrSchemaTooNew", err)
	}
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(applied)+1 {
		t.Fatalf("schema_migrations after the refused open: %d rows, %v", n, err)
	}
	for _, bad := range []string{"Bad", "1x", "a-b", ""} {
		if bad == "" {
			continue
		}
		if _, err := pgstore.Open(ctx, url, pgstore.Options{Schema: bad}); !errors.Is(err, storage.ErrInvalid) {
			t.Errorf("Open with schema %q: %v, want storage.ErrInvalid", bad, err)
		}
	}
}

func TestOpenClosedPort(t *testing.T) {
	pgURL(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if _, err := pgstore.Open(ctx, "postgres://postgres@"+addr+"/test?sslmode=disable", pgstore.Options{}); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Open on a closed port: %v, want storage.ErrUnavailable", err)
	}
}

// An opt-out committed through one process reaches another's Bloom filter and
// cache through LISTEN/NOTIFY.
func TestListsAcrossProcesses(t *testing.T) {
	url := pgURL(t)
	sc := newSchema(t, url)
	a, b := open(t, url, sc), open(t, url, sc)
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
	n := dialgate.MustParseNumber("+8613800138002")
	if es, err := lb.Lookup(ctx, n); err != nil || es != nil {
		t.Fatalf("Lookup before = %v, %v", es, err)
	}
	e := dnc.Entry{Number: n, Scope: dnc.MustParseScope("global"), List: "opt_out", AddedAt: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}
	if err := la.Add(ctx, e); err != nil {
		t.Fatal(err)
	}
	if !waitFor(func() bool { es, err := lb.Lookup(ctx, n); return err == nil && len(es) == 1 }) {
		t.Fatal("the opt-out never reached the other process")
	}
}

// A feed connection that answers queries but no longer receives
// notifications (a pooler in transaction mode runs LISTEN on a server
// connection it then hands to others) must not pass for live: the heartbeat
// proves delivery with a notification of its own. Taken for live, the other
// process's opt-out never reached this process's Bloom filter, and its
// lookups answered "not listed" for as long as it ran.
func TestDeafFeedIsLost(t *testing.T) {
	url := pgURL(t)
	sc := newSchema(t, url)
	a, b := open(t, url, sc), open(t, url, sc)
	ctx := context.Background()
	la, err := dnc.NewLists(ctx, a, dnc.ListsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer la.Close()
	n := dialgate.MustParseNumber("+8613800138003")
	if es, err := la.Lookup(ctx, n); err != nil || es != nil {
		t.Fatalf("Lookup before = %v, %v", es, err)
	}
	pgstore.DeafenFeed(a)
	time.Sleep(300 * time.Millisecond) // the hook runs before the feed's next wait
	e := dnc.Entry{Number: n, Scope: dnc.GlobalScope, List: "opt_out", AddedAt: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}
	if err := b.AddDNC(ctx, e); err != nil {
		t.Fatal(err)
	}
	if !waitFor(func() bool { es, err := la.Lookup(ctx, n); return err == nil && len(es) == 1 }) {
		t.Fatalf("another process's opt-out never reached a process whose feed went deaf (feed live: %v)", a.FeedLive())
	}
}

// waitFor reports whether f becomes true within 5 seconds.
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

// A revocation through one process is in force for the next check of
// another process sharing the database, whatever that one has cached.
func TestConsentAcrossProcesses(t *testing.T) {
	url := pgURL(t)
	sc := newSchema(t, url)
	storetest.TestConsentAcrossProcesses(t, open(t, url, sc), open(t, url, sc))
}

// Two processes sharing the database count one campaign's abandoned-call
// rate.
func TestAbandonAcrossProcesses(t *testing.T) {
	url := pgURL(t)
	sc := newSchema(t, url)
	storetest.TestAbandonAcrossProcesses(t, open(t, url, sc), open(t, url, sc))
}

// Holds placed through one process while two processes sweep.
func TestRecordingHoldsAcrossProcesses(t *testing.T) {
	url := pgURL(t)
	sc := newSchema(t, url)
	storetest.TestRecordingHoldsAcrossProcesses(t, open(t, url, sc), open(t, url, sc))
}
