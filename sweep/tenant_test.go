package sweep

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
)

// strictCfg is cn's sweep section with rules r for tenant "strict"
// (REQUIREMENTS §3: thresholds configurable per tenant).
func strictCfg(r TenantRules) Config {
	cfg := cnCfg
	cfg.Tenants = map[string]TenantRules{"strict": r}
	return cfg
}

var (
	strictRate = TenantRules{SegmentRate: &SegmentRate{Max: 5, Window: dialgate.Duration(2 * time.Hour), Cite: uCite}}
	strictSeq  = TenantRules{Sequential: &Sequential{MinRun: 10, MaxGap: 3, Window: dialgate.Duration(48 * time.Hour), Cite: uCite}}
)

// dialAs dials to for tenant through f's next gate.
func (f *fleet) dialAs(tenant string, to dialgate.Number) dialgate.Decision {
	f.t.Helper()
	g := f.gates[f.next%len(f.gates)]
	f.next++
	dec, err := g.Check(context.Background(), dialgate.Dial{To: to, Purpose: dialgate.PurposeService, Tenant: tenant, LeadID: "crm-1"})
	if err != nil {
		f.t.Fatal(err)
	}
	return dec
}

// A tenant with thresholds of its own is held to them; the others keep the
// profile's.
func TestTenantThresholds(t *testing.T) {
	for _, shared := range []bool{false, true} {
		name := "in memory"
		if shared {
			name = "shared"
		}
		t.Run(name, func(t *testing.T) {
			store := memstore.New()
			// Segment rate: the 6th distinct number of a segment within 2 h
			// is denied for strict (1 h 30 min after the first), not for acme.
			strictVsAcme(t, newFleet(t, 1, strictCfg(strictRate), store, nil), 6, 18*time.Minute,
				func(i int) dialgate.Number { return seqNum(861370013, i*100) }, dialgate.CodeSweepSegmentRate)
			// Sequential: a run of 10 with gaps of 3 is a sweep for strict.
			store = memstore.New()
			var runs storage.Runs
			if shared {
				runs = store
			}
			f := newFleet(t, 1, strictCfg(strictSeq), store, runs)
			strictVsAcme(t, f, 10, time.Minute,
				func(i int) dialgate.Number { return seqNum(861360013, i*4) }, dialgate.CodeSweepSequential)
			// The segment the run closed stays closed to strict for its 48 h.
			f.now = t0.Add(30 * time.Hour)
			if dec := f.dialAs("strict", seqNum(861360013, 9000)); dec.Allowed || !dec.Has(dialgate.CodeSweepSequential) {
				t.Fatalf("strict, 30 h later: %+v", dec)
			}
		})
	}
}

// strictVsAcme dials n numbers (number(i), every) for tenants strict and
// acme: acme's are all allowed, strict's last is denied with code and the
// others allowed.
func strictVsAcme(t *testing.T, f *fleet, n int, every time.Duration, number func(int) dialgate.Number, code dialgate.Code) {
	t.Helper()
	for i := range n {
		f.now = t0.Add(time.Duration(i) * every)
		strict, acme := f.dialAs("strict", number(i)), f.dialAs("acme", number(i))
		if !acme.Allowed {
			t.Fatalf("acme, number %d: %v", i, acme.Reasons)
		}
		if i < n-1 && !strict.Allowed {
			t.Fatalf("strict, number %d: %v", i, strict.Reasons)
		}
		if i == n-1 && (strict.Allowed || !strict.Has(code)) {
			t.Fatalf("strict, number %d: allowed=%v %v, want %s", i, strict.Allowed, strict.Codes(), code)
		}
	}
}

// A tenant's rule may add a rule the profile lacks.
func TestTenantAddsRule(t *testing.T) {
	cfg := Config{
		Provenance: cnCfg.Provenance,
		Tenants: map[string]TenantRules{
			"strict": {SegmentRate: &SegmentRate{Max: 1, Window: dialgate.Duration(time.Hour), Cite: uCite}},
		},
	}
	f := newFleet(t, 1, cfg, memstore.New(), nil)
	for i := range 2 {
		to := seqNum(861370013, i*100)
		if dec := f.dialAs("acme", to); !dec.Allowed {
			t.Fatalf("acme %d: %v", i, dec.Reasons)
		}
		if dec := f.dialAs("strict", to); dec.Allowed != (i == 0) {
			t.Fatalf("strict %d: allowed=%v %v", i, dec.Allowed, dec.Codes())
		}
	}
}

