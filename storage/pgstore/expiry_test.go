package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/pgstore"
)

var expT0 = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

func countRows(t *testing.T, s *pgstore.Store, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.Pool().QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func reserve(t *testing.T, s *pgstore.Store, id string, at time.Time, limits ...storage.Limit) {
	t.Helper()
	if ok, _, err := s.Reserve(context.Background(), id, at, limits); err != nil || !ok {
		t.Fatalf("reserve %s: %v %v", id, ok, err)
	}
}

// ExpireCounters deletes the entries whose window has passed, each by the
// longest window of its reservation, in batches, and the rows of keys left
// without entries (check-only keys included); what a window still counts
// stays and counts.
func TestExpireCounters(t *testing.T) {
	url := pgURL(t)
	ctx := context.Background()
	s := open(t, url, newSchema(t, url))
	pgstore.SetExpiryBatch(s, 3)
	short := storage.Limit{Key: "acme|c1|cap||1h", Window: time.Hour, Max: 100}
	long := storage.Limit{Key: "acme|c1|cap||10h", Window: 10 * time.Hour, Max: 100}
	pause := storage.Limit{Key: "acme|c1|pause||1h", Window: time.Hour, Max: 1, CheckOnly: true}
	for i := range 7 {
		reserve(t, s, fmt.Sprintf("a%d", i), expT0, short, pause)
	}
	reserve(t, s, "b", expT0, long, pause)
	reserve(t, s, "c", expT0.Add(30*time.Minute), short)
	if n := countRows(t, s, `SELECT count(*) FROM counter_keys`); n != 3 {
		t.Fatalf("%d key rows, want 3", n)
	}
	n, err := s.ExpireCounters(ctx, expT0.Add(time.Hour))
	if err != nil || n != 7 {
		t.Fatalf("ExpireCounters at the short window's end: %d, %v; want 7", n, err)
	}
	us, err := s.Usage(ctx, expT0.Add(time.Hour), []storage.Limit{short, long})
	if err != nil || us[0].Count != 1 || us[1].Count != 1 {
		t.Fatalf("usage after the expiry: %+v, %v; want c and b still counted", us, err)
	}
	if n := countRows(t, s, `SELECT count(*) FROM counter_keys`); n != 2 {
		t.Fatalf("%d key rows after the expiry, want 2 (the check-only key's is gone)", n)
	}
	if n, err := s.ExpireCounters(ctx, expT0.Add(time.Hour)); err != nil || n != 0 {
		t.Fatalf("a second ExpireCounters: %d, %v; want 0", n, err)
	}
	if n, err := s.ExpireCounters(ctx, expT0.Add(10*time.Hour)); err != nil || n != 2 {
		t.Fatalf("ExpireCounters at the long window's end: %d, %v; want 2", n, err)
	}
	if n := countRows(t, s, `SELECT count(*) FROM counter_keys`) + countRows(t, s, `SELECT count(*) FROM counter_entries`); n != 0 {
		t.Fatalf("%d rows left, want none", n)
	}
	// The keys are used again as new.
	reserve(t, s, "d", expT0.Add(11*time.Hour), short, pause)
	if ok, _, err := s.Reserve(ctx, "e", expT0.Add(11*time.Hour), []storage.Limit{{Key: short.Key, Window: time.Hour, Max: 1}}); err != nil || ok {
		t.Fatalf("a reservation past the cap after the expiry: %v, %v; want refused", ok, err)
	}
}

// A reservation racing ExpireCounters loses nothing: the old entries of its
// keys are deleted and their key rows with them while reservations of the
// same keys run, and every key still lets exactly its Max through, each
// counted. (A reservation that made sure of its key's row just before the
// expiry deleted it locked nothing and took a slot another took too.)
func TestExpireCountersRacingReserve(t *testing.T) {
	url := pgURL(t)
	ctx := context.Background()
	sc := newSchema(t, url)
	s, ex := open(t, url, sc), open(t, url, sc)
	pgstore.SetExpiryBatch(ex, 2)
	const (
		rounds  = 6
		keys    = 12
		racers  = 4
		maxSlot = 1
	)
	t1 := expT0.Add(2 * time.Hour)
	for r := range rounds {
		limit := func(k int) []storage.Limit {
			return []storage.Limit{
				{Key: fmt.Sprintf("r%d|k%02d|cap", r, k), Window: time.Hour, Max: maxSlot},
				{Key: fmt.Sprintf("r%d|k%02d|pause", r, k), Window: time.Hour, Max: 1, CheckOnly: true},
			}
		}
		for k := range keys {
			reserve(t, s, fmt.Sprintf("old-%d-%d", r, k), expT0, limit(k)...)
		}
		var (
			wg   sync.WaitGroup
			oks  [keys]atomic.Int32
			errs = make(chan error, keys*racers+1)
			stop atomic.Bool
		)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if _, err := ex.ExpireCounters(ctx, t1); err != nil {
					errs <- fmt.Errorf("ExpireCounters: %w", err)
					return
				}
			}
		}()
		var rw sync.WaitGroup
		for k := range keys {
			for i := range racers {
				rw.Add(1)
				go func() {
					defer rw.Done()
					ok, _, err := s.Reserve(ctx, fmt.Sprintf("new-%d-%d-%d", r, k, i), t1, limit(k))
					if err != nil {
						errs <- fmt.Errorf("reserve: %w", err)
						return
					}
					if ok {
						oks[k].Add(1)
					}
				}()
			}
		}
		rw.Wait()
		stop.Store(true)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for k := range keys {
			us, err := s.Usage(ctx, t1, limit(k)[:1])
			if err != nil {
				t.Fatal(err)
			}
			if got := int(oks[k].Load()); got != maxSlot || us[0].Count != got {
				t.Fatalf("round %d key %d: %d reservations let through, %d counted; want %d, all counted", r, k, got, us[0].Count, maxSlot)
			}
		}
	}
}

