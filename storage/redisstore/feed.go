package redisstore

import (
	"context"
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
)

var _ dnc.ChangeFeed = (*Store)(nil)

func (s *Store) dncChannel() string { return s.pfx + "dnc" }

// WatchDNC implements dnc.ChangeFeed: w hears about every DNC change made
// through any Store with the same prefix, and about the feed being lost and
// restored. dnc.NewLists calls it.
func (s *Store) WatchDNC(w dnc.ChangeWatcher) (cancel func()) { return s.hub.Watch(w) }

// runFeed keeps one subscription to the DNC channel, with a heartbeat, until
// Close.
func (s *Store) runFeed() {
	defer close(s.feedDone)
	s.hub.Run(s.feedCtx, s.subscribeOnce)
}

// subscribeOnce subscribes, resynchronises the watchers and relays
// notifications until the connection fails or a ping goes unanswered. It
// reports whether the feed went live.
func (s *Store) subscribeOnce(ctx context.Context) bool {
	hb := s.opts.Heartbeat
	ps := s.rdb.Subscribe(ctx)
	defer ps.Close()
	sctx, cancel := context.WithTimeout(ctx, 4*hb+time.Second)
	err := ps.Subscribe(sctx, s.dncChannel())
	if err == nil {
		// Wait for the server's confirmation: only then are notifications
		// guaranteed to reach us.
		var msg any
		msg, err = ps.ReceiveTimeout(sctx, 4*hb+time.Second)
		if _, ok := msg.(*redis.Subscription); err == nil && !ok {
			err = errors.New("unexpected first message")
		}
	}
	if err == nil {
		err = s.hub.SetLive(sctx)
	}
	cancel()
	if err != nil {
		return false
	}
	pending := false
	for ctx.Err() == nil {
		msg, err := ps.ReceiveTimeout(ctx, hb)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				if pending {
					return true // the ping went unanswered: lost
				}
				if err := ps.Ping(ctx); err != nil {
					return true
				}
				pending = true
				continue
			}
			return true
		}
		pending = false
		switch m := msg.(type) {
		case *redis.Message:
			// The payload is the number as stored (20 digits, zero-padded).
			// One that does not parse is a change this process cannot
			// apply: treat the feed as lost, so every watcher resynchronises,
			// rather than drop it (a cached "not listed" would stay).
			v, err := strconv.ParseUint(m.Payload, 10, 64)
			if err != nil {
				return true
			}
			n, err := dialgate.NumberFromUint64(v)
			if err != nil {
				return true
			}
			s.hub.Notify(n)
		case *redis.Pong, *redis.Subscription:
		}
	}
	return true
}
