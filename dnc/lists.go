package dnc

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/bits-and-blooms/bloom/v3"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/dialgate/dialgate"
)

// ListsOptions configures Lists. The zero value sizes the Bloom filter for
// twice the store's entries (at least 1M) at a 0.1% false-positive rate and
// caches 65,536 store answers.
type ListsOptions struct {
	// Capacity is the number of entries the Bloom filter is sized for. A
	// filter of more than 2³⁷ bits (16 GiB: about 9.5·10⁹ entries at 0.1%)
	// is refused (ErrInvalidConfig): the Bloom library, asked for one it
	// cannot allocate, returned a filter of no bits that panicked at its
	// first lookup.
	Capacity uint
	// FalsePositiveRate of the Bloom filter (default 0.001).
	FalsePositiveRate float64
	// CacheSize is the number of store answers kept in the LRU cache
	// (default 65,536; negative disables the cache).
	CacheSize int
	// NoBloom turns the Bloom prefilter off: every lookup reads the cache or
	// the store. For benchmarks and debugging.
	NoBloom bool
}

// Lists is the live overlay of store-backed do-not-call entries: opt-outs,
// complaints and admin additions made between registry snapshots. A Bloom
// filter in memory answers most misses without a store read; every Bloom
// positive is confirmed by the store (through an LRU cache), so there are no
// false negatives and no false denials.
//
// An Add is durable in the store and visible to every lookup that starts
// after Add returns; on a store shared between processes (a FeedSyncer), an
// entry another process added is visible to every lookup that starts after
// that process's write returned. Removals go through the store (after the entry's hold);
// the Bloom filter keeps the removed number, which then costs one store read.
// Lists is safe for concurrent use; create it with NewLists.
type Lists struct {
	store Store
	opts  ListsOptions
	// syncer is the store's FeedSyncer, nil when it has none (an
	// embedded store tells its watchers before a write returns) or when
	// Lists keeps neither a filter nor a cache.
	syncer FeedSyncer

	mu sync.RWMutex
	bf *bloom.BloomFilter
	// building holds the filters being built (the initial fill, rebuilds,
	// which may overlap when a shared store's feed comes back during one):
	// every change reaches each of them, so whichever is installed last
	// misses none.
	building []*bloom.BloomFilter
	count    uint   // numbers added to bf
	epoch    uint64 // bumped by every Add/Remove; guards cache fills
	cache    *lru.Cache[uint64, []Entry]

	// feedDown is set while a shared store's change feed is interrupted:
	// lookups then bypass the Bloom filter and the cache (see ChangeFeed).
	feedDown bool
	unwatch  func()
	closed   bool // Close ran: the feed is never trusted again
}

// ChangeFeed is implemented by stores whose entries may be written other
// than through this Lists: it tells every Lists about entries added or
// removed by the others, so that a Bloom negative or a cached answer never
// hides an opt-out taken elsewhere. NewLists subscribes when its store
// implements it; Lists.Close unsubscribes.
//
// The stores shared between processes (storage/redisstore, storage/pgstore)
// relay other processes' changes as their notifications arrive, and
// implement FeedSyncer so that a lookup can wait until the feed has caught up
// with every change acknowledged before it started. The embedded
// stores (storage/memstore, storage/boltstore) tell their watchers of every
// change before the write returns, so that an entry written straight into
// the store (Store.AddDNC, not Lists.Add or the dnc Check's Add) is seen by
// every Check that starts after it.
type ChangeFeed interface {
	// WatchDNC registers w. If the feed is not live at that moment, the store
	// calls w.DNCFeedLost before WatchDNC returns. cancel unregisters w; it is
	// idempotent. The store calls w's methods one at a time, in order (a
	// shared store from one goroutine; an embedded store from the writer's,
	// under a lock).
	WatchDNC(w ChangeWatcher) (cancel func())
}

// ChangeWatcher receives the notifications of a ChangeFeed. Lists implements
// it.
type ChangeWatcher interface {
	// DNCChanged reports that the entries of n changed (added, extended or
	// removed) in some process.
	DNCChanged(n dialgate.Number)
	// DNCFeedLost reports that notifications may be missed from now on (the
	// connection to the shared store dropped or stopped answering). Until
	// DNCFeedRestored succeeds the watcher must not trust anything it learnt
	// from the feed.
	DNCFeedLost()
	// DNCFeedRestored reports that the feed is live again; the watcher
	// resynchronises with the store (Lists rebuilds its filter from a scan)
	// and returns nil when it trusts the feed again. On an error the store
	// keeps the feed lost and calls DNCFeedRestored again later.
	DNCFeedRestored(ctx context.Context) error
}