// Entries written by a build before the expiry have none: they are kept
// (fail towards keeping) until a reservation of their key gives them one.
// The first reservation of this build records the expiry's schema version,
// after which such a build refuses the database.
func TestCounterExpiryOfOlderEntries(t *testing.T) {
	url := pgURL(t)
	ctx := context.Background()
	sc := newSchema(t, url)
	old, err := pgstore.OpenKnowing(ctx, url, pgstore.Options{Schema: sc}, pgstore.SchemaSweepRuns)
	if err != nil {
		t.Fatal(err)
	}
	l := storage.Limit{Key: "acme|c1|cap||1h", Window: time.Hour, Max: 10}
	other := storage.Limit{Key: "acme|c2|cap||1h", Window: time.Hour, Max: 10}
	reserve(t, old, "old-1", expT0, l)
	reserve(t, old, "old-2", expT0, other)
	old.Close()

	s := open(t, url, sc)
	if v := schemaVersion(t, s); v != 1 {
		t.Fatalf("before a counter call of this build: version %d, want 1", v)
	}
	if n, err := s.ExpireCounters(ctx, expT0.Add(100*time.Hour)); err != nil || n != 0 {
		t.Fatalf("ExpireCounters of entries without an expiry: %d, %v; want 0 (kept)", n, err)
	}
	if v := schemaVersion(t, s); v != pgstore.SchemaCounterExpiry {
		t.Fatalf("after ExpireCounters: version %d, want %d", v, pgstore.SchemaCounterExpiry)
	}
	err = openKnowing(url, sc, pgstore.SchemaSweepRuns)
	if !errors.Is(err, storage.ErrSchemaTooNew) || !strings.Contains(err.Error(), "version 4") {
		t.Fatalf("a build before the expiry: %v, want storage.ErrSchemaTooNew naming version 4", err)
	}
	reserve(t, s, "new-1", expT0.Add(30*time.Minute), l)
	if n := countRows(t, s, `SELECT count(*) FROM counter_entries WHERE expires_ns IS NULL`); n != 1 {
		t.Fatalf("%d entries without an expiry after a reservation of one's key, want 1 (the other key's)", n)
	}
	if n, err := s.ExpireCounters(ctx, expT0.Add(100*time.Hour)); err != nil || n != 2 {
		t.Fatalf("ExpireCounters: %d, %v; want 2 (the old entry given its expiry and the new one)", n, err)
	}
	if n := countRows(t, s, `SELECT count(*) FROM counter_entries`); n != 1 {
		t.Fatalf("%d entries left, want 1 (the untouched key's, kept)", n)
	}
}

