package dnc

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// TestRequiredRegistryCopyMustBeGlobal: a copy of the national registry a
// profile requires (us-national-dnc) built with a scope other than global
// (`dnc build --scope industry:finance`, as docs/deploy.md shows for the CN
// platform's per-industry lists) satisfied the requirement — loaded, fresh —
// while it listed its numbers only for dials in that scope: a dial of another
// industry to a number on the national registry was ALLOWED. A required
// registry applies to every dial, so such a copy denies every dial
// (dnc.registry_stale, naming the scope and the fix), listed or not. A
// registry no profile requires (a per-industry list) keeps its scope.
func TestRequiredRegistryCopyMustBeGlobal(t *testing.T) {
	ctx := context.Background()
	reg, _ := NewRegistry("us-national")
	c, _ := newTestCheck(t, Config{Registries: []RegistryConfig{{Name: "us-national", MaxAge: dialgate.Duration(31 * 24 * time.Hour), Cite: cite}}}, reg)
	reg.Swap(snapOf(t, "us-national", "industry:finance", t0, 12125550100))
	for _, ind := range []string{"insurance", "finance", ""} {
		for _, to := range []string{"+12125550100", "+12125550101"} {
			rs, err := c.Check(ctx, dialgate.Dial{To: num(to), Purpose: dialgate.PurposeMarketing, Industry: ind, At: t0})
			if err != nil || !slices.Contains(codes(rs), dialgate.CodeDNCRegistryStale) {
				t.Fatalf("industry %q, %s, required registry copy scoped industry:finance: %v %v; want dnc.registry_stale", ind, to, rs, err)
			}
			if m := rs[0].Message; !strings.Contains(m, "industry:finance") || !strings.Contains(m, "global") {
				t.Errorf("message %q does not name the copy's scope and global", m)
			}
		}
	}
	// A global copy is in force again.
	reg.Swap(snapOf(t, "us-national", "global", t0, 12125550100))
	rs, err := c.Check(ctx, dialgate.Dial{To: num("+12125550100"), Purpose: dialgate.PurposeMarketing, Industry: "insurance", At: t0})
	if err != nil || !slices.Equal(codes(rs), []dialgate.Code{dialgate.CodeDNCListed}) {
		t.Fatalf("global copy: %v %v; want dnc.listed", rs, err)
	}
}

