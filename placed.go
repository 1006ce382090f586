package dialgate

import (
	"context"
	"time"
)

// PlacedGuard records, in a store shared by every Gate that may receive a
// decision's outcome or its release (the sidecars of a fleet), which of the
// two came first for a decision: an outcome of its placed call, or its
// release. Whichever is recorded first wins, atomically where the store
// allows it, and the other is then refused (Release) or reported (an outcome
// after a release). Records last as long as any reservation of the decision
// can count (the longest window of the profile's limits).
//
// The Gate calls MarkReleased before it gives any capacity back, and
// MarkPlaced before it passes an outcome to its observers; a guard that
// cannot decide returns an error, and Release then gives nothing back (the
// capacity stays reserved until its window passes: the safe side).
// Implementations must be safe for concurrent use. Package placedguard
// implements it over a storage.Counters.
type PlacedGuard interface {
	// MarkPlaced records at t that an outcome of decision id's placed call
	// was reported. releasedBefore reports that the decision was released
	// first (nothing is recorded then: its capacity was already given back).
	// Marking a decision placed again is not an error.
	MarkPlaced(ctx context.Context, id string, t time.Time) (releasedBefore bool, err error)
	// MarkReleased records at t that decision id is being released. placed
	// reports that an outcome of its placed call was recorded first: the
	// release must then be refused. Marking a decision released again is not
	// an error (Release is idempotent and retried).
	MarkReleased(ctx context.Context, id string, t time.Time) (placed bool, err error)
}
