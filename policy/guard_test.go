package policy_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/placedguard"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/storage/memstore"
)

// The guard's marks last the longest window of the limits that reserve
// capacity: caps (counted over their window plus the allow lifetime, so
// plus dialgate.MaxAllowLifetime, the longest a Gate can have), the segment
// rate, sequential and stride runs (a tenant's too); a profile without any
// keeps them a day. The abandonment window is
// not one of them: its counts are recorded by outcomes and never given back
// by a Release, so marks kept for it (30 days under us, one per decision in
// the fleet's store) would guard nothing.
func TestGuardWindow(t *testing.T) {
	for _, tc := range []struct {
		profile string
		want    time.Duration
	}{
		{`schema: dialgate.profile.v1
name: one-cap
frequency:
  caps:
    - {count: 1, window: 24h, cite: {source: U, ref: "test: one a day"}}
`, 24*time.Hour + dialgate.MaxAllowLifetime},
		{`schema: dialgate.profile.v1
name: two-caps
frequency:
  caps:
    - {count: 2, window: 24h, cite: {source: U, ref: "test: two a day"}}
    - {count: 5, window: 720h, cite: {source: U, ref: "test: monthly"}}
`, 720*time.Hour + dialgate.MaxAllowLifetime},
		{`schema: dialgate.profile.v1
name: sweep-only
sweep:
  segment_rate: {max: 50, window: 1h, cite: {source: U, ref: "t"}}
  sequential: {min_run: 10, max_gap: 2, window: 48h, cite: {source: U, ref: "t"}}
`, 48 * time.Hour},
		{`schema: dialgate.profile.v1
name: stride-longest
sweep:
  sequential: {min_run: 10, max_gap: 2, window: 24h, cite: {source: U, ref: "t"}}
  stride: {min_run: 10, max_gap: 2, window: 72h, cite: {source: U, ref: "t"}}
`, 72 * time.Hour},
		{`schema: dialgate.profile.v1
name: tenant-stride-longest
sweep:
  stride: {min_run: 10, max_gap: 2, window: 24h, cite: {source: U, ref: "t"}}
  tenants:
    acme:
      stride: {min_run: 5, max_gap: 3, window: 96h, cite: {source: U, ref: "t"}}
`, 96 * time.Hour},
		{`schema: dialgate.profile.v1
name: cap-and-abandonment
frequency:
  caps:
    - {count: 1, window: 24h, cite: {source: U, ref: "test: one a day"}}
abandonment:
  max_rate: 0.03
  window: 30d
  cite: {source: U, ref: "t"}
`, 24*time.Hour + dialgate.MaxAllowLifetime},
		{`schema: dialgate.profile.v1
name: nothing
`, policy.DefaultGuardWindow},
	} {
		prof, err := policy.Parse("profile.yaml", []byte(tc.profile))
		if err != nil {
			t.Fatalf("%s: %v", tc.profile, err)
		}
		if got := policy.GuardWindow(prof); got != tc.want {
			t.Errorf("%s: window %v, want %v", prof.Name, got, tc.want)
		}
	}
}

// A Gate Assemble builds on deps with counters has the release guard over
// them: a Release after an outcome, through another Gate on the same store,
// is refused and the callee stays capped.
func TestAssembleGuardsRelease(t *testing.T) {
	prof, err := policy.Parse("profile.yaml", []byte(`schema: dialgate.profile.v1
name: one-cap
frequency:
  caps:
    - {count: 1, window: 24h, cite: {source: U, ref: "test: one a day"}}
`))
	if err != nil {
		t.Fatal(err)
	}
	deps, err := policy.StoreDeps(memstore.New(), []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	at := dialgate.ClockFunc(func() time.Time { return time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC) })
	var gates []*dialgate.Gate
	for range 2 {
		a, err := policy.Assemble(prof, deps, dialgate.WithoutAuditLog(), dialgate.WithClock(at))
		if err != nil {
			t.Fatal(err)
		}
		gates = append(gates, a.Gate)
	}
	ctx := context.Background()
	d := dialgate.Dial{To: dialgate.MustParseNumber("+14055550123"), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"}
	dec, err := gates[0].Check(ctx, d)
	if err != nil || !dec.Allowed {
		t.Fatalf("check: %v %v %v", dec.Allowed, dec.Reasons, err)
	}
	if err := gates[0].ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Answered: true}); err != nil {
		t.Fatal(err)
	}
	if err := gates[1].Release(ctx, dec); !errors.Is(err, dialgate.ErrPlaced) {
		t.Fatalf("release after an outcome: %v, want ErrPlaced", err)
	}
	if dec, _ := gates[1].Check(ctx, d); dec.Allowed {
		t.Fatal("the placed call's capacity was given back")
	}
}

