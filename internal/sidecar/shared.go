package sidecar

import (
	"context"
	"fmt"

	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/storage/pgstore"
	"github.com/dialgate/dialgate/storage/redisstore"
)

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
		pg, err := pgstore.Open(ctx, cfg.Postgres, pgstore.Options{Schema: cfg.PostgresSchema})
		if err != nil {
			return nil, nil, fmt.Errorf("postgres: %w", err)
		}
		*closers = append(*closers, pg.Close)
		deps.Ledger, deps.DNC = pg, pg
		deps.Consents = pg
		// Recording metadata (holds included) and complaints are records an
		// auditor asks the fleet for, and a hold or a complaint may come
		// through any sidecar.
		deps.Recordings, complaints = pg, pg
		probes = append(probes, Probe{Name: "postgres", Check: pg.Ping})
	}
	if cfg.Redis != "" {
		rs, err := redisstore.Open(ctx, cfg.Redis, redisstore.Options{Prefix: cfg.RedisPrefix})
		if err != nil {
			return nil, nil, fmt.Errorf("redis: %w", err)
		}
		*closers = append(*closers, rs.Close)
		deps.Counters, deps.DNC = rs, rs
		probes = append(probes, Probe{Name: "redis", Check: func(ctx context.Context) error {
			if err := rs.Ping(ctx); err != nil {
				return err
			}
			if !rs.FeedLive() {
				return fmt.Errorf("redis: DNC change feed not live")
			}
			return nil
		}})
	}
	return probes, complaints, nil
}
