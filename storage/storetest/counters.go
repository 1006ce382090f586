package storetest

//lint:file-ignore ST1005 the conformance failures start with the Go method they report on (Reserve, Usage, Close)

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
)

// TestCounters runs the storage.Counters conformance suite as subtests. open
// must return a fresh, empty store for the given (sub)test and arrange for it
// to be closed.
func TestCounters(t *testing.T, open func(t *testing.T) storage.Counters, opts ...Option) {
	t.Helper()
	runT(t, counterCases(), open, newConfig(opts))
}

// CheckCounters runs the storage.Counters conformance suite and reports every
// failure, joined. open must return a fresh, empty store on each call; stores
// implementing io.Closer are closed after each case.
func CheckCounters(ctx context.Context, open func() (storage.Counters, error), opts ...Option) error {
	return checkAll(ctx, "Counters", counterCases(), open, newConfig(opts))
}

// t0 is the suite's reference instant.
var t0 = time.Date(2026, 12, 5, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// farPast and farFuture lie outside the years a Unix-nanosecond int64 holds
// (1678–2262): a store that filters on t.UnixNano() wraps them around.
var (
	farPast   = time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)
	farFuture = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
)

func counterCases() []testCase[storage.Counters] {
	return []testCase[storage.Counters]{
		{"InvalidArguments", counterInvalid},
		{"FillAndDeny", counterFill},
		{"UsageDoesNotReserve", counterUsageReadOnly},
		{"SlidingWindowExpiry", counterExpiry},
		{"FutureEntriesCount", counterFuture},
		{"IdempotentByID", counterIdempotent},
		{"FailedReserveRecordsNothing", counterAtomicFail},
		{"SameKeyTwice", counterSameKey},
		{"Release", counterRelease},
		{"DistinctMembers", counterMembers},
		{"NextAtSeveralLimits", counterNextAt},
		{"Race64", counterRace},
		{"Race64LastSlot", counterRaceLastSlot},
		{"CancelledContext", counterCancelled},
		{"Expire", counterExpire},
		{"Closed", counterClosed},
		{"Reopen", counterReopen},
		{"ReopenReusedID", counterReopenReused},
		{"CheckOnlyExceededRefuses", counterCheckOnlyRefuses},
		{"CheckOnlyNotRecorded", counterCheckOnlyNotRecorded},
		{"CheckOnlyAlone", counterCheckOnlyAlone},
		{"CheckOnlyHeldID", counterCheckOnlyHeld},
		{"CheckOnlyReopen", counterCheckOnlyReopen},
		{"CheckOnlyRace", counterCheckOnlyRace},
		{"CheckOnlySeveral", counterCheckOnlySeveral},
	}
}

func openCounters(h harness[storage.Counters]) (storage.Counters, error) {
	s, err := h.open()
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	if s == nil {
		return nil, errors.New("open returned nil")
	}
	return s, nil
}

func lim(key string, w time.Duration, max int) storage.Limit {
	return storage.Limit{Key: key, Window: w, Max: max}
}

// reserve calls Reserve and checks that it neither failed nor disagreed with want.
func reserve(ctx context.Context, s storage.Counters, id string, t time.Time, want bool, limits ...storage.Limit) ([]storage.Usage, error) {
	ok, u, err := s.Reserve(ctx, id, t, limits)
	if err != nil {
		return nil, fmt.Errorf("Reserve(%q, %s): %w", id, t.Format(time.RFC3339), err)
	}
	if ok != want {
		return u, fmt.Errorf("Reserve(%q, %s) = %v, want %v (usage %+v)", id, t.Format(time.RFC3339), ok, want, u)
	}
	if len(u) != len(limits) {
		return u, fmt.Errorf("Reserve(%q) returned %d usages for %d limits", id, len(u), len(limits))
	}
	return u, nil
}

// count returns the usage count of one limit at t.
func count(ctx context.Context, s storage.Counters, t time.Time, l storage.Limit) (storage.Usage, error) {
	u, err := s.Usage(ctx, t, []storage.Limit{l})
	if err != nil {
		return storage.Usage{}, fmt.Errorf("Usage(%s): %w", l.Key, err)
	}
	if len(u) != 1 {
		return storage.Usage{}, fmt.Errorf("Usage returned %d usages for 1 limit", len(u))
	}
	return u[0], nil
}

func wantCount(ctx context.Context, s storage.Counters, t time.Time, l storage.Limit, want int) error {
	u, err := count(ctx, s, t, l)
	if err != nil {
		return err
	}
	if u.Count != want {
		return fmt.Errorf("Usage(%q at %s).Count = %d, want %d", l.Key, t.Format(time.RFC3339), u.Count, want)
	}
	return nil
}