// A tenant's thresholds may only be stricter than the profile's in every
// parameter: a looser one is refused, naming the field.
func TestTenantRulesValidate(t *testing.T) {
	rate := func(max int, w time.Duration) *SegmentRate {
		return &SegmentRate{Max: max, Window: dialgate.Duration(w), Cite: uCite}
	}
	seq := func(minRun, gap int, w time.Duration) *Sequential {
		return &Sequential{MinRun: minRun, MaxGap: gap, Window: dialgate.Duration(w), Cite: uCite}
	}
	for _, tc := range []struct {
		name    string
		tenants map[string]TenantRules
		want    string // "" valid
	}{
		{"stricter", map[string]TenantRules{"a": {SegmentRate: rate(10, 2*time.Hour), Sequential: seq(10, 3, 48*time.Hour)}}, ""},
		{"same", map[string]TenantRules{"a": {SegmentRate: rate(50, time.Hour), Sequential: seq(20, 2, 24*time.Hour)}}, ""},
		{"rate max looser", map[string]TenantRules{"a": {SegmentRate: rate(51, time.Hour)}}, "sweep.tenants.a.segment_rate.max: 51 is looser than the profile's 50"},
		{"rate window looser", map[string]TenantRules{"a": {SegmentRate: rate(50, 59*time.Minute)}}, "sweep.tenants.a.segment_rate.window: 59m0s is shorter than the profile's 1h0m0s"},
		{"min_run looser", map[string]TenantRules{"a": {Sequential: seq(21, 2, 24*time.Hour)}}, "sweep.tenants.a.sequential.min_run: 21 is looser than the profile's 20"},
		{"max_gap looser", map[string]TenantRules{"a": {Sequential: seq(20, 1, 24*time.Hour)}}, "sweep.tenants.a.sequential.max_gap: 1 is looser than the profile's 2"},
		{"seq window looser", map[string]TenantRules{"a": {Sequential: seq(20, 2, 23*time.Hour)}}, "sweep.tenants.a.sequential.window: 23h0m0s is shorter than the profile's 1d"},
		{"invalid rule", map[string]TenantRules{"a": {SegmentRate: rate(0, time.Hour)}}, "sweep.tenants.a.segment_rate.max: 0 is not between 1 and 10000"},
		{"no cite", map[string]TenantRules{"a": {SegmentRate: &SegmentRate{Max: 5, Window: dialgate.Duration(time.Hour)}}}, "sweep.tenants.a.segment_rate.cite"},
		{"empty", map[string]TenantRules{"a": {}}, "sweep.tenants.a: no rule"},
		{"empty name", map[string]TenantRules{"": {SegmentRate: rate(5, time.Hour)}}, "sweep.tenants: empty tenant name"},
		{"control character", map[string]TenantRules{"a\x01": {SegmentRate: rate(5, time.Hour)}}, "control character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := cnCfg
			cfg.Tenants = tc.tenants
			err := cfg.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if _, nerr := New(cfg, memstore.New()); !errors.Is(nerr, dialgate.ErrInvalidConfig) {
				t.Fatalf("New: %v, want ErrInvalidConfig", nerr)
			}
		})
	}
	// A tenant's segment rate needs counters like the profile's.
	cfg := Config{Provenance: cnCfg.Provenance, Tenants: map[string]TenantRules{"a": {SegmentRate: rate(5, time.Hour)}}}
	if _, err := New(cfg, nil); !errors.Is(err, dialgate.ErrInvalidConfig) {
		t.Fatalf("tenant segment rate without counters: %v", err)
	}
	// Tenant rules alone are run-time rules.
	cfg = Config{Tenants: map[string]TenantRules{"a": {Sequential: seq(10, 2, time.Hour)}}}
	if _, err := New(cfg, nil); err != nil {
		t.Fatalf("tenant rules alone: %v", err)
	}
}

// A dialer that rotates caller IDs and campaigns through a sweep is still
// one tenant sweeping: runs and segment counts are kept per tenant and
// segment, whatever the campaign or caller ID.
func TestRotatingCampaignAndCallerIDIsOneSweep(t *testing.T) {
	h := newHarness(t, cnCfg)
	for i := range 20 {
		h.now = t0.Add(time.Duration(i) * time.Minute)
		d := dialgate.Dial{To: seqNum(861390000, i), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1",
			Campaign: "c" + strconv.Itoa(i), From: seqNum(861058000, 1000+i)}
		dec, err := h.g.Check(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		if dec.Allowed != (i < 19) {
			t.Fatalf("dial %d (campaign %s): allowed=%v %v", i, d.Campaign, dec.Allowed, dec.Codes())
		}
	}
}

// TestConfigForTenant: a tenant named in Tenants gets its own rules in
// place of the profile's, the others the profile's; the result names no
// tenants and is valid.
func TestConfigForTenant(t *testing.T) {
	cfg := cnCfg
	own := &Sequential{MinRun: 5, MaxGap: 2, Window: dialgate.Duration(24 * time.Hour), Cite: uCite}
	cfg.Tenants = map[string]TenantRules{"acme": {Sequential: own}}
	got := cfg.ForTenant("acme")
	if got.Sequential != own || got.SegmentRate != cnCfg.SegmentRate || got.Coverage != cnCfg.Coverage || got.Tenants != nil {
		t.Fatalf("ForTenant(acme) = %+v", got)
	}
	if err := got.Validate(); err != nil {
		t.Fatal(err)
	}
	if other := cfg.ForTenant("bob"); other.Sequential != cnCfg.Sequential || other.Tenants != nil {
		t.Fatalf("ForTenant(bob) = %+v", other)
	}
	if cfg.Tenants == nil {
		t.Fatal("ForTenant changed its receiver's Tenants")
	}
}
