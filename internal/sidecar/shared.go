package sidecar

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/storage/boltstore"
	"github.com/dialgate/dialgate/storage/pgstore"
	"github.com/dialgate/dialgate/storage/redisstore"
)

// OpenShared opens the fleet back-ends cfg names (Redis, PostgreSQL) and puts
// them in deps in place of the local store's, as `dialgate serve` does
// (Redis: counters, DNC entries, sweep runs, and consents without
// PostgreSQL; PostgreSQL: ledger, DNC entries, consents, recordings,
// complaints, and counters and sweep runs without Redis): the
// CLI's recording, complaint and report commands read and write the fleet's
// records through it. It returns the shared complaint store (nil without
// PostgreSQL) and a function that closes what it opened. Without Redis or
// PostgreSQL in cfg it changes nothing.
func OpenShared(ctx context.Context, cfg Config, deps *policy.Deps) (complaint.Store, func() error, error) {
	var closers []func() error
	closeAll := func() error {
		var errs []error
		for i := len(closers) - 1; i >= 0; i-- {
			errs = append(errs, closers[i]())
		}
		return errors.Join(errs...)
	}
	_, complaints, err := openShared(ctx, cfg, deps, &closers)
	if err != nil {
		_ = closeAll()
		return nil, nil, err
	}
	return complaints, closeAll, nil
}

// openShared opens the fleet back-ends the config names (Redis, PostgreSQL)
// and points deps at them; it appends their Close to closers and returns
// their health probes and, with PostgreSQL, the shared complaint store. With
// neither set it changes nothing.
func openShared(ctx context.Context, cfg Config, deps *policy.Deps, closers *[]func() error) ([]Probe, complaint.Store, error) {
	var (
		probes     []Probe
		complaints complaint.Store
	)
	if cfg.Postgres != "" {
		pg, err := pgstore.Open(ctx, cfg.Postgres, pgstore.Options{Schema: cfg.PostgresSchema, RequireSchema: cfg.PostgresRequireSchema})
		if err != nil {
			if errors.Is(err, pgstore.ErrNoSchema) {
				err = fmt.Errorf("%w (postgres_require_schema: point postgres at the fleet's database, or restore its schema; for a new store, start once without postgres_require_schema)", err)
			}
			return nil, nil, fmt.Errorf("postgres: %w", err)
		}
		*closers = append(*closers, pg.Close)
		deps.Ledger, deps.DNC = pg, pg
		deps.Consents = pg
		// Recording metadata (holds included) and complaints are records an
		// auditor asks the fleet for, and a hold or a complaint may come
		// through any sidecar.
		deps.Recordings, complaints = pg, pg
		// The sweep.sequential runs of the fleet: a sweep spread over
		// several sidecars, or across a restart, is seen (Redis, if
		// configured, keeps them instead).
		deps.Runs = pg
		// Without Redis the fleet's frequency caps and segment counters
		// are PostgreSQL's too: left on each host's embedded store, every
		// sidecar would allow a callee its own full cap (Redis, if
		// configured, keeps them instead: a reservation there is a script
		// call, here a transaction).
		deps.Counters = pg
		// Without Redis the fleet's do-not-call lists are PostgreSQL's, and
		// their change feed (LISTEN) keeps this sidecar's Bloom filter and
		// cache current: the probe watches it too.
		probes = append(probes, Probe{Name: "postgres", Check: storeProbe("postgres", pg, cfg.Redis == "")})
	}
	if cfg.Redis != "" {
		rs, err := redisstore.Open(ctx, cfg.Redis, redisstore.Options{Prefix: cfg.RedisPrefix, RequireAOF: cfg.requireAOF(), WaitReplicas: cfg.RedisWaitReplicas, RequireEpoch: cfg.RedisRequireEpoch})
		if err != nil {
			if errors.Is(err, redisstore.ErrNotPersistent) {
				err = fmt.Errorf("%w (the fleet's opt-outs and cap counters live in Redis: enable appendonly yes with appendfsync everysec or always, or set redis_require_aof: false to accept losing them with a Redis restart)", err)
			}
			if errors.Is(err, redisstore.ErrNoEpoch) {
				err = fmt.Errorf("%w (redis_require_epoch: restore the fleet's Redis data, its key {prefix}:epoch included, or, for a new store or after re-importing the opt-outs, start once without redis_require_epoch)", err)
			}
			return nil, nil, fmt.Errorf("redis: %w", err)
		}
		*closers = append(*closers, rs.Close)
		deps.Counters, deps.DNC = rs, rs
		deps.Runs = rs
		if cfg.Postgres == "" {
			// Without PostgreSQL the fleet's consents live in Redis: a
			// revocation through one sidecar must reach every other.
			deps.Consents = rs
		}
		probes = append(probes, Probe{Name: "redis", Check: storeProbe("redis", rs, true)})
	}
	return probes, complaints, nil
}

