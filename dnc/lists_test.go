package dnc

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dialgate/dialgate"
)

// feedStore is a testStore with a change feed: its WatchDNC keeps the
// watcher so that the test can tell it about another process's Add.
type feedStore struct {
	*testStore
	w ChangeWatcher
}

func (s *feedStore) WatchDNC(w ChangeWatcher) func() { s.w = w; return func() {} }

// An opt-out taken by another process whose notification arrives as NewLists
// finishes its initial fill must reach the Bloom filter: lost, the filter
// answers "not listed" for that number without reading the store, for as long
// as the process runs.
func TestNewListsKeepsChangeAfterFill(t *testing.T) {
	ctx := context.Background()
	st := &feedStore{testStore: newTestStore()}
	if err := st.AddDNC(ctx, Entry{Number: num("+8613800138000"), Scope: GlobalScope, List: "opt_out", AddedAt: t0}); err != nil {
		t.Fatal(err)
	}
	late := num("+8613900139000")
	testHookFilled = func(*Lists) {
		// Another process adds late; its notification arrives now.
		if err := st.AddDNC(ctx, Entry{Number: late, Scope: GlobalScope, List: "opt_out", AddedAt: t0}); err != nil {
			t.Fatal(err)
		}
		st.w.DNCChanged(late)
	}
	defer func() { testHookFilled = nil }()
	l, err := NewLists(ctx, st, ListsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{}, l)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := c.Check(ctx, dialgate.Dial{To: late, Purpose: dialgate.PurposeMarketing, At: t0})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) == 0 || rs[0].Code != dialgate.CodeDNCListed {
		t.Fatalf("reasons %v, want dnc.listed for a number added by another process during NewLists", rs)
	}
}

// hookedFeedStore is a feedStore whose feed is lost when a watcher
// registers (as a shared store's is while it reconnects) and whose scans
// can be held up by the test.
type hookedFeedStore struct {
	*feedStore
	scans  atomic.Int32
	onScan func(call int32, e Entry) // called before fn for every entry
}

func (s *hookedFeedStore) WatchDNC(w ChangeWatcher) func() {
	s.w = w
	w.DNCFeedLost()
	return func() {}
}

func (s *hookedFeedStore) ScanDNC(ctx context.Context, fn func(Entry) error) error {
	call := s.scans.Add(1)
	return s.testStore.ScanDNC(ctx, func(e Entry) error {
		if s.onScan != nil {
			s.onScan(call, e)
		}
		return fn(e)
	})
}

// A shared store's feed that comes back while NewLists fills its filter
// makes the Lists rebuild the filter (DNCFeedRestored) at the same time.
// Whichever filter is installed last must hold every number added while
// either was being built: an opt-out added after NewLists returned but
// missed by the rebuild's scan was answered "not listed" by the Bloom filter,
// without a store read, until the next rebuild.
func TestRebuildDuringInitialFillKeepsAdds(t *testing.T) {
	ctx := context.Background()
	st := &hookedFeedStore{feedStore: &feedStore{testStore: newTestStore()}}
	if err := st.AddDNC(ctx, Entry{Number: num("+8613800138000"), Scope: GlobalScope, List: "opt_out", AddedAt: t0}); err != nil {
		t.Fatal(err)
	}
	rebuilding := make(chan struct{}) // the rebuild's scan has started
	release := make(chan struct{})    // lets the rebuild's scan go on
	restored := make(chan error, 1)
	var once, once2 sync.Once
	st.onScan = func(call int32, e Entry) {
		switch call {
		case 1: // NewLists counts the entries: the feed comes back now.
			once.Do(func() {
				go func() { restored <- st.w.DNCFeedRestored(ctx) }()
				<-rebuilding
			})
		case 3: // the rebuild's filling scan (its copy of the store is taken)
			once2.Do(func() { close(rebuilding); <-release })
		}
	}
	l, err := NewLists(ctx, st, ListsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	late := num("+8613900139000")
	if err := l.Add(ctx, Entry{Number: late, Scope: GlobalScope, List: "opt_out", AddedAt: t0}); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-restored; err != nil {
		t.Fatal(err)
	}
	es, err := l.Lookup(ctx, late)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) == 0 {
		t.Fatal("Lookup: not listed, for a number added (and stored) while the filter was rebuilt")
	}
}