var _ ChangeWatcher = (*Lists)(nil)

// FeedSyncer is implemented by the stores shared between processes
// (storage/redisstore, storage/pgstore), whose change feed relays another
// process's change some time after that process's write was acknowledged:
// until it does, this process's Bloom filter does not hold the number, and
// a lookup would answer "not listed" for an opt-out taken on another
// sidecar. Lists calls SyncDNC before it trusts the filter or its cache, so
// that every lookup sees every change acknowledged, in any process, before
// the lookup started (read your writes across a fleet).
type FeedSyncer interface {
	// SyncDNC returns nil once every change to the store's entries
	// acknowledged (in any process) before SyncDNC was called has been
	// passed to the store's watchers (ChangeWatcher.DNCChanged). An error
	// means it cannot tell (the feed is lost or slow, ctx ended): the
	// caller then reads the store.
	SyncDNC(ctx context.Context) error
}

// DNCChanged implements ChangeWatcher: another process changed the entries of
// n, so n goes into the Bloom filter and its cached answer is dropped.
func (l *Lists) DNCChanged(n dialgate.Number) {
	l.mu.Lock()
	l.epoch++
	l.noteLocked(n.Uint64())
	l.mu.Unlock()
}

// noteLocked records that the entries of number v changed: v goes into the
// Bloom filter and every filter being built, and its cached answer is dropped.
// l.mu must be held.
func (l *Lists) noteLocked(v uint64) {
	k := bloomKey(v)
	if l.bf != nil {
		l.bf.Add(k[:])
		l.count++
	}
	for _, f := range l.building {
		f.Add(k[:])
	}
	if l.cache != nil {
		l.cache.Remove(v)
	}
}

// DNCFeedLost implements ChangeWatcher: from now on every lookup reads the
// store (and fails, wrapping the store's error, when the store is down).
func (l *Lists) DNCFeedLost() {
	l.mu.Lock()
	l.feedDown = true
	l.epoch++
	if l.cache != nil {
		l.cache.Purge()
	}
	l.mu.Unlock()
}

// DNCFeedRestored implements ChangeWatcher: it rebuilds the Bloom filter from
// a store scan, empties the cache and trusts both again.
func (l *Lists) DNCFeedRestored(ctx context.Context) error {
	if err := l.Rebuild(ctx); err != nil {
		return err
	}
	l.mu.Lock()
	// A Close that ran meanwhile unsubscribed l: it hears no more changes.
	l.feedDown = l.closed
	l.epoch++
	if l.cache != nil {
		l.cache.Purge()
	}
	l.mu.Unlock()
	return nil
}

// Close unsubscribes from the store's change feed, if any. The Lists stays
// usable but no longer hears about other processes' changes, so it then reads
// the store for every lookup. Close is idempotent.
func (l *Lists) Close() error {
	l.mu.Lock()
	cancel := l.unwatch
	l.unwatch = nil
	if cancel != nil {
		l.feedDown = true
		l.closed = true
	}
	l.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	return nil
}

// NewLists scans store once to fill the Bloom filter and returns the overlay.
func NewLists(ctx context.Context, store Store, opts ListsOptions) (*Lists, error) {
	if store == nil {
		return nil, fmt.Errorf("dnc: NewLists: nil store: %w", dialgate.ErrInvalidConfig)
	}
	if opts.FalsePositiveRate == 0 {
		opts.FalsePositiveRate = 0.001
	}
	if opts.FalsePositiveRate < 0 || opts.FalsePositiveRate >= 1 {
		return nil, fmt.Errorf("dnc: ListsOptions.FalsePositiveRate %v out of (0,1): %w", opts.FalsePositiveRate, dialgate.ErrInvalidConfig)
	}
	if _, _, err := bloomSize(max(opts.Capacity, 1<<20), opts.FalsePositiveRate); err != nil && !opts.NoBloom {
		return nil, fmt.Errorf("dnc: ListsOptions.Capacity %d, FalsePositiveRate %v: %w: %w", opts.Capacity, opts.FalsePositiveRate, err, dialgate.ErrInvalidConfig)
	}
	if opts.CacheSize == 0 {
		opts.CacheSize = 1 << 16
	}
	l := &Lists{store: store, opts: opts}
	if fs, ok := store.(FeedSyncer); ok && (!opts.NoBloom || opts.CacheSize > 0) {
		l.syncer = fs
	}
	if opts.CacheSize > 0 {
		c, err := lru.New[uint64, []Entry](opts.CacheSize)
		if err != nil {
			return nil, fmt.Errorf("dnc: cache: %w", err)
		}
		l.cache = c
	}
	if f, ok := store.(ChangeFeed); ok {
		// Subscribe before the scan, so that no change made meanwhile is missed.
		cancel := f.WatchDNC(l)
		l.mu.Lock()
		l.unwatch = cancel
		l.mu.Unlock()
	}
	if opts.NoBloom {
		return l, nil
	}
	var n uint
	if err := store.ScanDNC(ctx, func(Entry) error { n++; return nil }); err != nil {
		l.Close()
		return nil, fmt.Errorf("dnc: scan store: %w", err)
	}
	capacity := opts.Capacity
	if capacity == 0 {
		capacity = max(2*n, 1<<20)
	}
	if err := l.build(ctx, capacity); err != nil {
		l.Close()
		return nil, err
	}
	if testHookFilled != nil {
		testHookFilled(l)
	}
	return l, nil
}

