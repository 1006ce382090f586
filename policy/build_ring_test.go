package policy

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage/memstore"
)

// The built-in profiles set the minimum ring time where REQUIREMENTS gives
// a figure with a source: cn (CN-S10/11 响一声, 15 s [U]) and us (TSR
// 16 CFR 310.4(b)(4)(ii), 15 s [L]); their overlays inherit it; uk, ca, fr
// and au leave it unset.
func TestBuiltinRing(t *testing.T) {
	for _, tt := range []struct {
		profile string
		source  dialgate.SourceTag // "" for no ring rule
		ref     []string           // substrings of the citation's ref
	}{
		{"cn", dialgate.SourceConvention, []string{"CN-S10/11", "“响一声”"}},
		{"cn-insurance", dialgate.SourceConvention, []string{"CN-S10/11", "“响一声”"}},
		{"us", dialgate.SourceLaw, []string{"16 CFR 310.4(b)(4)(ii)"}},
		{"us-fl", dialgate.SourceLaw, []string{"16 CFR 310.4(b)(4)(ii)"}},
		{"us-ok", dialgate.SourceLaw, []string{"16 CFR 310.4(b)(4)(ii)"}},
		{"us-al", dialgate.SourceLaw, []string{"16 CFR 310.4(b)(4)(ii)"}},
		{"us-la", dialgate.SourceLaw, []string{"16 CFR 310.4(b)(4)(ii)"}},
		{"us-ms", dialgate.SourceLaw, []string{"16 CFR 310.4(b)(4)(ii)"}},
		{"us-collections", dialgate.SourceLaw, []string{"16 CFR 310.4(b)(4)(ii)"}},
		{"uk", "", nil},
		{"ca", "", nil},
		{"fr", "", nil},
		{"au", "", nil},
	} {
		t.Run(tt.profile, func(t *testing.T) {
			p := builtin(t, tt.profile)
			if tt.source == "" {
				if p.Ring != nil {
					t.Fatalf("%s has a ring rule %+v; REQUIREMENTS gives it no figure", tt.profile, p.Ring)
				}
				return
			}
			if p.Ring == nil {
				t.Fatalf("%s has no ring rule", tt.profile)
			}
			if p.Ring.Min.Std() != 15*time.Second || p.Ring.Cite.Source != tt.source {
				t.Errorf("%s ring %s [%s], want 15s [%s]", tt.profile, p.Ring.Min, p.Ring.Cite.Source, tt.source)
			}
			for _, s := range tt.ref {
				if !strings.Contains(p.Ring.Cite.Ref, s) {
					t.Errorf("%s ring cites %q, want it to name %s", tt.profile, p.Ring.Cite.Ref, s)
				}
			}
			if !slices.ContainsFunc(Citations(p), func(c Cited) bool { return c.Path == "ring.cite" }) {
				t.Errorf("%s: Citations lacks ring.cite", tt.profile)
			}
		})
	}
}

func TestParseRing(t *testing.T) {
	head := "schema: dialgate.profile.v1\nname: mine\n"
	cite := "  cite: {source: U, ref: ours}\n"
	for _, tt := range []struct {
		name, src string
		want      string // "" when valid
	}{
		{"valid", head + "ring:\n  min: 20s\n" + cite, ""},
		{"zero", head + "ring:\n  min: 0s\n" + cite, "mine.yaml:4: ring.min: missing or zero"},
		{"missing", head + "ring:\n" + cite, "ring.min: missing or zero"},
		{"negative", head + "ring:\n  min: -15s\n" + cite, "ring.min: -15s is negative"},
		{"fraction", head + "ring:\n  min: 1500ms\n" + cite, "ring.min: 1.5s is not a whole number of seconds"},
		{"typo", head + "ring:\n  min: 15m\n" + cite, "ring.min: 15m0s is longer than 2m0s"},
		{"not a duration", head + "ring:\n  min: fifteen\n" + cite, `duration "fifteen"`}, // the decoder names no field for a bad duration (any section)
		{"no citation", head + "ring:\n  min: 15s\n", "ring.cite.source: missing"},
		{"bad tag", head + "ring:\n  min: 15s\n  cite: {source: X, ref: ours}\n", `ring.cite.source: unknown source tag "X"`},
		{"unknown key", head + "ring:\n  minimum: 15s\n" + cite, `unknown key "minimum"`},
		{"overlay to zero", head + "extends: us\nring: {min: 0s}\n", "ring.min: missing or zero"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse("mine.yaml", []byte(tt.src))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if p.Ring == nil || p.Ring.Min.Std() != 20*time.Second {
					t.Fatalf("ring %+v", p.Ring)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrInvalidProfile) {
				t.Fatalf("Parse: %v\nwant an ErrInvalidProfile containing %q", err, tt.want)
			}
		})
	}
}

