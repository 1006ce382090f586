package pgstore

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/internal/feedhub"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DefaultSchema is the schema Open uses when Options.Schema is empty.
const DefaultSchema = "dialgate"

// DefaultIdleInTransactionTimeout is the idle_in_transaction_session_timeout
// of the store's sessions when the server, database, role or URL leaves it
// off (0): the server ends a session that stays idle that long inside a
// transaction, and releases its locks.
const DefaultIdleInTransactionTimeout = 5 * time.Second

// sessionSettings are run on every new pool connection. synchronous_commit
// off is raised to on (see Open). idle_in_transaction_session_timeout off
// becomes DefaultIdleInTransactionTimeout: a transaction whose connection
// stalls between its statements (packets dropped: the server sees no FIN,
// and its keepalive waits two hours by default) would otherwise keep the
// locks it took — a reservation's key rows, which every reservation of the
// callee or the segment from any sidecar waits for — and every such dial
// would deny (<check>.unavailable) long after the network came back. A
// setting the operator chose (not 0) is kept.
var sessionSettings = `SELECT set_config('synchronous_commit', 'on', false) WHERE current_setting('synchronous_commit') = 'off';` +
	`SELECT set_config('idle_in_transaction_session_timeout', '` + strconv.FormatInt(DefaultIdleInTransactionTimeout.Milliseconds(), 10) +
	`', false) WHERE current_setting('idle_in_transaction_session_timeout') = '0'`

// DefaultConnectTimeout bounds the making of one database connection
// (dial, TLS, authentication) when the URL gives no connect_timeout.
const DefaultConnectTimeout = 3 * time.Second

// Options configures a Store. The zero Options is valid and means every
// default.
type Options struct {
	// Schema is the PostgreSQL schema holding dialgate's tables (default
	// DefaultSchema): lower-case letters, digits and underscores, starting
	// with a letter, at most 48 bytes. Open creates it if needed, unless
	// RequireSchema is set.
	Schema string
	// Heartbeat is how often the DNC change-feed connection is checked, by
	// a notification it must receive back within the same time, when no
	// notification arrived meanwhile (default 250 ms).
	Heartbeat time.Duration
	// RequireSchema makes Open refuse, with ErrNoSchema, a database whose
	// schema holds no dialgate store (no schema_migrations table), instead
	// of creating one: a sidecar started against a server that lost the
	// fleet's data (a failover to an empty server, a dropped schema) or
	// against the wrong database (a URL changed by mistake) would otherwise
	// serve from an empty store — every opt-out, consent revocation and cap
	// count gone. Create the store deliberately, once, with an Open without
	// it (dialgate serve or check --config without postgres_require_schema).
	RequireSchema bool
}

// ErrNoSchema is wrapped by Open's error when Options.RequireSchema is set
// and the database has no dialgate store in the schema (no
// schema_migrations table, or a store_identity table without its row). It
// wraps storage.ErrUnavailable.
var ErrNoSchema = fmt.Errorf("no dialgate store in the schema: %w", storage.ErrUnavailable)

// ErrStoreChanged is wrapped by the calls of a Store whose schema no longer
// holds the store it opened: its store_identity row (a random id written
// when the store was created) is gone or different, because the schema was
// dropped or re-created, or the server failed over to one without the data.
// Deciding from what the schema holds now would forget every opt-out,
// consent revocation and cap count. It wraps storage.ErrUnavailable; the
// calls work again once the store with its identity is restored, or the
// process restarts (see the package doc, Store identity).
var ErrStoreChanged = fmt.Errorf("the schema no longer holds the store this process opened (its store_identity is gone or changed: the schema was dropped or re-created, or the server lost the data): %w", storage.ErrUnavailable)

