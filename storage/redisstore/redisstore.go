package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	neturl "net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/internal/feedhub"
)

// Defaults of the Options fields whose zero value means "the default".
const (
	DefaultPrefix            = "dialgate"
	DefaultHeartbeat         = 250 * time.Millisecond
	DefaultKeyTTLSlack       = 24 * time.Hour
	DefaultConsentEventsKept = 100_000
	DefaultMaxCounterBatch   = 64
)

// SchemaVersion is the newest version of the store's keys this build reads.
// The key "{prefix}:schema" holds a store's version as a decimal; a store
// without it is version 1, the keys as builds from before the key wrote
// them. Version 2: consent records may name a tenant
// (consent.Record.Tenant). Open refuses a store of a newer version
// (storage.ErrSchemaTooNew); the first consent write whose record names a
// tenant raises the version to 2 in the same script, so until then a build
// that reads only version 1 can still open the store (see the package doc,
// Schema). Version 3: the store holds sequential-run state (storage.Runs),
// raised by the first RecordRun.
const SchemaVersion = 3

// schemaTenantConsents is the first schema version whose consent records
// may name a tenant.
const schemaTenantConsents = 2

// schemaSweepRuns is the first schema version whose store holds
// sequential-run state (storage.Runs).
const schemaSweepRuns = 3

// schemaVersionRE is the form of a stored schema version.
var schemaVersionRE = regexp.MustCompile(`^[1-9][0-9]{0,8}$`)

// maxBatchLimits bounds the limits one batched script call carries in all (a
// single larger request still goes, alone).
const maxBatchLimits = 1024

// Options configures a Store. The zero Options is valid and means every
// default.
type Options struct {
	// Prefix namespaces every key and channel as "{Prefix}:…" (default
	// DefaultPrefix). Processes that share state must use the same prefix.
	Prefix string
	// Heartbeat is how often the change-feed subscription is pinged (default
	// 250 ms). An unanswered ping for one more Heartbeat marks the feed lost.
	Heartbeat time.Duration
	// KeyTTLSlack is added to a counter key's longest window to set its
	// expiry (default 24 h). Negative turns expiry off.
	KeyTTLSlack time.Duration
	// ConsentEventsKept is how many consent events are kept for
	// ConsentEventsSince (default 100,000); older ones are trimmed and a
	// reader that is further behind empties its cache.
	ConsentEventsKept int
	// RequireAOF makes Open fail unless the server runs with appendonly yes
	// and appendfsync always or everysec (CONFIG GET; servers that forbid
	// CONFIG fail too).
	RequireAOF bool
	// RequireEpoch makes Open refuse a store without the epoch key
	// ("{prefix}:epoch", see the package doc, Epoch) with ErrNoEpoch,
	// instead of setting it: a store that lost its data (a Redis restart
	// without persistence) is then refused by a process started after the
	// loss too, not taken for a new store. The first Open of a new store
	// must be made without it.
	RequireEpoch bool
	// SkipConfigCheck skips Open's check that maxmemory-policy is noeviction
	// (for managed servers that forbid CONFIG; check it yourself).
	SkipConfigCheck bool
	// WaitReplicas, when positive, makes every DNC and consent write wait
	// until that many replicas acknowledged it (WAIT, bounded by the
	// context); fewer is an error wrapping storage.ErrUnavailable. A
	// RevokeConsent of a record already revoked (the retry of one whose
	// WAIT failed) waits too, for the replicas to have the revocation.
	WaitReplicas int
	// WaitTimeout bounds WAIT (default 1 s).
	WaitTimeout time.Duration
	// MaxCounterBatch is the most Reserve (or Usage) requests one script
	// call carries (default DefaultMaxCounterBatch). Concurrent Reserves on
	// a Store are group-committed: while two script calls are in flight the
	// next Reserves queue, and when one returns the next call takes all of
	// them, applying them in order; a Reserve that finds fewer calls in
	// flight is sent at once (no timer). Usage calls are batched the same
	// way, in calls of their own. 1 or negative turns this off: every
	// request then makes its own script call, concurrently with the others.
	MaxCounterBatch int
}

