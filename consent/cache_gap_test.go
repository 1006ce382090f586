package consent

import (
	"cmp"
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// gapStore is a Store that breaks the visibility contract in the ways the
// cache guards against: its revision can run ahead of the events it returns
// (ahead: a write whose revision is visible before its record and event),
// and it can leave one event out of ConsentEventsSince (hide: a hole in the
// Seqs, as a store numbering events with a SQL sequence shows while an
// earlier transaction has not committed).
type gapStore struct {
	*fakeStore
	ahead atomic.Uint64
	hide  atomic.Uint64
	from  atomic.Uint64 // events before this Seq are not kept (and not reported truncated)
}

func (s *gapStore) ConsentRevision(ctx context.Context) (uint64, error) {
	r, err := s.fakeStore.ConsentRevision(ctx)
	return r + s.ahead.Load(), err
}

func (s *gapStore) ConsentEventsSince(ctx context.Context, since uint64, limit int) ([]Event, error) {
	evs, err := s.fakeStore.ConsentEventsSince(ctx, since, limit)
	if h, f := s.hide.Load(), s.from.Load(); h != 0 || f != 0 {
		out := evs[:0:0]
		for _, e := range evs {
			if e.Seq != h && e.Seq >= f {
				out = append(out, e)
			}
		}
		evs = out
	}
	return evs, err
}

// gapSetup returns a gapStore with c-1 (Seq 1, cached by an allowed dial d
// through c) and c-2 of another number (Seq 2).
func gapSetup(t *testing.T) (*gapStore, *Check, dialgate.Dial) {
	t.Helper()
	s := &gapStore{fakeStore: newFakeStore()}
	mustAdd(t, s, goodRecord()) // Seq 1
	c := mustCheck(t, cnConfig(), s)
	d := marketing(t0.Add(time.Hour))
	if rs, _, err := c.Attest(context.Background(), d); err != nil || len(rs) != 0 {
		t.Fatalf("first dial: %+v %v, want allowed", rs, err)
	}
	mustAdd(t, s, otherRecord("c-2", "+8613900139002")) // Seq 2
	return s, c, d
}

func otherRecord(id, number string) Record {
	r := goodRecord()
	r.ID, r.Number = id, dialgate.MustParseNumber(number)
	return r
}

// A store whose revision promised an event it did not return makes the dial
// fail (errEventGap). The next dial, with the event still missing, must fail
// the same way: the first sync had already taken the last event it read for
// the event at the cache's revision, so the second saw another history than
// the one it followed and purged, trusting the store's revision; the records
// it then fetched predated the missing write, and once that write (a
// revocation) landed, the cache kept serving them as current.
func TestCacheEventGapStaysClosed(t *testing.T) {
	ctx := context.Background()
	s, c, d := gapSetup(t)
	s.ahead.Store(1) // revision 3, its write not visible yet
	for i := range 2 {
		if rs, _, err := c.Attest(ctx, d); err == nil {
			t.Fatalf("dial %d with revision 3 and events up to 2: %+v, want an error (consent.unavailable)", i+1, rs)
		}
	}
	// The write behind revision 3 lands: the revocation of c-1.
	s.ahead.Store(0)
	if _, err := s.RevokeConsent(ctx, "c-1", t0.Add(2*time.Hour), "call"); err != nil {
		t.Fatal(err)
	}
	if rs, _, err := c.Attest(ctx, d); err != nil || codes(rs) != "consent.revoked" {
		t.Fatalf("dial after the revocation returned: %+v %v, want consent.revoked (the cache served a revoked consent)", rs, err)
	}
}

// A hole among the events a sync reads (Seqs 2 and 4 without 3) is a store
// breaking the contract just as a missing last event is: the event in the
// hole may be the revocation of a cached number. The dial fails rather than
// trust the cache.
func TestCacheEventHoleFailsClosed(t *testing.T) {
	ctx := context.Background()
	s, c, d := gapSetup(t)
	if _, err := s.RevokeConsent(ctx, "c-1", t0.Add(2*time.Hour), "call"); err != nil {
		t.Fatal(err) // Seq 3
	}
	mustAdd(t, s, otherRecord("c-4", "+8613900139004")) // Seq 4
	s.hide.Store(3)
	rs, _, err := c.Attest(ctx, d)
	if err == nil && codes(rs) != "consent.revoked" {
		t.Fatalf("dial after the revocation returned, its event left out: %+v, want an error or consent.revoked (the cache served a revoked consent)", rs)
	}
}

// A cache that has followed nothing yet (revision 0) and a store whose kept
// events start later, without its saying so (ErrHistoryTruncated), is not a
// hole: the cache has nothing to drop, and follows the store from its
// revision rather than fail every dial.
func TestCacheFreshFollowsStoreKeepingRecentEvents(t *testing.T) {
	ctx := context.Background()
	s := &gapStore{fakeStore: newFakeStore()}
	mustAdd(t, s, otherRecord("c-0", "+8613900139002")) // Seq 1
	mustAdd(t, s, goodRecord())                         // Seq 2
	s.from.Store(2)
	c := mustCheck(t, cnConfig(), s)
	d := marketing(t0.Add(time.Hour))
	if rs, _, err := c.Attest(ctx, d); err != nil || len(rs) != 0 {
		t.Fatalf("first dial: %+v %v, want allowed", rs, err)
	}
	if _, err := s.RevokeConsent(ctx, "c-1", t0.Add(2*time.Hour), "call"); err != nil {
		t.Fatal(err)
	}
	if rs, _, err := c.Attest(ctx, d); err != nil || codes(rs) != "consent.revoked" {
		t.Fatalf("dial after the revocation: %+v %v, want consent.revoked", rs, err)
	}
}

// seqStore is a fakeStore whose ConsentEventsSince returns the events after
// since ordered by Seq (stable), as a store keeping them under their Seq
// does (redisstore's sorted set by score): events of two histories that
// share Seqs come mingled.
type seqStore struct{ *fakeStore }

func (s *seqStore) ConsentEventsSince(ctx context.Context, since uint64, limit int) ([]Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Event
	for _, e := range s.events {
		if e.Seq > since {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b Event) int { return cmp.Compare(a.Seq, b.Seq) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// A store whose revision was lost while its events were kept (redisstore's
// {prefix}:crev deleted: the revision reads 0, and the next write takes Seq
// 1 again) hands out two events at a Seq. The cache, reset to revision 0,
// replayed the first event of Seq 1 — the old grant of another number —
// and stopped at the revision, leaving out the new event of Seq 1, the
// revocation of the number it held: the withdrawn consent went on allowing.
// Events that do not follow one another are a store breaking its contract:
// the dial fails (consent.unavailable).
func TestCacheDuplicateSeqAtRevisionFailsClosed(t *testing.T) {
	ctx := context.Background()
	s := &seqStore{fakeStore: newFakeStore()}
	mustAdd(t, s, otherRecord("c-0", "+8613900139002")) // Seq 1
	mustAdd(t, s, goodRecord())                         // Seq 2
	c := mustCheck(t, cnConfig(), s)
	d := marketing(t0.Add(time.Hour))
	if rs, _, err := c.Attest(ctx, d); err != nil || len(rs) != 0 {
		t.Fatalf("first dial: %+v %v, want allowed", rs, err)
	}
	s.rev.Store(0) // the revision is lost; the events are kept
	if rs, _, err := c.Attest(ctx, d); err != nil || len(rs) != 0 {
		t.Fatalf("dial at revision 0: %+v %v, want allowed", rs, err)
	}
	if _, err := s.RevokeConsent(ctx, "c-1", t0.Add(30*time.Minute), "call"); err != nil {
		t.Fatal(err) // Seq 1 again
	}
	rs, _, err := c.Attest(ctx, d)
	if err == nil && (len(rs) != 1 || rs[0].Code != dialgate.CodeConsentRevoked) {
		t.Fatalf("after the revocation at a Seq the store had given before: %+v, want consent.revoked or an error (consent.unavailable)", rs)
	}
}
