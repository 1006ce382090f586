package consent

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// A fetch that raced with a revocation must not re-enter the cache after the
// cache dropped the number: the next dial must see the revocation.
func TestCacheStaleFetchNotInserted(t *testing.T) {
	ctx := context.Background()
	s := newFakeStore()
	mustAdd(t, s, goodRecord())
	c := mustCheck(t, cnConfig(), s)
	d := marketing(t0.Add(time.Hour))
	var once atomic.Bool
	s.afterByNumber = func() {
		if once.Swap(true) {
			return
		}
		func() {
			// The first fetch has read the record (not revoked). Now the
			// revocation lands and another dial syncs the cache.
			if _, err := s.RevokeConsent(ctx, "c-1", t0.Add(2*time.Hour), "call"); err != nil {
				t.Error(err)
			}
			if rs, _, err := c.Attest(ctx, d); err != nil || codes(rs) != "consent.revoked" {
				t.Errorf("dial after the revocation: %+v %v", rs, err)
			}
		}()
	}
	// This dial started before the revocation returned: allowing it is
	// linearizable. What matters is what it leaves in the cache.
	if _, _, err := c.Attest(ctx, d); err != nil {
		t.Fatal(err)
	}
	rs, _, err := c.Attest(ctx, d)
	if err != nil || codes(rs) != "consent.revoked" {
		t.Fatalf("dial after both: %+v %v; a stale fetch re-entered the cache", rs, err)
	}
}

// The cache serves hits without reading the store's records.
func TestCacheHitsAndInvalidatesOnlyChangedNumbers(t *testing.T) {
	ctx := context.Background()
	s := newFakeStore()
	mustAdd(t, s, goodRecord())
	r2 := goodRecord()
	r2.ID, r2.Number = "c-2", callee2
	mustAdd(t, s, r2)
	c := mustCheck(t, cnConfig(), s)
	d1, d2 := marketing(t0.Add(time.Hour)), marketing(t0.Add(time.Hour))
	d2.To = callee2
	for range 3 {
		for _, d := range []dialgate.Dial{d1, d2} {
			if rs, _, err := c.Attest(ctx, d); err != nil || len(rs) != 0 {
				t.Fatal(rs, err)
			}
		}
	}
	if n := s.byNumberCalls.Load(); n != 2 {
		t.Fatalf("store read %d times for 6 dials of 2 numbers, want 2", n)
	}
	if _, err := s.RevokeConsent(ctx, "c-2", t0.Add(time.Hour), "sms"); err != nil {
		t.Fatal(err)
	}
	if rs, _, _ := c.Attest(ctx, d1); len(rs) != 0 {
		t.Fatal(rs)
	}
	if rs, _, _ := c.Attest(ctx, d2); codes(rs) != "consent.revoked" {
		t.Fatal(rs)
	}
	if n := s.byNumberCalls.Load(); n != 3 {
		t.Fatalf("store read %d times, want 3 (only the revoked number refetched)", n)
	}
	// A grant for a number cached as "no records" is seen at once.
	d3 := marketing(t0.Add(time.Hour))
	d3.To = dialgate.MustParseNumber("+8613900139002")
	if rs, _, _ := c.Attest(ctx, d3); codes(rs) != "consent.missing" {
		t.Fatal(rs)
	}
	r3 := goodRecord()
	r3.ID, r3.Number = "c-3", d3.To
	mustAdd(t, s, r3)
	if rs, _, _ := c.Attest(ctx, d3); len(rs) != 0 {
		t.Fatalf("new grant not seen: %+v", rs)
	}
}

// More pending events than one batch empty the cache instead of replaying.
func TestCacheFarBehindPurges(t *testing.T) {
	ctx := context.Background()
	s := newFakeStore()
	mustAdd(t, s, goodRecord())
	c := mustCheck(t, cnConfig(), s)
	d := marketing(t0.Add(time.Hour))
	if rs, _, _ := c.Attest(ctx, d); len(rs) != 0 {
		t.Fatal(rs)
	}
	for i := range eventBatch + 5 {
		r := goodRecord()
		r.ID = "x-" + string(rune('a'+i%26)) + "-" + time.Duration(i).String()
		r.Number = callee2
		mustAdd(t, s, r)
	}
	if _, err := s.RevokeConsent(ctx, "c-1", t0.Add(time.Hour), "web"); err != nil {
		t.Fatal(err)
	}
	if rs, _, _ := c.Attest(ctx, d); codes(rs) != "consent.revoked" {
		t.Fatalf("after %d events: %+v", eventBatch+6, rs)
	}
}

