package consent

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/dialgate/dialgate"
	lru "github.com/hashicorp/golang-lru/v2"
)

// eventBatch is how many events one cache synchronisation reads; more pending
// events than that empty the cache instead.
const eventBatch = 256

// cache holds the records of recently checked numbers, each valid as of the
// cache's revision.
//
// Invariant: every entry in lru reflects the store's records for its number as
// of revision rev (no event for that number with Seq in (entry's fetch, rev]).
//
//   - sync (under mu) reads the events after rev, removes their numbers from
//     lru, then publishes the new rev. An entry not named by an event is still
//     current.
//   - A miss reads t := rev, then the store; it inserts the fetched records
//     only if rev still equals t when it takes mu, i.e. no sync ran while it was
//     reading (a sync could have removed the number before the stale fetch got
//     in). Otherwise it uses the fetched records for this dial only.
//   - A hit first reads the store's revision r. Any revocation that returned
//     before the dial started has Seq ≤ r; if r > rev the cache syncs before the
//     lookup. So a hit never returns records older than a completed revocation.
//   - A store revision below rev means the store is not the one the cache
//     followed (restored from a backup, a failover to a lagging replica): its
//     new events may reuse Seqs at or below rev. The cache then forgets
//     everything and follows the store from its revision (reset).
//
// gen changes (under mu) on every sync and reset; a miss inserts only when gen
// is unchanged, so a reset to an earlier rev cannot let a stale fetch in.
type cache struct {
	lru *lru.Cache[dialgate.Number, []Record]
	mu  sync.Mutex
	rev atomic.Uint64
	gen atomic.Uint64
}

func newCache(size int) (*cache, error) {
	l, err := lru.New[dialgate.Number, []Record](size)
	if err != nil {
		return nil, err
	}
	return &cache{lru: l}, nil
}

// records returns the records of n, current as of a revision at least the
// store's revision when the call started.
func (c *cache) records(ctx context.Context, s Store, n dialgate.Number) ([]Record, error) {
	r, err := s.ConsentRevision(ctx)
	if err != nil {
		return nil, fmt.Errorf("consent revision: %w", err)
	}
	switch cur := c.rev.Load(); {
	case r > cur:
		if err := c.sync(ctx, s, r); err != nil {
			return nil, err
		}
	case r < cur:
		c.reset(r)
	}
	tag := c.gen.Load()
	if recs, ok := c.lru.Get(n); ok {
		return recs, nil
	}
	recs, err := s.ConsentsByNumber(ctx, n)
	if err != nil {
		return nil, fmt.Errorf("consents by number: %w", err)
	}
	if recs == nil {
		recs = []Record{}
	}
	c.mu.Lock()
	if c.gen.Load() == tag {
		c.lru.Add(n, recs)
	}
	c.mu.Unlock()
	return recs, nil
}

// sync brings the cache to at least revision r.
func (c *cache) sync(ctx context.Context, s Store, r uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur := c.rev.Load()
	if cur >= r {
		return nil // another goroutine synced meanwhile
	}
	evs, err := s.ConsentEventsSince(ctx, cur, eventBatch)
	switch {
	case errors.Is(err, ErrHistoryTruncated) || err == nil && len(evs) == eventBatch:
		// Too far behind to replay: forget everything. Entries fetched from
		// here on are current as of at least r.
		c.lru.Purge()
		c.rev.Store(r)
		c.gen.Add(1)
		return nil
	case err != nil:
		return fmt.Errorf("consent events since %d: %w", cur, err)
	}
	next := cur
	for i := range evs {
		c.lru.Remove(evs[i].Number)
		if evs[i].Seq > next {
			next = evs[i].Seq
		}
	}
	if next < r {
		// The store promised events up to r; a gap means it broke the
		// contract. Fail closed rather than trust the cache.
		c.lru.Purge()
		c.gen.Add(1)
		return fmt.Errorf("consent events since %d end at %d, before revision %d: %w", cur, next, r, errEventGap)
	}
	c.rev.Store(next)
	c.gen.Add(1)
	return nil
}

// reset forgets every entry and follows the store from revision r, which is
// below the cache's: the store went back in time.
func (c *cache) reset(r uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rev.Load() <= r {
		return // another goroutine reset or synced meanwhile
	}
	c.lru.Purge()
	c.rev.Store(r)
	c.gen.Add(1)
}

var errEventGap = errors.New("consent: store returned fewer events than its revision promises")
