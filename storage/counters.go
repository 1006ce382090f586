package storage

import (
	"context"
	"fmt"
	"time"
)

// MaxKeyLen is the longest Limit.Key, Limit.Member or reservation id a
// Counters implementation must accept.
const MaxKeyLen = 1024

// A Limit is one sliding-window rule of the form "at most Max distinct members
// under Key within Window": a frequency cap (key = tenant + callee + cap,
// member empty, so every call counts) or a segment-rate guard (key = segment,
// member = the callee, so only distinct numbers count).
//
// The zero Limit is invalid: Key must be non-empty, Window positive and Max at
// least 1 (see Validate).
type Limit struct {
	// Key names the counter. It must not contain a raw callee number: callers
	// use a keyed hash or an integer form combined with the tenant.
	Key string
	// Member is what is counted distinctly under Key. Empty means every
	// reservation counts once on its own (the member is the reservation id).
	// All limits of one call with the same Key must have the same Member.
	Member string
	// Window is the length of the sliding window; at instant t the window is
	// (t-Window, ∞): entries recorded at t-Window or earlier no longer count,
	// entries recorded after t (by a caller whose clock runs ahead) do.
	Window time.Duration
	// Max is the number of distinct members the window may hold.
	Max int
	// CheckOnly makes the limit a condition of the reservation without being
	// counted by it: Reserve checks it atomically with the other limits (an
	// exceeded check-only limit refuses the whole reservation, and its Usage
	// is reported like any other) but records nothing under its Key. It is
	// for a rule recorded by something else than the reservations it guards,
	// such as the pause after a conversation: recorded when a conversation is
	// reported, checked by every dial's reservation, so that a conversation
	// recorded between a dial's check and its reservation is not missed.
	// Limits sharing a Key must agree on CheckOnly. Usage reports on a
	// check-only limit like on any other.
	CheckOnly bool
}

// MaxWindow is the longest Limit.Window: 100 years. Stores count windows in
// Unix nanoseconds, and a window of more than about 146 years before an
// instant near 1970 would wrap around and count nothing (a cap never hit).
const MaxWindow = 100 * 365 * 24 * time.Hour

// Validate reports a malformed limit as an error wrapping ErrInvalid and naming
// the field.
func (l Limit) Validate() error {
	switch {
	case l.Key == "":
		return fmt.Errorf("limit key: empty: %w", ErrInvalid)
	case len(l.Key) > MaxKeyLen:
		return fmt.Errorf("limit key: longer than %d bytes: %w", MaxKeyLen, ErrInvalid)
	case len(l.Member) > MaxKeyLen:
		return fmt.Errorf("limit %q member: longer than %d bytes: %w", l.Key, MaxKeyLen, ErrInvalid)
	case l.Window <= 0:
		return fmt.Errorf("limit %q window: %v is not positive: %w", l.Key, l.Window, ErrInvalid)
	case l.Window > MaxWindow:
		return fmt.Errorf("limit %q window: %v is longer than %v: %w", l.Key, l.Window, MaxWindow, ErrInvalid)
	case l.Max < 1:
		return fmt.Errorf("limit %q max: %d is less than 1: %w", l.Key, l.Max, ErrInvalid)
	}
	return nil
}

// ValidateLimits validates every limit and checks that limits sharing a Key
// share a Member and a CheckOnly. Implementations of Counters call it first.
func ValidateLimits(limits []Limit) error {
	for i, l := range limits {
		if err := l.Validate(); err != nil {
			return fmt.Errorf("limits[%d]: %w", i, err)
		}
		for j := 0; j < i; j++ {
			if limits[j].Key != l.Key {
				continue
			}
			if limits[j].Member != l.Member {
				return fmt.Errorf("limits[%d]: key %q has member %q but limits[%d] has %q: %w", i, l.Key, l.Member, j, limits[j].Member, ErrInvalid)
			}
			if limits[j].CheckOnly != l.CheckOnly {
				return fmt.Errorf("limits[%d]: key %q has check_only %t but limits[%d] has %t: %w", i, l.Key, l.CheckOnly, j, limits[j].CheckOnly, ErrInvalid)
			}
		}
	}
	return nil
}

// ValidateID reports an empty or over-long reservation id as an error wrapping
// ErrInvalid.
func ValidateID(id string) error {
	if id == "" {
		return fmt.Errorf("reservation id: empty: %w", ErrInvalid)
	}
	if len(id) > MaxKeyLen {
		return fmt.Errorf("reservation id: longer than %d bytes: %w", MaxKeyLen, ErrInvalid)
	}
	return nil
}

// Usage is the state of one Limit at an instant.
type Usage struct {
	// Limit is the limit reported on.
	Limit Limit
	// Count is the number of distinct members counted in the window, not
	// including the reservation being decided.
	Count int
	// Exceeded reports that one more reservation for Limit.Member would exceed
	// Max: Count ≥ Max and the member is not already counted in the window
	// (with an empty Member every reservation is new).
	Exceeded bool
	// NextAt is, when Exceeded, the earliest instant at which a reservation
	// would fit again if nothing else were recorded: when enough of the members
	// counted now have left the window. Zero when not Exceeded.
	NextAt time.Time
}

