package feedhub

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Sync returns once a probe sent after it was called comes back (Probed);
// the calls made while a probe is out share the next one.
func TestSyncWaitsForAProbeSentAfterIt(t *testing.T) {
	h := New()
	if err := h.SetLive(context.Background()); err != nil {
		t.Fatal(err)
	}
	sent := make(chan string, 16)
	publish := func(_ context.Context, token string) error { sent <- token; return nil }
	ctx := context.Background()
	first := make(chan error, 1)
	go func() { first <- h.Sync(ctx, 5*time.Second, publish) }()
	t1 := <-sent
	// Three calls while the first probe is out: they wait for a second one.
	var wg sync.WaitGroup
	var done atomic.Int32
	for range 3 {
		wg.Go(func() {
			if err := h.Sync(ctx, 5*time.Second, publish); err != nil {
				t.Error(err)
			}
			done.Add(1)
		})
	}
	time.Sleep(50 * time.Millisecond)
	h.Probed("1")      // a heartbeat's payload: ignored
	h.Probed(t1 + "x") // not a token sent: ignored
	select {
	case err := <-first:
		t.Fatalf("Sync returned %v before its probe came back", err)
	default:
	}
	h.Probed(t1)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	var t2 string
	select {
	case t2 = <-sent:
	case <-time.After(5 * time.Second):
		t.Fatal("no second probe for the calls made while the first was out")
	}
	if done.Load() != 0 {
		t.Fatal("a call made while the first probe was out returned with it")
	}
	h.Probed(t2)
	wg.Wait()
	select {
	case tok := <-sent:
		t.Fatalf("a third probe %q for calls the second answered", tok)
	default:
	}
}

// A lost feed fails the Sync calls waiting and refuses new ones until it is
// live again; a probe not back in time fails its calls too.
func TestSyncFailsWhenLost(t *testing.T) {
	h := New()
	ctx := context.Background()
	publish := func(context.Context, string) error { return nil }
	if err := h.Sync(ctx, time.Second, publish); !errors.Is(err, ErrSyncLost) {
		t.Fatalf("Sync before the feed is live = %v, want ErrSyncLost", err)
	}
	if err := h.SetLive(ctx); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- h.Sync(ctx, 5*time.Second, publish) }()
	time.Sleep(50 * time.Millisecond)
	h.SetLost()
	if err := <-errc; !errors.Is(err, ErrSyncLost) {
		t.Fatalf("Sync while the feed is lost = %v, want ErrSyncLost", err)
	}
	if err := h.SetLive(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := h.Sync(ctx, 100*time.Millisecond, publish); !errors.Is(err, ErrSyncLost) || time.Since(start) > 2*time.Second {
		t.Fatalf("Sync whose probe never comes back = %v after %v, want ErrSyncLost after 100 ms", err, time.Since(start))
	}
	// The probe that timed out is forgotten: the next call sends its own.
	var tokens []string
	var mu sync.Mutex
	pub := func(_ context.Context, tok string) error {
		mu.Lock()
		tokens = append(tokens, tok)
		mu.Unlock()
		go h.Probed(tok)
		return nil
	}
	if err := h.Sync(ctx, 5*time.Second, pub); err != nil {
		t.Fatal(err)
	}
	failing := func(context.Context, string) error { return errors.New("connection refused") }
	if err := h.Sync(ctx, 5*time.Second, failing); !errors.Is(err, ErrSyncLost) {
		t.Fatalf("Sync whose probe cannot be sent = %v, want ErrSyncLost", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := h.Sync(cctx, 5*time.Second, func(context.Context, string) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sync with its context done = %v", err)
	}
}

// A probe that timed out and comes back late answers nothing: the calls
// waiting then were made after it was sent, and only their own probe, sent
// after them, says every change before them was relayed.
func TestLateProbeAnswersNoLaterSync(t *testing.T) {
	h := New()
	ctx := context.Background()
	if err := h.SetLive(ctx); err != nil {
		t.Fatal(err)
	}
	sent := make(chan string, 4)
	publish := func(_ context.Context, tok string) error { sent <- tok; return nil }
	if err := h.Sync(ctx, 50*time.Millisecond, publish); !errors.Is(err, ErrSyncLost) {
		t.Fatalf("Sync whose probe is late = %v, want ErrSyncLost", err)
	}
	late := <-sent
	errc := make(chan error, 1)
	go func() { errc <- h.Sync(ctx, 5*time.Second, publish) }()
	own := <-sent
	if own == late {
		t.Fatalf("the second Sync's probe reuses the late probe's token %q", late)
	}
	h.Probed(late)
	select {
	case err := <-errc:
		t.Fatalf("Sync returned %v on the late probe of an earlier call", err)
	case <-time.After(50 * time.Millisecond):
	}
	h.Probed(own)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}