// testHookFilled, when set by a test, runs in NewLists right after the
// initial fill.
var testHookFilled func(*Lists)

// maxBloomBits bounds a Lists Bloom filter: 2³⁷ bits (16 GiB), room for
// about 9.5·10⁹ entries at the default 0.1% false-positive rate.
const maxBloomBits = 1 << 37

// bloomSize returns the bits and hash functions of a Bloom filter for
// capacity entries at false-positive rate fp, or an error when it would
// need more than maxBloomBits: unchecked, such a size overflows (the
// library converts a float beyond the range of uint) or asks for
// terabytes, and the allocation crashes the process.
func bloomSize(capacity uint, fp float64) (m, k uint, err error) {
	bits := math.Ceil(-float64(capacity) * math.Log(fp) / (math.Ln2 * math.Ln2))
	if !(bits <= maxBloomBits) {
		return 0, 0, fmt.Errorf("dnc: a Bloom filter for %d entries at a false-positive rate of %v needs %.3g bits, more than %d", capacity, fp, bits, uint64(maxBloomBits))
	}
	m, k = bloom.EstimateParameters(capacity, fp)
	return m, k, nil
}

func bloomKey(v uint64) [8]byte {
	var k [8]byte
	binary.LittleEndian.PutUint64(k[:], v)
	return k
}

// build fills a new filter of the given capacity from a store scan and
// makes it l's filter. While it is built, every change reaches it (see
// building), so it holds every number listed when it is installed, even when
// another build runs at the same time and finishes first or last.
func (l *Lists) build(ctx context.Context, capacity uint) error {
	m, k, err := bloomSize(capacity, l.opts.FalsePositiveRate)
	if err != nil {
		return err
	}
	nb := bloom.New(m, k)
	// Register before the scan starts: a change stored before then is seen
	// by the scan, one stored after reaches nb through noteLocked.
	l.mu.Lock()
	l.building = append(l.building, nb)
	l.mu.Unlock()
	var n uint
	err = l.store.ScanDNC(ctx, func(e Entry) error {
		k := bloomKey(e.Number.Uint64())
		l.mu.Lock()
		nb.Add(k[:])
		l.mu.Unlock()
		n++
		return nil
	})
	// Stop routing changes to nb and make it the filter in one critical
	// section: a change noted in between would reach neither filter, and
	// the Bloom filter would hide that number's entry from every lookup.
	l.mu.Lock()
	defer l.mu.Unlock()
	l.building = slices.DeleteFunc(l.building, func(f *bloom.BloomFilter) bool { return f == nb })
	if err != nil {
		return fmt.Errorf("dnc: scan store: %w", err)
	}
	l.bf = nb
	l.count = n
	return nil
}

// Rebuild re-sizes the Bloom filter for the store's current entries (twice
// their number) and drops removed numbers from it. Lookups and Adds go on
// meanwhile; every Add made during the rebuild reaches the new filter. Rebuilds
// may overlap (a shared store's feed coming back during another): each
// installs a complete filter.
func (l *Lists) Rebuild(ctx context.Context) error {
	if l.opts.NoBloom {
		return nil
	}
	var n uint
	if err := l.store.ScanDNC(ctx, func(Entry) error { n++; return nil }); err != nil {
		return fmt.Errorf("dnc: scan store: %w", err)
	}
	if err := l.build(ctx, max(2*n, 1<<20, l.opts.Capacity)); err != nil {
		return fmt.Errorf("dnc: rebuild: %w", err)
	}
	return nil
}

