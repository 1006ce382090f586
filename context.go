package dialgate

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// deadlineCtx is a context with a deadline whose timer is started only if a
// check asks for Done. Most checks work in memory and never do, so a decision
// costs no timer; a check that does I/O gets a real, cancelling deadline.
type deadlineCtx struct {
	parent   context.Context
	deadline time.Time

	mu    sync.Mutex               // serialises starting and stopping the timer
	inner atomic.Pointer[innerCtx] // set once, by the first Done
}

// innerCtx is the cancelling context Done starts, with its cancel.
type innerCtx struct {
	ctx    context.Context
	cancel context.CancelFunc
}

func newDeadlineCtx(parent context.Context, deadline time.Time) *deadlineCtx {
	if pd, ok := parent.Deadline(); ok && pd.Before(deadline) {
		deadline = pd
	}
	return &deadlineCtx{parent: parent, deadline: deadline}
}

// Deadline returns the check's deadline (the earlier of its own and the
// parent's); ok is always true.
func (c *deadlineCtx) Deadline() (time.Time, bool) { return c.deadline, true }

// Done returns a channel closed at the deadline or when the parent is
// cancelled, starting the deadline timer on the first call.
func (c *deadlineCtx) Done() <-chan struct{} {
	if in := c.inner.Load(); in != nil {
		return in.ctx.Done()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	in := c.inner.Load()
	if in == nil {
		in = new(innerCtx)
		in.ctx, in.cancel = context.WithDeadline(c.parent, c.deadline)
		c.inner.Store(in)
	}
	return in.ctx.Done()
}

// Err returns context.DeadlineExceeded once the deadline has passed, the
// parent's error once it is cancelled, and nil before; it starts no timer
// and takes no lock.
func (c *deadlineCtx) Err() error {
	if in := c.inner.Load(); in != nil {
		return in.ctx.Err()
	}
	if err := c.parent.Err(); err != nil {
		return err
	}
	if time.Since(c.deadline) >= 0 { // the monotonic clock alone: !time.Now().Before(c.deadline)
		return context.DeadlineExceeded
	}
	return nil
}

// Value returns the parent's value for key.
func (c *deadlineCtx) Value(key any) any { return c.parent.Value(key) }

// lateErr reports an error when the deadline passed or the parent was cancelled:
// an answer that arrives late is not trusted.
func (c *deadlineCtx) lateErr() error { return c.Err() }

func (c *deadlineCtx) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if in := c.inner.Load(); in != nil {
		in.cancel()
	}
}