// warnRedisConsents logs at Warn when the config keeps consents in
// PostgreSQL (postgres set) and the fleet's Redis holds consent records
// (its consent revision is above 0): written while the fleet ran on Redis
// alone, or by sidecars and CLI runs whose config has no postgres, they are
// read by no sidecar with postgres — the withdrawals among them are not in
// force here, and a revocation sent here of a consent kept there is "not
// found". Nothing copies them; the message says how. A Redis whose
// revision cannot be read is left to the checks, which fail closed.
func warnRedisConsents(ctx context.Context, deps policy.Deps, cfg Config, log *slog.Logger) {
	if cfg.Postgres == "" || cfg.Redis == "" {
		return
	}
	rs, ok := deps.Counters.(*redisstore.Store)
	if !ok || any(deps.Consents) == any(rs) {
		return
	}
	rev, err := rs.ConsentRevision(ctx)
	if err != nil || rev == 0 {
		return
	}
	log.Warn("sidecar: the fleet's Redis holds consent records this sidecar does not read (with postgres the consents live in PostgreSQL): its grants and revocations are not in force here; give every sidecar and CLI run the same back-ends, and record those consents, revoked ones too (consent add, then consent revoke --at), in PostgreSQL with the CLI and --config (docs/deploy.md, Redis)",
		"redis_consent_revision", rev, "consents_now_in", "postgres")
}

// feedStore is a shared store with a DNC change feed (pgstore, redisstore).
type feedStore interface {
	Ping(ctx context.Context) error
	FeedLive() bool
}

// storeProbe checks that s answers and, with feed, that its DNC change feed
// is live: while the feed is lost every do-not-call lookup reads the store
// (fail closed), and the sidecar reports NOT_SERVING so that the operator
// knows and a load balancer moves away.
func storeProbe(name string, s feedStore, feed bool) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := s.Ping(ctx); err != nil {
			return err
		}
		if feed && !s.FeedLive() {
			return fmt.Errorf("%s: DNC change feed not live", name)
		}
		return nil
	}
}

// warnStranded logs at Warn the records the embedded store holds of each
// kind deps no longer reads from it (the fleet back-ends of cfg keep them):
// opt-outs, revocations, ledger entries, holds and complaints written there
// by a CLI command without --config, by a build whose CLI had no --config,
// or by the host before it joined the fleet, are not in force. Nothing
// copies them; the message says how. complaintsShared is whether the fleet
// keeps the complaints.
func warnStranded(ctx context.Context, store *boltstore.Store, deps policy.Deps, complaintsShared bool, cfg Config, log *slog.Logger) error {
	if cfg.Redis == "" && cfg.Postgres == "" {
		return nil
	}
	c, err := store.RecordCounts(ctx)
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	where := func(s any) string {
		switch s.(type) {
		case *redisstore.Store:
			return "redis"
		case *pgstore.Store:
			return "postgres"
		}
		return "the fleet"
	}
	var attrs []any
	add := func(key string, n int, s any, moved bool) {
		if moved && n > 0 {
			attrs = append(attrs, key, n, key+"_now_in", where(s))
		}
	}
	add("dnc_entries", c.DNC, deps.DNC, any(deps.DNC) != any(store))
	add("consents", c.Consents, deps.Consents, any(deps.Consents) != any(store))
	add("ledger_entries", c.Ledger, deps.Ledger, any(deps.Ledger) != any(store))
	add("recordings", c.Recordings, deps.Recordings, any(deps.Recordings) != any(store))
	if complaintsShared {
		add("complaints", c.Complaints, &pgstore.Store{}, true)
	}
	if len(attrs) == 0 {
		return nil
	}
	log.Warn("sidecar: the embedded store holds records this sidecar does not read (the config keeps them in the fleet's back-ends): these opt-outs, consents and revocations, ledger entries, holds and complaints are not in force; add them to the fleet with the CLI and --config or dialgate admin (docs/deploy.md, Upgrading)",
		append([]any{"file", store.Path()}, attrs...)...)
	return nil
}