// Store is the Redis-backed store. Create it with Open; the zero Store is not
// usable. It is safe for concurrent use. After Close every method returns an
// error wrapping storage.ErrClosed.
type Store struct {
	rdb    *redis.Client
	opts   Options
	pfx    string // "{prefix}:"
	closed atomic.Bool

	feedCtx    context.Context
	feedCancel context.CancelFunc
	feedDone   chan struct{}

	// epoch is the value of the store's epoch key ("{prefix}:epoch") this
	// Store found or set at Open; every command is followed by a read of
	// the key, and a key that is missing or holds another value fails the
	// command (see errEmptied).
	epoch string

	hub *feedhub.Hub // the DNC change feed's watchers
	// probeCh is the channel of the feed's live subscription that only it
	// listens to (SyncDNC's probes); nil before the first one.
	probeCh atomic.Pointer[string]

	// feedHook, when a test sets it, runs once on the feed's subscription,
	// in the feed's goroutine, before its next wait.
	feedHook atomic.Pointer[func(context.Context, *redis.PubSub)]

	reserves, usages *batcher // nil when Options.MaxCounterBatch turns batching off
}

// Open connects to the Redis server named by url (redis://[user:pass@]host:port/db,
// rediss:// for TLS, unix://path), checks its configuration and starts the
// change-feed subscription. It waits, bounded by ctx, for the subscription to
// go live once; when it cannot, Open still succeeds and the feed keeps
// retrying (until then, DNC lookups read Redis every time).
//
// Open refuses a store whose schema version (the key "{prefix}:schema") is
// newer than SchemaVersion with an error wrapping storage.ErrSchemaTooNew,
// and one whose version is not a positive decimal integer with
// storage.ErrCorrupt; it writes nothing to either.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	return open(ctx, url, opts, SchemaVersion)
}

// open is Open for a build that reads schema versions up to maxSchema.
func open(ctx context.Context, url string, opts Options, maxSchema int) (*Store, error) {
	ro, err := redis.ParseURL(url)
	if err != nil {
		// net/url's error quotes the whole URL, its password included: keep
		// only what it says is wrong.
		if ue := (*neturl.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("redisstore: open: url: %w: %w", err, storage.ErrInvalid)
	}
	ro.ContextTimeoutEnabled = true
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if strings.ContainsAny(opts.Prefix, "{}") {
		return nil, fmt.Errorf("redisstore: open: prefix %q: must not contain braces: %w", opts.Prefix, storage.ErrInvalid)
	}
	if opts.Heartbeat < 0 || opts.ConsentEventsKept < 0 || opts.WaitReplicas < 0 || opts.WaitTimeout < 0 {
		return nil, fmt.Errorf("redisstore: open: options: negative Heartbeat, ConsentEventsKept, WaitReplicas or WaitTimeout: %w", storage.ErrInvalid)
	}
	if opts.Heartbeat == 0 {
		opts.Heartbeat = DefaultHeartbeat
	}
	if opts.KeyTTLSlack == 0 {
		opts.KeyTTLSlack = DefaultKeyTTLSlack
	}
	if opts.ConsentEventsKept == 0 {
		opts.ConsentEventsKept = DefaultConsentEventsKept
	}
	if opts.WaitTimeout == 0 {
		opts.WaitTimeout = time.Second
	}
	if opts.MaxCounterBatch == 0 {
		opts.MaxCounterBatch = DefaultMaxCounterBatch
	}
	rdb := redis.NewClient(ro)
	s := &Store{rdb: rdb, opts: opts, pfx: "{" + opts.Prefix + "}:", hub: feedhub.New()}
	if opts.MaxCounterBatch > 1 {
		newBatcher := func(op batchOp) *batcher {
			return &batcher{
				run:       func(ctx context.Context, q []*batchReq) { s.runBatch(ctx, op, q) },
				max:       opts.MaxCounterBatch,
				maxLimits: maxBatchLimits,
				depth:     batchesInFlight,
			}
		}
		s.reserves, s.usages = newBatcher(reserveOp), newBatcher(usageOp)
	}
	if err := s.checkConfig(ctx); err != nil {
		rdb.Close()
		return nil, err
	}
	if err := s.checkSchema(ctx, maxSchema); err != nil {
		rdb.Close()
		return nil, err
	}
	if err := s.openEpoch(ctx); err != nil {
		rdb.Close()
		return nil, err
	}
	s.feedCtx, s.feedCancel = context.WithCancel(context.Background())
	s.feedDone = make(chan struct{})
	go s.runFeed()
	select {
	case <-s.hub.FirstLive():
	case <-ctx.Done():
	}
	return s, nil
}

// ErrNotPersistent is wrapped by Open's error when Options.RequireAOF is set
// and the server does not persist every write (appendonly yes, appendfsync
// always or everysec). It wraps storage.ErrInvalid.
var ErrNotPersistent = fmt.Errorf("redis server does not persist every write: %w", storage.ErrInvalid)

func (s *Store) checkConfig(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return s.fail("open", err)
	}
	if err := s.checkRole(ctx); err != nil {
		return err
	}
	if s.opts.SkipConfigCheck && !s.opts.RequireAOF {
		return nil
	}
	get := func(name string) (string, error) {
		m, err := s.rdb.ConfigGet(ctx, name).Result()
		if err != nil {
			return "", fmt.Errorf("redisstore: open: CONFIG GET %s (set SkipConfigCheck for servers that forbid it): %w", name, s.fail("open", err))
		}
		return m[name], nil
	}
	if !s.opts.SkipConfigCheck {
		v, err := get("maxmemory-policy")
		if err != nil {
			return err
		}
		if v != "noeviction" {
			return fmt.Errorf("redisstore: open: server maxmemory-policy is %q: must be noeviction (an evicted counter would forget calls): %w", v, storage.ErrInvalid)
		}
	}
	if s.opts.RequireAOF {
		v, err := get("appendonly")
		if err != nil {
			return err
		}
		if v != "yes" {
			return fmt.Errorf("redisstore: open: server appendonly is %q, RequireAOF wants yes: %w", v, ErrNotPersistent)
		}
		// With appendfsync no the log is written but never fsynced: an
		// acknowledged opt-out can be lost with the host.
		if v, err = get("appendfsync"); err != nil {
			return err
		}
		if v != "always" && v != "everysec" {
			return fmt.Errorf("redisstore: open: server appendfsync is %q, RequireAOF wants always or everysec: %w", v, ErrNotPersistent)
		}
	}
	return nil
}

