package policy

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage/memstore"
)

// TestBuiltinDNC builds every built-in profile with a store and checks the
// do-not-call sections REQUIREMENTS §2 and §4 ask for: the cn hold of 12
// months and the registries (with their maximum age) of us, uk, ca and au.
func TestBuiltinDNC(t *testing.T) {
	wantRegs := map[string]map[string]time.Duration{
		"us": {"us-national-dnc": 31 * 24 * time.Hour},
		"uk": {"uk-tps": 28 * 24 * time.Hour, "uk-ctps": 28 * 24 * time.Hour},
		"ca": {"ca-dncl": 31 * 24 * time.Hour},
		"au": {"au-dncr": (28*24 + 23) * time.Hour},
	}
	for _, name := range Builtins() {
		p, err := Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		base := name
		if i := strings.IndexByte(name, '-'); i > 0 {
			base = name[:i]
		}
		if _, err := Checks(p, Deps{}); p.DNC != nil && (err == nil || !strings.Contains(err.Error(), "deps.DNC: missing")) {
			t.Errorf("%s: Checks without a store = %v, want deps.DNC: missing", name, err)
		}
		deps, err := StoreDeps(memstore.New(), []byte("0123456789abcdef0123456789abcdef"))
		if err != nil {
			t.Fatal(err)
		}
		checks, err := Checks(p, deps)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var c *dnc.Check
		for _, ch := range checks {
			if x, ok := ch.(*dnc.Check); ok {
				c = x
			}
		}
		if base == "cn" {
			if c == nil || c.Config().Hold.Months < 12 {
				t.Errorf("%s: want a dnc section with a hold of at least 12 months, got %+v", name, c)
			}
			continue
		}
		want, ok := wantRegs[base]
		if !ok {
			continue
		}
		if c == nil {
			t.Errorf("%s: no dnc check", name)
			continue
		}
		got := map[string]time.Duration{}
		for _, r := range c.Config().Registries {
			got[r.Name] = r.MaxAge.Std()
			if c.Provider(r.Name) == nil {
				t.Errorf("%s: registry %s has no provider", name, r.Name)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: registries %v, want %v", name, got, want)
		}
		for reg, age := range want {
			if got[reg] != age {
				t.Errorf("%s: registry %s max age %v, want %v", name, reg, got[reg], age)
			}
		}
	}
}

// TestRegistryRequired shows the fail-closed rule: a profile that requires a
// registry denies every dial until a fresh enough copy is loaded, and again
// once it is older than the profile allows.
func TestRegistryRequired(t *testing.T) {
	p, err := Builtin("us")
	if err != nil {
		t.Fatal(err)
	}
	var now time.Time
	deps, err := StoreDeps(memstore.New(), []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	checks, err := Checks(p, deps)
	if err != nil {
		t.Fatal(err)
	}
	g, err := dialgate.New(checks, dialgate.WithoutAuditLog(), dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return now })))
	if err != nil {
		t.Fatal(err)
	}
	from := dialgate.MustParseNumber("+12025550123") // us requires a caller ID (47 CFR 64.1601(e)(1))
	d := dialgate.Dial{To: dialgate.MustParseNumber("+12125550100"), From: from, Purpose: dialgate.PurposeService, LeadID: "x"}
	listed := dialgate.Dial{To: dialgate.MustParseNumber("+12125550101"), From: from, Purpose: dialgate.PurposeMarketing, LeadID: "x"}
	decide := func(d dialgate.Dial, at string) dialgate.Decision {
		t.Helper()
		now, _ = time.Parse(time.RFC3339, at)
		dec, err := g.Check(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		return dec
	}
	if dec := decide(d, "2026-06-10T10:00:00-04:00"); dec.Allowed || !dec.Has(dialgate.CodeDNCRegistryStale) {
		t.Fatalf("no copy loaded: %v %v, want dnc.registry_stale", dec.Allowed, dec.Codes())
	}
	var reg *dnc.Registry
	for _, c := range checks {
		if x, ok := c.(*dnc.Check); ok {
			reg, _ = x.Provider("us-national-dnc").(*dnc.Registry)
		}
	}
	if reg == nil {
		t.Fatal("no us-national-dnc registry")
	}
	asOf := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	s, err := dnc.NewSnapshot(dnc.Header{Name: "us-national-dnc", AsOf: asOf, CreatedAt: asOf}, dnc.NewSet([]uint64{listed.To.Uint64()}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Swap(s); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		d       dialgate.Dial
		at      string
		allowed bool
		code    dialgate.Code
	}{
		{d, "2026-06-10T10:00:00-04:00", true, ""},
		{listed, "2026-06-10T10:00:00-04:00", false, dialgate.CodeDNCListed},
		{d, "2026-07-02T00:00:00Z", true, ""},                                  // exactly 31 days old
		{d, "2026-07-02T00:00:01Z", false, dialgate.CodeDNCRegistryStale},      // 31 days and a second
		{listed, "2026-07-02T12:00:00Z", false, dialgate.CodeDNCRegistryStale}, // stale denies before listing
	} {
		dec := decide(tt.d, tt.at)
		if dec.Allowed != tt.allowed || (tt.code != "" && !dec.Has(tt.code)) {
			t.Errorf("%s: allowed=%v %v, want %v %s", tt.at, dec.Allowed, dec.Codes(), tt.allowed, tt.code)
		}
	}
	// The explanation names every registry with its age and citation.
	var text []string
	for _, r := range Explain(p) {
		if r.Section == "dnc" && strings.HasPrefix(r.Path, "dnc.registries") {
			text = append(text, r.Text+" ["+string(r.Cite.Source)+"] "+r.Cite.Ref)
		}
	}
	if len(text) != 1 || !strings.Contains(text[0], "us-national-dnc copy no older than 31d") || !strings.Contains(text[0], "47 CFR 64.1200(c)(2)") {
		t.Errorf("explain dnc = %q", text)
	}
}
