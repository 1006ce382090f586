package feedhub

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// Run reconnects with a growing pause, marks the feed lost after every
// connection, and returns when its context is done.
func TestRunReconnectsAndStops(t *testing.T) {
	h := New()
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.Run(ctx, func(ctx context.Context) bool {
			n := calls.Add(1)
			if n == 1 {
				if err := h.SetLive(ctx); err != nil {
					t.Error(err)
				}
				return true // went live, then its connection failed
			}
			return false
		})
	}()
	time.Sleep(400 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context was done")
	}
	// 50 + 100 + 200 ms of pauses fit in 400 ms; 2 s pauses at once would
	// allow one call, no pause at all thousands.
	if n := calls.Load(); n < 2 || n > 6 {
		t.Fatalf("%d connection attempts in 400 ms, want 2–6 (backoff 50 ms doubling)", n)
	}
	if h.Live() {
		t.Fatal("the feed is live after its connection failed")
	}
}
