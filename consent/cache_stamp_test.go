package consent

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// stampStore is a fakeStore that stamps every write (RevisionStamper): its
// revision read also names the write that made the revision. lose takes
// the store back by its last write, as a Redis crash with appendfsync
// everysec or a failover to a lagging replica does.
type stampStore struct {
	*fakeStore
	stamps    []string // stamps[i] is the stamp of the write with Seq i+1; guarded by fakeStore.mu
	next      int
	revReads  atomic.Int64
	evReads   atomic.Int64
	legacyTop uint64 // writes with Seq ≤ legacyTop carry no stamp (an earlier build's)
}

func newStampStore() *stampStore { return &stampStore{fakeStore: newFakeStore()} }

// stampLocked records the stamp of every write made since the last call;
// s.mu is held.
func (s *stampStore) stampLocked() {
	for uint64(len(s.stamps)) < s.rev.Load() {
		st := ""
		if uint64(len(s.stamps)) >= s.legacyTop {
			s.next++
			st = "w" + strconv.Itoa(s.next)
		}
		s.stamps = append(s.stamps, st)
	}
}

func (s *stampStore) AddConsent(ctx context.Context, r Record) error {
	err := s.fakeStore.AddConsent(ctx, r)
	s.mu.Lock()
	s.stampLocked()
	s.mu.Unlock()
	return err
}

func (s *stampStore) RevokeConsent(ctx context.Context, id string, at time.Time, channel string) (Record, error) {
	r, err := s.fakeStore.RevokeConsent(ctx, id, at, channel)
	s.mu.Lock()
	s.stampLocked()
	s.mu.Unlock()
	return r, err
}

func (s *stampStore) ConsentRevisionStamp(ctx context.Context) (uint64, string, error) {
	s.revReads.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stampLocked() // a write whose method has not stamped it yet
	r := s.rev.Load()
	if r == 0 {
		return 0, "", nil
	}
	return r, s.stamps[r-1], nil
}

func (s *stampStore) ConsentRevision(ctx context.Context) (uint64, error) {
	s.revReads.Add(1)
	return s.fakeStore.ConsentRevision(ctx)
}

func (s *stampStore) ConsentEventsSince(ctx context.Context, since uint64, limit int) ([]Event, error) {
	s.evReads.Add(1)
	return s.fakeStore.ConsentEventsSince(ctx, since, limit)
}

// lose forgets the store's last write, a grant: its record, event, stamp
// and revision.
func (s *stampStore) lose(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	last := s.events[len(s.events)-1]
	if last.Type != EventGranted {
		t.Fatalf("lose: last write is a %s", last.Type)
	}
	delete(s.recs, last.ConsentID)
	s.events = s.events[:len(s.events)-1]
	s.stamps = s.stamps[:len(s.stamps)-1]
	s.rev.Store(last.Seq - 1)
}

// A store that loses its last write (revision 2 → 1) and, before this
// process dials again, takes a revocation of the cached number through
// another process (revision 1 → 2 again, another event at Seq 2) is at the
// cache's revision with another history. Comparing revisions alone saw
// nothing to replay, and the cache kept allowing dials on the stale grant:
// an acknowledged revocation that never reached this process. The stamp read
// with the revision tells the two writes at Seq 2 apart.
func TestCacheSameRevisionOtherHistory(t *testing.T) {
	ctx := context.Background()
	for _, legacy := range []bool{false, true} {
		t.Run("legacy="+strconv.FormatBool(legacy), func(t *testing.T) {
			s := newStampStore()
			if legacy {
				s.legacyTop = 1 // the grant of c-1 was written by an earlier build, without a stamp
			}
			mustAdd(t, s, goodRecord())                         // Seq 1: the grant of the callee
			mustAdd(t, s, otherRecord("c-2", "+8613900139002")) // Seq 2
			c := mustCheck(t, cnConfig(), s)
			d := marketing(t0.Add(time.Hour))
			if rs, _, err := c.Attest(ctx, d); err != nil || len(rs) != 0 {
				t.Fatalf("first dial: %+v %v, want allowed", rs, err)
			}
			s.lose(t) // back to revision 1
			if _, err := s.RevokeConsent(ctx, "c-1", t0.Add(30*time.Minute), "call"); err != nil {
				t.Fatal(err) // Seq 2 again, another write
			}
			if rs, _, err := c.Attest(ctx, d); err != nil || codes(rs) != "consent.revoked" {
				t.Fatalf("after a lost write and a revocation at the same revision: %+v %v, want consent.revoked (the cache served a revoked consent)", rs, err)
			}
		})
	}
}

// The stamp costs no round trip: a hit reads the revision (with its stamp)
// once and nothing else, and a write to another number refetches nothing
// and purges nothing.
func TestCacheStampNoExtraReads(t *testing.T) {
	ctx := context.Background()
	s := newStampStore()
	mustAdd(t, s, goodRecord())
	c := mustCheck(t, cnConfig(), s)
	d := marketing(t0.Add(time.Hour))
	if rs, _, err := c.Attest(ctx, d); err != nil || len(rs) != 0 {
		t.Fatalf("first dial: %+v %v", rs, err)
	}
	mustAdd(t, s, otherRecord("c-2", "+8613900139002"))
	if rs, _, err := c.Attest(ctx, d); err != nil || len(rs) != 0 {
		t.Fatalf("after a grant for another number: %+v %v", rs, err)
	}
	fetches, revs, evs := s.byNumberCalls.Load(), s.revReads.Load(), s.evReads.Load()
	for range 5 {
		if rs, _, err := c.Attest(ctx, d); err != nil || len(rs) != 0 {
			t.Fatalf("hit: %+v %v", rs, err)
		}
	}
	if n := s.byNumberCalls.Load() - fetches; n != 0 {
		t.Fatalf("5 hits read the records %d times, want 0 (the cache purged)", n)
	}
	if n := s.revReads.Load() - revs; n != 5 {
		t.Fatalf("5 hits read the revision %d times, want 5", n)
	}
	if n := s.evReads.Load() - evs; n != 0 {
		t.Fatalf("5 hits read events %d times, want 0", n)
	}
	if n := s.byNumberCalls.Load(); n != 1 {
		t.Fatalf("records read %d times in all, want 1", n)
	}
}