// An overlay inherits its base's ring rule, may change the minimum (keeping
// the citation, merged key by key) and may remove it with null.
func TestRingOverlay(t *testing.T) {
	head := "schema: dialgate.profile.v1\nname: mine\n"
	cn := builtin(t, "cn")
	p, err := Parse("mine.yaml", []byte(head+"extends: cn\ndescription: x\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Ring == nil || *p.Ring != *cn.Ring {
		t.Errorf("inherited ring %+v, want cn's %+v", p.Ring, cn.Ring)
	}
	p, err = Parse("mine.yaml", []byte(head+"extends: cn\nring: {min: 20s}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Ring.Min.Std() != 20*time.Second || p.Ring.Cite != cn.Ring.Cite {
		t.Errorf("overridden ring %+v, want 20s with cn's citation", p.Ring)
	}
	p, err = Parse("mine.yaml", []byte(head+"extends: us\nring: null\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Ring != nil {
		t.Errorf("ring: null left %+v", p.Ring)
	}
	// Scenario policy overrides merge the same way.
	q, err := Merge(cn, []byte(`{"ring": {"min": "30s"}}`))
	if err != nil || q.Ring.Min.Std() != 30*time.Second {
		t.Fatalf("Merge: %+v %v", q, err)
	}
}

func TestExplainRing(t *testing.T) {
	var got []Rule
	for _, r := range Explain(builtin(t, "us")) {
		if r.Section == "ring" {
			got = append(got, r)
		}
	}
	if len(got) != 1 || got[0].Path != "ring" || !strings.Contains(got[0].Text, "at least 15s") ||
		!strings.Contains(got[0].Text, "ring.min_seconds = 15") || !strings.Contains(got[0].Text, "never denies") ||
		got[0].Cite.Source != dialgate.SourceLaw {
		t.Errorf("explained ring rules %+v", got)
	}
	for _, r := range Explain(builtin(t, "uk")) {
		if r.Section == "ring" {
			t.Errorf("uk explains a ring rule: %+v", r)
		}
	}
}

// An allowed dial under cn carries the instruction ring.min_seconds = 15 (a
// denied one too: the check never denies, and runs first); a profile without
// the rule builds no ring check and its decisions carry no such evidence.
func TestGateRingEvidence(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	from := dialgate.MustParseNumber("+861058001234")
	build := func(p *Profile) *dialgate.Gate {
		t.Helper()
		ms := memstore.New()
		if err := ms.PutLedger(ctx, callerid.Entry{Tenant: "acme", Number: from, Type: callerid.TypeFixed, Holder: "Acme Ltd", Purposes: []dialgate.Purpose{dialgate.PurposeService}}); err != nil {
			t.Fatal(err)
		}
		deps, err := StoreDeps(ms, []byte("0123456789abcdef"))
		if err != nil {
			t.Fatal(err)
		}
		g, err := Build(p, deps, dialgate.WithoutAuditLog(), dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return at })))
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	ringOf := func(dec dialgate.Decision) []string {
		var v []string
		for _, e := range dec.Evidence {
			if strings.HasPrefix(e.Key, "ring.") {
				v = append(v, e.Key+"="+e.Value)
			}
		}
		return v
	}
	dial := dialgate.Dial{To: dialgate.MustParseNumber("+8613900139000"), From: from, Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-42"}

	cn := build(builtin(t, "cn"))
	if names := cn.CheckNames(); len(names) == 0 || names[0] != schedule.RingName {
		t.Errorf("cn checks %v, want ring first", names)
	}
	dec, err := cn.Check(ctx, dial)
	if err != nil || !dec.Allowed {
		t.Fatalf("cn: %+v %v", dec, err)
	}
	if got := ringOf(dec); len(got) != 1 || got[0] != "ring.min_seconds=15" {
		t.Errorf("allowed cn decision carries %v, want [ring.min_seconds=15]", got)
	}
	// A denied dial (outside the rest-hour windows) is still told, and the
	// ring check adds no reason of its own.
	at = time.Date(2026, 12, 4, 22, 30, 0, 0, time.FixedZone("CST", 8*3600))
	dec, err = cn.Check(ctx, dial)
	if err != nil || dec.Allowed || !slices.Equal(dec.Codes(), []dialgate.Code{dialgate.CodeOutsideWindow}) {
		t.Fatalf("cn at 22:30: %v %v, want only %s", dec.Codes(), err, dialgate.CodeOutsideWindow)
	}
	if got := ringOf(dec); len(got) != 1 {
		t.Errorf("denied cn decision carries %v", got)
	}

	at = time.Date(2026, 12, 4, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	without := builtin(t, "cn").Clone()
	without.Ring = nil
	g := build(without)
	if slices.Contains(g.CheckNames(), schedule.RingName) {
		t.Errorf("a profile without ring has checks %v", g.CheckNames())
	}
	dec, err = g.Check(ctx, dial)
	if err != nil || !dec.Allowed {
		t.Fatalf("cn without ring: %+v %v", dec, err)
	}
	if got := ringOf(dec); got != nil {
		t.Errorf("a profile without the rule put %v on its decision", got)
	}
}