func counterInvalid(ctx context.Context, h harness[storage.Counters]) error {
	s, err := openCounters(h)
	if err != nil {
		return err
	}
	good := lim("k", time.Hour, 1)
	bad := []struct {
		name   string
		id     string
		t      time.Time
		limits []storage.Limit
	}{
		{"empty id", "", t0, []storage.Limit{good}},
		{"zero time", "a", time.Time{}, []storage.Limit{good}},
		{"empty key", "a", t0, []storage.Limit{lim("", time.Hour, 1)}},
		{"zero window", "a", t0, []storage.Limit{lim("k", 0, 1)}},
		{"negative window", "a", t0, []storage.Limit{lim("k", -time.Hour, 1)}},
		{"window over MaxWindow", "a", t0, []storage.Limit{lim("k", storage.MaxWindow+time.Nanosecond, 1)}},
		{"zero max", "a", t0, []storage.Limit{lim("k", time.Hour, 0)}},
		{"negative max", "a", t0, []storage.Limit{lim("k", time.Hour, -1)}},
		{"key with two members", "a", t0, []storage.Limit{{Key: "k", Member: "x", Window: time.Hour, Max: 1}, {Key: "k", Member: "y", Window: time.Hour, Max: 1}}},
		{"key both check-only and not", "a", t0, []storage.Limit{good, {Key: "k", Window: 2 * time.Hour, Max: 1, CheckOnly: true}}},
	}
	for _, b := range bad {
		ok, _, err := s.Reserve(ctx, b.id, b.t, b.limits)
		if !errors.Is(err, storage.ErrInvalid) || ok {
			return fmt.Errorf("Reserve with %s = %v, %v; want false and an error wrapping storage.ErrInvalid", b.name, ok, err)
		}
		if b.id == "" {
			continue
		}
		if _, err := s.Usage(ctx, b.t, b.limits); !errors.Is(err, storage.ErrInvalid) {
			return fmt.Errorf("Usage with %s: err = %v, want storage.ErrInvalid", b.name, err)
		}
	}
	// Nothing was recorded by the refused calls.
	return wantCount(ctx, s, t0, good, 0)
}

func counterFill(ctx context.Context, h harness[storage.Counters]) error {
	s, err := openCounters(h)
	if err != nil {
		return err
	}
	l := lim("fill", time.Hour, 2)
	if _, err := reserve(ctx, s, "a", t0, true, l); err != nil {
		return err
	}
	u, err := reserve(ctx, s, "b", t0.Add(10*time.Minute), true, l)
	if err != nil {
		return err
	}
	if u[0].Count != 1 || u[0].Exceeded {
		return fmt.Errorf("second reservation saw %+v, want count 1, not exceeded", u[0])
	}
	u, err = reserve(ctx, s, "c", t0.Add(20*time.Minute), false, l)
	if err != nil {
		return err
	}
	if u[0].Count != 2 || !u[0].Exceeded {
		return fmt.Errorf("third reservation saw %+v, want count 2, exceeded", u[0])
	}
	if want := t0.Add(time.Hour); !u[0].NextAt.Equal(want) {
		return fmt.Errorf("NextAt = %s, want %s (the oldest entry leaves the window)", u[0].NextAt, want)
	}
	if u[0].Limit != l {
		return fmt.Errorf("Usage.Limit = %+v, want %+v", u[0].Limit, l)
	}
	return wantCount(ctx, s, t0.Add(20*time.Minute), l, 2)
}

func counterUsageReadOnly(ctx context.Context, h harness[storage.Counters]) error {
	s, err := openCounters(h)
	if err != nil {
		return err
	}
	l := lim("ro", time.Hour, 1)
	for range 3 {
		u, err := count(ctx, s, t0, l)
		if err != nil {
			return err
		}
		if u.Count != 0 || u.Exceeded || !u.NextAt.IsZero() {
			return fmt.Errorf("Usage on an empty key = %+v, want zero count, not exceeded", u)
		}
	}
	if _, err := reserve(ctx, s, "a", t0, true, l); err != nil {
		return err
	}
	u, err := count(ctx, s, t0, l)
	if err != nil {
		return err
	}
	if u.Count != 1 || !u.Exceeded || !u.NextAt.Equal(t0.Add(time.Hour)) {
		return fmt.Errorf("Usage of a full key = %+v, want count 1, exceeded, next at %s", u, t0.Add(time.Hour))
	}
	// Usage reports on several limits at once, in order.
	us, err := s.Usage(ctx, t0, []storage.Limit{lim("other", time.Hour, 1), l})
	if err != nil {
		return fmt.Errorf("Usage: %w", err)
	}
	if len(us) != 2 || us[0].Count != 0 || us[1].Count != 1 {
		return fmt.Errorf("Usage of two limits = %+v, want counts 0 and 1", us)
	}
	return nil
}

func counterExpiry(ctx context.Context, h harness[storage.Counters]) error {
	s, err := openCounters(h)
	if err != nil {
		return err
	}
	l := lim("slide", time.Hour, 2)
	if _, err := reserve(ctx, s, "a", t0, true, l); err != nil {
		return err
	}
	if _, err := reserve(ctx, s, "b", t0.Add(30*time.Minute), true, l); err != nil {
		return err
	}
	// One nanosecond before a's entry leaves the window, the key is still full.
	if _, err := reserve(ctx, s, "c", t0.Add(time.Hour-time.Nanosecond), false, l); err != nil {
		return err
	}
	// At t0+1h the window is (t0, t0+1h]: a no longer counts.
	if err := wantCount(ctx, s, t0.Add(time.Hour), l, 1); err != nil {
		return err
	}
	if _, err := reserve(ctx, s, "c", t0.Add(time.Hour), true, l); err != nil {
		return err
	}
	// Much later every entry has left the window (and may have been pruned).
	late := t0.Add(48 * time.Hour)
	if err := wantCount(ctx, s, late, l, 0); err != nil {
		return err
	}
	if _, err := reserve(ctx, s, "d", late, true, l); err != nil {
		return err
	}
	if _, err := reserve(ctx, s, "e", late, true, l); err != nil {
		return err
	}
	return wantCount(ctx, s, late, l, 2)
}

func counterFuture(ctx context.Context, h harness[storage.Counters]) error {
	s, err := openCounters(h)
	if err != nil {
		return err
	}
	l := lim("future", time.Hour, 1)
	// A caller whose clock runs ahead reserved first: its entry counts for a
	// caller whose clock is behind.
	if _, err := reserve(ctx, s, "ahead", t0.Add(5*time.Minute), true, l); err != nil {
		return err
	}
	if _, err := reserve(ctx, s, "behind", t0, false, l); err != nil {
		return err
	}
	return wantCount(ctx, s, t0, l, 1)
}