// TestRequiredIndustryRegistry: the CN platform's per-industry willingness
// feed (CN-S13) is legitimately scoped: an operator who requires it fresh
// (dnc.registries with a max_age, so that a stale feed denies rather than
// allows) names the scope its copies are built in (scope:
// industry:finance). Such a copy is in force: a finance dial to a number on
// it is denied dnc.listed, a dial of another industry is not judged by it;
// once stale, it denies every dial. A copy in another scope than the one
// required (global included) denies every dial, naming both. Before, the
// narrow-scope check refused every copy of a required registry not in scope
// global, so requiring the feed fresh denied every dial.
func TestRequiredIndustryRegistry(t *testing.T) {
	ctx := context.Background()
	reg, _ := NewRegistry("cn-platform-finance")
	cfg := Config{Registries: []RegistryConfig{{Name: "cn-platform-finance", Scope: "industry:finance",
		MaxAge: dialgate.Duration(7 * 24 * time.Hour), Cite: cite}}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	c, _ := newTestCheck(t, cfg, reg)
	reg.Swap(snapOf(t, "cn-platform-finance", "industry:finance", t0, 8613800138000))
	for _, tc := range []struct {
		ind, to string
		want    []dialgate.Code
	}{
		{"finance", "+8613800138000", []dialgate.Code{dialgate.CodeDNCListed}},
		{"finance", "+8613800138001", nil},
		{"retail", "+8613800138000", nil},
	} {
		rs, err := c.Check(ctx, dialgate.Dial{To: num(tc.to), Purpose: dialgate.PurposeMarketing, Industry: tc.ind, At: t0})
		if err != nil || !slices.Equal(codes(rs), tc.want) {
			t.Errorf("industry %q, %s: %v %v; want %v", tc.ind, tc.to, codes(rs), err, tc.want)
		}
	}
	rs, err := c.Check(ctx, dialgate.Dial{To: num("+8613800138001"), Purpose: dialgate.PurposeMarketing, Industry: "retail", At: t0.Add(8 * 24 * time.Hour)})
	if err != nil || !slices.Contains(codes(rs), dialgate.CodeDNCRegistryStale) {
		t.Errorf("stale required feed: %v %v; want dnc.registry_stale", rs, err)
	}
	for _, sc := range []string{"global", "industry:insurance"} {
		reg.Swap(snapOf(t, "cn-platform-finance", sc, t0, 8613800138000))
		rs, err := c.Check(ctx, dialgate.Dial{To: num("+8613800138001"), Purpose: dialgate.PurposeMarketing, Industry: "retail", At: t0})
		if err != nil || !slices.Contains(codes(rs), dialgate.CodeDNCRegistryStale) {
			t.Fatalf("copy in scope %s of a feed required in industry:finance: %v %v; want dnc.registry_stale", sc, rs, err)
		}
		if m := rs[0].Message; !strings.Contains(m, sc) || !strings.Contains(m, "industry:finance") {
			t.Errorf("message %q does not name the copy's scope and the one required", m)
		}
	}
	if err := (Config{Registries: []RegistryConfig{{Name: "x", Scope: "industry"}}}).Validate(); err == nil || !strings.Contains(err.Error(), "dnc.registries[0].scope") {
		t.Errorf("a bad scope: %v; want an error naming dnc.registries[0].scope", err)
	}
}

// TestRequiredIndustryRegistryScopeCase: a copy of a required per-industry
// registry built in the profile's scope spelt in another case (--scope
// industry:Finance for a profile requiring industry:finance) applies to
// exactly the dials the required scope does (scopes match dials without
// regard to case), and the sidecar's reload takes it for the same scope; the
// check refused it as another scope and denied every dial
// (dnc.registry_stale). It is in force: a listed callee is denied dnc.listed,
// another is allowed.
func TestRequiredIndustryRegistryScopeCase(t *testing.T) {
	ctx := context.Background()
	reg, _ := NewRegistry("cn-platform-finance")
	cfg := Config{Registries: []RegistryConfig{{Name: "cn-platform-finance", Scope: "industry:finance",
		MaxAge: dialgate.Duration(7 * 24 * time.Hour), Cite: cite}}}
	c, _ := newTestCheck(t, cfg, reg)
	if _, err := reg.Swap(snapOf(t, "cn-platform-finance", "industry:Finance", t0, 8613800138000)); err != nil {
		t.Fatal(err)
	}
	rs, err := c.Check(ctx, dialgate.Dial{To: num("+8613800138000"), Purpose: dialgate.PurposeMarketing, Industry: "finance", At: t0})
	if err != nil || !slices.Equal(codes(rs), []dialgate.Code{dialgate.CodeDNCListed}) {
		t.Fatalf("listed callee, copy scoped industry:Finance: %v %v; want dnc.listed", rs, err)
	}
	rs, err = c.Check(ctx, dialgate.Dial{To: num("+8613800138001"), Purpose: dialgate.PurposeMarketing, Industry: "finance", At: t0})
	if err != nil || len(rs) != 0 {
		t.Fatalf("unlisted callee, copy scoped industry:Finance: %v %v; want allowed", rs, err)
	}
	// Another scope still denies every dial.
	if _, err := reg.Swap(snapOf(t, "cn-platform-finance", "industry:insurance", t0, 8613800138000)); err != nil {
		t.Fatal(err)
	}
	rs, err = c.Check(ctx, dialgate.Dial{To: num("+8613800138001"), Purpose: dialgate.PurposeMarketing, Industry: "finance", At: t0})
	if err != nil || !slices.Equal(codes(rs), []dialgate.Code{dialgate.CodeDNCRegistryStale}) {
		t.Fatalf("copy scoped industry:insurance: %v %v; want dnc.registry_stale", rs, err)
	}
}
