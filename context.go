package dialgate

import (
	"context"
	"sync"
	"time"
)

// deadlineCtx is a context with a deadline whose timer is started only if a
// check asks for Done. Most checks work in memory and never do, so a decision
// costs no timer; a check that does I/O gets a real, cancelling deadline.
type deadlineCtx struct {
	parent   context.Context
	deadline time.Time

	mu     sync.Mutex
	inner  context.Context
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
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inner == nil {
		c.inner, c.cancel = context.WithDeadline(c.parent, c.deadline)
	}
	return c.inner.Done()
}

// Err returns context.DeadlineExceeded once the deadline has passed, the
// parent's error once it is cancelled, and nil before; it starts no timer.
func (c *deadlineCtx) Err() error {
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

// Value returns the parent's value for key.
func (c *deadlineCtx) Value(key any) any { return c.parent.Value(key) }

// lateErr reports an error when the deadline passed or the parent was cancelled:
// an answer that arrives late is not trusted.
func (c *deadlineCtx) lateErr() error { return c.Err() }

func (c *deadlineCtx) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel != nil {
		c.cancel()
	}
}
