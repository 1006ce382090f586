package sidecar

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/testdb"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/storage/pgstore"
	"github.com/dialgate/dialgate/storage/redisstore"
)

// sweepProfile is a profile with the sweep.sequential rule only (runs of
// ten through an NPA-NXX, as us-ok has), so that every other dial passes.
const sweepProfile = `schema: dialgate.profile.v1
name: fleet-sweep
sweep:
  sequential: {min_run: 10, max_gap: 2, window: 24h, cite: {source: U, ref: "test: us-ok thresholds"}}
`

// fleetSidecars opens n sidecars (each with its own data directory) on the
// fleet back-ends of cfg, with the sweep profile and one HMAC key.
func fleetSidecars(t *testing.T, n int, cfg Config) []*Backend {
	t.Helper()
	return fleetSidecarsOn(t, n, cfg, sweepProfile)
}

// fleetSidecarsOn is fleetSidecars with the profile text given.
func fleetSidecarsOn(t *testing.T, n int, cfg Config, profile string) []*Backend {
	t.Helper()
	dir := t.TempDir()
	prof := filepath.Join(dir, "profile.yaml")
	if err := os.WriteFile(prof, []byte(profile), 0o600); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "fleet-hmac.key")
	if err := os.WriteFile(key, []byte("00112233445566778899aabbccddeeff\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var bes []*Backend
	for i := range n {
		c := cfg
		c.Data, c.Profile, c.HMACKeyFile = filepath.Join(dir, fmt.Sprintf("host%d", i)), prof, key
		be, err := Open(context.Background(), c, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { be.Close(context.Background()) })
		bes = append(bes, be)
	}
	return bes
}

// sweepAcross dials 12 consecutive numbers of one NPA-NXX round-robin over
// the sidecars and returns the index of the first denied dial (-1: none).
func sweepAcross(t *testing.T, bes []*Backend, first int) int {
	t.Helper()
	for i := range 12 {
		d := dialgate.Dial{To: dialgate.MustParseNumber(fmt.Sprintf("+1405555%04d", first+i)),
			Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"}
		dec, err := bes[i%len(bes)].Gate.Check(context.Background(), d)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		if !dec.Allowed {
			if !dec.Has(dialgate.CodeSweepSequential) {
				t.Fatalf("dial %d: %v", i, dec.Reasons)
			}
			return i
		}
	}
	return -1
}

// Sidecars of a fleet share the sweep.sequential runs through Redis: a
// sweep spread round-robin over three is denied at its tenth number, as on
// one sidecar.
func TestFleetSharesSweepRunsRedis(t *testing.T) {
	url := os.Getenv("DIALGATE_TEST_REDIS")
	if url == "" {
		t.Skip("DIALGATE_TEST_REDIS is not set; run with DIALGATE_TEST_REDIS=redis://127.0.0.1:6379/15")
	}
	prefix := fmt.Sprintf("runstest%d", time.Now().UnixNano())
	t.Cleanup(func() { testdb.DropRedisPrefix(url, prefix) })
	bes := fleetSidecars(t, 3, Config{Redis: url, RedisPrefix: prefix, RedisRequireAOF: new(false)})
	if got := sweepAcross(t, bes, 100); got != 9 {
		t.Fatalf("first denied dial %d, want 9 (the tenth number of the run)", got)
	}
}

// Without Redis the fleet's runs are PostgreSQL's.
func TestFleetSharesSweepRunsPostgres(t *testing.T) {
	url := os.Getenv("DIALGATE_TEST_POSTGRES")
	if url == "" {
		t.Skip("DIALGATE_TEST_POSTGRES is not set; run with DIALGATE_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'")
	}
	schema := fmt.Sprintf("runstest%d", time.Now().UnixNano())
	t.Cleanup(func() { testdb.DropPostgresSchema(url, schema) })
	bes := fleetSidecars(t, 2, Config{Postgres: url, PostgresSchema: schema})
	if got := sweepAcross(t, bes, 200); got != 9 {
		t.Fatalf("first denied dial %d, want 9 (the tenth number of the run)", got)
	}
}

// OpenShared points Deps.Runs at Redis when the fleet has it, else at
// PostgreSQL.
func TestOpenSharedRuns(t *testing.T) {
	rurl, purl := os.Getenv("DIALGATE_TEST_REDIS"), os.Getenv("DIALGATE_TEST_POSTGRES")
	if rurl == "" || purl == "" {
		t.Skip("DIALGATE_TEST_REDIS or DIALGATE_TEST_POSTGRES is not set")
	}
	prefix := fmt.Sprintf("runstest%d", time.Now().UnixNano())
	t.Cleanup(func() { testdb.DropRedisPrefix(rurl, prefix) })
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"both", Config{Redis: rurl, RedisPrefix: prefix, RedisRequireAOF: new(false), Postgres: purl, PostgresSchema: prefix + "both"}, "redis"},
		{"postgres", Config{Postgres: purl, PostgresSchema: prefix + "pg"}, "postgres"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Cleanup(func() { testdb.DropPostgresSchema(purl, tc.cfg.PostgresSchema) })
			var deps policy.Deps
			_, done, err := OpenShared(context.Background(), tc.cfg, &deps)
			if err != nil {
				t.Fatal(err)
			}
			defer done()
			switch deps.Runs.(type) {
			case *redisstore.Store:
				if tc.want != "redis" {
					t.Fatalf("runs in Redis, want %s", tc.want)
				}
			case *pgstore.Store:
				if tc.want != "postgres" {
					t.Fatalf("runs in PostgreSQL, want %s", tc.want)
				}
			default:
				t.Fatalf("runs in %T, want %s", deps.Runs, tc.want)
			}
		})
	}
}

// A sidecar on the embedded store keeps the sweep.sequential runs across a
// restart: a walk of five numbers before it and five after is denied at
// its tenth number. Before, the runs were in memory: the walk started again
// from zero after the restart (first denied: none of the 12).
func TestEmbeddedKeepsSweepRunsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "profile.yaml")
	if err := os.WriteFile(prof, []byte(sweepProfile), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Data: filepath.Join(dir, "data"), Profile: prof}
	open := func() *Backend {
		be, err := Open(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		return be
	}
	be := open()
	// A walk through +1 405555, interrupted by a restart after five dials.
	for i := range 5 {
		d := dialgate.Dial{To: dialgate.MustParseNumber(fmt.Sprintf("+1405555%04d", 500+i)),
			Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"}
		if dec, err := be.Gate.Check(context.Background(), d); err != nil || !dec.Allowed {
			t.Fatalf("dial %d: %v %v", i, dec.Reasons, err)
		}
	}
	if err := be.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	be = open()
	t.Cleanup(func() { be.Close(context.Background()) })
	if got := sweepAcross(t, []*Backend{be}, 505); got != 4 {
		t.Fatalf("after the restart, first denied dial %d, want 4 (the tenth number of the walk begun before it)", got)
	}
}
