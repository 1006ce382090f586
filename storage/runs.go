package storage

import (
	"context"
	"fmt"
	"time"
)

// MaxRunValue is the largest value a Runs implementation must accept (values
// are the numbers' suffixes, 0–9999, for sweep's sequential rule, and a
// segment's index in its block, 0–99,999,999, for its stride rule).
const MaxRunValue = 999_999_999

// Bounds of RunParams.
const (
	// MaxRunLength is the largest RunParams.MinRun.
	MaxRunLength = 10_000
	// MaxRunGap is the largest RunParams.MaxGap.
	MaxRunGap = 10_000
	// MaxRunStep is the largest RunParams.MaxStep.
	MaxRunStep = 10_000
)

// RunParams are the parameters of a sequential-run rule: a run is a set of
// values, each at most MaxGap+1 apart from the next, or (with MaxStep) an
// arithmetic progression of values a common step of at most MaxStep apart,
// and one of MinRun or more values is a sweep. The zero RunParams is
// invalid (see Validate).
type RunParams struct {
	// MinRun is the length from which a run closes its key: 2 to
	// MaxRunLength.
	MinRun int
	// MaxGap is how many values may be skipped between two neighbours of a
	// run: 0 to MaxRunGap.
	MaxGap int
	// Window is how long a recorded value counts, and how long a key stays
	// closed: positive, at most MaxWindow.
	Window time.Duration
	// MaxStep, when not 0, is the largest common step of a progression: a
	// dialer walking a segment by a fixed step (…1234, …1241, …1248) makes
	// a run too, up to MaxGap members in a row missing (see the Runs
	// contract). 0 (off), or MaxGap+2 to
	// MaxRunStep: a smaller step is the gap rule's.
	MaxStep int
}

// Validate reports malformed parameters as an error wrapping ErrInvalid and
// naming the field.
func (p RunParams) Validate() error {
	switch {
	case p.MinRun < 2 || p.MinRun > MaxRunLength:
		return fmt.Errorf("run params min_run: %d is not between 2 and %d: %w", p.MinRun, MaxRunLength, ErrInvalid)
	case p.MaxGap < 0 || p.MaxGap > MaxRunGap:
		return fmt.Errorf("run params max_gap: %d is not between 0 and %d: %w", p.MaxGap, MaxRunGap, ErrInvalid)
	case p.Window <= 0:
		return fmt.Errorf("run params window: %v is not positive: %w", p.Window, ErrInvalid)
	case p.Window > MaxWindow:
		return fmt.Errorf("run params window: %v is longer than %v: %w", p.Window, MaxWindow, ErrInvalid)
	case p.MaxStep != 0 && (p.MaxStep < p.MaxGap+2 || p.MaxStep > MaxRunStep):
		return fmt.Errorf("run params max_step: %d is neither 0 nor between max_gap+2 (%d) and %d: %w", p.MaxStep, p.MaxGap+2, MaxRunStep, ErrInvalid)
	}
	return nil
}

// ValidateRun reports malformed arguments of a Runs call (an empty or
// over-long key, a value outside 0–MaxRunValue, an instant ValidateInstant
// refuses, bad params) as an error wrapping ErrInvalid and naming the
// argument. Implementations of Runs call it first (and ValidateID for ids).
func ValidateRun(key string, x int, t time.Time, p RunParams) error {
	switch {
	case key == "":
		return fmt.Errorf("run key: empty: %w", ErrInvalid)
	case len(key) > MaxKeyLen:
		return fmt.Errorf("run key: longer than %d bytes: %w", MaxKeyLen, ErrInvalid)
	case x < 0 || x > MaxRunValue:
		return fmt.Errorf("run value: %d is not between 0 and %d: %w", x, MaxRunValue, ErrInvalid)
	}
	if err := ValidateInstant(t); err != nil {
		return err
	}
	return p.Validate()
}

