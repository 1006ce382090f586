package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dialgate/dialgate/storage/storetest"
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

// Plant writes r's bytes under its key as given, bypassing every check (for
// storetest.WithPlant); columns beside the key that only serve filters are
// left empty, but a complaint's, which reads check against its JSON, are
// set from the JSON. A jsonb column cannot hold what is not JSON.
func Plant(ctx context.Context, store any, r storetest.RawRecord) error {
	s := store.(*Store)
	if r.Kind == "consent index" {
		return fmt.Errorf("%w: a consent's number is a column of its row, not an index apart", storetest.ErrCannotPlant)
	}
	if !json.Valid(r.JSON) {
		return fmt.Errorf("%w: a jsonb column holds only JSON", storetest.ErrCannotPlant)
	}
	var (
		q    string
		args []any
	)
	switch r.Kind {
	case "consent":
		q, args = `INSERT INTO consents (id, number, record) VALUES ($1, $2, $3)`, []any{r.ID, num(r.Number), r.JSON}
	case "consent event":
		q, args = `INSERT INTO consent_events (seq, number, event) VALUES ($1, $2, $3)`, []any{int64(r.Seq), num(r.Number), r.JSON}
	case "dnc entry":
		q, args = `INSERT INTO dnc_entries (number, scope, list, entry) VALUES ($1, $2, '', $3)`, []any{num(r.Number), r.Scope, r.JSON}
	case "ledger entry":
		q, args = `INSERT INTO ledger (tenant, number, entry) VALUES ($1, $2, $3)`, []any{r.Tenant, num(r.Number), r.JSON}
	case "complaint":
		// The columns a read checks against the JSON (rowComplaint) are set
		// from it as a write sets them, when it names them.
		var cols struct {
			Tenant     string    `json:"tenant"`
			Callee     string    `json:"callee"`
			ReceivedAt time.Time `json:"received_at"`
		}
		_ = json.Unmarshal(r.JSON, &cols)
		var ns int64
		if !cols.ReceivedAt.IsZero() {
			ns = boundNanos(cols.ReceivedAt)
		}
		q, args = `INSERT INTO complaints (id, tenant, callee, received_ns, complaint) VALUES ($1, $2, $3, $4, $5)`,
			[]any{r.ID, cols.Tenant, cols.Callee, ns, r.JSON}
	case "recording":
		// The columns a read checks against the JSON (rowRecording) are
		// set from it as a write sets them.
		var cols struct {
			Callee      string    `json:"callee"`
			DecisionID  string    `json:"decision_id"`
			RetainUntil time.Time `json:"retain_until"`
		}
		_ = json.Unmarshal(r.JSON, &cols)
		q, args = `INSERT INTO recordings (id, callee, decision_id, retain_until_ns, rec) VALUES ($1, $2, $3, $4, $5)`,
			[]any{r.ID, cols.Callee, cols.DecisionID, boundNanos(cols.RetainUntil), r.JSON}
	default:
		return fmt.Errorf("pgstore: cannot plant a %q", r.Kind)
	}
	_, err := s.pool.Exec(ctx, q, args...)
	return err
}

// Exec runs a statement on s's database, as another tool writing to it
// would.
func Exec(ctx context.Context, s *Store, q string, args ...any) error {
	_, err := s.pool.Exec(ctx, q, args...)
	return err
}

// QueryBool runs a query of one boolean on s's database.
func QueryBool(ctx context.Context, s *Store, q string, args ...any) (bool, error) {
	var b bool
	err := s.pool.QueryRow(ctx, q, args...).Scan(&b)
	return b, err
}

// HoldFeed makes the DNC change feed's goroutine stop, before its next
// wait, until release is called (or the Store closes): a feed slow to relay
// the other processes' changes (a busy host, a slow network). held is
// closed once it has stopped; nothing is relayed meanwhile, and no
// heartbeat runs.
func HoldFeed(s *Store) (held <-chan struct{}, release func()) {
	h, r := make(chan struct{}), make(chan struct{})
	f := func(ctx context.Context, _ *pgx.Conn) {
		close(h)
		select {
		case <-r:
		case <-ctx.Done():
		}
	}
	s.feedHook.Store(&f)
	return h, sync.OnceFunc(func() { close(r) })
}

// ForgetStoreChanged clears what the store's identity checks found, so a
// test can see whether the next call checks the identity itself.
func ForgetStoreChanged(s *Store) { s.identityLost.Store(false) }