// ExtendCounterExpiry keeps the entries of the keys ending with a suffix
// until an instant (a lengthened window carried), never shortening one, and
// leaves the other keys' alone; ExpireCounters of any process sharing the
// database then keeps them.
func TestExtendCounterExpiry(t *testing.T) {
	url := pgURL(t)
	ctx := context.Background()
	sc := newSchema(t, url)
	s, other := open(t, url, sc), open(t, url, sc)
	pgstore.SetExpiryBatch(s, 2)
	for i := range 5 {
		reserve(t, s, fmt.Sprintf("a%d", i), expT0, storage.Limit{Key: fmt.Sprintf("acme|c%d|cap||1h", i), Window: time.Hour, Max: 5})
	}
	reserve(t, s, "long", expT0, storage.Limit{Key: "acme|c9|cap||1h", Window: 9 * time.Hour, Max: 5})
	reserve(t, s, "b", expT0, storage.Limit{Key: "acme|c1|cap||2h", Window: time.Hour, Max: 5})
	if n, err := s.ExtendCounterExpiry(ctx, "|cap||1h", expT0.Add(5*time.Hour), expT0.Add(6*time.Hour)); err != nil || n != 0 {
		t.Fatalf("an extension that has ended: %d, %v; want 0", n, err)
	}
	n, err := s.ExtendCounterExpiry(ctx, "|cap||1h", expT0.Add(5*time.Hour), expT0)
	if err != nil || n != 5 {
		t.Fatalf("ExtendCounterExpiry: %d, %v; want 5 (the longer entry is not shortened)", n, err)
	}
	if n, err := other.ExpireCounters(ctx, expT0.Add(2*time.Hour)); err != nil || n != 1 {
		t.Fatalf("ExpireCounters before the extension ends: %d, %v; want 1 (the other suffix's)", n, err)
	}
	if n, err := other.ExpireCounters(ctx, expT0.Add(5*time.Hour)); err != nil || n != 5 {
		t.Fatalf("ExpireCounters at the extension's end: %d, %v; want 5", n, err)
	}
	if n, err := other.ExpireCounters(ctx, expT0.Add(9*time.Hour)); err != nil || n != 1 {
		t.Fatalf("ExpireCounters at the longer window's end: %d, %v; want 1", n, err)
	}
	if _, err := s.ExtendCounterExpiry(ctx, "", expT0.Add(time.Hour), expT0); !errors.Is(err, storage.ErrInvalid) {
		t.Fatalf("an empty suffix: %v, want storage.ErrInvalid", err)
	}
}

