// Package feedhub keeps the watchers of a store's do-not-call change feed
// (dnc.ChangeFeed) and tells them about changes, a lost feed and a restored
// one: the part that storage/redisstore (pub/sub) and storage/pgstore
// (LISTEN/NOTIFY) share.
package feedhub

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
)

// Hub holds the watchers and whether the feed is live. A new Hub is lost
// (not live) until SetLive succeeds. It is safe for concurrent use; watchers
// are called with the Hub's lock held, so they must not call back into it.
type Hub struct {
	mu       sync.Mutex
	watchers map[int]dnc.ChangeWatcher
	next     int
	live     bool
	firstCh  chan struct{} // closed the first time the feed goes live

	// The sync probes (Sync, Probed). smu is taken inside mu (SetLost,
	// SetLive), never the other way round.
	smu      sync.Mutex
	syncLive bool                  // the feed is live for Sync: set after the watchers resynchronised
	waiting  *syncBatch            // the Sync calls the next probe covers; nil: none
	flying   map[string]*syncBatch // the probes out (at most maxFlying), by token
	syncSeq  uint64
	publish  func(ctx context.Context, token string) error
	timeout  time.Duration
}

// maxFlying is how many sync probes may be out at once. With one, a lookup
// that came while a probe was out waited for it and then for its own: under
// a fleet's load (the store busy with cap reservations) that was up to two
// round trips on every decision, and BenchmarkLoad with Redis ran 3,700–5,900
// checks/s against 5,600–5,900 without the probe; with four, 5,600–5,800.
const maxFlying = 4

// syncBatch is the Sync calls one probe answers.
type syncBatch struct {
	done chan struct{} // closed when err is set
	err  error
}

// ErrSyncLost is the error of a Sync whose probe cannot come back: the feed
// is lost (or was lost while the probe was out), or the probe was not back
// in time.
var ErrSyncLost = errors.New("feedhub: the change feed is not live: it cannot say that every change stored was relayed")

// SyncPrefix starts the token of every sync probe (Sync), so that a feed
// can tell them from its heartbeat probes.
const SyncPrefix = "sync:"

// New returns a Hub with no watchers and the feed not live.
func New() *Hub {
	return &Hub{watchers: map[int]dnc.ChangeWatcher{}, firstCh: make(chan struct{}), flying: map[string]*syncBatch{}}
}

// NewLive returns a Hub whose feed is live from the start and is never
// lost: the feed of a store that lives in one process (storage/memstore,
// storage/boltstore), whose writers call Notify themselves after each
// durable write and before it returns, so that a watcher hears of every
// change before the write is acknowledged.
func NewLive() *Hub {
	h := New()
	h.live = true
	close(h.firstCh)
	return h
}

// Watch adds w; if the feed is not live, w is told at once. cancel removes it.
func (h *Hub) Watch(w dnc.ChangeWatcher) (cancel func()) {
	h.mu.Lock()
	id := h.next
	h.next++
	h.watchers[id] = w
	if !h.live {
		w.DNCFeedLost()
	}
	h.mu.Unlock()
	return func() {
		h.mu.Lock()
		delete(h.watchers, id)
		h.mu.Unlock()
	}
}

// Live reports whether the feed is live.
func (h *Hub) Live() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.live
}

// FirstLive is closed the first time the feed goes live.
func (h *Hub) FirstLive() <-chan struct{} { return h.firstCh }

// SetLost marks the feed lost and tells every watcher (once per loss).
func (h *Hub) SetLost() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.live {
		return
	}
	h.live = false
	for _, w := range h.watchers {
		w.DNCFeedLost()
	}
	h.smu.Lock()
	h.syncLive = false
	h.failSyncsLocked()
	h.smu.Unlock()
}

// SetLive asks every watcher to resynchronise (DNCFeedRestored) and marks the
// feed live when all did. If any fails, every watcher is told again that the
// feed is lost, so that all stay consistent, and the errors are returned.
func (h *Hub) SetLive(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.live {
		var errs []error
		for _, w := range h.watchers {
			if err := w.DNCFeedRestored(ctx); err != nil {
				errs = append(errs, err)
			}
		}
		if err := errors.Join(errs...); err != nil {
			for _, w := range h.watchers {
				w.DNCFeedLost()
			}
			return err
		}
		h.live = true
		h.smu.Lock()
		h.syncLive = true
		h.smu.Unlock()
	}
	select {
	case <-h.firstCh:
	default:
		close(h.firstCh)
	}
	return nil
}