// Close unsubscribes from the feed; a resynchronisation the store was running
// as Close was called (the store calls DNCFeedRestored under its own lock,
// which Close's cancel waits for) must not make the closed Lists trust its
// Bloom filter again: it hears no other process's opt-outs any more.
func TestCloseDuringFeedRestoreKeepsReadingTheStore(t *testing.T) {
	ctx := context.Background()
	st := &feedStore{testStore: newTestStore()}
	l, err := NewLists(ctx, st, ListsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st.w.DNCFeedLost()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.w.DNCFeedRestored(ctx); err != nil { // was under way as Close ran
		t.Fatal(err)
	}
	// Another process lists a number; l is no longer told.
	other := num("+8613900139000")
	if err := st.AddDNC(ctx, Entry{Number: other, Scope: GlobalScope, List: "opt_out", AddedAt: t0}); err != nil {
		t.Fatal(err)
	}
	es, err := l.Lookup(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) == 0 {
		t.Fatal("Lookup after Close: not listed, for a number another process listed")
	}
}

// ambiguousStore stores an AddDNC and then reports an error, as a commit
// whose acknowledgement is lost does (a network store), or an fsync error
// after the data reached the disk.
type ambiguousStore struct{ *testStore }

func (s ambiguousStore) AddDNC(ctx context.Context, es ...Entry) error {
	if err := s.testStore.AddDNC(ctx, es...); err != nil {
		return err
	}
	return errors.New("commit acknowledgement lost")
}

// An Add whose store reports an error may still have stored the entry. The
// caller sees the error (and retries), but until then a lookup must not
// answer "not listed" from the Bloom filter for a number the store holds.
func TestAddErrorStillReachesTheFilter(t *testing.T) {
	ctx := context.Background()
	st := ambiguousStore{newTestStore()}
	l, err := NewLists(ctx, st, ListsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := num("+8613900139000")
	if err := l.Add(ctx, Entry{Number: n, Scope: GlobalScope, List: "opt_out", AddedAt: t0}); err == nil {
		t.Fatal("Add: no error from a store that reported one")
	}
	es, err := l.Lookup(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) == 0 {
		t.Fatal("Lookup: not listed, for a number the store holds after an Add that reported an error")
	}
}

// TestListsBloomSizeBounded covers the Bloom filter's sizing: a capacity or
// false-positive rate whose filter cannot be allocated (more bits than a
// uint holds, or terabytes) is a configuration error naming the field,
// never a crash of the process (a make of an impossible length panics, an
// allocation of terabytes is a fatal out-of-memory error), and the filter for
// 10⁹ entries — a registry's scale — is sized without overflow.
func TestListsBloomSizeBounded(t *testing.T) {
	ctx := context.Background()
	for _, o := range []ListsOptions{
		{Capacity: 1 << 62},
		{Capacity: 1 << 50},
		{Capacity: 1 << 30, FalsePositiveRate: 1e-300},
	} {
		l, err := NewLists(ctx, newTestStore(), o)
		if !errors.Is(err, dialgate.ErrInvalidConfig) {
			t.Errorf("%+v: NewLists = %v, %v; want an error wrapping ErrInvalidConfig", o, l, err)
		}
	}
	m, k, err := bloomSize(2_000_000_000, 0.001)
	if err != nil || m < 2_000_000_000*14 || m > 2_000_000_000*15 || k != 10 {
		t.Errorf("bloomSize(2e9, 0.001) = %d bits, %d hashes, %v; want ≈ 14.4 bits an entry and 10 hashes", m, k, err)
	}
}

// slowFeedStore is a feedStore whose FeedSyncer cannot confirm that the feed
// has relayed every change (SyncDNC fails while lagging is set), as a shared
// store's does when its feed is slow but not lost.
type slowFeedStore struct {
	*feedStore
	lagging atomic.Bool
}

func (s *slowFeedStore) SyncDNC(context.Context) error {
	if s.lagging.Load() {
		return errors.New("feed probe timed out")
	}
	return nil
}

// While the feed cannot be confirmed (SyncDNC fails), Lookup reads the store:
// the cache may hold a "not listed" answer that another process's opt-out,
// not yet relayed, has made stale.
func TestLaggingFeedBypassesCache(t *testing.T) {
	ctx := context.Background()
	st := &slowFeedStore{feedStore: &feedStore{testStore: newTestStore()}}
	l, err := NewLists(ctx, st, ListsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := num("+8613900139000")
	st.lagging.Store(true)
	// Read from the store (the feed cannot be confirmed) and cached: not listed.
	if es, err := l.Lookup(ctx, n); err != nil || len(es) != 0 {
		t.Fatalf("first lookup: %v %v, want not listed", es, err)
	}
	// Another process lists n; the lagging feed has not told l.
	if err := st.testStore.AddDNC(ctx, Entry{Number: n, Scope: GlobalScope, List: "opt_out", AddedAt: t0}); err != nil {
		t.Fatal(err)
	}
	es, err := l.Lookup(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) == 0 {
		t.Fatal("Lookup while the feed lags: not listed (a cached answer), for a number another process listed")
	}
}
