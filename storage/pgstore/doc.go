// Package pgstore is dialgate's shared store on PostgreSQL
// (github.com/jackc/pgx/v5, pgxpool): one [Store] type implementing
// consent.Store, dnc.Store, callerid.Store (the caller-ID ledger),
// recording.Store, complaint.Store, storage.Counters and storage.Runs (the
// sweep.sequential run state), for fleets of sidecars that share records an
// auditor will ask for.
//
// # Schema
//
// The schema lives in SQL files embedded in the binary (migrations/NNNN_*.sql)
// and is applied by [Open] in one transaction, under an advisory lock so that
// several processes starting at once apply it once. The table
// schema_migrations records every applied version. A database whose newest
// version is above what this build knows is refused with an error wrapping
// storage.ErrSchemaTooNew, and nothing is written to it. Every table lives in
// Options.Schema (default "dialgate"), which Open creates if needed (unless
// Options.RequireSchema: see Store identity).
//
// Some versions mark data rather than change tables: their file's first line
// is "-- +dialgate lazy" and holds comments only. Open does not apply them;
// the first write that stores such data records the version in
// schema_migrations in its own transaction (INSERT … ON CONFLICT DO NOTHING,
// so concurrent first writes from several processes all succeed and record
// it once). A database stays at the version its data needs: a build that
// knows only the versions before can open it, and roll back to, until such
// data exists, and refuses it (storage.ErrSchemaTooNew) from then on.
//
// Version 2 (0002_consent_tenants.sql) is such a marker: consent records
// may name a tenant (consent.Record.Tenant). A version 1 build ignores the
// record's "tenant" key, so its consent check would let every tenant's dials
// rely on the record (a wrong allow) and its revocation would write the
// record back without it. AddConsent and RevokeConsent of a record that names
// a tenant record version 2. The check is made at Open: a process of a
// version 1 build already running when the first such record is written
// keeps running, so upgrade every process that shares the database first.
//
// Version 3 (0003_sweep_runs.sql) creates the run tables of storage.Runs.
// It is a first-use version: its file's first line is "-- +dialgate first
// use", Open does not apply it, and the first storage.Runs call of any
// process applies it (its statements are idempotent) and records it, in a
// transaction of its own under the same advisory lock as Open. A database
// whose fleet keeps its runs in Redis never gets it and stays open to
// version 2 builds; once runs are shared here, a version 2 build — which
// would keep the runs of its dials in its own memory, unseen by the fleet
// and unseeing — refuses it.
//
// Versions 4 (0004_counter_expiry.sql) and 5 (0005_run_expiry.sql) are
// first-use versions too: they give each counter entry and each run record
// the instant it stops counting (expires_ns), which the expiry needs. The
// first counter call that writes (Reserve, ExpireCounters,
// ExtendCounterExpiry) applies version 4, and the first storage.Runs call
// applies version 5 after version 3. A build before them, which would write
// rows that never expire, then refuses the database.
//
// # Store identity
//
// The first Open on a schema writes a random id (32 hex digits) in the one
// row of the table store_identity; an Open of a schema without it (created
// by an earlier build) adds it. It is not a schema version: earlier builds
// ignore the table. A running Store checks that the schema still holds the
// id in round trips it already makes: every transaction's BEGIN (cap
// reservations, every write), the reads a decision or a Bloom filter
// rebuild makes outside a transaction (DNCEntries, ScanDNC,
// ConsentsByNumber, ConsentRevision, ConsentRevisionStamp, LedgerVersion,
// RunLength, Usage: in the same query), the DNC change feed's heartbeat (at least once per
// Options.Heartbeat) and its going live, and Ping. When the id is gone or
// changed — the schema dropped, or re-created by another process, or the
// server failed over to one without the data — every call fails with
// ErrStoreChanged (storage.ErrUnavailable) and the feed stays down, so
// that nothing is decided from, or written to, a store that lost its
// opt-outs, consents and counters; a heartbeat or Ping that finds the id
// again (the store restored with its row) ends it. Open creates a missing
// schema, an empty store, unless Options.RequireSchema is set: it then
// refuses it with ErrNoSchema. A table emptied in place keeps the id.
//
// # Transactions
//
// Every write that touches several rows or tables is one transaction: a consent
// record with its event and the revision; a recording's deletion with its
// tombstone; a batch of DNC entries or ledger entries with the ledger version;
// a counter reservation across all its keys. Read-modify-write calls
// (RevokeConsent, UpdateRecording, UpdateComplaint, a counter reservation)
// lock the rows they change (SELECT … FOR UPDATE).
//
// A DNC, consent, ledger, complaint or recording write whose COMMIT was sent
// but whose reply was lost (the connection dropped on the way back, or the
// backend ended with a FATAL error, perhaps after committing) asks the
// server, on another connection, whether its transaction committed
// (txid_status of the id it read before the COMMIT): it returns nil when it
// did, and an error wrapping ErrCommitUnknown (storage.ErrMaybeApplied) when
// the server cannot tell within 2 s — never "not applied" for a write in
// force. Counter reservations and run records skip that round trip: their
// callers release them on any error.
//
// # Counters
//
// A reservation locks one row per counter key (in key order, so concurrent
// reservations cannot deadlock), reads the entries in the window, and inserts
// its own only if no limit would be exceeded, all in one transaction. The
// row of a check-only key (storage.Limit.CheckOnly) is locked and its
// entries read like any other, so nothing can be recorded under it between
// the check and the commit, but no entry is inserted under it. It is
// correct across processes but costs several round trips and a commit (an
// fsync) per reservation: use storage/redisstore for counters in a busy
// fleet, and this for consent, the ledger, recordings and complaints.
//
// Each entry stores when it stops counting: its instant plus the longest
// window of its key in the reservation (a reservation also gives that end
// to its keys' entries written without one, by a build before version 4).
// [Store.ExpireCounters] (storage.CounterExpirer) deletes the entries whose
// end has passed, and the rows of keys left without entries; see it for
// why a racing reservation loses nothing. [Store.ExtendCounterExpiry]
// pushes back the end of the entries of keys with a given suffix, for a
// lengthened window carried by package schedule's counter history; a
// reservation prunes only entries whose end has passed too, so one by a
// process still counting the key with the shorter window (a rolling
// change) leaves them for ExpireCounters.
//
// # Runs
//
// storage.Runs keeps one row per run key (run_keys: the closing) and one per
// record (run_values: id, key, value, instant). RecordRun locks the key's
// row (SELECT … FOR UPDATE), so records under one key from any process are
// decided one after the other; it prunes the key's records that left the
// window, walks the run from the dialled value (reading the values within
// MinRun×(MaxGap+1) of the last one found, until a gap; with MaxStep, it
// reads the key's counted values in one query instead and measures the run
// on them with seqrun.RunLength, as the in-memory store does), and inserts its row or
// closes the key, in one transaction. RunLength reads without a lock
// and closes the key with one UPDATE when it finds a run. Each record stores
// when it stops counting (its instant plus the window); [Store.ExpireRuns]
// deletes the records whose end has passed and the rows of keys left
// without records and without a closing in force, so the state of segments
// nobody dials any more does not stay for ever.
//
// # Change notification
//
// DNC writes NOTIFY the channel "<schema>_dnc" with the changed number in
// the same transaction (delivered on commit). The Store keeps one LISTEN
// connection and passes notifications to the watchers registered through
// WatchDNC (dnc.ChangeFeed), as storage/redisstore does; a lost connection
// marks the feed lost, so dnc.Lists stops trusting its Bloom filter until the
// feed is back and the filter rebuilt. Before it trusts its filter or cache a
// lookup calls SyncDNC (dnc.FeedSyncer): the Store sends a notification on
// the LISTEN connection's probe channel from a pooled connection and waits
// for it to arrive; PostgreSQL delivers notifications in commit order, so
// every opt-out another process acknowledged before the lookup started has
// reached the filter by then. Up to four probes are out at once, and the
// lookups made while four are out share the next; a probe
// that cannot come back (the feed lost, later than four heartbeats and a
// second, the context done) makes the lookup read the database. The
// connection's heartbeat is a
// notification it sends itself on a channel of its own
// ("dialgate_probe_<random>"), sent after each quiet Options.Heartbeat and
// before the feed first goes live: a connection that answers queries but
// receives no notifications — through a pooler that does not keep a
// session's LISTEN, as PgBouncer in transaction pooling — is a lost feed,
// never a live one. Point the store at PostgreSQL or a session-pooling
// pooler; a transaction-pooling one keeps the feed lost, and every DNC
// lookup then reads the database.
//
// # Durability and failure
//
// A write returns after its transaction committed, and the commit is in the
// fsynced WAL: the store's sessions run with synchronous_commit on when the
// server, database, role or URL default is off (a stronger setting is kept;
// set synchronous_standby_names for a commit that also waits for a standby).
// Every session must be able to write: one that cannot (a hot standby's, or
// one of a server, database or role made read-only) is refused when it is
// made, whatever target_session_attrs the URL gives, because a standby's
// reads may lag behind a revocation or an opt-out acknowledged on the
// primary. A URL naming several hosts (postgres://a,b/db) so reaches only a
// writable one, and a store that finds none fails (storage.ErrUnavailable).
// Every call is bounded by its context. A new connection is made in the
// pool's background and bounded by the URL's connect_timeout, or by
// DefaultConnectTimeout (3 s) when the URL gives none: after a database that
// stalled answers again, decisions resume within that time. The sessions
// run with idle_in_transaction_session_timeout DefaultIdleInTransactionTimeout
// (5 s) unless the server, database, role or URL sets one: a transaction
// whose connection stalls between its statements would otherwise hold its
// locks (a reservation's key rows, which every sidecar's reservations of
// the same keys wait for) until the server's keepalive gave up. A connection
// failure or timeout returns an error wrapping storage.ErrUnavailable, which
// the checks turn into "<check>.unavailable" — a deny.
//
// A Store is safe for concurrent use by many goroutines and many processes.
package pgstore
