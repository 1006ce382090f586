// Package scenariostores gives scenario runs (internal/scenario) the stores
// dialgate runs on in production instead of the in-memory default: the
// embedded store (storage/boltstore), and a fleet's PostgreSQL and Redis
// wired as `dialgate serve` wires them (sidecar.OpenShared). Each run gets
// fresh, empty stores — a new bolt file, a new PostgreSQL schema, a new
// Redis key prefix — which are removed when the run is over: a scenario
// writes seed data, and must never run on a deployment's own data.
//
// It is a package of its own so that audittest, which runs scenarios in
// memory, does not link the PostgreSQL and Redis clients.
package scenariostores

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/internal/scenario"
	"github.com/dialgate/dialgate/internal/sidecar"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/storage/boltstore"
)

// cleanupTimeout bounds removing a run's schema or keys: the run's own
// context may be over by then.
const cleanupTimeout = 30 * time.Second

// Config names the back-ends runs are given. The zero Config gives each run
// a fresh embedded store (boltstore) only.
type Config struct {
	// Dir is the directory each run's bolt file is made in (in a new
	// directory of its own, removed after the run); empty means
	// os.TempDir().
	Dir string
	// Postgres, when set, is the URL of a PostgreSQL database: each run
	// gets a new schema in it, dropped after the run, and the stores
	// `dialgate serve` keeps there (with Redis: the ledger, consents,
	// recordings and complaints; without: those and the do-not-call
	// entries, counters and sweep runs).
	Postgres string
	// Redis, when set, is the URL of a Redis server: each run gets a new
	// key prefix on it, whose keys are deleted after the run, and the
	// stores `dialgate serve` keeps there (the counters, do-not-call
	// entries and sweep runs, and the consents without PostgreSQL). The
	// server need not persist its writes (redis_require_aof: false).
	Redis string
}

// String names the back-ends of c for people: "bolt", "postgres",
// "redis+postgres", "redis+bolt".
func (c Config) String() string {
	switch {
	case c.Redis != "" && c.Postgres != "":
		return "redis+postgres"
	case c.Postgres != "":
		return "postgres"
	case c.Redis != "":
		return "redis+bolt"
	}
	return "bolt"
}

// Stores returns a scenario.NewStores that gives every run fresh stores of
// c's kind: a new boltstore file, with the fleet back-ends of c (a new
// PostgreSQL schema, a new Redis key prefix) in place of the domains
// sidecar.OpenShared puts on them. The Stores' Close closes them and
// removes the file, drops the schema and deletes the keys.
func (c Config) Stores() scenario.NewStores {
	return func(ctx context.Context, f *scenario.File) (_ scenario.Stores, err error) {
		var cleanups []func() error
		cleanup := func() error {
			var errs []error
			for i := len(cleanups) - 1; i >= 0; i-- {
				errs = append(errs, cleanups[i]())
			}
			return errors.Join(errs...)
		}
		defer func() {
			if err != nil {
				err = errors.Join(err, cleanup())
			}
		}()
		dir, err := os.MkdirTemp(c.Dir, "dialgate-scenario-")
		if err != nil {
			return scenario.Stores{}, fmt.Errorf("bolt: %w", err)
		}
		cleanups = append(cleanups, func() error { return os.RemoveAll(dir) })
		bolt, err := boltstore.Open(filepath.Join(dir, boltstore.DefaultFileName), boltstore.Options{})
		if err != nil {
			return scenario.Stores{}, fmt.Errorf("bolt: %w", err)
		}
		cleanups = append(cleanups, bolt.Close)
		// The key only makes the counters' keys; StoreDeps needs one.
		deps, err := policy.StoreDeps(bolt, []byte("dialgate scenario key, not secret"))
		if err != nil {
			return scenario.Stores{}, err
		}
		var complaints complaint.Store = bolt
		cfg := sidecar.Config{Postgres: c.Postgres, Redis: c.Redis}
		if c.Postgres != "" {
			cfg.PostgresSchema = "dgscenario_" + randomName()
			cleanups = append(cleanups, func() error { return dropSchema(c.Postgres, cfg.PostgresSchema) })
		}
		if c.Redis != "" {
			cfg.RedisPrefix = "dgscenario-" + randomName()
			no := false
			cfg.RedisRequireAOF = &no
			cleanups = append(cleanups, func() error { return deletePrefix(c.Redis, cfg.RedisPrefix) })
		}
		if c.Postgres != "" || c.Redis != "" {
			shared, closeShared, err := sidecar.OpenShared(ctx, cfg, &deps)
			if err != nil {
				return scenario.Stores{}, err
			}
			cleanups = append(cleanups, closeShared)
			if shared != nil {
				complaints = shared
			}
		}
		return scenario.Stores{
			DNC: deps.DNC, Ledger: deps.Ledger, Consents: deps.Consents, Counters: deps.Counters,
			Runs: deps.Runs, Recordings: deps.Recordings, Complaints: complaints,
			Close: cleanup,
		}, nil
	}
}

