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
			// Every deny names its reason, this one too: a dialer (or the
			// sidecar's client) that logs or counts the codes must not see
			// a deny without any.
			if !dec.Has(CodeAuditUnavailable) || len(dec.Reasons) != 1 || dec.Reasons[0].Check != "audit" || dec.Reasons[0].Message == "" {
				t.Errorf("Check's deny has reasons %+v, want one audit.unavailable saying why", dec.Reasons)
			}
			if err := g.MarkPlaced(ctx, "dg-x"); !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("MarkPlaced = %v, want ErrInvalidConfig", err)
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
