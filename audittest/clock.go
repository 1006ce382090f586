package audittest

import (
	"sync"
	"time"
)

// Clock is a dialgate.Clock for tests whose time is set by hand: Now returns
// the last time given to Set (or NewClock), moved by every Advance. It never
// moves on its own.
//
// The zero Clock reads the zero time.Time. A Clock is safe for concurrent use;
// do not copy it after first use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock set to t.
func NewClock(t time.Time) *Clock {
	return &Clock{t: t}
}

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set sets the clock to t; t may be earlier than the current time.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Advance moves the clock by d (backwards when d is negative) and returns the
// new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}
