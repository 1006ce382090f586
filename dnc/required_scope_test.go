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
