package feedhub

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Sync returns once a probe sent after it was called comes back (Probed); a
// call sends its own probe while fewer than maxFlying are out, and the calls
// made while maxFlying are out share the next one.
func TestSyncWaitsForAProbeSentAfterIt(t *testing.T) {
	h := New()
	if err := h.SetLive(context.Background()); err != nil {
		t.Fatal(err)
	}
	sent := make(chan string, 16)
	publish := func(_ context.Context, token string) error { sent <- token; return nil }
	ctx := context.Background()
	recv := func(what string) string {
		t.Helper()
		select {
		case tok := <-sent:
			return tok
		case <-time.After(5 * time.Second):
			t.Fatalf("no probe sent for %s", what)
			return ""
		}
	}
	// maxFlying calls, one after another: each sends its own probe.
	firsts := make([]chan error, maxFlying)
	tokens := make([]string, maxFlying)
	for i := range firsts {
		firsts[i] = make(chan error, 1)
		go func() { firsts[i] <- h.Sync(ctx, 5*time.Second, publish) }()
		tokens[i] = recv(fmt.Sprintf("call %d", i))
	}
	// Three calls while maxFlying probes are out: they wait for a next one.
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
	select {
	case tok := <-sent:
		t.Fatalf("probe %q sent while %d were out", tok, maxFlying)
	default:
	}
	h.Probed("1")             // a heartbeat's payload: ignored
	h.Probed(tokens[0] + "x") // not a token sent: ignored
	select {
	case err := <-firsts[0]:
		t.Fatalf("Sync returned %v before its probe came back", err)
	default:
	}
	h.Probed(tokens[0])
	if err := <-firsts[0]; err != nil {
		t.Fatal(err)
	}
	next := recv("the calls made while maxFlying probes were out")
	// The other early calls' probes are still out: those calls wait.
	for i := 1; i < maxFlying; i++ {
		select {
		case err := <-firsts[i]:
			t.Fatalf("call %d returned %v with another call's probe", i, err)
		default:
		}
	}
	if done.Load() != 0 {
		t.Fatal("a call made while maxFlying probes were out returned with an earlier one")
	}
	h.Probed(next)
	wg.Wait()
	for i := 1; i < maxFlying; i++ {
		h.Probed(tokens[i])
		if err := <-firsts[i]; err != nil {
			t.Fatal(err)
		}
	}
	select {
	case tok := <-sent:
		t.Fatalf("a probe %q for calls already answered", tok)
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

// A lost feed fails every Sync waiting, those of each of the maxFlying
// probes out and those waiting for the next; the probes' goroutines end,
// and the tokens of those probes coming back after the feed is live again
// answer no later Sync.
func TestSyncLostFailsEveryProbeOut(t *testing.T) {
	h := New()
	ctx := context.Background()
	if err := h.SetLive(ctx); err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	sent := make(chan string, 16)
	publish := func(_ context.Context, tok string) error { sent <- tok; return nil }
	const calls = maxFlying + 3
	errs := make(chan error, calls)
	var old []string
	for i := range calls {
		go func() { errs <- h.Sync(ctx, time.Minute, publish) }()
		if i < maxFlying {
			old = append(old, <-sent)
		}
	}
	time.Sleep(50 * time.Millisecond) // the last three join the waiting batch
	h.SetLost()
	for range calls {
		select {
		case err := <-errs:
			if !errors.Is(err, ErrSyncLost) {
				t.Fatalf("Sync when the feed was lost = %v, want ErrSyncLost", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a Sync still waits after the feed was lost")
		}
	}
	select {
	case tok := <-sent:
		t.Fatalf("probe %q sent for calls the lost feed answered", tok)
	default:
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after the lost feed answered every Sync, %d before", n, before)
	}
	if err := h.SetLive(ctx); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- h.Sync(ctx, 5*time.Second, publish) }()
	own := <-sent
	for _, tok := range old {
		if tok == own {
			t.Fatalf("the new probe reuses token %q", tok)
		}
		h.Probed(tok)
	}
	select {
	case err := <-errc:
		t.Fatalf("Sync returned %v on a probe sent before the feed was lost", err)
	case <-time.After(50 * time.Millisecond):
	}
	h.Probed(own)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}