// An answered call's outcome without its dial, refused under an
// abandoned-call rate cap (the campaign is unknown), still marks the decision
// placed: the call was placed, so a Release (the dialer's reaction to a
// refused outcome) must not give its capacity back. The outcome resent with
// its dial is counted once.
func TestRefusedAbandonOutcomeStillPlaced(t *testing.T) {
	prof, err := policy.Parse("profile.yaml", []byte(`schema: dialgate.profile.v1
name: cap-and-abandon
frequency:
  caps:
    - {count: 1, window: 24h, cite: {source: U, ref: "test: one a day"}}
abandonment:
  max_rate: 0.03
  window: 24h
  cite: {source: U, ref: "test: 3 % a day"}
`))
	if err != nil {
		t.Fatal(err)
	}
	deps, err := policy.StoreDeps(memstore.New(), []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	at := dialgate.ClockFunc(func() time.Time { return time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC) })
	a, err := policy.Assemble(prof, deps, dialgate.WithoutAuditLog(), dialgate.WithClock(at))
	if err != nil {
		t.Fatal(err)
	}
	g := a.Gate
	ctx := context.Background()
	d := dialgate.Dial{To: dialgate.MustParseNumber("+14055550123"), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1", Campaign: "c1"}
	dec, err := g.Check(ctx, d)
	if err != nil || !dec.Allowed {
		t.Fatalf("check: %v %v %v", dec.Allowed, dec.Reasons, err)
	}
	if err := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Answered: true, Abandoned: true}); !errors.Is(err, dialgate.ErrInvalidOutcome) {
		t.Fatalf("answered outcome without its dial: %v, want ErrInvalidOutcome", err)
	}
	if err := g.Release(ctx, dec); !errors.Is(err, dialgate.ErrPlaced) {
		t.Fatalf("release after a refused outcome: %v, want ErrPlaced", err)
	}
	if err := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Dial: d, Answered: true, Abandoned: true}); err != nil {
		t.Fatalf("outcome resent with its dial: %v", err)
	}
	d2 := d
	d2.To, d2.LeadID = dialgate.MustParseNumber("+14055550124"), "crm-2"
	dec2, err := g.Check(ctx, d2)
	if err != nil {
		t.Fatal(err)
	}
	if dec2.Allowed || len(dec2.Reasons) == 0 || dec2.Reasons[0].Code != dialgate.CodeAbandonRateExceeded {
		t.Fatalf("a campaign at 100 %% abandoned: allowed %v, reasons %v; want abandon.rate_exceeded", dec2.Allowed, dec2.Reasons)
	}
}

// TestAssembleRefusesSecondGuard: Assemble gives the Gate a release guard
// over deps.Counters, and dialgate.New refuses a second WithPlacedGuard, so
// one among Assemble's options is refused — an error wrapping
// dialgate.ErrInvalidConfig that says where the first guard came from, so
// the caller does not think it gave the option twice.
func TestAssembleRefusesSecondGuard(t *testing.T) {
	store := memstore.New()
	deps, err := policy.StoreDeps(store, []byte("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Builtin("cn")
	if err != nil {
		t.Fatal(err)
	}
	guard, err := placedguard.New(store, policy.GuardWindow(p))
	if err != nil {
		t.Fatal(err)
	}
	_, err = policy.Assemble(p, deps, dialgate.WithoutAuditLog(), dialgate.WithPlacedGuard(guard))
	if !errors.Is(err, dialgate.ErrInvalidConfig) {
		t.Fatalf("Assemble with a WithPlacedGuard of the caller's: %v, want an error wrapping ErrInvalidConfig", err)
	}
	if !strings.Contains(err.Error(), "policy.Build") {
		t.Errorf("error %q does not say that policy.Build and Assemble give a guard of their own", err)
	}
	// Without Counters there is no guard of Assemble's: the caller's is taken.
	deps.Counters = nil
	p.Frequency, p.Abandonment = nil, nil
	if p.Sweep != nil {
		p.Sweep.SegmentRate = nil
	}
	if _, err := policy.Assemble(p, deps, dialgate.WithoutAuditLog(), dialgate.WithPlacedGuard(guard)); err != nil {
		t.Errorf("Assemble without deps.Counters and with the caller's guard: %v", err)
	}
}