// Concurrent revocations and checks, in two "processes" (two Checks with their
// own caches sharing one store): once RevokeConsent has returned, no check that
// starts afterwards, in either process, may allow a dial on that consent.
// Run with -race.
func TestConcurrentRevokeAndCheck(t *testing.T) {
	s := newFakeStore()
	concurrentRevokeAndCheck(t, s, s)
}

// The same with a store that stamps its revisions (RevisionStamper): the
// syncs and stamp comparisons of concurrent dials lose no revocation.
func TestConcurrentRevokeAndCheckStamped(t *testing.T) {
	s := newStampStore()
	concurrentRevokeAndCheck(t, s, s.fakeStore)
}

// concurrentRevokeAndCheck runs TestConcurrentRevokeAndCheck on s, whose
// hooks are those of fs.
func concurrentRevokeAndCheck(t *testing.T, s Store, fs *fakeStore) {
	ctx := context.Background()
	const n = 64
	nums := make([]dialgate.Number, n)
	for i := range n {
		num, err := dialgate.NumberFromUint64(8613900139000 + uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		nums[i] = num
		r := goodRecord()
		r.ID = "c-" + num.Digits()
		r.Number = num
		mustAdd(t, s, r)
	}
	fs.beforeByNumber = runtime.Gosched // widen the race windows
	procs := []*Check{mustCheck(t, cnConfig(), s, WithCacheSize(16)), mustCheck(t, cnConfig(), s, WithCacheSize(n))}
	var revoked [n]atomic.Bool
	var violations, allowedAfter atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := procs[w%2]
			for k := w; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				i := k % n
				was := revoked[i].Load() // read BEFORE the check starts
				d := marketing(t0.Add(time.Hour))
				d.To = nums[i]
				rs, _, err := c.Attest(ctx, d)
				if err != nil {
					t.Error(err)
					return
				}
				if len(rs) == 0 && was {
					violations.Add(1)
				}
				if len(rs) == 0 {
					allowedAfter.Add(1)
				}
			}
		}()
	}
	for i := range n {
		if _, err := s.RevokeConsent(ctx, "c-"+nums[i].Digits(), t0.Add(time.Hour), "call"); err != nil {
			t.Fatal(err)
		}
		revoked[i].Store(true)
		runtime.Gosched()
	}
	close(stop)
	wg.Wait()
	if v := violations.Load(); v != 0 {
		t.Fatalf("%d dials allowed on a consent revoked before the check started", v)
	}
	// Every number is revoked now: both processes deny all.
	for _, c := range procs {
		for i := range n {
			d := marketing(t0.Add(time.Hour))
			d.To = nums[i]
			if rs, _, _ := c.Attest(ctx, d); codes(rs) != "consent.revoked" {
				t.Fatalf("number %d after all revocations: %+v", i, rs)
			}
		}
	}
}

// cacheThenRollback grants c-1 and two other consents (revision 3), has a
// Check cache them with a dial allowed on c-1, then takes the store back to
// revision 1 (only c-1 granted), as a restore or a failover to a lagging
// replica does. what names the event in messages.
func cacheThenRollback(t *testing.T, what string) (*fakeStore, *Check, dialgate.Dial) {
	t.Helper()
	ctx := context.Background()
	s := newFakeStore()
	mustAdd(t, s, goodRecord())
	for i, n := range []string{"+8613900139001", "+8613900139002"} {
		r := goodRecord()
		r.ID, r.Number = "other-"+string(rune('a'+i)), dialgate.MustParseNumber(n)
		mustAdd(t, s, r)
	}
	c := mustCheck(t, cnConfig(), s)
	d := marketing(t0.Add(time.Hour))
	if rs, _, err := c.Attest(ctx, d); err != nil || len(rs) != 0 {
		t.Fatalf("before the %s: %+v %v", what, rs, err)
	}
	// The store goes back to revision 1 (only c-1 granted).
	s.mu.Lock()
	s.events = s.events[:1]
	delete(s.recs, "other-a")
	delete(s.recs, "other-b")
	s.rev.Store(1)
	s.mu.Unlock()
	return s, c, d
}

