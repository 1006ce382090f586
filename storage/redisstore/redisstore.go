package redisstore

import (
	"context"
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
	if err := s.rdb.Ping(ctx).Err(); err != nil {
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

// writeConn is what a DNC or consent write runs its script on, and then
// its WAIT (Options.WaitReplicas).
type writeConn interface {
	redis.Scripter
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
	n, err := c.Wait(ctx, s.opts.WaitReplicas, s.opts.WaitTimeout).Result()
	if err != nil {
		return s.fail(op, err)
	}
	if int(n) < s.opts.WaitReplicas {
		return fmt.Errorf("redisstore: %s: written but only %d of %d replicas acknowledged: %w", op, n, s.opts.WaitReplicas, storage.ErrUnavailable)
	}
	return nil
}
