package storetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage"
)

// An Option configures the suites.
type Option func(*config)

type config struct {
	reopen func(old any) (any, error)
	plant  func(ctx context.Context, store any, r RawRecord) error
}

// WithReopen tells the suites that the store is durable and how to reopen it:
// reopen must close old (the store returned by open, or by an earlier reopen)
// and return a new store on the same data. Close must be idempotent, as the
// store may also be closed by a t.Cleanup the open function registered.
// Without this option the durability cases are skipped.
func WithReopen(reopen func(old any) (any, error)) Option {
	return func(c *config) { c.reopen = reopen }
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// Run runs every suite the store returned by open implements, each as a
// subtest named after the interface (for example "Counters"). open must
// return a fresh, empty store on every call and arrange for it to be closed
// (t.Cleanup); it is called once more to find out what the store implements.
func Run(t *testing.T, open func(t *testing.T) any, opts ...Option) {
	t.Helper()
	probe := open(t)
	ran := 0
	if _, ok := probe.(storage.Counters); ok {
		ran++
		t.Run("Counters", func(t *testing.T) {
			TestCounters(t, func(t *testing.T) storage.Counters { return open(t).(storage.Counters) }, opts...)
		})
		t.Run("CountersModel", func(t *testing.T) {
			TestCountersAgainstModel(t, func(t *testing.T) storage.Counters { return open(t).(storage.Counters) }, opts...)
		})
	}
	if _, ok := probe.(storage.Runs); ok {
		ran++
		t.Run("Runs", func(t *testing.T) {
			TestRuns(t, func(t *testing.T) storage.Runs { return open(t).(storage.Runs) }, opts...)
		})
	}
	if _, ok := probe.(callerid.Store); ok {
		ran++
		t.Run("CallerID", func(t *testing.T) {
			TestCallerID(t, func(t *testing.T) callerid.Store { return open(t).(callerid.Store) }, opts...)
		})
		t.Run("CallerIDModel", func(t *testing.T) {
			TestCallerIDAgainstModel(t, func(t *testing.T) callerid.Store { return open(t).(callerid.Store) }, opts...)
		})
	}
	// Domain suites add their type assertion here, one block per domain.
	if _, ok := probe.(consent.Store); ok {
		ran++
		t.Run("Consent", func(t *testing.T) {
			TestConsent(t, func(t *testing.T) consent.Store { return open(t).(consent.Store) }, opts...)
		})
		t.Run("ConsentModel", func(t *testing.T) {
			TestConsentAgainstModel(t, func(t *testing.T) consent.Store { return open(t).(consent.Store) }, opts...)
		})
	}
	if _, ok := probe.(complaint.Store); ok {
		ran++
		t.Run("Complaints", func(t *testing.T) {
			TestComplaints(t, func(t *testing.T) complaint.Store { return open(t).(complaint.Store) }, opts...)
		})
	}
	if _, ok := probe.(recording.Store); ok {
		ran++
		t.Run("Recordings", func(t *testing.T) {
			TestRecordings(t, func(t *testing.T) recording.Store { return open(t).(recording.Store) }, opts...)
		})
	}
	if _, ok := probe.(dnc.Store); ok {
		ran++
		t.Run("DNC", func(t *testing.T) {
			TestDNC(t, func(t *testing.T) dnc.Store { return open(t).(dnc.Store) }, opts...)
		})
		t.Run("DNCModel", func(t *testing.T) {
			TestDNCAgainstModel(t, func(t *testing.T) dnc.Store { return open(t).(dnc.Store) }, opts...)
		})
	}
	if ran == 0 {
		t.Fatalf("storetest: %T implements no store interface the suites know", probe)
	}
}

// errSkip marks a case that does not apply to the store (for example a
// durability case for a store without WithReopen).
var errSkip = errors.New("storetest: case does not apply")

// harness gives a case a way to open and reopen stores of type S, and to
// plant records as stored.
type harness[S any] struct {
	open   func() (S, error)
	reopen func(old S) (S, error)                                  // nil: not durable
	plant  func(ctx context.Context, store any, r RawRecord) error // nil: no WithPlant
}

// errNoPlant marks a stored-record case run without WithPlant, or one whose
// record the store cannot hold (ErrCannotPlant).
var errNoPlant = fmt.Errorf("%w: no WithPlant, or a record the store cannot hold", errSkip)

// plantOrSkip plants r in store, or returns errNoPlant.
func (h harness[S]) plantOrSkip(ctx context.Context, store S, r RawRecord) error {
	if h.plant == nil {
		return errNoPlant
	}
	err := h.plant(ctx, store, r)
	if errors.Is(err, ErrCannotPlant) {
		return errNoPlant
	}
	if err != nil {
		return fmt.Errorf("plant %s %s: %w", r.Kind, r.JSON, err)
	}
	return nil
}

func (h harness[S]) reopenOrSkip(old S) (S, error) {
	if h.reopen == nil {
		var zero S
		return zero, errSkip
	}
	return h.reopen(old)
}

type testCase[S any] struct {
	name string
	run  func(ctx context.Context, h harness[S]) error
}

// runT runs cases as subtests.
func runT[S any](t *testing.T, cases []testCase[S], open func(t *testing.T) S, c config) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := harness[S]{open: func() (S, error) { return open(t), nil }, plant: c.plant}
			if c.reopen != nil {
				h.reopen = func(old S) (S, error) {
					v, err := c.reopen(old)
					if err != nil {
						var zero S
						return zero, err
					}
					s, ok := v.(S)
					if !ok {
						var zero S
						return zero, fmt.Errorf("reopen returned %T, not the store's interface", v)
					}
					t.Cleanup(func() { closeIf(v) })
					return s, nil
				}
			}
			err := tc.run(t.Context(), h)
			if errors.Is(err, errNoPlant) {
				t.Skip("not applicable: no WithPlant, or a record the store cannot hold")
			}
			if errors.Is(err, errNotConditional) {
				t.Skip("not applicable: the store does not implement callerid.ConditionalStore")
			}
			if errors.Is(err, errNotRepairer) {
				t.Skip("not applicable: the store does not implement complaint.Repairer")
			}
			if errors.Is(err, errSkip) {
				t.Skip("not applicable: store is not durable (no WithReopen)")
			}
			if err != nil {
				t.Error(err)
			}
		})
	}
}

// checkAll runs cases and joins their errors, each prefixed with its name.
// Stores that implement io.Closer are closed after each case.
func checkAll[S any](ctx context.Context, suite string, cases []testCase[S], open func() (S, error), c config) error {
	var errs []error
	for _, tc := range cases {
		var opened []any
		h := harness[S]{open: func() (S, error) {
			s, err := open()
			if err == nil {
				opened = append(opened, s)
			}
			return s, err
		}, plant: c.plant}
		if c.reopen != nil {
			h.reopen = func(old S) (S, error) {
				var zero S
				v, err := c.reopen(old)
				if err != nil {
					return zero, err
				}
				opened = append(opened, v)
				s, ok := v.(S)
				if !ok {
					return zero, fmt.Errorf("reopen returned %T, not the store's interface", v)
				}
				return s, nil
			}
		}
		err := tc.run(ctx, h)
		for _, v := range opened {
			closeIf(v)
		}
		if err != nil && !errors.Is(err, errSkip) {
			errs = append(errs, fmt.Errorf("%s/%s: %w", suite, tc.name, err))
		}
	}
	return errors.Join(errs...)
}

func closeIf(v any) {
	if c, ok := v.(io.Closer); ok {
		_ = c.Close()
	}
}