func counterIdempotent(ctx context.Context, h harness[storage.Counters]) error {
	s, err := openCounters(h)
	if err != nil {
		return err
	}
	l := lim("idem", time.Hour, 2)
	for i := range 3 {
		if _, err := reserve(ctx, s, "same", t0.Add(time.Duration(i)*time.Minute), true, l); err != nil {
			return err
		}
	}
	if err := wantCount(ctx, s, t0.Add(5*time.Minute), l, 1); err != nil {
		return err
	}
	if _, err := reserve(ctx, s, "other", t0.Add(5*time.Minute), true, l); err != nil {
		return err
	}
	// The key is now full, but a retry of a held id still succeeds and
	// records nothing more.
	if _, err := reserve(ctx, s, "same", t0.Add(6*time.Minute), true, l); err != nil {
		return err
	}
	if _, err := reserve(ctx, s, "third", t0.Add(6*time.Minute), false, l); err != nil {
		return err
	}
	return wantCount(ctx, s, t0.Add(6*time.Minute), l, 2)
}

func counterAtomicFail(ctx context.Context, h harness[storage.Counters]) error {
	s, err := openCounters(h)
	if err != nil {
		return err
	}
	roomy := lim("atomic/roomy", time.Hour, 10)
	full := lim("atomic/full", time.Hour, 1)
	if _, err := reserve(ctx, s, "first", t0, true, full); err != nil {
		return err
	}
	u, err := reserve(ctx, s, "second", t0, false, roomy, full)
	if err != nil {
		return err
	}
	if u[0].Exceeded || !u[1].Exceeded {
		return fmt.Errorf("usages = %+v, want only the second limit exceeded", u)
	}
	if err := wantCount(ctx, s, t0, roomy, 0); err != nil {
		return fmt.Errorf("a refused reservation recorded under another key: %w", err)
	}
	// The refused id holds nothing: it can reserve later under other limits.
	if _, err := reserve(ctx, s, "second", t0, true, roomy); err != nil {
		return err
	}
	return wantCount(ctx, s, t0, roomy, 1)
}

func counterSameKey(ctx context.Context, h harness[storage.Counters]) error {
	s, err := openCounters(h)
	if err != nil {
		return err
	}
	short := lim("twice", 5*time.Minute, 1)
	long := lim("twice", 24*time.Hour, 2)
	if _, err := reserve(ctx, s, "a", t0, true, short, long); err != nil {
		return err
	}
	if err := wantCount(ctx, s, t0, long, 1); err != nil {
		return fmt.Errorf("two limits on one key must record once: %w", err)
	}
	u, err := reserve(ctx, s, "b", t0.Add(time.Minute), false, short, long)
	if err != nil {
		return err
	}
	if !u[0].Exceeded || u[1].Exceeded {
		return fmt.Errorf("usages = %+v, want the 5-minute limit exceeded only", u)
	}
	if _, err := reserve(ctx, s, "b", t0.Add(5*time.Minute), true, short, long); err != nil {
		return err
	}
	// The short window has pruned nothing the long one needs.
	if _, err := reserve(ctx, s, "c", t0.Add(10*time.Minute), false, short, long); err != nil {
		return err
	}
	return wantCount(ctx, s, t0.Add(10*time.Minute), long, 2)
}

func counterRelease(ctx context.Context, h harness[storage.Counters]) error {
	s, err := openCounters(h)
	if err != nil {
		return err
	}
	a := lim("rel/a", time.Hour, 1)
	b := lim("rel/b", time.Hour, 1)
	if err := s.Release(ctx, "never-reserved"); err != nil {
		return fmt.Errorf("Release of an unknown id: %w", err)
	}
	if _, err := reserve(ctx, s, "x", t0, true, a, b); err != nil {
		return err
	}
	if _, err := reserve(ctx, s, "y", t0, false, a); err != nil {
		return err
	}
	if err := s.Release(ctx, "x"); err != nil {
		return fmt.Errorf("Release: %w", err)
	}
	for _, l := range []storage.Limit{a, b} {
		if err := wantCount(ctx, s, t0, l, 0); err != nil {
			return fmt.Errorf("after Release: %w", err)
		}
	}
	if err := s.Release(ctx, "x"); err != nil {
		return fmt.Errorf("second Release: %w", err)
	}
	if _, err := reserve(ctx, s, "y", t0, true, a); err != nil {
		return err
	}
	// A released id may reserve again.
	if _, err := reserve(ctx, s, "x", t0, true, b); err != nil {
		return err
	}
	return wantCount(ctx, s, t0, b, 1)
}

