package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage/internal/feedhub"
)

var _ dnc.ChangeFeed = (*Store)(nil)

func (s *Store) dncChannel() string { return s.schema + "_dnc" }

// WatchDNC implements dnc.ChangeFeed: w hears about every DNC change committed
// through any Store on the same schema. dnc.NewLists calls it.
func (s *Store) WatchDNC(w dnc.ChangeWatcher) (cancel func()) { return s.hub.Watch(w) }

var _ dnc.FeedSyncer = (*Store)(nil)

// SyncDNC implements dnc.FeedSyncer: it sends a notification on the feed
// connection's own channel, from a connection of the pool (as every
// writer's notification is sent), and returns once the feed connection has
// received it. PostgreSQL delivers notifications in the order their
// transactions committed, so every change acknowledged before the call was
// relayed to the watchers by then. Up to four probes are out at once; the
// calls made while four are out share the next (feedhub.Hub.Sync). It fails
// while the feed is lost, and when the probe is not back within four
// heartbeats and a second (the feed is then lost too, or about to be).
func (s *Store) SyncDNC(ctx context.Context) error {
	if err := s.check("SyncDNC"); err != nil {
		return err
	}
	if err := s.hub.Sync(ctx, 4*s.opts.Heartbeat+time.Second, s.notifyProbe); err != nil {
		return fmt.Errorf("pgstore: SyncDNC: %w", err)
	}
	return nil
}

// notifyProbe sends token on the live feed connection's probe channel.
func (s *Store) notifyProbe(ctx context.Context, token string) error {
	ch := s.probeCh.Load()
	if ch == nil {
		return feedhub.ErrSyncLost
	}
	_, err := s.pool.Exec(ctx, "SELECT pg_notify($1, $2)", *ch, token)
	return err
}

// FeedLive reports whether the DNC change feed (LISTEN) is live.
func (s *Store) FeedLive() bool { return s.hub.Live() }

func (s *Store) runFeed(ctx context.Context) {
	defer close(s.feedDone)
	s.hub.Run(ctx, s.listenOnce)
}

// listenOnce opens a dedicated connection, LISTENs, proves that
// notifications reach it, resynchronises the watchers and relays
// notifications until the connection fails or a heartbeat does not come
// back in time. It reports whether it went live.
//
// The heartbeat is a notification the connection sends itself, on a channel
// of its own (so that other processes, older builds included, never see it),
// rather than a query: a connection pooler that does not keep a session's
// LISTEN (PgBouncer in transaction pooling) answers every query while no
// notification arrives, and a feed taken for live then would let another
// process's opt-out go unseen by the Bloom filter for as long as it ran.
func (s *Store) listenOnce(ctx context.Context) bool {
	hb := s.opts.Heartbeat
	cfg := s.pool.Config().ConnConfig.Copy()
	// A wait that times out must leave the connection usable: set a deadline
	// instead of sending a cancel request.
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.DeadlineContextWatcherHandler{Conn: c.Conn()}
	}
	sctx, cancel := context.WithTimeout(ctx, 4*hb+time.Second)
	conn, err := pgx.ConnectConfig(sctx, cfg)
	if err != nil {
		cancel()
		return false
	}
	defer conn.Close(context.Background())
	p := &prober{conn: conn, probed: s.hub.Probed, identity: s.identity}
	err = p.init()
	if err == nil {
		// The feed goes live, and its watchers resynchronise from the
		// store, only on the store this process opened: a schema
		// re-created under it would give them an empty one.
		err = s.feedIdentity(sctx, conn)
	}
	if err == nil {
		_, err = conn.Exec(sctx, "LISTEN "+pgx.Identifier{s.dncChannel()}.Sanitize()+"; LISTEN "+pgx.Identifier{p.channel}.Sanitize())
	}
	if err == nil {
		// Changes notified before the watchers resynchronise are in the
		// store their rebuild scans: the probe need not relay them.
		err = p.probe(sctx, nil)
	}
	if err == nil {
		// SyncDNC's probes go to this connection from now on; those sent
		// to an earlier one fail when it is lost (SetLost).
		s.probeCh.Store(&p.channel)
		err = s.hub.SetLive(sctx)
	}
	cancel()
	if err != nil {
		return false
	}
	lastProbe := time.Now()
	for ctx.Err() == nil {
		if h := s.feedHook.Swap(nil); h != nil {
			(*h)(ctx, conn)
		}
		wctx, cancel := context.WithTimeout(ctx, hb)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) && !pgconn.Timeout(err) {
				return true
			}
			// Quiet for a heartbeat: make sure notifications still arrive.
		} else {
			if n.Channel == p.channel {
				// A SyncDNC probe (every notification committed before it
				// has been relayed), or a late heartbeat.
				s.hub.Probed(n.Payload)
			} else if err := s.relay(n.Payload); err != nil {
				return true
			}
			if time.Since(lastProbe) < hb {
				continue
			}
			// Busy for a heartbeat: the probe checks the store's
			// identity too, so it runs at least that often.
		}
		lastProbe = time.Now()
		pctx, cancel := context.WithTimeout(ctx, hb)
		err = p.probe(pctx, s.relay)
		cancel()
		if err != nil {
			if identityErr(err) {
				s.identityLost.Store(true)
			}
			return true
		}
		s.identityLost.Store(false)
	}
	return true
}

// feedIdentity checks the store's identity on the feed's connection c: it
// sets s.identityLost when it is gone or changed (and fails), clears it
// when it is found.
func (s *Store) feedIdentity(ctx context.Context, c *pgx.Conn) error {
	if _, err := c.Exec(ctx, identityCheck(s.identity)); err != nil {
		if identityErr(err) {
			s.identityLost.Store(true)
		}
		return err
	}
	s.identityLost.Store(false)
	return nil
}

// relay tells the watchers about the change a DNC notification's payload
// names. A payload that does not parse is a change this process cannot
// apply: the error makes the feed lost (every watcher resynchronises) rather
// than the change dropped.
func (s *Store) relay(payload string) error {
	v, err := strconv.ParseUint(payload, 10, 64)
	if err != nil {
		return err
	}
	num, err := dialgate.NumberFromUint64(v)
	if err != nil {
		return err
	}
	s.hub.Notify(num)
	return nil
}

// prober sends the feed connection notifications on a channel of its own
// and waits for them to come back.
type prober struct {
	conn    *pgx.Conn
	channel string // dialgate_probe_ and 16 random hex digits
	seq     uint64
	probed  func(token string) // SyncDNC's probes that come back meanwhile
	// identity is the store's identity: a probe fails (identityErr) when
	// store_identity no longer holds it.
	identity string
}

func (p *prober) init() error {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	p.channel = "dialgate_probe_" + hex.EncodeToString(b[:])
	return nil
}

// probe notifies the probe channel and waits until that notification
// arrives or ctx ends; DNC notifications that arrive meanwhile go to relay
// (dropped when relay is nil).
func (p *prober) probe(ctx context.Context, relay func(string) error) error {
	p.seq++
	want := strconv.FormatUint(p.seq, 10)
	if _, err := p.conn.Exec(ctx, "SELECT pg_notify($1, $2) FROM (SELECT 1/count(*) FROM store_identity WHERE id = $3) AS identity", p.channel, want, p.identity); err != nil {
		return err
	}
	for {
		n, err := p.conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		switch {
		case n.Channel == p.channel:
			if n.Payload == want {
				return nil
			}
			p.probed(n.Payload)
		case relay != nil:
			if err := relay(n.Payload); err != nil {
				return err
			}
		}
	}
}