// Store is the PostgreSQL-backed store. Create it with Open; the zero Store is
// not usable. It is safe for concurrent use. After Close every method returns
// an error wrapping storage.ErrClosed.
type Store struct {
	pool   *pgxpool.Pool
	schema string
	opts   Options
	closed atomic.Bool

	feedCancel context.CancelFunc
	feedDone   chan struct{}

	hub *feedhub.Hub // the DNC change feed's watchers
	// probeCh is the channel only the feed's live connection listens to
	// (SyncDNC's probes); nil before the first one.
	probeCh atomic.Pointer[string]

	runsMigration *migration  // the first-use migration of the run tables; nil in a build without it
	runsReady     atomic.Bool // the run tables exist and their version is recorded

	counterExpiryMigration *migration  // the first-use migration of the counter entries' expiry; nil in a build without it
	counterExpiryReady     atomic.Bool // counter_entries has expires_ns and its version is recorded
	runExpiryMigration     *migration  // the first-use migration of the run records' expiry; nil in a build without it

	// expiryBatch is how many rows one statement of ExpireCounters,
	// ExpireRuns or ExtendCounterExpiry deletes, locks or changes (tests
	// make it small).
	expiryBatch int

	// identity is the store's store_identity id (32 hex digits), read or
	// written by Open; identityLost is set when a read of it finds it gone
	// or changed (see ErrStoreChanged) and cleared when one finds it again.
	identity     string
	identityLost atomic.Bool
	// beginQuery starts every transaction of inTx and checks the store's
	// identity in the same round trip (identityCheck).
	beginQuery string

	// feedHook, when a test sets it, runs once on the feed's connection, in
	// the feed's goroutine, before its next wait.
	feedHook atomic.Pointer[func(context.Context, *pgx.Conn)]
}

var schemaRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,47}$`)

// identityRE is a store identity's form.
var identityRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// identityCheck is a statement that fails with division_by_zero unless
// store_identity holds id (and with undefined_table without the table).
// id must match identityRE (it is inlined: the statement runs in the simple
// protocol, next to BEGIN).
func identityCheck(id string) string {
	return `SELECT 1/count(*) FROM store_identity WHERE id = '` + id + `'`
}

// identityCond is a WHERE condition that fails a query the same way: a
// one-time filter, evaluated before the rows are read. The reads outside a
// transaction that a decision or a resynchronisation relies on carry it
// (DNCEntries, ScanDNC, ConsentsByNumber, ConsentRevision,
// ConsentRevisionStamp, LedgerVersion, RunLength, Usage); the others fail
// from the next heartbeat that notices.
func (s *Store) identityCond() string {
	return `(SELECT 1/count(*) FROM store_identity WHERE id = '` + s.identity + `') = 1`
}

// identityErr reports whether err is what an identity check fails with
// when the store's identity is gone or changed (or its schema is).
func identityErr(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "22012", "42P01", "3F000": // division_by_zero, undefined_table, invalid_schema_name
		return true
	}
	return false
}

// lostIdentity records that the store's identity is gone or changed and
// returns the error op fails with.
func (s *Store) lostIdentity(op string, err error) error {
	s.identityLost.Store(true)
	return fmt.Errorf("pgstore: %s: schema %s: %w (%w)", op, s.schema, ErrStoreChanged, err)
}

// migration is one embedded SQL file.
type migration struct {
	version int
	name    string
	sql     string
	// lazy: the file's first line is lazyMark or firstUseMark. Open does
	// not apply it; a write that needs it records it (see recordVersion,
	// applyFirstUse).
	lazy bool
	// firstUse: the file's first line is firstUseMark. Its statements are
	// applied by the first call that needs them (applyFirstUse).
	firstUse bool
}

// lazyMark is the first line of a migration that Open does not apply: it
// changes no table and is recorded in schema_migrations by the first write
// that stores data a build knowing only the versions before it would
// misread.
const lazyMark = "-- +dialgate lazy"

// firstUseMark is the first line of a migration that Open does not apply
// either: it creates tables for data that builds knowing only the versions
// before it would not see (they would decide without it), and the first
// call that stores such data applies it and records its version, in a
// transaction of its own under the migration lock (applyFirstUse). Its
// statements must be idempotent (IF NOT EXISTS).
const firstUseMark = "-- +dialgate first use"

// schemaTenantConsents is the lazy version recorded by the first consent
// write whose record names a tenant, and tenantConsentsMigration its file.
const (
	schemaTenantConsents    = 2
	tenantConsentsMigration = "0002_consent_tenants.sql"
)

// schemaSweepRuns is the first-use version that creates the run tables
// (storage.Runs), and sweepRunsMigration its file.
const (
	schemaSweepRuns    = 3
	sweepRunsMigration = "0003_sweep_runs.sql"
)

// schemaCounterExpiry is the first-use version that gives counter entries
// their expiry (the first writing counter call applies it), and
// schemaRunExpiry the one that gives run records theirs (applied after
// schemaSweepRuns by the first run call).
const (
	schemaCounterExpiry = 4
	schemaRunExpiry     = 5
)

// migrations returns the embedded migrations in version order.
func migrations() ([]migration, error) { return parseMigrations(migrationFS) }

// parseMigrations reads the migrations in fsys's directory migrations.
func parseMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, n := range names {
		base := strings.TrimPrefix(n, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("pgstore: migration %s: name must start with its version number", base)
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		m := migration{version: v, name: base, sql: string(b)}
		first, _, _ := strings.Cut(m.sql, "\n")
		m.firstUse = strings.TrimSpace(first) == firstUseMark
		m.lazy = m.firstUse
		if strings.TrimSpace(first) == lazyMark {
			m.lazy = true
			for i, line := range strings.Split(m.sql, "\n") {
				if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "--") {
					return nil, fmt.Errorf("pgstore: migration %s: line %d: a lazy migration holds comments only", base, i+1)
				}
			}
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("pgstore: migration %s: version %d, want %d (no gaps)", m.name, m.version, i+1)
		}
	}
	if len(out) > 0 && out[0].lazy {
		return nil, fmt.Errorf("pgstore: migration %s: the first migration cannot be lazy", out[0].name)
	}
	return out, nil
}

// SchemaVersion is the newest schema version this build knows, lazy
// versions included (see the package doc, Schema).
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// Open connects to the database named by url (postgres://user@host:port/db?…,
// or a key=value DSN), applies the embedded migrations the database lacks
// (but the lazy ones, which the writes that need them record; see the package
// doc, Schema) and starts the DNC change feed. It waits, bounded by ctx, for
// the feed to go live once; when it cannot, Open still succeeds and the feed
// keeps retrying (until then, DNC lookups read the database every time). It
// refuses a database with a newer schema (storage.ErrSchemaTooNew), and, with
// Options.RequireSchema, one without the schema (ErrNoSchema). It reads the
// store's identity, writing it when the schema has none (see the package
// doc, Store identity).
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	return open(ctx, url, opts, ms)
}

// open is Open for a build whose migrations are ms.
func open(ctx context.Context, url string, opts Options, ms []migration) (*Store, error) {
	if opts.Schema == "" {
		opts.Schema = DefaultSchema
	}
	if !schemaRE.MatchString(opts.Schema) {
		return nil, fmt.Errorf("pgstore: open: schema %q: want lower-case letters, digits and _, starting with a letter, at most 48 bytes: %w", opts.Schema, storage.ErrInvalid)
	}
	if opts.Heartbeat < 0 {
		return nil, fmt.Errorf("pgstore: open: heartbeat: negative: %w", storage.ErrInvalid)
	}
	if opts.Heartbeat == 0 {
		opts.Heartbeat = 250 * time.Millisecond
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("pgstore: open: url: %w: %w", err, storage.ErrInvalid)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = opts.Schema
	// A new connection is made in the pool's background, past the context
	// of the call that asked for it (pgxpool), and holds one of the pool's
	// few slots until it is made. Without connect_timeout in the URL pgxpool
	// allows two minutes: a database that stalls (a black hole: packets
	// dropped, nothing refused) fills every slot with a connect that hangs,
	// and once it answers again every decision still denies
	// (<check>.unavailable) until they time out.
	if cfg.ConnConfig.ConnectTimeout <= 0 {
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	// Every session must be able to write, whatever target_session_attrs
	// the URL gives (pgx, like libpq, takes any session by default): a hot
	// standby's sessions are read-only, and what it answers may lag behind
	// the primary — a consent revocation or an opt-out another sidecar had
	// acknowledged would not be seen, and a dial would be allowed on it. A
	// URL naming several hosts (postgres://a,b/db) reaches a standby
	// whenever the hosts before it do not answer, or once a failover swapped
	// their roles; so validated, pgx goes on to the next host, and a store
	// that finds none writable fails (storage.ErrUnavailable).
	cfg.ConnConfig.ValidateConnect = validateWritable
	// The settings of every pool session (sessionSettings).
	//
	// A commit must be in the flushed WAL before a write returns: with
	// synchronous_commit = off (a database, role or URL default chosen for
	// throughput) PostgreSQL acknowledges it before, and a crash loses
	// opt-outs, revocations and reservations the store reported written.
	// Stronger settings (local, remote_write, on, remote_apply) are kept.
	afterConnect := cfg.AfterConnect
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		if afterConnect != nil {
			if err := afterConnect(ctx, c); err != nil {
				return err
			}
		}
		_, err := c.Exec(ctx, sessionSettings)
		return err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: open: %w: %w", storage.ErrUnavailable, err)
	}
	s := &Store{pool: pool, schema: opts.Schema, opts: opts, hub: feedhub.New(), expiryBatch: defaultExpiryBatch}
	for i := range ms {
		if !ms[i].firstUse {
			continue
		}
		switch ms[i].version {
		case schemaSweepRuns:
			s.runsMigration = &ms[i]
		case schemaCounterExpiry:
			s.counterExpiryMigration = &ms[i]
		case schemaRunExpiry:
			s.runExpiryMigration = &ms[i]
		}
	}
	if err := s.migrate(ctx, ms); err != nil {
		pool.Close()
		return nil, err
	}
	s.beginQuery = "BEGIN ISOLATION LEVEL READ COMMITTED; " + identityCheck(s.identity)
	fctx, cancel := context.WithCancel(context.Background())
	s.feedCancel = cancel
	s.feedDone = make(chan struct{})
	go s.runFeed(fctx)
	select {
	case <-s.hub.FirstLive():
	case <-ctx.Done():
	}
	return s, nil
}

// validateWritable refuses a session that cannot write (libpq's
// target_session_attrs=read-write): a standby's, or one of a server, database
// or role made read-only.
func validateWritable(ctx context.Context, c *pgconn.PgConn) error {
	if err := pgconn.ValidateConnectTargetSessionAttrsReadWrite(ctx, c); err != nil {
		if errors.Is(err, pgconn.ErrReadOnlyConnection) {
			return fmt.Errorf("the session is read-only (a hot standby, or a server, database or role made read-only), and its reads may lag behind the primary's writes: point the URL at the primary: %w", err)
		}
		return err
	}
	return nil
}

// migrate applies the missing migrations of ms, but the lazy ones, in one
// transaction. It refuses a schema whose newest recorded version (lazy or
// not) is above ms's newest.
func (s *Store) migrate(ctx context.Context, ms []migration) error {
	if len(ms) == 0 {
		return fmt.Errorf("pgstore: open: no migrations")
	}
	latest := ms[len(ms)-1].version
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return s.fail("open", err)
	}
	defer rollback(ctx, tx)
	// One process at a time: concurrent starters wait here, then see the
	// schema the first one applied.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('dialgate.migrate.' || $1))`, s.schema); err != nil {
		return s.fail("open: lock", err)
	}
	var (
		exists bool
		dbName string
	)
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'schema_migrations'), current_database()`, s.schema).Scan(&exists, &dbName); err != nil {
		return s.fail("open", err)
	}
	if !exists && s.opts.RequireSchema {
		return fmt.Errorf("pgstore: open: database %q has no dialgate store in schema %q (no table %s.schema_migrations), and RequireSchema (postgres_require_schema) refuses to create one: "+
			"if the fleet's data is on another server or database, fix the URL or restore it; to create the store deliberately, start once without RequireSchema (postgres_require_schema): %w",
			dbName, s.schema, s.schema, ErrNoSchema)
	}
	cur := 0
	if exists {
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&cur); err != nil {
			return s.fail("open: schema_migrations", err)
		}
	}
	if cur > latest {
		return fmt.Errorf("pgstore: open: schema %s is at version %d, this build knows up to %d; upgrade dialgate: %w", s.schema, cur, latest, storage.ErrSchemaTooNew)
	}
	// A lazy version is recorded by the write that needs it, never here: a
	// database stays at the version its data needs, so that builds that
	// know only the versions before can still open it.
	var pending []migration
	for _, m := range ms {
		if m.version > cur && !m.lazy {
			pending = append(pending, m)
		}
	}
	wrote := false
	if len(pending) > 0 {
		if err := s.applyPending(ctx, tx, pending); err != nil {
			return err
		}
		wrote = true
	}
	created, err := s.openIdentity(ctx, tx)
	if err != nil {
		return err
	}
	if !wrote && !created {
		return nil // nothing to write; the deferred rollback ends the transaction
	}
	if err := tx.Commit(ctx); err != nil {
		return s.fail("open: commit migrations", err)
	}
	return nil
}

// openIdentity reads the store's identity into s.identity, inside Open's
// transaction, and creates it when the schema has none (a new store, or
// one created by a build before it): a random id in the one row of
// store_identity. It reports whether it wrote anything.
func (s *Store) openIdentity(ctx context.Context, tx pgx.Tx) (bool, error) {
	var has bool
	if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, pgx.Identifier{s.schema, "store_identity"}.Sanitize()).Scan(&has); err != nil {
		return false, s.fail("open: store identity", err)
	}
	created := false
	if !has {
		if _, err := tx.Exec(ctx, `CREATE TABLE store_identity (one boolean PRIMARY KEY DEFAULT true CHECK (one), id text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return false, s.identityFail("create", err)
		}
		created = true
	}
	var id string
	err := tx.QueryRow(ctx, `SELECT id FROM store_identity`).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) && has && s.opts.RequireSchema {
		// The table is there but not its row: the store's tables were
		// emptied, or restored without their data.
		return false, fmt.Errorf("pgstore: open: schema %q: table store_identity is empty (the store's tables were emptied or restored without their data), and RequireSchema (postgres_require_schema) refuses to take it for a new store: "+
			"restore the store's data, store_identity's row included; to start a new store deliberately, start once without RequireSchema (postgres_require_schema): %w", s.schema, ErrNoSchema)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return false, fmt.Errorf("pgstore: open: store identity: %w", err)
		}
		id = hex.EncodeToString(b[:])
		if _, err := tx.Exec(ctx, `INSERT INTO store_identity (id) VALUES ($1)`, id); err != nil {
			return false, s.identityFail("write", err)
		}
		created = true
	} else if err != nil {
		return false, s.identityFail("read", err)
	}
	if !identityRE.MatchString(id) {
		return false, fmt.Errorf("pgstore: open: %s.store_identity: id %q is not 32 lower-case hex digits: %w", s.schema, id, storage.ErrCorrupt)
	}
	s.identity = id
	return created, nil
}