func counterMembers(ctx context.Context, h harness[storage.Counters]) error {
	s, err := openCounters(h)
	if err != nil {
		return err
	}
	seg := func(m string) storage.Limit {
		return storage.Limit{Key: "segment/1380013", Member: m, Window: time.Hour, Max: 2}
	}
	if _, err := reserve(ctx, s, "1", t0, true, seg("n1")); err != nil {
		return err
	}
	if _, err := reserve(ctx, s, "2", t0.Add(time.Minute), true, seg("n1")); err != nil {
		return err
	}
	u, err := reserve(ctx, s, "3", t0.Add(2*time.Minute), true, seg("n2"))
	if err != nil {
		return err
	}
	if u[0].Count != 1 {
		return fmt.Errorf("a member dialled twice counted %d times, want 1", u[0].Count)
	}
	// Full with two distinct members: a third is refused, a known one is not.
	u, err = reserve(ctx, s, "4", t0.Add(3*time.Minute), false, seg("n3"))
	if err != nil {
		return err
	}
	if u[0].Count != 2 || !u[0].Exceeded {
		return fmt.Errorf("usage = %+v, want 2 distinct members, exceeded", u[0])
	}
	// n1 was last seen at t0+1m and n2 at t0+2m: one slot frees when n1 leaves.
	if want := t0.Add(time.Minute + time.Hour); !u[0].NextAt.Equal(want) {
		return fmt.Errorf("NextAt = %s, want %s (the latest entry of the oldest member)", u[0].NextAt, want)
	}
	u, err = reserve(ctx, s, "5", t0.Add(4*time.Minute), true, seg("n1"))
	if err != nil {
		return err
	}
	if u[0].Exceeded {
		return fmt.Errorf("a member already counted reported exceeded: %+v", u[0])
	}
	// Releasing one of n1's two entries leaves n1 counted.
	if err := s.Release(ctx, "1"); err != nil {
		return fmt.Errorf("Release: %w", err)
	}
	return wantCount(ctx, s, t0.Add(4*time.Minute), seg(""), 2)
}

func counterNextAt(ctx context.Context, h harness[storage.Counters]) error {
	s, err := openCounters(h)
	if err != nil {
		return err
	}
	// The cn caps: 1 per 5 minutes, 2 per 24 hours, under separate keys.
	five := lim("cn/5m", 5*time.Minute, 1)
	day := lim("cn/24h", 24*time.Hour, 2)
	if _, err := reserve(ctx, s, "a", t0, true, five, day); err != nil {
		return err
	}
	u, err := reserve(ctx, s, "b", t0.Add(time.Minute), false, five, day)
	if err != nil {
		return err
	}
	if !u[0].Exceeded || !u[0].NextAt.Equal(t0.Add(5*time.Minute)) || u[1].Exceeded {
		return fmt.Errorf("usages = %+v, want the 5-minute cap exceeded until %s", u, t0.Add(5*time.Minute))
	}
	if _, err := reserve(ctx, s, "b", t0.Add(5*time.Minute), true, five, day); err != nil {
		return err
	}
	u, err = reserve(ctx, s, "c", t0.Add(time.Hour), false, five, day)
	if err != nil {
		return err
	}
	if u[0].Exceeded || !u[1].Exceeded || !u[1].NextAt.Equal(t0.Add(24*time.Hour)) {
		return fmt.Errorf("usages = %+v, want the 24-hour cap exceeded until %s", u, t0.Add(24*time.Hour))
	}
	return nil
}

// race has n goroutines reserve distinct ids against l at once and returns
// how many succeeded.
func race(ctx context.Context, s storage.Counters, n int, prefix string, l storage.Limit) (int, error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		won   int
		errs  []error
		start = make(chan struct{})
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ok, _, err := s.Reserve(ctx, fmt.Sprintf("%s-%d", prefix, i), t0.Add(time.Duration(i)*time.Millisecond), []storage.Limit{l})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			if ok {
				won++
			}
		}()
	}
	close(start)
	wg.Wait()
	return won, errors.Join(errs...)
}

func counterRace(ctx context.Context, h harness[storage.Counters]) error {
	s, err := openCounters(h)
	if err != nil {
		return err
	}
	l := lim("race", time.Hour, 5)
	won, err := race(ctx, s, 64, "r", l)
	if err != nil {
		return fmt.Errorf("concurrent Reserve: %w", err)
	}
	if won != l.Max {
		return fmt.Errorf("64 concurrent reservations against max %d: %d succeeded", l.Max, won)
	}
	return wantCount(ctx, s, t0.Add(time.Second), l, l.Max)
}

func counterRaceLastSlot(ctx context.Context, h harness[storage.Counters]) error {
	s, err := openCounters(h)
	if err != nil {
		return err
	}
	l := lim("last", 24*time.Hour, 3)
	for i := range l.Max - 1 {
		if _, err := reserve(ctx, s, fmt.Sprintf("pre-%d", i), t0.Add(-time.Hour), true, l); err != nil {
			return err
		}
	}
	won, err := race(ctx, s, 64, "last", l)
	if err != nil {
		return fmt.Errorf("concurrent Reserve: %w", err)
	}
	if won != 1 {
		return fmt.Errorf("64 goroutines raced for the last slot: %d won, want exactly 1", won)
	}
	return wantCount(ctx, s, t0.Add(time.Second), l, l.Max)
}