// Len returns how many numbers the Bloom filter holds (added since the last
// fill, removed ones included), and the capacity it was sized for.
func (l *Lists) Len() (n, capacity uint) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.bf == nil {
		return l.count, 0
	}
	return l.count, l.bf.Cap()
}

// Add records e in the store (durably) and then in the in-memory index, so
// that it is visible to every lookup that starts after Add returns. An
// entry whose (number, scope) is already stored is merged with it (Merge):
// the later AddedAt and the later HoldUntil of the two, so a new refusal
// added over an old entry whose hold has ended is dated, and held by a
// profile's hold (Check.Remove), from the new refusal; the same entry added
// again (a retry) changes nothing.
//
// Add sets no hold and has no clock: AddedAt is the caller's word. Give the
// instant the refusal was made, never one after the caller's clock: a
// future AddedAt dates the entry (and a hold counted from it) from then,
// holding it longer than the rule asks, never shorter. The bundled entry
// points bound it by their clock: refusals on a call are dated by the
// Gate's clock, the sidecar's AddDncEntry records an added_at after its
// clock as of its clock, and the CLI refuses an --at more than a minute
// ahead.
func (l *Lists) Add(ctx context.Context, entries ...Entry) error {
	for i := range entries {
		if err := entries[i].Validate(); err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
	}
	err := l.store.AddDNC(ctx, entries...)
	// Noted even when the store reports an error: the entries may be stored
	// all the same (a commit whose acknowledgement was lost, an fsync that
	// failed after the write), and a number in the filter that the store
	// does not hold costs one store read, while a stored one missing from it
	// would be answered "not listed".
	l.mu.Lock()
	l.epoch++
	for _, e := range entries {
		l.noteLocked(e.Number.Uint64())
	}
	l.mu.Unlock()
	return err
}

// Remove removes (n, scope) through the store at instant t; it fails with
// ErrHeld before the entry's hold ends and ErrNotListed when there is none.
func (l *Lists) Remove(ctx context.Context, n dialgate.Number, scope Scope, t time.Time) error {
	return l.RemoveIf(ctx, n, scope, t, RemoveCondition{})
}

// RemoveIf is Remove with a condition on the stored entry, checked by the
// store atomically with the removal (Store.RemoveDNCIf): it fails with
// ErrChanged, removing nothing, when cond does not allow removing the entry
// stored.
func (l *Lists) RemoveIf(ctx context.Context, n dialgate.Number, scope Scope, t time.Time, cond RemoveCondition) error {
	if err := l.store.RemoveDNCIf(ctx, n, scope, t, cond); err != nil {
		return err
	}
	l.mu.Lock()
	l.epoch++
	if l.cache != nil {
		l.cache.Remove(n.Uint64())
	}
	l.mu.Unlock()
	return nil
}

// Lookup returns every entry of n (any scope). A Bloom miss answers without a
// store read; a hit is confirmed through the cache or the store. On a store
// shared between processes (FeedSyncer) the filter and the cache are
// trusted only once the store's feed has relayed every change acknowledged
// before the lookup started (a probe through the feed sent after the lookup
// started); when it cannot say so, the lookup reads the store.
func (l *Lists) Lookup(ctx context.Context, n dialgate.Number) ([]Entry, error) {
	v := n.Uint64()
	l.mu.RLock()
	down := l.feedDown
	l.mu.RUnlock()
	if l.syncer != nil && !down {
		if err := l.syncer.SyncDNC(ctx); err != nil {
			// Another process's change may not have reached the filter or
			// the cache: read the store.
			down = true
		}
	}
	l.mu.RLock()
	down = down || l.feedDown
	if l.bf != nil && !down {
		k := bloomKey(v)
		if !l.bf.Test(k[:]) {
			l.mu.RUnlock()
			return nil, nil
		}
	}
	epoch := l.epoch
	l.mu.RUnlock()
	if l.cache != nil && !down {
		if es, ok := l.cache.Get(v); ok {
			return es, nil
		}
	}
	es, err := l.store.DNCEntries(ctx, n)
	if err != nil {
		return nil, err
	}
	if l.cache != nil {
		// Cache only if no Add or Remove ran since we read the epoch: otherwise
		// we might cache a "not listed" that an Add has just made stale.
		l.mu.Lock()
		if l.epoch == epoch && !l.feedDown {
			l.cache.Add(v, es)
		}
		l.mu.Unlock()
	}
	return es, nil
}