// Runs is a store of sequential-run state: under each key (sweep: tenant and
// number segment), the values (number suffixes) recorded recently, to find a
// dialer counting through a segment, up or down, across every process that
// shares the store; under keys of their own (tenant and last four digits),
// the segments dialled with them, to find a stride through successive
// segments. It is the run-time state of the sweep.sequential and
// sweep.stride rules (package sweep), which keep it in memory by default; a fleet shares it
// through its store (storage/redisstore, storage/pgstore) so that dials
// spread over several processes, or across a restart, are seen together,
// and one process keeps it across its restarts in storage/boltstore.
//
// # Contract
//
//   - A key holds values, each with the instant it was last recorded at,
//     and may be closed until an instant. A value counts at instant t when
//     it was recorded after t-Window (later instants included, as for
//     Counters). A call at t may delete the values recorded at or before
//     t-Window-PruneMargin, never later ones: a call decided by a clock up
//     to PruneMargin behind (another host of a fleet, or a clock stepped
//     back) still counts every value its window holds.
//   - The run x makes at t is x and every counted value reachable from x in
//     steps of at most MaxGap+1, downwards and upwards; its length counts x
//     once, whether or not x is recorded already.
//   - With MaxStep (not 0), the run x makes at t is also measured as the
//     longest arithmetic progression of counted values containing x with a
//     common step s, MaxGap+1 < s <= MaxStep, up to MaxGap members in a row
//     missing, as the gap walk skips up to MaxGap values: from x downwards
//     (upwards), each next counted value is the nearest of y-s, y-2s, …,
//     y-(MaxGap+1)s (y+s, …) from the last one y; MaxGap+1 members in a row
//     missing (not recorded, released, or recorded at or before t-Window)
//     end it; x counts once, and only counted values are counted. The run's
//     length is the larger of the two: the gap walk's and the longest
//     progression's. Values kept past the window (PruneMargin) count in
//     neither.
//   - A key is closed at t while its closing instant is after t. While it is
//     closed, RunLength and RecordRun return the length of the run that
//     closed it (at least MinRun), and RecordRun records nothing. A call
//     that finds a run of MinRun or more closes the key until t+Window,
//     with that run's length.
//   - RecordRun is atomic: concurrent calls on one key never together
//     record a run of MinRun or more values (they are decided one after the
//     other).
//   - Idempotency: an id recorded by RecordRun is held until ReleaseRun, or
//     until its record has left the window (an implementation may then
//     forget it). RecordRun for a held id records nothing and returns
//     (0, true), whatever the key's state. Ids are global to the store's
//     runs (they do not share a namespace with Counters' ids).
//   - ReleaseRun removes what the id recorded: its value stops counting
//     unless another held id recorded the same value under the same key.
//     While another does, the value counts until the latest of their records
//     leaves the window (an implementation may count it until the released
//     record's instant leaves the window, if that is later). It never
//     reopens a closed key.
//     An unknown or already released id is not an error.
//   - A key must always be used with the same RunParams, MaxStep aside
//     (derive the key from MinRun, MaxGap and Window, as package sweep
//     does); a store may prune and close with the params of the latest
//     call. Calls on one key may differ in MaxStep: each measures the run
//     with its own, over the same values and closing (a rule that gains a
//     max step keeps its keys' state).
//   - Durability: what a durable implementation recorded survives a
//     restart; each implementation states when.
//   - Errors: invalid arguments wrap ErrInvalid and name the argument; a
//     closed store returns ErrClosed; a back-end failure wraps
//     ErrUnavailable or ErrCorrupt. On any error nothing is known about the
//     key and callers deny (fail closed). ctx bounds the call.
//
// Implementations must be safe for concurrent use by many goroutines (and,
// for shared back-ends, many processes).
type Runs interface {
	// RunLength returns the length of the run x would make under key at t,
	// without recording x; when the key is closed, the length of the run
	// that closed it. A run of p.MinRun or more closes the key (see the
	// contract): a dialer that skips past a denied number is still
	// sweeping.
	RunLength(ctx context.Context, key string, x int, t time.Time, p RunParams) (int, error)
	// RecordRun records x under key at t for id, unless the key is closed
	// or x would make a run of p.MinRun or more (which closes the key); ok
	// reports whether x is recorded (or id was held already), n is the run
	// length when it is not (0 when ok).
	RecordRun(ctx context.Context, id, key string, x int, t time.Time, p RunParams) (n int, ok bool, err error)
	// ReleaseRun removes what RecordRun recorded for id. Unknown id: no
	// error.
	ReleaseRun(ctx context.Context, id string) error
}

// RunSyncer is a Runs whose RecordRun may return before what it recorded is
// durable (storage/boltstore: its record joins the store's journal and is
// written with the next group commit). SyncRuns returns once every record
// made by a RecordRun that returned before the call is durable, or with an
// error (wrapping ErrUnavailable, ErrClosed or ctx's error) when that is not
// known: callers then treat the records as not made and deny (fail closed).
// Package sweep calls it at the end of each commit that recorded a run, so
// that the write joins the group commit of the dial's counter reservations
// instead of adding an fsync of its own.
type RunSyncer interface {
	Runs
	SyncRuns(ctx context.Context) error
}
