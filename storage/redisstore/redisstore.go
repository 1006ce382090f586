package redisstore

import (
	"context"
	"fmt"
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
	// context); fewer is an error wrapping storage.ErrUnavailable.
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

	reserves, usages *batcher // nil when Options.MaxCounterBatch turns batching off
}

// Open connects to the Redis server named by url (redis://[user:pass@]host:port/db,
// rediss:// for TLS, unix://path), checks its configuration and starts the
// change-feed subscription. It waits, bounded by ctx, for the subscription to
// go live once; when it cannot, Open still succeeds and the feed keeps
// retrying (until then, DNC lookups read Redis every time).
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	ro, err := redis.ParseURL(url)
	if err != nil {
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

// wait applies Options.WaitReplicas after a write that must not be lost.
func (s *Store) wait(ctx context.Context, op string) error {
	if s.opts.WaitReplicas == 0 {
		return nil
	}
	n, err := s.rdb.Wait(ctx, s.opts.WaitReplicas, s.opts.WaitTimeout).Result()
	if err != nil {
		return s.fail(op, err)
	}
	if int(n) < s.opts.WaitReplicas {
		return fmt.Errorf("redisstore: %s: written but only %d of %d replicas acknowledged: %w", op, n, s.opts.WaitReplicas, storage.ErrUnavailable)
	}
	return nil
}
