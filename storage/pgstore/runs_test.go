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

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/internal/runtest"
	"github.com/dialgate/dialgate/storage/pgstore"
	"github.com/dialgate/dialgate/storage/storetest"
	"github.com/dialgate/dialgate/sweep"
)

func TestCheckRuns(t *testing.T) {
	url := pgURL(t)
	err := storetest.CheckRuns(context.Background(), func() (storage.Runs, error) {
		return pgstore.Open(context.Background(), url, pgstore.Options{Schema: newSchema(t, url)})
	})
	if err != nil {
		t.Fatal(err)
	}
}

var runT0 = time.Date(2026, 12, 5, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// sweepGate is what one sidecar builds for the sweep rule on a shared
// PostgreSQL store.
func sweepGate(t *testing.T, s *pgstore.Store, now *atomic.Pointer[time.Time], ids *atomic.Int64) *dialgate.Gate {
	return runtest.Gate(t, s, nil, now, ids, 5*time.Second)
}

// A stride (one suffix through successive 号段) whose dials alternate
// between two sidecars sharing one PostgreSQL is seen at its twentieth
// segment, and does not mix with a sequential run in the same store.
func TestStrideAcrossSidecars(t *testing.T) {
	url := pgURL(t)
	sc := newSchema(t, url)
	var now atomic.Pointer[time.Time]
	var ids atomic.Int64
	var gates []*dialgate.Gate
	for range 2 {
		gates = append(gates, runtest.GateOf(t, runtest.StrideConfig, open(t, url, sc), nil, &now, &ids, 5*time.Second))
	}
	runtest.CheckStride(t, gates, &now, runT0)
}

// Two sidecars sharing one PostgreSQL see a sweep whose dials alternate
// between them; a sidecar restarted on it still sees the run and the
// closed segment.
func TestRunsAcrossSidecarsAndRestart(t *testing.T) {
	url := pgURL(t)
	sc := newSchema(t, url)
	ctx := context.Background()
	var now atomic.Pointer[time.Time]
	var ids atomic.Int64
	a := open(t, url, sc)
	gates := []*dialgate.Gate{sweepGate(t, a, &now, &ids), sweepGate(t, open(t, url, sc), &now, &ids)}
	for i := range 25 {
		at := runT0.Add(time.Duration(i) * 30 * time.Second)
		now.Store(&at)
		dec, err := gates[i%2].Check(ctx, runtest.Dial("1390000", i))
		if err != nil {
			t.Fatal(err)
		}
		if wantDeny := i >= 19; dec.Allowed == wantDeny {
			t.Fatalf("dial %d (run of %d) at sidecar %d: allowed=%v: %v", i, i+1, i%2, dec.Allowed, dec.Reasons)
		}
		if !dec.Allowed && !dec.Has(dialgate.CodeSweepSequential) {
			t.Fatalf("dial %d: %v", i, dec.Codes())
		}
	}
	for i := range 19 {
		if dec, _ := gates[i%2].Check(ctx, runtest.Dial("1390001", i)); !dec.Allowed {
			t.Fatalf("segment 1390001 dial %d: %v", i, dec.Reasons)
		}
	}
	a.Close()
	g := sweepGate(t, open(t, url, sc), &now, &ids) // the restarted sidecar
	later := runT0.Add(time.Hour)
	now.Store(&later)
	if dec, _ := g.Check(ctx, runtest.Dial("1390000", 7000)); dec.Allowed || !dec.Has(dialgate.CodeSweepSequential) {
		t.Fatalf("a closed segment after restart: %+v", dec)
	}
	if dec, _ := g.Check(ctx, runtest.Dial("1390001", 19)); dec.Allowed || !dec.Has(dialgate.CodeSweepSequential) {
		t.Fatalf("the twentieth number after restart: %+v", dec)
	}
}

// A store that fails denies (sweep.unavailable).
func TestRunsStoreDownDenies(t *testing.T) {
	url := pgURL(t)
	var now atomic.Pointer[time.Time]
	now.Store(&runT0)
	var ids atomic.Int64
	s := open(t, url, newSchema(t, url))
	g := sweepGate(t, s, &now, &ids)
	s.Close()
	dec, _ := g.Check(context.Background(), runtest.Dial("1390004", 1))
	if dec.Allowed || !dec.Has(dialgate.UnavailableCode(sweep.Name)) {
		t.Fatalf("store closed: %+v", dec)
	}
}

// TestRunsRaiseSchema: Open does not create the run tables; the first run
// call does, recording version 3 and the run records' expiry, version 5
// (once, when processes call at once), after which a build that knows only
// version 2 refuses the database. A database whose runs are kept elsewhere
// stays open to it.
func TestRunsRaiseSchema(t *testing.T) {
	url := pgURL(t)
	ctx := context.Background()
	sc := newSchema(t, url)
	stores := []*pgstore.Store{open(t, url, sc), open(t, url, sc)}
	if v := schemaVersion(t, stores[0]); v != 1 {
		t.Fatalf("a new database: version %d, want 1", v)
	}
	var exists bool
	if err := stores[0].Pool().QueryRow(ctx, `SELECT to_regclass('run_values') IS NOT NULL`).Scan(&exists); err != nil || exists {
		t.Fatalf("Open created the run tables (%v, %v)", exists, err)
	}
	if err := openKnowing(url, sc, 2); err != nil {
		t.Fatalf("a version 2 build before any run call: %v", err)
	}
	rp := storage.RunParams{MinRun: 5, MaxGap: 2, Window: time.Hour}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = stores[i%2].RecordRun(ctx, fmt.Sprintf("id-%d", i), "k", 100*i, runT0, rp)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent first run calls: %v", err)
	}
	var n int
	if err := stores[0].Pool().QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version IN ($1, $2)`, pgstore.SchemaSweepRuns, pgstore.SchemaRunExpiry).Scan(&n); err != nil || n != 2 {
		t.Fatalf("schema_migrations has %d rows of versions 3 and 5 (%v), want 2", n, err)
	}
	err := openKnowing(url, sc, 2)
	if !errors.Is(err, storage.ErrSchemaTooNew) || !strings.Contains(err.Error(), "version 5") {
		t.Fatalf("a version 2 build after run state: %v, want storage.ErrSchemaTooNew naming version 5", err)
	}
	// This build opens it, and later tenant consents change nothing.
	s := open(t, url, sc)
	if err := s.AddConsent(ctx, tenantRecord("c-1", "acme")); err != nil {
		t.Fatal(err)
	}
	if v := schemaVersion(t, s); v != pgstore.SchemaRunExpiry {
		t.Fatalf("after a tenant consent: version %d, want %d", v, pgstore.SchemaRunExpiry)
	}
	if n, err := s.RunLength(ctx, "k", 101, runT0, rp); err != nil || n != 2 {
		t.Fatalf("a reopened store: run length %d, %v; want 2", n, err)
	}
}

func openKnowing(url, schema string, v int) error {
	s, err := pgstore.OpenKnowing(context.Background(), url, pgstore.Options{Schema: schema}, v)
	if err == nil {
		s.Close()
	}
	return err
}

// BenchmarkRuns measures the sweep rule's run state on PostgreSQL for one
// dial: RunLength (the check) and RecordRun (the commit). Run with
// DIALGATE_TEST_POSTGRES=… go test -run '^$' -bench Runs ./storage/pgstore
func BenchmarkRuns(b *testing.B) {
	url := pgURL(b)
	ctx := context.Background()
	s := open(b, url, newSchema(b, url))
	rp := storage.RunParams{MinRun: 20, MaxGap: 2, Window: 24 * time.Hour}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		key := fmt.Sprintf("sweep/seq/20/2/24h/%d/acme", 1390000+i/16)
		x := (i % 16) * 7
		if n, err := s.RunLength(ctx, key, x, runT0, rp); err != nil || n != 1 {
			b.Fatalf("run length: %d %v", n, err)
		}
		if _, ok, err := s.RecordRun(ctx, fmt.Sprintf("r%d", i), key, x, runT0, rp); err != nil || !ok {
			b.Fatalf("record: %v %v", ok, err)
		}
		i++
	}
}