// checkRole refuses a server that is not a master (INFO replication, which
// servers that forbid CONFIG still answer): a replica's reads can lag behind
// writes its master acknowledged — a consent revoked or a number opted out
// through another process would still be allowed here — and its writes
// fail. A server whose INFO names no role is refused too.
func (s *Store) checkRole(ctx context.Context) error {
	info, err := s.rdb.Info(ctx, "replication").Result()
	if err != nil {
		return fmt.Errorf("redisstore: open: INFO replication: %w", s.fail("open", err))
	}
	role := ""
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), "role:"); ok {
			role = v
			break
		}
	}
	switch role {
	case "master":
		return nil
	case "":
		return fmt.Errorf("redisstore: open: the server's INFO replication names no role: cannot tell whether it is a replica: %w", storage.ErrInvalid)
	}
	return fmt.Errorf("redisstore: open: the server is a replica (role:%s): its reads can lag behind writes acknowledged on its master (a revoked consent or an opt-out made through another process could be missed); connect to the master: %w", role, storage.ErrInvalid)
}

// schemaKey is the key of the store's schema version.
func (s *Store) schemaKey() string { return s.pfx + "schema" }

// checkSchema accepts a store without a schema version (version 1) or with
// one no newer than max.
func (s *Store) checkSchema(ctx context.Context, max int) error {
	k := s.schemaKey()
	v, err := s.rdb.Get(ctx, k).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return nil // version 1
	case redis.HasErrorPrefix(err, "WRONGTYPE"):
		return fmt.Errorf("redisstore: open: key %s: not a string: %w", k, storage.ErrCorrupt)
	case err != nil:
		return s.fail("open: schema version", err)
	}
	n, err := parseSchemaVersion(v)
	if err != nil {
		return fmt.Errorf("redisstore: open: key %s: %w", k, err)
	}
	if n > max {
		return fmt.Errorf("redisstore: open: key %s: store has schema version %d, this build reads up to version %d; upgrade dialgate: %w", k, n, max, storage.ErrSchemaTooNew)
	}
	return nil
}

// parseSchemaVersion parses a stored schema version: a positive decimal
// integer without sign or leading zeros.
func parseSchemaVersion(v string) (int, error) {
	if !schemaVersionRE.MatchString(v) {
		return 0, fmt.Errorf("schema version %q is not a positive integer: %w", v, storage.ErrCorrupt)
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("schema version %q: %w: %v", v, storage.ErrCorrupt, err)
	}
	return n, nil
}

// epochKey is the key of the store's epoch.
func (s *Store) epochKey() string { return s.pfx + "epoch" }

// epochScript returns the epoch key's value, setting it to ARGV[2] first
// when the key is missing (unless ARGV[2] is empty: then nil).
var epochScript = redis.NewScript(`
local v = redis.call('GET', ARGV[1])
if v then return v end
if ARGV[2] == '' then return false end
redis.call('SET', ARGV[1], ARGV[2])
return ARGV[2]
`)

// ErrNoEpoch is wrapped by Open's error when Options.RequireEpoch is set
// and the store has no epoch key: it lost its data, or it is new (open it
// once without RequireEpoch). It wraps storage.ErrUnavailable.
var ErrNoEpoch = fmt.Errorf("the store has no epoch key: its server lost the data (restarted without persistence, flushed) or the store is new: %w", storage.ErrUnavailable)