// A store whose revision goes backwards (restored from a backup, a Redis
// failover to a lagging replica) must not leave the cache serving records the
// store has since changed: a consent revoked after the restore gets a Seq at
// or below the cache's revision, and the cache must still see it.
func TestCacheRevisionGoesBackwards(t *testing.T) {
	ctx := context.Background()
	s, c, d := cacheThenRollback(t, "restore")
	if _, err := s.RevokeConsent(ctx, "c-1", t0.Add(30*time.Minute), "call"); err != nil {
		t.Fatal(err)
	}
	if rs, _, err := c.Attest(ctx, d); err != nil || codes(rs) != "consent.revoked" {
		t.Fatalf("after the restore and a revocation: %+v %v, want consent.revoked (the cache served a revoked consent)", rs, err)
	}
}

// A store whose revision goes backwards and then, before this process's next
// dial, moves past where the cache was (a Redis failover to a lagging replica
// or a restart that lost writes, followed by new writes through other
// sidecars) has a new history under the Seqs the cache already replayed.
// Comparing revisions alone sees only "ahead" and replays the events after
// the cache's revision, missing the new events at or below it: here the
// revocation of c-1 (new Seq 2) was never replayed, and the cache kept
// allowing dials on it.
func TestCacheHistoryDivergesPastRevision(t *testing.T) {
	ctx := context.Background()
	s, c, d := cacheThenRollback(t, "failover")
	// ... the store went back to revision 1 (only c-1 granted) ...
	// ... and, before this process dials again, c-1 is revoked (Seq 2) and
	// two other consents are granted (Seqs 3, 4): the revision is past the
	// cache's 3 again.
	if _, err := s.RevokeConsent(ctx, "c-1", t0.Add(30*time.Minute), "call"); err != nil {
		t.Fatal(err)
	}
	for i, n := range []string{"+8613900139003", "+8613900139004"} {
		r := goodRecord()
		r.ID, r.Number = "new-"+string(rune('a'+i)), dialgate.MustParseNumber(n)
		mustAdd(t, s, r)
	}
	if rs, _, err := c.Attest(ctx, d); err != nil || codes(rs) != "consent.revoked" {
		t.Fatalf("after the failover, a revocation and two grants: %+v %v, want consent.revoked (the cache served a revoked consent)", rs, err)
	}
}

// After a purge (far behind) the cache reads the event at its new revision,
// so that a later divergence of the store's history is still seen.
func TestCacheHistoryDivergesAfterPurge(t *testing.T) {
	ctx := context.Background()
	s := newFakeStore()
	c := mustCheck(t, cnConfig(), s)
	d := marketing(t0.Add(time.Hour))
	if rs, _, _ := c.Attest(ctx, d); codes(rs) != "consent.missing" {
		t.Fatal(rs)
	}
	for i := range eventBatch + 5 {
		r := goodRecord()
		r.ID = "x-" + time.Duration(i).String()
		r.Number = callee2
		mustAdd(t, s, r)
	}
	mustAdd(t, s, goodRecord())
	if rs, _, err := c.Attest(ctx, d); err != nil || len(rs) != 0 {
		t.Fatalf("after the purge: %+v %v", rs, err)
	}
	// The cache follows the store from there without purging again: a
	// grant for a third number refetches neither cached one.
	calls := s.byNumberCalls.Load()
	r3 := goodRecord()
	r3.ID, r3.Number = "c-3", dialgate.MustParseNumber("+8613900139002")
	mustAdd(t, s, r3)
	if rs, _, err := c.Attest(ctx, d); err != nil || len(rs) != 0 {
		t.Fatalf("after a grant for another number: %+v %v", rs, err)
	}
	if n := s.byNumberCalls.Load() - calls; n != 0 {
		t.Fatalf("store read %d times after a grant for another number, want 0 (the cache purged again)", n)
	}
	top := s.rev.Load()
	// The store loses its last two events (the grant of c-1 among them)
	// and takes the revocation of c-1 ... then two more writes.
	s.mu.Lock()
	s.events = s.events[:top-2]
	s.rev.Store(top - 2)
	s.mu.Unlock()
	if _, err := s.RevokeConsent(ctx, "c-1", t0.Add(30*time.Minute), "call"); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		r := goodRecord()
		r.ID, r.Number = "y-"+time.Duration(i).String(), callee2
		mustAdd(t, s, r)
	}
	if rs, _, err := c.Attest(ctx, d); err != nil || codes(rs) != "consent.revoked" {
		t.Fatalf("after the divergence: %+v %v, want consent.revoked", rs, err)
	}
}
