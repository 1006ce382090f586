package placedguard

import (
	"context"
	"fmt"
	"time"

	"github.com/dialgate/dialgate/storage"
)

// Prefixes of the counter key and of the reservation ids of the marks. They
// are namespaced apart from the checks' ids ("frequency:", "sweep:", …).
const (
	KeyPrefix      = "dialgate.guard:"
	PlacedPrefix   = "dialgate.guard.placed:"
	ReleasedPrefix = "dialgate.guard.released:"
)

// Guard is a dialgate.PlacedGuard over a storage.Counters. Safe for
// concurrent use.
type Guard struct {
	c      storage.Counters
	window time.Duration
}

// New returns a Guard whose marks are kept in c for window. window must be
// positive and at most storage.MaxWindow (errors wrap storage.ErrInvalid).
func New(c storage.Counters, window time.Duration) (*Guard, error) {
	if c == nil {
		return nil, fmt.Errorf("placedguard: counters: nil: %w", storage.ErrInvalid)
	}
	if window <= 0 || window > storage.MaxWindow {
		return nil, fmt.Errorf("placedguard: window: %v is not between 0 (excluded) and %v: %w", window, storage.MaxWindow, storage.ErrInvalid)
	}
	return &Guard{c: c, window: window}, nil
}

// Window returns how long the marks are kept.
func (g *Guard) Window() time.Duration { return g.window }

func (g *Guard) limit(id string) []storage.Limit {
	return []storage.Limit{{Key: KeyPrefix + id, Window: g.window, Max: 1}}
}

// mark reserves prefix+id under decision id's key; taken reports that the
// other mark holds it.
func (g *Guard) mark(ctx context.Context, prefix, id string, t time.Time) (taken bool, err error) {
	if err := storage.ValidateID(id); err != nil {
		return false, fmt.Errorf("decision_id: %w", err)
	}
	ok, _, err := g.c.Reserve(ctx, prefix+id, t, g.limit(id))
	if err != nil {
		return false, err
	}
	return !ok, nil
}

// MarkPlaced records that an outcome of decision id's placed call was
// reported at t; releasedBefore reports that the decision was released
// first. See dialgate.PlacedGuard.
func (g *Guard) MarkPlaced(ctx context.Context, id string, t time.Time) (releasedBefore bool, err error) {
	return g.mark(ctx, PlacedPrefix, id, t)
}

// MarkReleased records that decision id is released at t; placed reports
// that an outcome of its placed call was recorded first. See
// dialgate.PlacedGuard.
func (g *Guard) MarkReleased(ctx context.Context, id string, t time.Time) (placed bool, err error) {
	return g.mark(ctx, ReleasedPrefix, id, t)
}