// Notify tells every watcher that n's entries changed.
func (h *Hub) Notify(n dialgate.Number) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, w := range h.watchers {
		w.DNCChanged(n)
	}
}

// Run keeps a feed connected until ctx is done: once connects, calls
// SetLive and relays notifications until its connection fails, and reports
// whether the feed went live. After each return the feed is lost (SetLost),
// and Run waits before connecting again: 50 ms, doubling up to 2 s, back to
// 50 ms after a connection that went live.
func (h *Hub) Run(ctx context.Context, once func(context.Context) bool) {
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		if once(ctx) {
			backoff = 50 * time.Millisecond
		}
		h.SetLost()
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// Sync returns nil once every change relayed to this feed before Sync was
// called has been passed to the watchers (Notify): publish sends a probe with
// the token it is given through the path every writer's notification takes,
// after Sync was called, and the feed calls Probed with the token when the
// probe comes back, in order, after every notification sent before it. A
// store's feed delivers notifications in the order they were sent (Redis
// pub/sub on one connection, PostgreSQL NOTIFY in commit order), so an
// opt-out another process acknowledged before Sync was called is then in
// every watcher's Bloom filter. A call sends its own probe while fewer than
// maxFlying are out, so that it waits one round trip, not the rest of
// another call's as well; the calls that come while maxFlying are out share
// the next one, sent when one comes back.
//
// It returns ErrSyncLost when the feed is not live, is lost while the probe
// is out, or the probe is not back within timeout, and ctx's error when ctx
// ends first: the caller then cannot trust what it learnt from the feed, and
// reads the store.
func (h *Hub) Sync(ctx context.Context, timeout time.Duration, publish func(ctx context.Context, token string) error) error {
	h.smu.Lock()
	if !h.syncLive {
		h.smu.Unlock()
		return ErrSyncLost
	}
	b := h.waiting
	if b == nil {
		b = &syncBatch{done: make(chan struct{})}
		h.waiting = b
	}
	h.publish, h.timeout = publish, timeout
	if len(h.flying) < maxFlying {
		h.sendLocked()
	}
	h.smu.Unlock()
	select {
	case <-b.done:
		return b.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sendLocked sends the probe of the waiting batch. h.smu must be held.
func (h *Hub) sendLocked() {
	b := h.waiting
	h.waiting = nil
	h.syncSeq++
	token := SyncPrefix + strconv.FormatUint(h.syncSeq, 10)
	h.flying[token] = b
	publish, timeout := h.publish, h.timeout
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := publish(ctx, token); err != nil {
			h.finish(token, errors.Join(ErrSyncLost, err))
			return
		}
		select {
		case <-b.done:
		case <-ctx.Done():
			h.finish(token, ErrSyncLost)
		}
	}()
}

// Probed reports that the sync probe token came back through the feed,
// after every notification sent before it was relayed (Notify). Tokens not
// sent by Sync (SyncPrefix) and probes already answered are ignored.
func (h *Hub) Probed(token string) {
	if strings.HasPrefix(token, SyncPrefix) {
		h.finish(token, nil)
	}
}

// finish answers the batch of probe token with err and sends the next
// batch's probe, if any.
func (h *Hub) finish(token string, err error) {
	h.smu.Lock()
	defer h.smu.Unlock()
	b, ok := h.flying[token]
	if !ok {
		return
	}
	delete(h.flying, token)
	b.err = err
	close(b.done)
	if h.waiting != nil && h.syncLive && len(h.flying) < maxFlying {
		h.sendLocked()
	}
}

// failSyncsLocked answers every Sync waiting with ErrSyncLost. h.smu must
// be held.
func (h *Hub) failSyncsLocked() {
	for token, b := range h.flying {
		delete(h.flying, token)
		b.err = ErrSyncLost
		close(b.done)
	}
	if b := h.waiting; b != nil {
		h.waiting = nil
		b.err = ErrSyncLost
		close(b.done)
	}
}
