// Package teststores opens, for tests, fresh and empty stores on the
// back-ends dialgate ships, removed when the test ends: the counter stores
// that the checks counting through storage.Counters (package schedule's caps
// and abandoned-call rate, package sweep's segment rate) are tested on,
// the run stores of package sweep's sequential and stride rules, and a
// PostgreSQL store of a schema of its own for other tests (ledgertest).
package teststores

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dialgate/dialgate/internal/testdb"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/boltstore"
	"github.com/dialgate/dialgate/storage/memstore"
	"github.com/dialgate/dialgate/storage/pgstore"
	"github.com/dialgate/dialgate/storage/redisstore"
)

// Counters returns, by name, openers of fresh, empty counter stores:
// "memstore", "boltstore" (a file in the test's temporary directory),
// "redisstore" (Redis) when DIALGATE_TEST_REDIS is set and "pgstore"
// (Postgres) when DIALGATE_TEST_POSTGRES is set.
func Counters(t testing.TB) map[string]func(t testing.TB) storage.Counters {
	t.Helper()
	stores := map[string]func(t testing.TB) storage.Counters{
		"memstore":  func(testing.TB) storage.Counters { return memstore.New() },
		"boltstore": func(t testing.TB) storage.Counters { return bolt(t, "counters.db") },
	}
	if url := os.Getenv("DIALGATE_TEST_REDIS"); url != "" {
		stores["redisstore"] = func(t testing.TB) storage.Counters { return Redis(t, url, "dgtest-counters") }
	}
	if url := os.Getenv("DIALGATE_TEST_POSTGRES"); url != "" {
		stores["pgstore"] = func(t testing.TB) storage.Counters { return Postgres(t, url, "dgtest_counters") }
	}
	return stores
}

// Runs returns, by name, openers of fresh, empty run stores: "memstore",
// "boltstore" (a file in the test's temporary directory), "redisstore"
// (Redis) when DIALGATE_TEST_REDIS is set and "pgstore" (Postgres) when
// DIALGATE_TEST_POSTGRES is set.
func Runs(t testing.TB) map[string]func(t testing.TB) storage.Runs {
	t.Helper()
	stores := map[string]func(t testing.TB) storage.Runs{
		"memstore":  func(testing.TB) storage.Runs { return memstore.New() },
		"boltstore": func(t testing.TB) storage.Runs { return bolt(t, "runs.db") },
	}
	if url := os.Getenv("DIALGATE_TEST_REDIS"); url != "" {
		stores["redisstore"] = func(t testing.TB) storage.Runs { return Redis(t, url, "dgtest-runs") }
	}
	if url := os.Getenv("DIALGATE_TEST_POSTGRES"); url != "" {
		stores["pgstore"] = func(t testing.TB) storage.Runs { return Postgres(t, url, "dgtest_runs") }
	}
	return stores
}

// bolt opens a boltstore on the file name in t's temporary directory,
// closed when t ends.
func bolt(t testing.TB, name string) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(filepath.Join(t.TempDir(), name), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Redis opens a redisstore on the server at url under a fresh key prefix
// starting with name, whose keys are deleted when t ends.
func Redis(t testing.TB, url, name string) *redisstore.Store {
	t.Helper()
	prefix := name + "-" + fresh()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := redisstore.Open(ctx, url, redisstore.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		testdb.DropRedisPrefix(url, prefix)
	})
	return s
}

// Postgres opens a pgstore on the database at url in a fresh schema
// starting with name, dropped when t ends.
func Postgres(t testing.TB, url, name string) *pgstore.Store {
	t.Helper()
	schema := name + "_" + fresh()
	t.Cleanup(func() { testdb.DropPostgresSchema(url, schema) })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := pgstore.Open(ctx, url, pgstore.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// fresh returns a random name part, so that tests running at once (and
// runs on the same servers) never share a prefix or schema.
func fresh() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// DenseRunsMatchMemstore records n random values of 10,000 under one key
// of rs (a third an hour and a half before: kept past the window, not
// counted) and checks that rs answers every RecordRun, and a RunLength of
// every probe-th value, as memstore does, with a max step of 100 and of
// 1,000 (MinRun too high to close the key, so that each answer is a
// length), and that the key holds progressions. It logs the mean time of
// rs's RunLength (with memstore's).
func DenseRunsMatchMemstore(t *testing.T, rs storage.Runs, n, probe int) {
	t.Helper()
	ms := memstore.New()
	ctx := context.Background()
	at := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, maxStep := range []int{100, 1000} {
		p := storage.RunParams{MinRun: storage.MaxRunLength, MaxGap: 2, MaxStep: maxStep, Window: time.Hour}
		key := fmt.Sprint("dense", maxStep)
		rng := mrand.New(mrand.NewPCG(uint64(maxStep), 5))
		for i, x := range rng.Perm(10000)[:n] {
			t1 := at
			if i%3 == 0 {
				t1 = at.Add(-90 * time.Minute)
			}
			id := fmt.Sprint("d", maxStep, "-", i)
			n1, ok1, err1 := rs.RecordRun(ctx, id, key, x, t1, p)
			n2, ok2, err2 := ms.RecordRun(ctx, id, key, x, t1, p)
			if err1 != nil || err2 != nil || n1 != n2 || ok1 != ok2 {
				t.Fatalf("max_step %d: RecordRun(%d): store %d %v %v, memstore %d %v %v", maxStep, x, n1, ok1, err1, n2, ok2, err2)
			}
		}
		probeAt := at.Add(time.Minute)
		longest, start, calls := 0, time.Now(), 0
		for x := 0; x < 10000; x += probe {
			n1, err1 := rs.RunLength(ctx, key, x, probeAt, p)
			n2, err2 := ms.RunLength(ctx, key, x, probeAt, p)
			if err1 != nil || err2 != nil || n1 != n2 {
				t.Fatalf("max_step %d: RunLength(%d): store %d %v, memstore %d %v", maxStep, x, n1, err1, n2, err2)
			}
			calls++
			longest = max(longest, n1)
		}
		t.Logf("max_step %d: %v a RunLength (with memstore's)", maxStep, time.Since(start)/time.Duration(calls))
		if longest < 4 {
			t.Fatalf("max_step %d: longest run %d: the key should hold progressions", maxStep, longest)
		}
	}
}