// identityFail wraps an error of Open's store identity statements; a role
// without the privilege (a schema whose tables another role created) is
// told what it needs.
func (s *Store) identityFail(what string, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42501" { // insufficient_privilege
		return s.fail(fmt.Sprintf("open: %s table %s.store_identity: this role lacks the privilege (the store's role needs CREATE on the schema once, to create the table, then SELECT, INSERT on it; or start once with the role that created the schema)", what, s.schema), err)
	}
	return s.fail("open: "+what+" store identity", err)
}

// applyPending creates the schema if needed and applies the migrations
// pending, inside Open's transaction.
func (s *Store) applyPending(ctx context.Context, tx pgx.Tx, pending []migration) error {
	stmts := []string{
		`CREATE SCHEMA IF NOT EXISTS ` + pgx.Identifier{s.schema}.Sanitize(),
		`CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
	}
	for _, q := range stmts {
		if _, err := tx.Exec(ctx, q); err != nil {
			return s.fail("open: create schema", err)
		}
	}
	for _, m := range pending {
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("pgstore: open: migration %s: %w", m.name, s.fail("migrate", err))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
			return s.fail("open: record migration", err)
		}
	}
	return nil
}

// recordVersion records the lazy schema version v (migration file name),
// inside tx, unless it is recorded already: a write that older builds would
// misread makes them refuse the database (storage.ErrSchemaTooNew at Open)
// instead. Concurrent first writes do not conflict: the second waits for
// the first's row and, once that commits, inserts nothing.
func (s *Store) recordVersion(ctx context.Context, tx pgx.Tx, op string, v int, name string) error {
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2) ON CONFLICT (version) DO NOTHING`, v, name); err != nil {
		return s.fail(op+": record schema version "+strconv.Itoa(v), err)
	}
	return nil
}

