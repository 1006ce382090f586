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
		"memstore": func(testing.TB) storage.Counters { return memstore.New() },
		"boltstore": func(t testing.TB) storage.Counters {
			s, err := boltstore.Open(filepath.Join(t.TempDir(), "counters.db"), boltstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
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
// "redisstore" (Redis) when DIALGATE_TEST_REDIS is set and "pgstore"
// (Postgres) when DIALGATE_TEST_POSTGRES is set.
func Runs(t testing.TB) map[string]func(t testing.TB) storage.Runs {
	t.Helper()
	stores := map[string]func(t testing.TB) storage.Runs{
		"memstore": func(testing.TB) storage.Runs { return memstore.New() },
	}
	if url := os.Getenv("DIALGATE_TEST_REDIS"); url != "" {
		stores["redisstore"] = func(t testing.TB) storage.Runs { return Redis(t, url, "dgtest-runs") }
	}
	if url := os.Getenv("DIALGATE_TEST_POSTGRES"); url != "" {
		stores["pgstore"] = func(t testing.TB) storage.Runs { return Postgres(t, url, "dgtest_runs") }
	}
	return stores
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
