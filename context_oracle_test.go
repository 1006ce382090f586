package dialgate

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// oracleDeadlineCtx is deadlineCtx as it was before its started timer was
// read without a lock (a mutex around every Err), kept as the test oracle.
type oracleDeadlineCtx struct {
	parent   context.Context
	deadline time.Time

	mu     sync.Mutex
	inner  context.Context
	cancel context.CancelFunc
}

func (c *oracleDeadlineCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inner == nil {
		c.inner, c.cancel = context.WithDeadline(c.parent, c.deadline)
	}
	return c.inner.Done()
}

func (c *oracleDeadlineCtx) Err() error {
	c.mu.Lock()
	inner := c.inner
	c.mu.Unlock()
	if inner != nil {
		return inner.Err()
	}
	if err := c.parent.Err(); err != nil {
		return err
	}
	if !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

func (c *oracleDeadlineCtx) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel != nil {
		c.cancel()
	}
}

// doneState is what a Done channel says now: closed or not.
func doneState(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// TestDeadlineCtxOracle drives deadlineCtx and the oracle through the same
// random sequences of Done, Err, stop and parent cancellation, with a
// deadline already past, far ahead or the parent's, and compares every
// answer.
func TestDeadlineCtxOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 3000 {
		parent, cancelParent := context.WithCancel(context.Background())
		stopParent := cancelParent
		var deadline time.Time
		switch r.IntN(3) {
		case 0:
			deadline = time.Now().Add(-time.Second)
		case 1:
			deadline = time.Now().Add(time.Hour)
		case 2:
			var c2 context.CancelFunc
			parent, c2 = context.WithDeadline(parent, time.Now().Add(-time.Millisecond))
			stopParent = func() { c2(); cancelParent() }
			deadline = time.Now().Add(time.Hour)
		}
		got := newDeadlineCtx(parent, deadline)
		want := &oracleDeadlineCtx{parent: parent, deadline: got.deadline}
		for step := range 8 {
			switch r.IntN(4) {
			case 0:
				g, w := doneState(got.Done()), doneState(want.Done())
				if g != w {
					t.Fatalf("step %d: Done closed %v, the oracle says %v", step, g, w)
				}
			case 1:
				if g, w := got.Err(), want.Err(); !errors.Is(g, w) && (g != nil || w != nil) {
					t.Fatalf("step %d: Err %v, the oracle says %v", step, g, w)
				}
			case 2:
				got.stop()
				want.stop()
			case 3:
				cancelParent()
			}
		}
		stopParent()
	}
}

// TestDeadlineCtxConcurrent calls Done, Err and stop from many goroutines
// (run with -race): one timer is started, every Done returns its channel.
func TestDeadlineCtxConcurrent(t *testing.T) {
	c := newDeadlineCtx(context.Background(), time.Now().Add(time.Hour))
	var wg sync.WaitGroup
	chans := make([]<-chan struct{}, 16)
	for i := range chans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.Err()
			chans[i] = c.Done()
			_ = c.Err()
		}()
	}
	wg.Wait()
	for _, ch := range chans[1:] {
		if ch != chans[0] {
			t.Fatal("two calls of Done started two timers")
		}
	}
	c.stop()
	if !errors.Is(c.Err(), context.Canceled) || !doneState(chans[0]) {
		t.Fatalf("after stop: Err %v, Done closed %v", c.Err(), doneState(chans[0]))
	}
}
