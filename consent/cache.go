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
//   - Such a store may also be past rev again by the cache's next read (new
//     writes through other processes after the failover): the revision alone
//     then looks like an ordinary "ahead", and replaying the events after rev
//     would miss the new events at or below it. So sync reads from the event
//     at rev itself and compares it with last, the event at rev as the cache
//     saw it; another event there (or none kept, or last unknown) is a
//     history the cache did not follow, and it forgets everything (purge).
//   - Such a store may also be back at rev itself by the cache's next read
//     (it lost its last write, then took another through another process: a
//     revocation of a cached number, say): the revision alone then looks like
//     "nothing happened". A store that implements RevisionStamper names the
//     write at its revision with a stamp read in the same read; stamp is the
//     one read with rev (sync never goes past the revision it was asked for,
//     so that the two stay paired), and another stamp at rev is a history the
//     cache did not follow: it purges. A store without stamps (or a revision
//     whose write left none, "") cannot show this case.
//   - Events after rev must come without a hole (Seqs rev+1, rev+2, …),
//     reach the store's revision and, past it, give no Seq again (a store
//     whose revision was lost while its events were kept numbers new events
//     from 1 again); otherwise the store broke its contract and
//     the dial fails (errEventGap) with rev and last unchanged, so that the
//     missing events are still replayed once they show. (A cache at revision
//     0, which holds nothing to drop, follows a store whose kept events start
//     later from its revision, as after a truncated history.)
//
// gen changes (under mu) on every sync and reset; a miss inserts only when gen
// is unchanged, so a reset to an earlier rev cannot let a stale fetch in.
type cache struct {
	lru *lru.Cache[dialgate.Number, []Record]
	mu  sync.Mutex
	rev atomic.Uint64
	gen atomic.Uint64
	// stamp is the store's stamp (RevisionStamper) read with rev, "" for
	// none. Written under mu, after rev; the per-dial path compares it
	// without mu only when the store's revision equals rev, and confirms a
	// difference under mu before it purges.
	stamp atomic.Pointer[string]
	// last is the store's event with Seq rev as this cache read it, or the
	// zero Event when it is not known (rev 0, or its read after a purge
	// failed). Guarded by mu.
	last Event
}

func newCache(size int) (*cache, error) {
	l, err := lru.New[dialgate.Number, []Record](size)
	if err != nil {
		return nil, err
	}
	c := &cache{lru: l}
	c.stamp.Store(new(string))
	return c, nil
}

// revision reads the store's revision and, when the store has them, the
// stamp of the write that made it: one read either way.
func revision(ctx context.Context, s Store) (uint64, string, error) {
	if st, ok := s.(RevisionStamper); ok {
		return st.ConsentRevisionStamp(ctx)
	}
	r, err := s.ConsentRevision(ctx)
	return r, "", err
}

// records returns the records of the line n reaches (lineRecords), current
// as of a revision at least the store's revision when the call started. They
// are cached under the line's one key (lineKey).
func (c *cache) records(ctx context.Context, s Store, n dialgate.Number) ([]Record, error) {
	r, stamp, err := revision(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("consent revision: %w", err)
	}
	switch cur := c.rev.Load(); {
	case r > cur:
		if err := c.sync(ctx, s, r, stamp); err != nil {
			return nil, err
		}
	case r < cur:
		c.reset(ctx, s, r, stamp)
	case stamp != *c.stamp.Load():
		c.restamp(ctx, s, r, stamp)
	}
	tag := c.gen.Load()
	key := lineKey(n)
	if recs, ok := c.lru.Get(key); ok {
		return recs, nil
	}
	recs, err := lineRecords(ctx, s, n)
	if err != nil {
		return nil, err // not cached: a malformed record fails every dial of n until it is withdrawn
	}
	if recs == nil {
		recs = []Record{}
	}
	c.mu.Lock()
	if c.gen.Load() == tag {
		c.lru.Add(key, recs)
	}
	c.mu.Unlock()
	return recs, nil
}