// openEpoch reads the store's epoch key, setting it to a random value when
// it is missing (a new store, or one of a build from before the key) unless
// Options.RequireEpoch.
func (s *Store) openEpoch(ctx context.Context) error {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("redisstore: open: epoch: %w", err)
	}
	set := hex.EncodeToString(b[:])
	if s.opts.RequireEpoch {
		set = "" // the script sets nothing
	}
	v, err := epochScript.Run(ctx, s.rdb, nil, s.epochKey(), set).Text()
	switch {
	case errors.Is(err, redis.Nil) && s.opts.RequireEpoch:
		return fmt.Errorf("redisstore: open: key %s: %w", s.epochKey(), ErrNoEpoch)
	case redis.HasErrorPrefix(err, "WRONGTYPE"):
		return fmt.Errorf("redisstore: open: key %s: not a string: %w", s.epochKey(), storage.ErrCorrupt)
	case err != nil:
		return s.fail("open: epoch", err)
	case v == "":
		return fmt.Errorf("redisstore: open: key %s: empty: %w", s.epochKey(), storage.ErrCorrupt)
	}
	s.epoch = v
	return nil
}

// errEmptied is the error of a command after which the store's epoch key
// was missing or held another value than at Open: the server lost the
// store's data (a restart without persistence, a FLUSHDB, a failover to a
// replica that never had it) or another store replaced it. Counters would
// count from zero and opt-outs would be gone: every command fails, a deny
// (store.unavailable), until the data is restored with its epoch key, or
// the processes are restarted on purpose (see the package doc, Epoch).
var errEmptied = fmt.Errorf("the store's epoch key is missing or changed since Open: the server lost the store's data (restarted without persistence, flushed, or failed over to a server without it); restore it, or restart every process on purpose: %w", storage.ErrUnavailable)

// pipeliner is a client or a connection commands can be pipelined on.
type pipeliner interface {
	Pipeline() redis.Pipeliner
}

// epochErr returns the error of the epoch read ep, queued after a
// command: nil when the key holds the Store's epoch, errEmptied when it is
// missing or holds another value, the read's own error otherwise.
func (s *Store) epochErr(ep *redis.StringCmd) error {
	v, err := ep.Result()
	switch {
	case errors.Is(err, redis.Nil):
		return errEmptied
	case err != nil:
		return err
	case v != s.epoch:
		return errEmptied
	}
	return nil
}

// run runs sc on c like Script.Run, followed in the same pipeline by a read
// of the epoch key: when that read finds the key missing or changed, the
// returned command fails with errEmptied whatever the script answered (the
// state it ran on is not the store's).
func (s *Store) run(ctx context.Context, c pipeliner, sc *redis.Script, keys []string, args ...any) *redis.Cmd {
	cmd, ep := s.runOnce(ctx, c, sc, false, keys, args)
	if redis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") {
		cmd, ep = s.runOnce(ctx, c, sc, true, keys, args) // not run: send the script itself
	}
	if err := s.epochErr(ep); err != nil && (errors.Is(err, errEmptied) || cmd.Err() == nil) {
		failed := redis.NewCmd(ctx)
		failed.SetErr(err)
		return failed
	}
	return cmd
}

// runOnce sends sc (by its SHA1 unless eval) and then the epoch read in one
// pipeline on c.
func (s *Store) runOnce(ctx context.Context, c pipeliner, sc *redis.Script, eval bool, keys []string, args []any) (*redis.Cmd, *redis.StringCmd) {
	p := c.Pipeline()
	var cmd *redis.Cmd
	if eval {
		cmd = sc.Eval(ctx, p, keys, args...)
	} else {
		cmd = sc.EvalSha(ctx, p, keys, args...)
	}
	ep := p.Get(ctx, s.epochKey())
	_, _ = p.Exec(ctx)
	return cmd, ep
}

// read runs the commands f queues on c in one pipeline, followed by a read
// of the epoch key, and returns the epoch's error (see epochErr); the
// commands' own results and errors are in the commands f queued.
func (s *Store) read(ctx context.Context, c pipeliner, f func(p redis.Pipeliner)) error {
	p := c.Pipeline()
	f(p)
	ep := p.Get(ctx, s.epochKey())
	_, _ = p.Exec(ctx)
	return s.epochErr(ep)
}

// writeTokenTTL is how long a write script keeps the token of a write it
// applied (see writeToken): far longer than the client's own retries of
// one call (a few, with backoffs under a second, bounded by the call's
// context).
const writeTokenTTL = 5 * time.Minute