// randomName returns 12 random hex digits.
func randomName() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// dropSchema drops schema and everything in it.
func dropSchema(url, schema string) error {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("postgres: dropping schema %s: %w", schema, err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
		return fmt.Errorf("postgres: dropping schema %s: %w", schema, err)
	}
	return nil
}

// deletePrefix deletes every key of the redisstore prefix ("{prefix}:…").
func deletePrefix(url, prefix string) error {
	o, err := redis.ParseURL(url)
	if err != nil {
		// redisstore.Open refused the same URL: nothing was written (and
		// the parse error would quote the URL, its password included).
		return nil
	}
	c := redis.NewClient(o)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	var keys []string
	iter := c.Scan(ctx, 0, "{"+prefix+"}:*", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return fmt.Errorf("redis: deleting prefix %s: %w", prefix, err)
	}
	for len(keys) > 0 {
		n := min(len(keys), 500)
		if err := c.Del(ctx, keys[:n]...).Err(); err != nil {
			return fmt.Errorf("redis: deleting prefix %s: %w", prefix, err)
		}
		keys = keys[n:]
	}
	return nil
}

// Parse reads a store spec, the value of `dialgate scenarios run --store`:
// "bolt", "postgres=URL", "redis=URL", or both of the last two joined by
// "+" ("redis=URL+postgres=URL", in either order). "memory" is not a
// Config (it is the scenario runner's default): the caller handles it.
// Its errors name the part and the problem but never quote a URL (which
// may hold a password): they can be printed.
func Parse(spec string) (Config, error) {
	if spec == "bolt" {
		return Config{}, nil
	}
	var c Config
	rest := spec
	for rest != "" {
		var part string
		// A part ends where the next one starts: at "+postgres=" or
		// "+redis=", not at a "+" inside a URL.
		end := len(rest)
		for _, next := range []string{"+postgres=", "+redis="} {
			if i := strings.Index(rest, next); i >= 0 && i < end {
				end = i
			}
		}
		part, rest = rest[:end], strings.TrimPrefix(rest[end:], "+")
		key, url, ok := strings.Cut(part, "=")
		switch {
		case part == "bolt":
			return Config{}, errors.New("store: bolt stands alone (with postgres= or redis= the embedded store keeps what they do not)")
		case !ok || (key != "postgres" && key != "redis"):
			return Config{}, fmt.Errorf("store: %q is not bolt, postgres=URL or redis=URL (want bolt, postgres=URL, redis=URL or redis=URL+postgres=URL)", partName(part))
		case url == "":
			return Config{}, fmt.Errorf("store: %s: the URL is missing", key)
		case key == "postgres" && c.Postgres != "", key == "redis" && c.Redis != "":
			return Config{}, fmt.Errorf("store: %s given twice", key)
		case key == "postgres":
			c.Postgres = url
		default:
			c.Redis = url
		}
	}
	if c.Postgres == "" && c.Redis == "" {
		return Config{}, errors.New("store: empty: want bolt, postgres=URL, redis=URL or redis=URL+postgres=URL")
	}
	return c, nil
}

// partName names a part of a store spec Parse does not know without what
// may be a URL or a password: a short word as it is ("sqlite"), else its
// key ("mysql=…") or its URL scheme ("postgres://…"), else "…".
func partName(part string) string {
	word := func(s string) bool {
		if s == "" || len(s) > 32 {
			return false
		}
		for _, r := range s {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
				return false
			}
		}
		return true
	}
	switch key, _, eq := strings.Cut(part, "="); {
	case !eq && word(part):
		return part
	case eq && word(key):
		return key + "=…"
	}
	if scheme, _, ok := strings.Cut(part, "://"); ok && word(scheme) {
		return scheme + "://…"
	}
	return "…"
}