// sync brings the cache to revision r, whose stamp is stamp (at least r
// when another goroutine synced meanwhile).
func (c *cache) sync(ctx context.Context, s Store, r uint64, stamp string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur := c.rev.Load()
	if cur >= r {
		return nil // another goroutine synced meanwhile
	}
	// Read from the event at cur itself, to check that the store's history
	// up to cur is the one this cache followed.
	since := cur
	if cur > 0 {
		since = cur - 1
	}
	evs, err := s.ConsentEventsSince(ctx, since, eventBatch)
	switch {
	case errors.Is(err, ErrHistoryTruncated) || err == nil && len(evs) == eventBatch:
		// Too far behind to replay: forget everything. Entries fetched from
		// here on are current as of at least r.
		c.purge(ctx, s, r, stamp)
		return nil
	case err != nil:
		return fmt.Errorf("consent events since %d: %w", since, err)
	}
	if cur > 0 && len(evs) > 0 {
		if evs[0].Seq != cur || !sameEvent(evs[0], c.last) {
			// The event at cur is not the one this cache saw (or it is not
			// known): the store went back and then past cur with another
			// history, whose events at or below cur were never replayed.
			c.purge(ctx, s, r, stamp)
			return nil
		}
		evs = evs[1:]
	}
	if cur == 0 && len(evs) > 0 && evs[0].Seq > 1 {
		// The store keeps only later events, and the cache has followed
		// nothing yet: as for a truncated history, start from r.
		c.purge(ctx, s, r, stamp)
		return nil
	}
	next := cur
	for i := range evs {
		if next == r {
			if evs[i].Seq <= next {
				// A second event at a Seq already replayed (a store whose
				// revision was lost while its events were kept): the
				// one left out may be the revocation of a cached number.
				return c.gap(fmt.Errorf("consent events since %d: event %d follows %d: %w", cur, evs[i].Seq, next, errEventGap))
			}
			// Events past r came in since the revision was read: they
			// are for the next sync, which reads their stamp with them.
			evs = evs[:i]
			break
		}
		if evs[i].Seq != next+1 {
			// A hole (or disorder) among the events: the one missing
			// may be the revocation of a cached number.
			return c.gap(fmt.Errorf("consent events since %d: event %d follows %d: %w", cur, evs[i].Seq, next, errEventGap))
		}
		// Entries are kept per line (lineKey): an event under either
		// spelling of a French overseas line drops the line's entry.
		c.lru.Remove(lineKey(evs[i].Number))
		next = evs[i].Seq
	}
	if next < r {
		// The store promised events up to r; a gap means it broke the
		// contract. Fail closed rather than trust the cache.
		return c.gap(fmt.Errorf("consent events since %d end at %d, before revision %d: %w", cur, next, r, errEventGap))
	}
	if len(evs) > 0 {
		c.last = evs[len(evs)-1]
	}
	c.rev.Store(next)
	c.stamp.Store(&stamp)
	c.gen.Add(1)
	return nil
}

// gap forgets every entry and returns err; c.mu is held. rev and last stay
// as they were: the events the store left out are still to be replayed, and
// the next sync reads again from the event at rev (taking the last event it
// read for that one would make the next sync see another history, purge and
// trust the store's revision, skipping the missing events for good).
func (c *cache) gap(err error) error {
	c.lru.Purge()
	c.gen.Add(1)
	return err
}

// purge forgets every entry and follows the store from revision r, whose
// stamp is stamp; c.mu is held. It reads the event at r, for the next sync
// to check the history against; when that read fails, last is unknown and
// the next sync purges again.
func (c *cache) purge(ctx context.Context, s Store, r uint64, stamp string) {
	c.lru.Purge()
	c.rev.Store(r)
	c.stamp.Store(&stamp)
	c.gen.Add(1)
	c.last = Event{}
	if r == 0 {
		return
	}
	if evs, err := s.ConsentEventsSince(ctx, r-1, 1); err == nil && len(evs) == 1 && evs[0].Seq == r {
		c.last = evs[0]
	}
}

// reset forgets every entry and follows the store from revision r, which is
// below the cache's: the store went back in time.
func (c *cache) reset(ctx context.Context, s Store, r uint64, stamp string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rev.Load() <= r {
		return // another goroutine reset or synced meanwhile
	}
	c.purge(ctx, s, r, stamp)
}

// restamp forgets every entry and follows the store from revision r, the
// cache's own, when the store's stamp there is not the cache's: the store
// lost writes and took others up to the same revision (see cache).
func (c *cache) restamp(ctx context.Context, s Store, r uint64, stamp string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rev.Load() != r || *c.stamp.Load() == stamp {
		return // another goroutine moved the cache meanwhile
	}
	c.purge(ctx, s, r, stamp)
}

// sameEvent reports whether a and b are the same event of a history: the
// same Seq, type, record, number, instants (compared as instants: a store
// may read them back in another zone) and channel. The zero Event is never
// the same as another.
func sameEvent(a, b Event) bool {
	return a.Seq != 0 && a.Seq == b.Seq && a.Type == b.Type && a.ConsentID == b.ConsentID && a.Number == b.Number &&
		a.At.Equal(b.At) && a.Channel == b.Channel && a.RequestedAt.Equal(b.RequestedAt)
}

var errEventGap = errors.New("consent: store returned fewer events than its revision promises")