// ExpireRuns deletes the run records that left their window and the rows of
// keys left without records and without a closing in force; a closed key
// stays closed until its closing ends. It never creates the run tables.
func TestExpireRuns(t *testing.T) {
	url := pgURL(t)
	ctx := context.Background()
	s := open(t, url, newSchema(t, url))
	pgstore.SetExpiryBatch(s, 2)
	if n, err := s.ExpireRuns(ctx, expT0); err != nil || n != 0 {
		t.Fatalf("ExpireRuns without run tables: %d, %v", n, err)
	}
	if v := schemaVersion(t, s); v != 1 {
		t.Fatalf("ExpireRuns without run tables raised the version to %d", v)
	}
	rp := storage.RunParams{MinRun: 3, MaxGap: 0, Window: time.Hour}
	record := func(id, key string, x int, at time.Time) (int, bool) {
		n, ok, err := s.RecordRun(ctx, id, key, x, at, rp)
		if err != nil {
			t.Fatal(err)
		}
		return n, ok
	}
	for i := range 5 {
		record(fmt.Sprintf("a%d", i), "open", 10*i, expT0)
	}
	record("c0", "closed", 0, expT0)
	record("c1", "closed", 1, expT0)
	if n, ok := record("c2", "closed", 2, expT0.Add(30*time.Minute)); ok || n != 3 {
		t.Fatalf("the closing record: %d %v", n, ok)
	}
	if v := schemaVersion(t, s); v != pgstore.SchemaRunExpiry {
		t.Fatalf("after run calls: version %d, want %d", v, pgstore.SchemaRunExpiry)
	}
	n, err := s.ExpireRuns(ctx, expT0.Add(time.Hour))
	if err != nil || n != 7 {
		t.Fatalf("ExpireRuns: %d, %v; want 7", n, err)
	}
	if k := countRows(t, s, `SELECT count(*) FROM run_keys`); k != 1 {
		t.Fatalf("%d key rows, want 1 (the closed key's)", k)
	}
	if l, err := s.RunLength(ctx, "closed", 5, expT0.Add(time.Hour), rp); err != nil || l != 3 {
		t.Fatalf("the closed key after the expiry: %d, %v; want still closed by its run of 3", l, err)
	}
	if _, err := s.ExpireRuns(ctx, expT0.Add(90*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if k := countRows(t, s, `SELECT count(*) FROM run_keys`); k != 0 {
		t.Fatalf("%d key rows once the closing ended, want 0", k)
	}
	if l, err := s.RunLength(ctx, "closed", 5, expT0.Add(90*time.Minute), rp); err != nil || l != 1 {
		t.Fatalf("the key after its closing ended: %d, %v", l, err)
	}
}

// Records racing ExpireRuns, which deletes the rows of their keys as they
// empty, are all kept and counted, and none fails.
func TestExpireRunsRacingRecord(t *testing.T) {
	url := pgURL(t)
	ctx := context.Background()
	sc := newSchema(t, url)
	s, ex := open(t, url, sc), open(t, url, sc)
	pgstore.SetExpiryBatch(ex, 2)
	rp := storage.RunParams{MinRun: 50, MaxGap: 0, Window: time.Hour}
	const keys = 16
	t1 := expT0.Add(2 * time.Hour)
	for round := range 8 {
		for k := range keys {
			if _, _, err := s.RecordRun(ctx, fmt.Sprintf("old-%d-%d", round, k), fmt.Sprintf("r%d-k%d", round, k), 0, expT0, rp); err != nil {
				t.Fatal(err)
			}
		}
		var (
			stop atomic.Bool
			wg   sync.WaitGroup
			errs = make(chan error, keys*4+1)
		)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if _, err := ex.ExpireRuns(ctx, t1); err != nil {
					errs <- err
					return
				}
			}
		}()
		var rw sync.WaitGroup
		for k := range keys {
			for i := range 4 {
				rw.Add(1)
				go func() {
					defer rw.Done()
					if _, ok, err := s.RecordRun(ctx, fmt.Sprintf("new-%d-%d-%d", round, k, i), fmt.Sprintf("r%d-k%d", round, k), 10+i, t1, rp); err != nil || !ok {
						errs <- fmt.Errorf("record: %v %w", ok, err)
					}
				}()
			}
		}
		rw.Wait()
		stop.Store(true)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for k := range keys {
			if l, err := s.RunLength(ctx, fmt.Sprintf("r%d-k%d", round, k), 14, t1, rp); err != nil || l != 5 {
				t.Fatalf("round %d key %d: run length %d, %v; want 5 (the four records and the value asked)", round, k, l, err)
			}
		}
	}
}

// ExtendCounterExpiry racing reservations that prune the same entries
// (a sidecar starting while the fleet dials) fails neither: it takes the
// keys' locks as reservations do, in key order, instead of locking entries
// in whatever order its update meets them.
func TestExtendCounterExpiryRacingReserve(t *testing.T) {
	url := pgURL(t)
	ctx := context.Background()
	sc := newSchema(t, url)
	s, ext := open(t, url, sc), open(t, url, sc)
	pgstore.SetExpiryBatch(ext, 3)
	const keys = 12
	limit := func(k int) storage.Limit {
		return storage.Limit{Key: fmt.Sprintf("acme|c%02d|cap||1h", k), Window: time.Hour, Max: 100}
	}
	for k := range keys {
		for i := range 5 {
			reserve(t, s, fmt.Sprintf("old-%d-%d", k, i), expT0.Add(time.Duration(i)*time.Minute), limit(k))
		}
	}
	var (
		wg   sync.WaitGroup
		errs = make(chan error, keys*3+8)
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := ext.ExtendCounterExpiry(ctx, "|cap||1h", expT0.Add(48*time.Hour), expT0); err != nil {
				errs <- fmt.Errorf("ExtendCounterExpiry: %w", err)
			}
		}()
	}
	for k := range keys {
		for i := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				at := expT0.Add(2*time.Hour + time.Duration(i)*time.Minute)
				if ok, _, err := s.Reserve(ctx, fmt.Sprintf("new-%d-%d", k, i), at, []storage.Limit{limit(k)}); err != nil || !ok {
					errs <- fmt.Errorf("reserve: %v %w", ok, err)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
