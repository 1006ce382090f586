package pgstore

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
)

var _ dnc.ChangeFeed = (*Store)(nil)

func (s *Store) dncChannel() string { return s.schema + "_dnc" }

// WatchDNC implements dnc.ChangeFeed: w hears about every DNC change committed
// through any Store on the same schema. dnc.NewLists calls it.
func (s *Store) WatchDNC(w dnc.ChangeWatcher) (cancel func()) { return s.hub.Watch(w) }

// FeedLive reports whether the DNC change feed (LISTEN) is live.
func (s *Store) FeedLive() bool { return s.hub.Live() }

func (s *Store) runFeed(ctx context.Context) {
	defer close(s.feedDone)
	s.hub.Run(ctx, s.listenOnce)
}

// listenOnce opens a dedicated connection, LISTENs, resynchronises the
// watchers and relays notifications until the connection fails or a
// heartbeat query does not answer in time. It reports whether it went live.
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
	_, err = conn.Exec(sctx, "LISTEN "+pgx.Identifier{s.dncChannel()}.Sanitize())
	if err == nil {
		err = s.hub.SetLive(sctx)
	}
	cancel()
	if err != nil {
		return false
	}
	for ctx.Err() == nil {
		wctx, cancel := context.WithTimeout(ctx, hb)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) && !pgconn.Timeout(err) {
				return true
			}
			// Quiet for a heartbeat: make sure the server still answers.
			pctx, cancel := context.WithTimeout(ctx, hb)
			_, err := conn.Exec(pctx, "SELECT 1")
			cancel()
			if err != nil {
				return true
			}
			continue
		}
		// A payload that does not parse is a change this process cannot
		// apply: treat the feed as lost (every watcher resynchronises)
		// rather than drop it.
		v, err := strconv.ParseUint(n.Payload, 10, 64)
		if err != nil {
			return true
		}
		num, err := dialgate.NumberFromUint64(v)
		if err != nil {
			return true
		}
		s.hub.Notify(num)
	}
	return true
}
