package dialgate

import (
	"context"
	"errors"
	"testing"
)

// TestZeroGateFailsClosed: a Gate not made by New (the zero Gate, a nil
// *Gate: a field the dialer forgot to set) denies every dial with an error
// wrapping ErrInvalidConfig, and refuses Release and ReportOutcome, instead
// of panicking with a nil pointer dereference.
func TestZeroGateFailsClosed(t *testing.T) {
	ctx := context.Background()
	d := Dial{To: MustParseNumber("+8613800138000"), Purpose: PurposeService, LeadID: "x"}
	for name, g := range map[string]*Gate{"zero": new(Gate), "nil": nil} {
		t.Run(name, func(t *testing.T) {
			dec, err := g.Check(ctx, d)
			if dec.Allowed || !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("Check = allowed %v, %v; want a deny and ErrInvalidConfig", dec.Allowed, err)
			}
			if err := g.Release(ctx, Decision{ID: "dg-x"}); !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("Release = %v, want ErrInvalidConfig", err)
			}
			if err := g.ReportOutcome(ctx, Outcome{DecisionID: "dg-x"}); !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("ReportOutcome = %v, want ErrInvalidConfig", err)
			}
		})
	}
}
