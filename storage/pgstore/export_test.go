package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// OpenKnowing opens the database as an older build whose migrations end at
// version n would: it refuses a schema recorded at a newer version.
func OpenKnowing(ctx context.Context, url string, opts Options, n int) (*Store, error) {
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	if n < 1 || n > len(ms) {
		return nil, fmt.Errorf("OpenKnowing: version %d: this build has versions 1 to %d", n, len(ms))
	}
	return open(ctx, url, opts, ms[:n])
}

// AppliedByOpen returns the versions Open applies to a new database (every
// one but the lazy ones).
func AppliedByOpen() []int {
	ms, err := migrations()
	if err != nil {
		return nil
	}
	var out []int
	for _, m := range ms {
		if !m.lazy {
			out = append(out, m.version)
		}
	}
	return out
}

// SchemaTenantConsents is the lazy version the first consent naming a
// tenant records.
const SchemaTenantConsents = schemaTenantConsents

// SchemaSweepRuns is the first-use version the first storage.Runs call
// records.
const SchemaSweepRuns = schemaSweepRuns

// DeafenFeed makes the DNC change feed's connection stop listening (UNLISTEN
// *) before its next wait, as a connection pooler that does not keep a
// session's LISTEN (PgBouncer in transaction pooling) leaves it: the
// connection answers every query, and no notification arrives.
func DeafenFeed(s *Store) {
	f := func(ctx context.Context, c *pgx.Conn) { _, _ = c.Exec(ctx, "UNLISTEN *") }
	s.feedHook.Store(&f)
}

// SchemaCounterExpiry and SchemaRunExpiry are the first-use versions of the
// counter entries' and run records' expiry.
const (
	SchemaCounterExpiry = schemaCounterExpiry
	SchemaRunExpiry     = schemaRunExpiry
)

// SetExpiryBatch sets how many rows one expiry statement handles.
func SetExpiryBatch(s *Store, n int) { s.expiryBatch = n }