// Counters is a store of sliding-window reservations: the shared mechanism
// behind frequency caps and the segment-rate guard. It records, for a
// reservation id, one entry (instant, member) under each key of a set of
// limits (except check-only ones, which are only checked), atomically and
// only if no limit would be exceeded.
//
// # Contract
//
//   - Counting: at instant t a Limit counts the distinct members of the
//     entries under its Key recorded after t-Window (later instants included,
//     so that callers with skewed clocks cannot slip past one another). An
//     entry with an empty Member is distinct from every other entry.
//   - Atomicity: Reserve checks every limit and records under every key in
//     one step. Concurrent Reserves never both take the last slot of a limit;
//     a Reserve that fails records nothing under any key.
//   - Ids are global to the store. Several checks sharing one store must
//     namespace their ids ("frequency:"+decision id, "sweep:"+decision id),
//     or the second Reserve of a decision would find the id held and record
//     nothing.
//   - Idempotency: a Reserve for an id that is already held (reserved, not
//     released, not yet pruned) records nothing more and returns ok = true,
//     whatever its limits say. Retrying a Reserve after an error is safe.
//     Ids are global to the store: two users that reserve for the same
//     decision (a frequency cap and a segment-rate guard) must namespace
//     their ids ("frequency:"+decisionID), or the second reserves nothing.
//   - A Reserve with no limits succeeds and records nothing.
//   - Check-only limits (Limit.CheckOnly) are checked like the others, in
//     the same atomic step (an exceeded one refuses the whole reservation),
//     but nothing is ever recorded under their keys, and a Reserve need not
//     prune them. A Reserve whose limits are all check-only records nothing
//     and returns ok = true when none is exceeded; it holds nothing, so its
//     id is not held afterwards and a later Reserve of that id checks again
//     (and records, if given limits that record).
//   - Release removes every entry of the id under every key; capacity is free
//     again at once. Releasing an unknown or already released id returns nil.
//   - Pruning: a Reserve may delete entries under a key that are older than t
//     minus the longest Window among the limits given for that key in that
//     call. A key must therefore always be used with the same window (derive
//     the key from the window), or with that window widened by a margin
//     (package schedule counts each cap over its nominal window, named in
//     the key, plus the Gate's allow lifetime): callers widening a key's
//     window by different margins get the protection of the narrowest, as
//     entries inside the narrowest window used are never pruned. A dial
//     decided by a clock behind the reserving one counts from an earlier
//     instant, so callers give, with WithPruneMargin, one more limit per key
//     that keeps its entries PruneMargin past their longest window. Usage
//     never writes.
//   - Durability: what a durable implementation reports as reserved survives
//     a restart; each implementation states when a reservation reaches disk.
//   - Errors: invalid arguments wrap ErrInvalid and name the argument; a closed
//     store returns ErrClosed; a back-end failure wraps ErrUnavailable or
//     ErrCorrupt. On any error nothing is known to be reserved and callers
//     deny (fail closed). ctx bounds the call.
//
// Implementations must be safe for concurrent use by many goroutines (and, for
// shared back-ends, many processes).
type Counters interface {
	// Usage reports, without reserving, the usage of each limit at t, in the
	// order of limits.
	Usage(ctx context.Context, t time.Time, limits []Limit) ([]Usage, error)
	// Reserve atomically checks every limit at t and, only if none would be
	// exceeded, records an entry for id under every distinct key that is not
	// check-only (Limit.CheckOnly). usage has
	// one element per limit, describing the state the decision was made on
	// (for an id already held, the current state, which includes it).
	Reserve(ctx context.Context, id string, t time.Time, limits []Limit) (ok bool, usage []Usage, err error)
	// Release removes everything recorded for id. Unknown id: no error.
	Release(ctx context.Context, id string) error
}

var (
	minInstant = time.Unix(0, 0).Add(-1 << 62) // about 1823
	maxInstant = time.Unix(0, 0).Add(1 << 62)  // about 2116
)

// ValidateInstant reports an instant a Counters implementation cannot store
// (the zero time, or outside the years 1824 to 2115) as an error wrapping
// ErrInvalid.
func ValidateInstant(t time.Time) error {
	if t.IsZero() {
		return fmt.Errorf("instant: zero time: %w", ErrInvalid)
	}
	if t.Before(minInstant) || t.After(maxInstant) {
		return fmt.Errorf("instant: %s out of range: %w", t.Format(time.RFC3339), ErrInvalid)
	}
	return nil
}

// CounterExpirer is implemented by Counters stores that can drop, in one
// sweep, every entry no limit can count any more: entries older than the
// longest Window their key was used with. Reserve only prunes the keys it
// touches; a periodic ExpireCounters keeps the counters of callees that are
// never called again from accumulating. It returns the number of entries
// removed. An id whose entries are all removed is no longer held.
type CounterExpirer interface {
	// ExpireCounters removes, as of t, every entry no limit can count any
	// more and returns how many it removed.
	ExpireCounters(ctx context.Context, t time.Time) (removed int, err error)
}
