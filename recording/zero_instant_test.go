package recording_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/recording"
)

// TestZeroInstantNamed: a Manager call given the zero time.Time as its
// instant t (a time the caller forgot to set) is refused with an error
// wrapping ErrInvalid that names t, not a field of the registration ("started_at
// ... is in the future") that is right; and a sweep at t zero is refused
// rather than reporting nothing due, which looked like a sweep that ran.
func TestZeroInstantNamed(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, recording.Config{}, nil)
	f.register(t, "r1")
	var zero time.Time
	_, regErr := f.mgr.Register(ctx, zero, recording.Registration{ID: "r2", Callee: callee, StartedAt: start, EndedAt: start.Add(time.Minute)})
	_, endErr := f.mgr.End(ctx, zero, "r1", start.Add(time.Minute))
	_, sweepErr := f.mgr.Sweep(ctx, zero)
	_, dueErr := f.mgr.Due(ctx, zero)
	for name, err := range map[string]error{
		"Register": regErr,
		"End":      endErr,
		"Delete":   f.mgr.Delete(ctx, "r1", zero),
		"Sweep":    sweepErr,
		"Due":      dueErr,
	} {
		if !errors.Is(err, recording.ErrInvalid) || !strings.Contains(err.Error(), "t: zero instant") {
			t.Errorf("%s at the zero instant: %v, want an error wrapping ErrInvalid naming t", name, err)
		}
	}
	if _, err := f.mgr.Get(ctx, "r2"); err == nil {
		t.Error("a registration at the zero instant was stored")
	}
}
