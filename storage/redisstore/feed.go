package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage/internal/feedhub"
)

var _ dnc.ChangeFeed = (*Store)(nil)

func (s *Store) dncChannel() string { return s.pfx + "dnc" }

// WatchDNC implements dnc.ChangeFeed: w hears about every DNC change made
// through any Store with the same prefix, and about the feed being lost and
// restored. dnc.NewLists calls it.
func (s *Store) WatchDNC(w dnc.ChangeWatcher) (cancel func()) { return s.hub.Watch(w) }

var _ dnc.FeedSyncer = (*Store)(nil)

// SyncDNC implements dnc.FeedSyncer: it publishes a probe on the feed
// subscription's own channel, through the store's client (the path every
// writer's notification takes), and returns once the subscription has
// received it. Redis delivers one connection's messages in the order they
// were published, so every change acknowledged before the call was relayed
// to the watchers by then. Up to four probes are out at once; the calls
// made while four are out share the next (feedhub.Hub.Sync). It fails while
// the feed is lost, and when the probe is not back within four heartbeats
// and a second (the feed is then lost too, or about to be).
func (s *Store) SyncDNC(ctx context.Context) error {
	if err := s.check("SyncDNC"); err != nil {
		return err
	}
	if err := s.hub.Sync(ctx, 4*s.opts.Heartbeat+time.Second, s.publishProbe); err != nil {
		return fmt.Errorf("redisstore: SyncDNC: %w", err)
	}
	return nil
}

// publishProbe publishes token on the live subscription's probe channel.
func (s *Store) publishProbe(ctx context.Context, token string) error {
	ch := s.probeCh.Load()
	if ch == nil {
		return feedhub.ErrSyncLost
	}
	return s.rdb.Publish(ctx, *ch, token).Err()
}

// notifyEntries tells this process's watchers of the numbers of entries at
// once, without waiting for the published notification to come back.
func (s *Store) notifyEntries(entries []dnc.Entry) {
	for _, e := range entries {
		s.hub.Notify(e.Number)
	}
}

// runFeed keeps one subscription to the DNC channel, with a heartbeat, until
// Close.
func (s *Store) runFeed() {
	defer close(s.feedDone)
	s.hub.Run(s.feedCtx, s.subscribeOnce)
}

// subscribeOnce subscribes, proves that messages reach the subscription,
// resynchronises the watchers and relays notifications until the connection
// fails or a heartbeat does not come back in time. It reports whether the
// feed went live.
//
// The heartbeat is a message published through the store's own client (the
// path every writer's notification takes) on a channel of this subscription
// alone (so that other processes, older builds included, never see it),
// rather than a PING: a subscription whose connection answers while the
// writers' messages no longer reach it would pass a PING, and a feed taken
// for live then would let another process's opt-out go unseen by the Bloom
// filter for as long as it ran.
func (s *Store) subscribeOnce(ctx context.Context) bool {
	hb := s.opts.Heartbeat
	var rb [8]byte
	if _, err := rand.Read(rb[:]); err != nil {
		return false
	}
	probeCh := s.pfx + "probe:" + hex.EncodeToString(rb[:])
	var seq uint64
	probe := func(ctx context.Context) (string, error) {
		seq++
		want := strconv.FormatUint(seq, 10)
		return want, s.rdb.Publish(ctx, probeCh, want).Err()
	}
	ps := s.rdb.Subscribe(ctx)
	defer ps.Close()
	sctx, cancel := context.WithTimeout(ctx, 4*hb+time.Second)
	err := ps.Subscribe(sctx, s.dncChannel(), probeCh)
	// Wait for the server's confirmations: only then are notifications
	// guaranteed to reach us. Then a probe must come back. Changes notified
	// before the watchers resynchronise are in the store their rebuild
	// scans: they need not be relayed.
	for confirmed := 0; err == nil && confirmed < 2; confirmed++ {
		var msg any
		msg, err = ps.ReceiveTimeout(sctx, 4*hb+time.Second)
		if _, ok := msg.(*redis.Subscription); err == nil && !ok {
			err = errors.New("unexpected message before the subscriptions were confirmed")
		}
	}
	var want string
	if err == nil {
		want, err = probe(sctx)
	}
	for err == nil {
		var msg any
		msg, err = ps.ReceiveTimeout(sctx, 4*hb+time.Second)
		if m, ok := msg.(*redis.Message); err == nil && ok && m.Channel == probeCh && m.Payload == want {
			break
		}
	}
	if err == nil {
		// SyncDNC's probes go to this subscription from now on; those
		// sent to an earlier one fail when it is lost (SetLost).
		s.probeCh.Store(&probeCh)
		err = s.hub.SetLive(sctx)
	}
	cancel()
	if err != nil {
		return false
	}
	pending := "" // the probe sent and not yet back
	for ctx.Err() == nil {
		if h := s.feedHook.Swap(nil); h != nil {
			(*h)(ctx, ps)
		}
		msg, err := ps.ReceiveTimeout(ctx, hb)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				if pending != "" {
					return true // the probe did not come back: lost
				}
				pctx, cancel := context.WithTimeout(ctx, hb)
				pending, err = probe(pctx)
				cancel()
				if err != nil {
					return true
				}
				continue
			}
			return true
		}
		switch m := msg.(type) {
		case *redis.Message:
			if m.Channel == probeCh {
				if m.Payload == pending {
					pending = ""
				} else {
					// A SyncDNC probe: every message published before it
					// has been relayed.
					s.hub.Probed(m.Payload)
				}
				continue
			}
			// A writer's message reached us: delivery works.
			pending = ""
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