// applyFirstUse applies the first-use migration m (see firstUseMark) and
// records its version, unless it is recorded already, in a transaction of
// its own under the migration lock: processes calling it at once apply it
// once, and a process opening the database meanwhile waits.
func (s *Store) applyFirstUse(ctx context.Context, op string, m *migration) error {
	return s.inTx(ctx, op, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('dialgate.migrate.' || $1))`, s.schema); err != nil {
			return s.fail(op+": lock", err)
		}
		var done bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.version).Scan(&done); err != nil {
			return s.fail(op+": schema_migrations", err)
		}
		if done {
			return nil
		}
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("pgstore: %s: migration %s: %w", op, m.name, s.fail("migrate", err))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
			return s.fail(op+": record schema version "+strconv.Itoa(m.version), err)
		}
		return nil
	})
}

// Close stops the change feed and closes the pool. It is idempotent.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.feedCancel()
	<-s.feedDone
	s.pool.Close()
	return nil
}

// Ping reports whether the database answers and still holds the store this
// process opened (for health probes): a schema dropped or re-created since
// fails it with ErrStoreChanged (storage.ErrUnavailable).
func (s *Store) Ping(ctx context.Context) error {
	if s.closed.Load() {
		return fmt.Errorf("pgstore: ping: %w", storage.ErrClosed)
	}
	if _, err := s.pool.Exec(ctx, identityCheck(s.identity)); err != nil {
		if identityErr(err) {
			return s.lostIdentity("ping", err)
		}
		return s.fail("ping", err)
	}
	s.identityLost.Store(false)
	return nil
}

// Pool returns the connection pool (for benchmarks and health checks). Do not
// close it; use Close.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

func (s *Store) check(op string) error {
	if s.closed.Load() {
		return fmt.Errorf("pgstore: %s: %w", op, storage.ErrClosed)
	}
	if s.identityLost.Load() {
		return fmt.Errorf("pgstore: %s: schema %s: %w", op, s.schema, ErrStoreChanged)
	}
	return nil
}

// fail wraps a driver error: storage.ErrClosed after Close, ErrStoreChanged
// when an identity check failed, else storage.ErrUnavailable (connection
// failure, timeout, or a server error the store cannot interpret).
func (s *Store) fail(op string, err error) error {
	if s.closed.Load() {
		return fmt.Errorf("pgstore: %s: %w", op, storage.ErrClosed)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "22012" {
		// division_by_zero: only an identity check (identityCond) raises it.
		return s.lostIdentity(op, err)
	}
	return fmt.Errorf("pgstore: %s: %w: %w", op, storage.ErrUnavailable, err)
}

// rollbackTimeout bounds a rollback (rollback).
const rollbackTimeout = time.Second

// rollback rolls tx back, if it is still open, on a context that outlives
// ctx's cancellation (a transaction whose caller gave up is still ended)
// but not rollbackTimeout: on a connection that stalled (packets dropped)
// the answer never comes, and the call would hang, holding its pool
// connection, until the kernel gave the connection up. A rollback that
// times out closes the connection; the server ends the session's
// transaction itself (idle_in_transaction_session_timeout, sessionSettings).
func rollback(ctx context.Context, tx pgx.Tx) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	_ = tx.Rollback(rctx)
}

// inTx runs fn in a transaction and commits it; an error from fn rolls back
// and is returned as is, a driver error is wrapped by fail.
//
// A COMMIT sent whose reply does not come back (the connection dropped, or
// ctx ended, on the way) may have been applied: inTx then asks the server,
// on another connection, whether the transaction committed (txid_status of
// its id, read before the COMMIT) and returns nil when it did — the write
// is in force, and reporting it failed ("not applied" to an AdminService
// client and in the audit log) left an opt-out removed or a consent
// revoked that the log says was not, and the client's retry recorded as
// changing nothing. When the server cannot tell in time, the error wraps
// ErrCommitUnknown.
func (s *Store) inTx(ctx context.Context, op string, fn func(tx pgx.Tx) error) error {
	return s.runTx(ctx, op, true, fn)
}

// inTxOnce is inTx without asking the server about a COMMIT whose reply was
// lost (one round trip less): for writes that are idempotent, and whose
// callers treat any error as "perhaps done" (a reservation is released on
// error, an expiry runs again).
func (s *Store) inTxOnce(ctx context.Context, op string, fn func(tx pgx.Tx) error) error {
	return s.runTx(ctx, op, false, fn)
}

// ErrCommitUnknown is wrapped by the error of a write whose COMMIT was sent
// but whose reply was lost, when the server could not tell in time whether
// the transaction committed: the write may be in force. It wraps
// storage.ErrMaybeApplied (and so storage.ErrUnavailable).
var ErrCommitUnknown = fmt.Errorf("the COMMIT was sent but its reply was lost, and whether it committed could not be told: %w", storage.ErrMaybeApplied)

// commitStatusTimeout bounds how long inTx asks the server about a COMMIT
// whose reply was lost.
const commitStatusTimeout = 2 * time.Second

// commitStatus asks the server, on a context detached from ctx's
// cancellation, whether transaction xid committed: "committed", "aborted",
// or an error wrapping ErrCommitUnknown. A transaction still in progress
// (its backend has not yet noticed the connection closed) is asked about
// again until it ends or commitStatusTimeout passes.
func (s *Store) commitStatus(ctx context.Context, op string, xid int64) (string, error) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitStatusTimeout)
	defer cancel()
	for {
		var st *string
		err := s.pool.QueryRow(cctx, `SELECT txid_status($1)`, xid).Scan(&st)
		switch {
		case err != nil:
			return "", fmt.Errorf("pgstore: %s: commit: %w (%w)", op, ErrCommitUnknown, err)
		case st == nil:
			return "", fmt.Errorf("pgstore: %s: commit: %w (txid_status of %d: null)", op, ErrCommitUnknown, xid)
		case *st == "committed", *st == "aborted":
			return *st, nil
		}
		select {
		case <-cctx.Done():
			return "", fmt.Errorf("pgstore: %s: commit: %w (transaction %d still %s)", op, ErrCommitUnknown, xid, *st)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// runTx is inTx, asking the server about a COMMIT whose reply was lost
// when resolve is set.
func (s *Store) runTx(ctx context.Context, op string, resolve bool, fn func(tx pgx.Tx) error) error {
	if err := s.check(op); err != nil {
		return err
	}
	// READ COMMITTED, whatever the server's default: the counters lock a
	// key's row and then count what is committed, which under REPEATABLE
	// READ (a database, role or pooler default) would read the snapshot
	// taken before the lock wait — two dials could both take a cap's last
	// slot.
	//
	// The store's identity is checked in the same round trip (beginQuery):
	// a schema dropped or re-created under the process fails the
	// transaction (ErrStoreChanged) instead of writing to, or counting in,
	// an empty store.
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted, BeginQuery: s.beginQuery})
	if err != nil {
		if identityErr(err) {
			return s.lostIdentity(op, err)
		}
		return s.fail(op, err)
	}
	defer rollback(ctx, tx)
	if err := fn(tx); err != nil {
		return err
	}
	xid := int64(-1)
	if resolve {
		// The transaction's id, for commitStatus: a read-only transaction
		// gets one here (it then commits nothing either way).
		if err := tx.QueryRow(ctx, `SELECT txid_current()`).Scan(&xid); err != nil {
			return s.fail(op+": transaction id", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		// The server answered (it rolled back), or nothing was sent. A
		// FATAL or PANIC error is no such answer: the backend ended, perhaps
		// after the commit (terminated while waiting for a synchronous
		// standby: "the transaction has already committed locally").
		var pe *pgconn.PgError
		answered := errors.As(err, &pe) && pe.Severity != "FATAL" && pe.Severity != "PANIC"
		if xid < 0 || answered || pgconn.SafeToRetry(err) {
			return s.fail(op+": commit", err)
		}
		st, serr := s.commitStatus(ctx, op, xid)
		switch {
		case serr != nil:
			return errors.Join(serr, err)
		case st == "committed":
			return nil
		}
		return s.fail(op+": commit (rolled back)", err)
	}
	return nil
}

// Instants a Unix-nanosecond int64 holds (about 1678–2262).
var (
	minNanos = time.Unix(0, math.MinInt64)
	maxNanos = time.Unix(0, math.MaxInt64)
)

// boundNanos is t.UnixNano() for a query bound, saturated to the int64 range:
// outside it UnixNano wraps around, and a list "to the year 3000" would
// compare with an instant in 1977 and leave rows out.
func boundNanos(t time.Time) int64 {
	switch {
	case t.Before(minNanos):
		return math.MinInt64
	case t.After(maxNanos):
		return math.MaxInt64
	}
	return t.UnixNano()
}
