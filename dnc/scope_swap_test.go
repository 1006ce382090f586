package dnc

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// TestSwapToNarrowerScopeBetweenStatusAndLookup: a required registry's global
// copy that lists the callee is replaced, between the check's scope look and
// its Lookup, by a copy of the same numbers as of the same instant built in a
// narrower scope (same version, as_of and count: only the scope differs).
// The lookup in the narrow copy misses a dial of another industry; the check
// must see that the copy changed and deny (here dnc.registry_stale: the copy
// in force is not global), not allow a listed number.
func TestSwapToNarrowerScopeBetweenStatusAndLookup(t *testing.T) {
	reg, _ := NewRegistry("us-national")
	callee := uint64(12125550100)
	asOf := t0.AddDate(0, 0, -1)
	if _, err := reg.Swap(snapOf(t, "us-national", "", asOf, callee)); err != nil {
		t.Fatal(err)
	}
	narrow := snapOf(t, "us-national", "industry:insurance", asOf, callee)
	if narrow.Header.Version() != reg.Snapshot().Header.Version() {
		t.Fatal("test setup: the two copies should share a version")
	}
	p := &swapOnLookup{Registry: reg, next: narrow}
	c, _ := newTestCheck(t, Config{Registries: []RegistryConfig{{Name: "us-national", MaxAge: dialgate.Duration(31 * 24 * time.Hour), Cite: cite}}}, p)
	rs, err := c.Check(context.Background(), dialgate.Dial{To: num("+12125550100"), Purpose: dialgate.PurposeMarketing, Industry: "finance", At: t0})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(codes(rs), []dialgate.Code{dialgate.CodeDNCRegistryStale}) {
		t.Fatalf("reasons %v, want dnc.registry_stale (a listed callee was answered \"not listed\" by a copy swapped in during the lookup)", codes(rs))
	}
}
