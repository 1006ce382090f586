package policy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage/memstore"
)

func TestFrequencySection(t *testing.T) {
	src := `schema: dialgate.profile.v1
name: caps-test
frequency:
  caps:
    - {count: 1, window: 5m, cite: {source: U, ref: "工信厅信管函〔2018〕337号 (CN-S6)"}}
    - {count: 2, window: 24h, cite: {source: U, ref: "工信厅信管函〔2018〕337号 (CN-S6)"}}
  pause_after_conversation: {window: 7d, purposes: [collections], per: subject, cite: {source: L, ref: "12 CFR 1006.14(b)(2)(i)(B)"}}
`
	p, err := Parse("caps-test.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(p, Deps{}, dialgate.WithoutAuditLog()); err == nil || !strings.Contains(err.Error(), "deps.Counters") {
		t.Fatalf("Build without counters = %v, want an error naming deps.Counters", err)
	}
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	g, err := Build(p, Deps{Counters: memstore.New(), HashKey: []byte("0123456789abcdef")}, dialgate.WithoutAuditLog(),
		dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return now })))
	if err != nil {
		t.Fatal(err)
	}
	d := dialgate.Dial{To: dialgate.MustParseNumber("+8613900139001"), Purpose: dialgate.PurposeService, Tenant: "acme"}
	for i, want := range []bool{true, false} {
		dec, err := g.Check(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		if dec.Allowed != want {
			t.Fatalf("dial %d: allowed %v, want %v (%v)", i, dec.Allowed, want, dec.Codes())
		}
	}
	rules := explainFrequency(p.Frequency)
	if len(rules) != 3 || !strings.Contains(rules[0].Text, "1 call per 5m per callee") || !strings.Contains(rules[2].Text, "7d") {
		t.Errorf("explain = %+v", rules)
	}

	for _, tc := range []struct{ profile, path, text string }{
		{"uk", "frequency.pause_after_abandoned", "no call within 3d after a reported abandoned call, per callee (frequency.capped)"},
		{"fr", "frequency.pause_after_refusal", "no marketing call within 61d after a reported refusal (the callee refused the offer), per callee (frequency.capped)"},
	} {
		found := false
		for _, r := range Explain(builtin(t, tc.profile)) {
			if r.Path == tc.path {
				found = true
				if r.Text != tc.text {
					t.Errorf("%s explain %s = %q, want %q", tc.profile, tc.path, r.Text, tc.text)
				}
			}
		}
		if !found {
			t.Errorf("%s: explain has no %s rule", tc.profile, tc.path)
		}
	}

	bad := strings.Replace(src, "count: 1,", "count: -1,", 1)
	if _, err := Parse("bad.yaml", []byte(bad)); err == nil || !strings.Contains(err.Error(), "frequency.caps[0].count") {
		t.Errorf("negative cap: %v, want an error naming frequency.caps[0].count", err)
	}
	bad = strings.Replace(src, "window: 24h", "window: 0s", 1)
	if _, err := Parse("bad.yaml", []byte(bad)); err == nil || !strings.Contains(err.Error(), "frequency.caps[1].window") {
		t.Errorf("zero window: %v, want an error naming frequency.caps[1].window", err)
	}
}

// TestFrequencyCountsGateAllowLifetime: Build gives the frequency check the
// Gate's allow lifetime, so that a Gate with WithAllowLifetime(10m) counts
// "1 call per 5m" over 15m (an allow may be dialled 10m after its
// decision), and Checks takes it from Deps.AllowLifetime (a Gate given a
// longer one than its checks count is refused).
func TestFrequencyCountsGateAllowLifetime(t *testing.T) {
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	clk := dialgate.ClockFunc(func() time.Time { return now })
	p, err := Parse("caps-test.yaml", []byte(`schema: dialgate.profile.v1
name: caps-test
frequency:
  caps:
    - {count: 1, window: 5m, cite: {source: U, ref: "工信厅信管函〔2018〕337号 (CN-S6)"}}
`))
	if err != nil {
		t.Fatal(err)
	}
	deps := Deps{Counters: memstore.New(), HashKey: []byte("0123456789abcdef")}
	g, err := Build(p, deps, dialgate.WithoutAuditLog(), dialgate.WithClock(clk), dialgate.WithAllowLifetime(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	d := dialgate.Dial{To: dialgate.MustParseNumber("+8613900139001"), Purpose: dialgate.PurposeService, Tenant: "acme"}
	check := func(at time.Time, want bool) dialgate.Decision {
		t.Helper()
		now = at
		dec, err := g.Check(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		if dec.Allowed != want {
			t.Fatalf("dial at %s: allowed %v, want %v (%v %+v)", at.Format(time.TimeOnly), dec.Allowed, want, dec.Codes(), dec.Reasons)
		}
		return dec
	}
	start := now
	check(start, true)
	dec := check(start.Add(15*time.Minute-time.Second), false)
	if !dec.Has(dialgate.CodeFrequencyCapped) {
		t.Fatalf("denied without frequency.capped: %v", dec.Codes())
	}
	for _, r := range dec.Reasons {
		if r.Code == dialgate.CodeFrequencyCapped && !r.NextAllowedAt.Equal(start.Add(15*time.Minute)) {
			t.Errorf("NextAllowedAt = %s, want %s", r.NextAllowedAt, start.Add(15*time.Minute))
		}
	}
	check(start.Add(15*time.Minute), true)

	// Checks with the default lifetime, then a Gate with a longer one: refused.
	checks, err := Checks(p, deps)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dialgate.New(checks, dialgate.WithoutAuditLog(), dialgate.WithAllowLifetime(10*time.Minute)); !errors.Is(err, dialgate.ErrInvalidConfig) || !strings.Contains(err.Error(), "schedule.WithAllowLifetime") {
		t.Errorf("New over default-lifetime checks with a 10m lifetime: %v, want ErrInvalidConfig naming schedule.WithAllowLifetime", err)
	}
	deps.AllowLifetime = 10 * time.Minute
	if checks, err = Checks(p, deps); err != nil {
		t.Fatal(err)
	}
	if _, err := dialgate.New(checks, dialgate.WithoutAuditLog(), dialgate.WithAllowLifetime(10*time.Minute)); err != nil {
		t.Errorf("New over checks counting 10m: %v", err)
	}
	// A bad lifetime option is Assemble's error, not a silent default.
	if _, err := Build(p, Deps{Counters: memstore.New()}, dialgate.WithoutAuditLog(), dialgate.WithAllowLifetime(time.Hour)); !errors.Is(err, dialgate.ErrInvalidConfig) {
		t.Errorf("Build with a 1h lifetime: %v, want ErrInvalidConfig", err)
	}
}
