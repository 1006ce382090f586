// Package feedhub keeps the watchers of a store's do-not-call change feed
// (dnc.ChangeFeed) and tells them about changes, a lost feed and a restored
// one: the part that storage/redisstore (pub/sub) and storage/pgstore
// (LISTEN/NOTIFY) share.
package feedhub

import (
	"context"
	"errors"
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
}

// New returns a Hub with no watchers and the feed not live.
func New() *Hub {
	return &Hub{watchers: map[int]dnc.ChangeWatcher{}, firstCh: make(chan struct{})}
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