func counterCancelled(ctx context.Context, h harness[storage.Counters]) error {
	s, err := openCounters(h)
	if err != nil {
		return err
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	l := lim("cancel", time.Hour, 1)
	if ok, _, err := s.Reserve(cctx, "a", t0, []storage.Limit{l}); err == nil || ok {
		return fmt.Errorf("Reserve on a cancelled context = %v, %v; want false and an error", ok, err)
	}
	return wantCount(ctx, s, t0, l, 0)
}

func counterClosed(ctx context.Context, h harness[storage.Counters]) error {
	s, err := openCounters(h)
	if err != nil {
		return err
	}
	c, ok := s.(io.Closer)
	if !ok {
		return errSkip
	}
	if err := c.Close(); err != nil {
		return fmt.Errorf("Close: %w", err)
	}
	if err := c.Close(); err != nil {
		return fmt.Errorf("second Close: %w", err)
	}
	l := lim("closed", time.Hour, 1)
	if ok, _, err := s.Reserve(ctx, "a", t0, []storage.Limit{l}); !errors.Is(err, storage.ErrClosed) || ok {
		return fmt.Errorf("Reserve after Close = %v, %v; want false and storage.ErrClosed", ok, err)
	}
	if _, err := s.Usage(ctx, t0, []storage.Limit{l}); !errors.Is(err, storage.ErrClosed) {
		return fmt.Errorf("Usage after Close: %v; want storage.ErrClosed", err)
	}
	if err := s.Release(ctx, "a"); !errors.Is(err, storage.ErrClosed) {
		return fmt.Errorf("Release after Close: %v; want storage.ErrClosed", err)
	}
	return nil
}

func counterReopen(ctx context.Context, h harness[storage.Counters]) error {
	if h.reopen == nil {
		return errSkip
	}
	s, err := openCounters(h)
	if err != nil {
		return err
	}
	l := lim("durable", 24*time.Hour, 3)
	seg := storage.Limit{Key: "durable/seg", Member: "n1", Window: time.Hour, Max: 1}
	for _, id := range []string{"a", "b", "c"} {
		if _, err := reserve(ctx, s, id, t0, true, l); err != nil {
			return err
		}
	}
	if _, err := reserve(ctx, s, "m", t0, true, seg); err != nil {
		return err
	}
	if err := s.Release(ctx, "b"); err != nil {
		return fmt.Errorf("Release: %w", err)
	}
	s, err = h.reopenOrSkip(s)
	if err != nil {
		return fmt.Errorf("reopen: %w", err)
	}
	if err := wantCount(ctx, s, t0.Add(time.Minute), l, 2); err != nil {
		return fmt.Errorf("after reopen: %w", err)
	}
	// Held ids are still held (idempotent), released ones are gone.
	if _, err := reserve(ctx, s, "a", t0.Add(time.Minute), true, l); err != nil {
		return fmt.Errorf("after reopen: %w", err)
	}
	if err := wantCount(ctx, s, t0.Add(time.Minute), l, 2); err != nil {
		return fmt.Errorf("after reopen, retrying a held id: %w", err)
	}
	if _, err := reserve(ctx, s, "d", t0.Add(time.Minute), true, l); err != nil {
		return fmt.Errorf("after reopen: %w", err)
	}
	if _, err := reserve(ctx, s, "e", t0.Add(time.Minute), false, l); err != nil {
		return fmt.Errorf("after reopen: %w", err)
	}
	// Members survive too.
	if _, err := reserve(ctx, s, "m2", t0.Add(time.Minute), true, seg); err != nil {
		return fmt.Errorf("after reopen, a known member: %w", err)
	}
	other := seg
	other.Member = "n2"
	if _, err := reserve(ctx, s, "m3", t0.Add(time.Minute), false, other); err != nil {
		return fmt.Errorf("after reopen, a new member: %w", err)
	}
	// Release works across a reopen.
	if err := s.Release(ctx, "a"); err != nil {
		return fmt.Errorf("Release after reopen: %w", err)
	}
	s, err = h.reopenOrSkip(s)
	if err != nil {
		return fmt.Errorf("second reopen: %w", err)
	}
	return wantCount(ctx, s, t0.Add(time.Minute), l, 2)
}

// counterReopenReused: an id reserved, released (or expired and
// forgotten) and reserved again at a later instant is held once after a
// reopen, at its later instant: a durable store replaying its history must
// not bring back the first reservation beside the second (a call counted
// twice) nor drop the second with the first's release.
func counterReopenReused(ctx context.Context, h harness[storage.Counters]) error {
	if h.reopen == nil {
		return errSkip
	}
	s, err := openCounters(h)
	if err != nil {
		return err
	}
	long := lim("reuse/long", 24*time.Hour, 10)
	short := lim("reuse/short", time.Hour, 10)
	if _, err := reserve(ctx, s, "a", t0, true, long); err != nil {
		return err
	}
	if err := s.Release(ctx, "a"); err != nil {
		return fmt.Errorf("Release: %w", err)
	}
	if _, err := reserve(ctx, s, "a", t0.Add(time.Hour), true, long); err != nil {
		return fmt.Errorf("after its release: %w", err)
	}
	if _, err := reserve(ctx, s, "b", t0, true, short); err != nil {
		return err
	}
	x, expires := s.(storage.CounterExpirer)
	if expires {
		// b's entry leaves its window: the store forgets b.
		if _, err := x.ExpireCounters(ctx, t0.Add(2*time.Hour)); err != nil {
			return fmt.Errorf("ExpireCounters: %w", err)
		}
		if _, err := reserve(ctx, s, "b", t0.Add(2*time.Hour), true, short); err != nil {
			return fmt.Errorf("after its expiry: %w", err)
		}
	}
	check := func(when string) error {
		// At t0+30m, a's first reservation (t0) would count beside its
		// second (t0+1h, a later entry counts too); at t0+24h30m only
		// the second is inside the window.
		for _, at := range []time.Time{t0.Add(30 * time.Minute), t0.Add(24*time.Hour + 30*time.Minute)} {
			if err := wantCount(ctx, s, at, long, 1); err != nil {
				return fmt.Errorf("%s, a reserved, released and reserved again: %w", when, err)
			}
		}
		if expires {
			// At t0+30m b's first reservation would count beside its
			// second (t0+2h).
			if err := wantCount(ctx, s, t0.Add(30*time.Minute), short, 1); err != nil {
				return fmt.Errorf("%s, b reserved, expired and reserved again: %w", when, err)
			}
		}
		return nil
	}
	if err := check("before a reopen"); err != nil {
		return err
	}
	if s, err = h.reopenOrSkip(s); err != nil {
		return fmt.Errorf("reopen: %w", err)
	}
	if err := check("after a reopen"); err != nil {
		return err
	}
	// A release after the reopen releases the second reservation, for good.
	if err := s.Release(ctx, "a"); err != nil {
		return fmt.Errorf("Release after reopen: %w", err)
	}
	if s, err = h.reopenOrSkip(s); err != nil {
		return fmt.Errorf("second reopen: %w", err)
	}
	return wantCount(ctx, s, t0.Add(30*time.Minute), long, 0)
}

func counterExpire(ctx context.Context, h harness[storage.Counters]) error {
	s, err := openCounters(h)
	if err != nil {
		return err
	}
	x, ok := s.(storage.CounterExpirer)
	if !ok {
		return errSkip
	}
	short := lim("expire/short", time.Hour, 1)
	other := lim("expire/other", time.Hour, 1)
	long := lim("expire/long", 24*time.Hour, 5)
	seg := storage.Limit{Key: "expire/seg", Member: "n1", Window: time.Hour, Max: 1}
	if _, err := reserve(ctx, s, "a", t0, true, short, long); err != nil {
		return err
	}
	if _, err := reserve(ctx, s, "b", t0, true, seg); err != nil {
		return err
	}
	if _, err := reserve(ctx, s, "c", t0.Add(90*time.Minute), true, other); err != nil {
		return err
	}
	// At t0+2h: a's and b's one-hour entries are gone, c's is not, a's
	// 24-hour entry is not.
	n, err := x.ExpireCounters(ctx, t0.Add(2*time.Hour))
	if err != nil {
		return fmt.Errorf("ExpireCounters: %w", err)
	}
	if n != 2 {
		return fmt.Errorf("ExpireCounters removed %d entries, want 2", n)
	}
	if err := wantCount(ctx, s, t0.Add(2*time.Hour), long, 1); err != nil {
		return fmt.Errorf("after expiry: %w", err)
	}
	if err := wantCount(ctx, s, t0.Add(2*time.Hour), other, 1); err != nil {
		return fmt.Errorf("after expiry: %w", err)
	}
	// a still holds its 24-hour entry; Release removes it.
	if err := s.Release(ctx, "a"); err != nil {
		return err
	}
	if err := wantCount(ctx, s, t0.Add(2*time.Hour), long, 0); err != nil {
		return fmt.Errorf("after expiry and release: %w", err)
	}
	// b held nothing more: it is forgotten and may reserve again.
	if _, err := reserve(ctx, s, "b", t0.Add(2*time.Hour), true, seg); err != nil {
		return fmt.Errorf("an id whose entries all expired: %w", err)
	}
	if n, err := x.ExpireCounters(ctx, t0.Add(2*time.Hour)); err != nil || n != 0 {
		return fmt.Errorf("second ExpireCounters = %d, %v; want 0, nil", n, err)
	}
	n, err = x.ExpireCounters(ctx, t0.Add(1000*time.Hour))
	if err != nil || n != 2 {
		return fmt.Errorf("final ExpireCounters = %d, %v; want 2 (c and b), nil", n, err)
	}
	return nil
}

// checkOnly returns l as a check-only limit.
func checkOnly(l storage.Limit) storage.Limit {
	l.CheckOnly = true
	return l
}

// counterCheckOnlyRefuses: an exceeded check-only limit refuses the whole
// reservation, reports its usage like any limit, and nothing is recorded
// under any key.
func counterCheckOnlyRefuses(ctx context.Context, h harness[storage.Counters]) error {
	s, err := openCounters(h)
	if err != nil {
		return err
	}
	pause := lim("co/pause", time.Hour, 1)
	caps := lim("co/caps", 24*time.Hour, 10)
	seg := storage.Limit{Key: "co/seg", Member: "n1", Window: time.Hour, Max: 5}
	// Something else (a reported conversation) records under the pause key.
	if _, err := reserve(ctx, s, "conversation", t0, true, lim("co/pause", time.Hour, 1<<30)); err != nil {
		return err
	}
	at := t0.Add(10 * time.Minute)
	u, err := reserve(ctx, s, "dial", at, false, caps, seg, checkOnly(pause))
	if err != nil {
		return err
	}
	if u[0].Exceeded || u[1].Exceeded || !u[2].Exceeded || u[2].Count != 1 {
		return fmt.Errorf("usages = %+v, want only the check-only limit exceeded, with count 1", u)
	}
	if want := t0.Add(time.Hour); !u[2].NextAt.Equal(want) {
		return fmt.Errorf("check-only NextAt = %s, want %s", u[2].NextAt, want)
	}
	if u[2].Limit != checkOnly(pause) {
		return fmt.Errorf("check-only Usage.Limit = %+v, want %+v", u[2].Limit, checkOnly(pause))
	}
	for _, l := range []storage.Limit{caps, seg} {
		if err := wantCount(ctx, s, at, l, 0); err != nil {
			return fmt.Errorf("a reservation refused by a check-only limit recorded: %w", err)
		}
	}
	if err := wantCount(ctx, s, at, pause, 1); err != nil {
		return fmt.Errorf("a refused reservation recorded under its check-only key: %w", err)
	}
	// Usage reports on a check-only limit like on any other.
	us, err := s.Usage(ctx, at, []storage.Limit{caps, checkOnly(pause)})
	if err != nil {
		return fmt.Errorf("Usage: %w", err)
	}
	if len(us) != 2 || us[0].Exceeded || !us[1].Exceeded || us[1].Count != 1 {
		return fmt.Errorf("Usage with a check-only limit = %+v, want it exceeded with count 1", us)
	}
	// The refused id holds nothing; once the pause is over it reserves.
	after := t0.Add(time.Hour)
	if _, err := reserve(ctx, s, "dial", after, true, caps, seg, checkOnly(pause)); err != nil {
		return fmt.Errorf("after the check-only window: %w", err)
	}
	return wantCount(ctx, s, after, caps, 1)
}

// counterCheckOnlyNotRecorded: a granted reservation records under its other
// keys but not under its check-only key.
func counterCheckOnlyNotRecorded(ctx context.Context, h harness[storage.Counters]) error {
	s, err := openCounters(h)
	if err != nil {
		return err
	}
	pause := lim("con/pause", time.Hour, 1)
	caps := lim("con/caps", 24*time.Hour, 10)
	seg := storage.Limit{Key: "con/seg", Member: "n1", Window: time.Hour, Max: 1}
	for i, id := range []string{"a", "b", "c"} {
		at := t0.Add(time.Duration(i) * time.Minute)
		u, err := reserve(ctx, s, id, at, true, caps, checkOnly(pause), checkOnly(seg))
		if err != nil {
			return fmt.Errorf("check-only limits recorded by earlier reservations: %w", err)
		}
		if u[0].Count != i || u[1].Count != 0 || u[2].Count != 0 {
			return fmt.Errorf("reservation %d saw %+v, want counts %d, 0, 0", i, u, i)
		}
	}
	at := t0.Add(3 * time.Minute)
	if err := wantCount(ctx, s, at, caps, 3); err != nil {
		return err
	}
	for _, l := range []storage.Limit{pause, seg} {
		if err := wantCount(ctx, s, at, l, 0); err != nil {
			return fmt.Errorf("recorded under a check-only key: %w", err)
		}
	}
	// The check-only keys are still free for whoever records under them.
	if _, err := reserve(ctx, s, "conversation", at, true, pause); err != nil {
		return err
	}
	// Release of a reservation with check-only limits removes what it
	// recorded and leaves the check-only key alone.
	if err := s.Release(ctx, "a"); err != nil {
		return fmt.Errorf("Release: %w", err)
	}
	if err := wantCount(ctx, s, at, caps, 2); err != nil {
		return fmt.Errorf("after Release: %w", err)
	}
	return wantCount(ctx, s, at, pause, 1)
}

// counterCheckOnlySeveral: several check-only limits with different windows
// in one reservation (the frequency check's pauses after a conversation, an
// abandoned call and a refusal): the one exceeded refuses the reservation
// alone, each reports its own usage and NextAt, none is recorded, and once
// the longest exceeded window is over the reservation is granted.
func counterCheckOnlySeveral(ctx context.Context, h harness[storage.Counters]) error {
	s, err := openCounters(h)
	if err != nil {
		return err
	}
	caps := lim("cos/caps", 24*time.Hour, 10)
	conv := lim("cos/conversation", time.Hour, 1)
	aband := lim("cos/abandoned", 72*time.Hour, 1)
	refus := lim("cos/refusal", 61*24*time.Hour, 1)
	all := []storage.Limit{caps, checkOnly(conv), checkOnly(aband), checkOnly(refus)}
	if _, err := reserve(ctx, s, "abandoned-call", t0, true, lim("cos/abandoned", 72*time.Hour, 1<<30)); err != nil {
		return err
	}
	at := t0.Add(time.Hour)
	u, err := reserve(ctx, s, "dial", at, false, all...)
	if err != nil {
		return err
	}
	if u[0].Exceeded || u[1].Exceeded || !u[2].Exceeded || u[3].Exceeded || u[2].Count != 1 || u[3].Count != 0 {
		return fmt.Errorf("usages = %+v, want only the second check-only limit exceeded, with count 1", u)
	}
	if want := t0.Add(72 * time.Hour); !u[2].NextAt.Equal(want) {
		return fmt.Errorf("NextAt = %s, want %s", u[2].NextAt, want)
	}
	if err := wantCount(ctx, s, at, caps, 0); err != nil {
		return fmt.Errorf("a reservation refused by a check-only limit recorded: %w", err)
	}
	// A second outcome under another check-only key: both refuse.
	if _, err := reserve(ctx, s, "refusal", at, true, lim("cos/refusal", 61*24*time.Hour, 1<<30)); err != nil {
		return err
	}
	u, err = reserve(ctx, s, "dial", at.Add(time.Minute), false, all...)
	if err != nil {
		return err
	}
	if !u[2].Exceeded || !u[3].Exceeded || u[1].Exceeded {
		return fmt.Errorf("usages = %+v, want the second and third check-only limits exceeded", u)
	}
	// After the abandoned-call window the refusal still refuses.
	if _, err := reserve(ctx, s, "dial", t0.Add(72*time.Hour), false, all...); err != nil {
		return err
	}
	after := at.Add(61 * 24 * time.Hour)
	if _, err := reserve(ctx, s, "dial", after, true, all...); err != nil {
		return fmt.Errorf("after every check-only window: %w", err)
	}
	if err := wantCount(ctx, s, after, caps, 1); err != nil {
		return err
	}
	for _, l := range []storage.Limit{conv, aband, refus} {
		if err := wantCount(ctx, s, after.Add(-time.Minute), l, map[string]int{"cos/refusal": 1}[l.Key]); err != nil {
			return fmt.Errorf("check-only keys after the granted reservation: %w", err)
		}
	}
	return nil
}

// counterCheckOnlyAlone: a reservation of check-only limits only records
// nothing, is granted when none is exceeded, and holds nothing afterwards.
func counterCheckOnlyAlone(ctx context.Context, h harness[storage.Counters]) error {
	s, err := openCounters(h)
	if err != nil {
		return err
	}
	pause := lim("coa/pause", time.Hour, 1)
	full := lim("coa/full", time.Hour, 1)
	if _, err := reserve(ctx, s, "first", t0, true, full); err != nil {
		return err
	}
	if _, err := reserve(ctx, s, "solo", t0, true, checkOnly(pause)); err != nil {
		return fmt.Errorf("check-only limits alone, none exceeded: %w", err)
	}
	if _, err := reserve(ctx, s, "solo", t0, true, checkOnly(pause)); err != nil {
		return fmt.Errorf("check-only limits alone, again: %w", err)
	}
	if err := wantCount(ctx, s, t0, pause, 0); err != nil {
		return fmt.Errorf("check-only limits alone recorded: %w", err)
	}
	// solo holds nothing: a later Reserve of the id checks again.
	if _, err := reserve(ctx, s, "solo", t0, false, full); err != nil {
		return fmt.Errorf("an id that reserved check-only limits alone was held: %w", err)
	}
	if err := s.Release(ctx, "solo"); err != nil {
		return fmt.Errorf("Release of an id that holds nothing: %w", err)
	}
	// Exceeded, it is refused.
	if _, err := reserve(ctx, s, "conversation", t0, true, pause); err != nil {
		return err
	}
	u, err := reserve(ctx, s, "solo2", t0, false, checkOnly(pause))
	if err != nil {
		return fmt.Errorf("check-only limits alone, exceeded: %w", err)
	}
	if !u[0].Exceeded || u[0].Count != 1 {
		return fmt.Errorf("usage = %+v, want count 1, exceeded", u[0])
	}
	return wantCount(ctx, s, t0, pause, 1)
}

// counterCheckOnlyHeld: a Reserve for an id already held returns ok whatever
// its limits say, check-only ones included (a retried commit is not undone
// by what was recorded since).
func counterCheckOnlyHeld(ctx context.Context, h harness[storage.Counters]) error {
	s, err := openCounters(h)
	if err != nil {
		return err
	}
	pause := lim("coh/pause", time.Hour, 1)
	caps := lim("coh/caps", 24*time.Hour, 10)
	if _, err := reserve(ctx, s, "dial", t0, true, caps, checkOnly(pause)); err != nil {
		return err
	}
	if _, err := reserve(ctx, s, "conversation", t0.Add(time.Minute), true, pause); err != nil {
		return err
	}
	if _, err := reserve(ctx, s, "dial", t0.Add(2*time.Minute), true, caps, checkOnly(pause)); err != nil {
		return fmt.Errorf("retry of a held id: %w", err)
	}
	if _, err := reserve(ctx, s, "other", t0.Add(2*time.Minute), false, caps, checkOnly(pause)); err != nil {
		return err
	}
	return wantCount(ctx, s, t0.Add(2*time.Minute), caps, 1)
}

// counterCheckOnlyReopen: what a reservation recorded survives a reopen, and
// nothing appears under its check-only key.
func counterCheckOnlyReopen(ctx context.Context, h harness[storage.Counters]) error {
	if h.reopen == nil {
		return errSkip
	}
	s, err := openCounters(h)
	if err != nil {
		return err
	}
	pause := lim("cor/pause", time.Hour, 1)
	caps := lim("cor/caps", 24*time.Hour, 2)
	if _, err := reserve(ctx, s, "a", t0, true, caps, checkOnly(pause)); err != nil {
		return err
	}
	if _, err := reserve(ctx, s, "alone", t0, true, checkOnly(pause)); err != nil {
		return err
	}
	s, err = h.reopenOrSkip(s)
	if err != nil {
		return fmt.Errorf("reopen: %w", err)
	}
	at := t0.Add(time.Minute)
	if err := wantCount(ctx, s, at, caps, 1); err != nil {
		return fmt.Errorf("after reopen: %w", err)
	}
	if err := wantCount(ctx, s, at, pause, 0); err != nil {
		return fmt.Errorf("after reopen, the check-only key: %w", err)
	}
	// a is still held; alone is not.
	if _, err := reserve(ctx, s, "a", at, true, caps, checkOnly(pause)); err != nil {
		return fmt.Errorf("after reopen: %w", err)
	}
	if _, err := reserve(ctx, s, "alone", at, true, caps); err != nil {
		return fmt.Errorf("after reopen: %w", err)
	}
	return wantCount(ctx, s, at, caps, 2)
}

// counterCheckOnlyRace: 64 dials, each recording under a shared key and
// checking a pause, race one conversation that records the pause and counts
// (check-only) the dials recorded before it. Exactly the dials decided
// before the conversation succeed: a store that checks the pause apart from
// recording lets a dial through after the conversation.
func counterCheckOnlyRace(ctx context.Context, h harness[storage.Counters]) error {
	s, err := openCounters(h)
	if err != nil {
		return err
	}
	pause := lim("race/pause", time.Hour, 1)
	seen := lim("race/seen", time.Hour, 1<<20)
	const n = 64
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		won    int
		errs   []error
		start  = make(chan struct{})
		before int
	)
	for i := range n + 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if i == n/2 {
				u, err := reserve(ctx, s, "conversation", t0, true, pause, checkOnly(seen))
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				before = u[1].Count
				return
			}
			ok, _, err := s.Reserve(ctx, fmt.Sprintf("dial-%d", i), t0, []storage.Limit{seen, checkOnly(pause)})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			if ok {
				won++
			}
		}()
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("concurrent Reserve: %w", err)
	}
	if won != before {
		return fmt.Errorf("%d dials were granted but the conversation saw %d recorded before it: a dial checked the pause apart from its reservation", won, before)
	}
	return wantCount(ctx, s, t0, seen, won)
}