// writeToken returns a fresh token for one run of a write script whose
// answer depends on whether the write was applied before (a removal of an
// entry no longer there, a grant of an id taken). The client sends a
// command again on a new connection when its connection fails before the
// reply (go-redis retries): the script, applied the first time, would find
// its own write and answer "not listed" or "id exists". The script keeps
// "{p}:wt:<token>" for writeTokenTTL with the answer it gave, and answers
// a run with a token it kept with that answer again.
func writeToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// Close stops the change feed and closes the connections. It is idempotent.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.feedCancel()
	<-s.feedDone
	return s.rdb.Close()
}

// Ping reports whether the server answers (for health probes).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.check("ping"); err != nil {
		return err
	}
	var ping *redis.StatusCmd
	err := s.read(ctx, s.rdb, func(p redis.Pipeliner) { ping = p.Ping(ctx) })
	if perr := ping.Err(); perr != nil {
		return s.fail("ping", perr)
	}
	if err != nil {
		return s.fail("ping", err)
	}
	return nil
}

// FeedLive reports whether the change-feed subscription is live (for health
// probes and metrics).
func (s *Store) FeedLive() bool { return s.hub.Live() }

func (s *Store) check(op string) error {
	if s.closed.Load() {
		return fmt.Errorf("redisstore: %s: %w", op, storage.ErrClosed)
	}
	return nil
}

// fail wraps a client error: a context error or a connection failure wraps
// storage.ErrUnavailable (and the cause); a server error reply too, as the
// store cannot tell what happened.
func (s *Store) fail(op string, err error) error {
	if s.closed.Load() {
		return fmt.Errorf("redisstore: %s: %w", op, storage.ErrClosed)
	}
	return fmt.Errorf("redisstore: %s: %w: %w", op, storage.ErrUnavailable, err)
}

// failWrite wraps the error of a DNC or consent write script's call as fail
// does, and, when the server did not answer it (a connection that failed
// or a context that ended after the script was sent, go-redis's own
// retries included), with storage.ErrMaybeApplied: the script may have run
// and its write be in force, and "not applied" would have an opt-out
// removal or a grant taken for one that was not made. A server's error
// reply, a store emptied under the process (errEmptied) and a closed
// Store are as fail has them.
func (s *Store) failWrite(op string, err error) error {
	var rerr redis.Error
	if s.closed.Load() || errors.As(err, &rerr) || errors.Is(err, errEmptied) {
		return s.fail(op, err)
	}
	return fmt.Errorf("redisstore: %s: %w: %w", op, storage.ErrMaybeApplied, err)
}

// writeConn is what a DNC or consent write runs its script on, and then
// its WAIT (Options.WaitReplicas).
type writeConn interface {
	pipeliner
	Wait(ctx context.Context, numReplicas int, timeout time.Duration) *redis.IntCmd
}

// writer returns the connection a DNC or consent write runs on, and the
// function that gives it back. With Options.WaitReplicas it is one
// connection taken from the pool for the write and its WAIT: WAIT counts
// the replicas that acknowledged the writes made on its own connection, so
// a WAIT sent on another connection of the pool (one whose writes the
// replicas already had, or none) answered at once, and a write was reported
// replicated that no replica had: a failover then lost an acknowledged
// opt-out or revocation.
func (s *Store) writer() (writeConn, func()) {
	if s.opts.WaitReplicas == 0 {
		return s.rdb, func() {}
	}
	c := s.rdb.Conn()
	return c, func() { _ = c.Close() }
}

// wait applies Options.WaitReplicas after a write that must not be lost,
// on c, the connection the write ran on (see writer).
func (s *Store) wait(ctx context.Context, c writeConn, op string) error {
	if s.opts.WaitReplicas == 0 {
		return nil
	}
	// The write is in force on the server already: an error here is not
	// "not applied" (storage.ErrMaybeApplied: a failover may still lose it).
	n, err := c.Wait(ctx, s.opts.WaitReplicas, s.opts.WaitTimeout).Result()
	if err != nil {
		if s.closed.Load() {
			return s.fail(op, err)
		}
		return fmt.Errorf("redisstore: %s: written, but WAIT for replicas failed: %w: %w", op, storage.ErrMaybeApplied, err)
	}
	if int(n) < s.opts.WaitReplicas {
		return fmt.Errorf("redisstore: %s: written but only %d of %d replicas acknowledged: %w", op, n, s.opts.WaitReplicas, storage.ErrMaybeApplied)
	}
	return nil
}
