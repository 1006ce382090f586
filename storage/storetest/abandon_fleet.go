package storetest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage"
)

// TestAbandonAcrossProcesses checks that the abandoned-call rate cap
// (schedule.AbandonCheck) counts one campaign across the handles of a
// shared store: the outcomes reported through a (one sidecar of a fleet)
// are counted by the check through b (another), an outcome reported
// through both counts once, and outcomes leave the window after it. a and
// b must share one store with no abandon counts.
func TestAbandonAcrossProcesses(t *testing.T, a, b storage.Counters) {
	t.Helper()
	if err := CheckAbandonAcrossProcesses(context.Background(), a, b); err != nil {
		t.Fatal(err)
	}
}

// CheckAbandonAcrossProcesses is TestAbandonAcrossProcesses returning the
// first failure.
func CheckAbandonAcrossProcesses(ctx context.Context, a, b storage.Counters) error {
	cfg := schedule.AbandonConfig{MaxRate: 0.03, Window: dialgate.Duration(24 * time.Hour),
		Purposes: []dialgate.Purpose{dialgate.PurposeMarketing}, Cite: dialgate.Citation{Source: dialgate.SourceLaw, Ref: "storetest"}}
	ca, err := schedule.NewAbandonCheck(cfg, a)
	if err != nil {
		return fmt.Errorf("schedule.NewAbandonCheck: %w", err)
	}
	cb, err := schedule.NewAbandonCheck(cfg, b)
	if err != nil {
		return fmt.Errorf("schedule.NewAbandonCheck: %w", err)
	}
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	d := dialgate.Dial{To: dialgate.MustParseNumber("+12125550142"), Purpose: dialgate.PurposeMarketing, Tenant: "acme", Campaign: "fleet"}
	report := func(c *schedule.AbandonCheck, id string, at time.Time, abandoned bool) error {
		o := dialgate.Outcome{DecisionID: id, Dial: d, At: at, Answered: true, Abandoned: abandoned}
		if err := c.ObserveOutcome(ctx, o); err != nil {
			return fmt.Errorf("ObserveOutcome %s: %w", id, err)
		}
		return nil
	}
	// seen checks the dial through b at instant at: denied or allowed with
	// the counts want ("1 abandoned of 40 answered").
	seen := func(step string, at time.Time, denied bool, want string) error {
		dd := d
		dd.At = at
		rs, ev, err := cb.Attest(ctx, dd)
		switch {
		case err != nil:
			return fmt.Errorf("%s: Attest through the other handle: %w", step, err)
		case denied && (len(rs) != 1 || rs[0].Code != dialgate.CodeAbandonRateExceeded):
			return fmt.Errorf("%s: Attest through the other handle = %+v, want abandon.rate_exceeded", step, rs)
		case !denied && (len(rs) != 0 || len(ev) != 1 || !strings.HasPrefix(ev[0].Value, want)):
			return fmt.Errorf("%s: Attest through the other handle = %+v %+v, want allowed with %q", step, rs, ev, want)
		}
		return nil
	}
	// 40 answered through a, the first abandoned; 1 of 40 is under 3 %.
	for i := range 40 {
		if err := report(ca, "fleet-"+strconv.Itoa(i), t0, i == 0); err != nil {
			return err
		}
	}
	if err := seen("1 of 40", t0.Add(time.Minute), false, "1 abandoned of 40 answered"); err != nil {
		return err
	}
	// The last call reported abandoned too, through b, and again through
	// a: 2 of 40, counted once.
	for _, c := range []*schedule.AbandonCheck{cb, ca} {
		if err := report(c, "fleet-39", t0.Add(2*time.Minute), true); err != nil {
			return err
		}
	}
	if err := seen("2 of 40", t0.Add(3*time.Minute), true, ""); err != nil {
		return err
	}
	// The outcomes leave the window 24 h after they were recorded: the
	// answered calls (all at t0) first, the second abandoned call (t0+2m)
	// last; in between it counts alone, and an abandoned call with no
	// answered call is above any rate (the strict side).
	if err := seen("between", t0.Add(24*time.Hour+time.Minute), true, ""); err != nil {
		return err
	}
	if err := seen("after the window", t0.Add(24*time.Hour+3*time.Minute), false, "0 abandoned of 0 answered"); err != nil {
		return err
	}
	return nil
}
