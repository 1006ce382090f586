package consent

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// A dial that names no tenant (or a blank one) may be any tenant's: the
// tenant's withdrawal must reach it, as the withdrawal of an industry,
// business line or campaign reaches a dial that leaves that field empty,
// and as a do-not-call entry in scope tenant:<name> matches a dial without
// a tenant (dnc.Scope.Matches: fail closed). It did not: the person's
// withdrawal from acme (a record tied to acme, or in scope tenant:acme,
// revoked) was "another tenant's" to a dial without a tenant, and an older
// record tied to no tenant went on allowing that dial — which may be acme's.
func TestWithdrawalOfATenantReachesADialWithoutOne(t *testing.T) {
	ctx := context.Background()
	at := t0.Add(48 * time.Hour)
	revokedAt := t0.Add(24 * time.Hour)
	for _, tc := range []struct {
		name, scope, tenant string // of the revoked record w-1
		dialTenant          string
		want, wantID        string // codes ("" = allowed) and consent.id
	}{
		{"tied to acme", "industry:finance", "acme", "", "consent.revoked", "w-1"},
		{"tied to acme, blank dial tenant", "industry:finance", "acme", " ", "consent.revoked", "w-1"},
		{"scope tenant:acme", "tenant:acme", "acme", "", "consent.revoked", "w-1"},
		{"scope tenant:acme, tied to none", "tenant:acme", "", "", "consent.revoked", "w-1"},
		{"campaign of acme", "campaign:winter", "acme", "", "consent.revoked", "w-1"},
		// Unchanged: a dial of another tenant is not reached.
		{"tied to acme, dial of beta", "industry:finance", "acme", "beta", "", "c-0"},
		{"scope tenant:acme, dial of beta", "tenant:acme", "", "beta", "", "c-0"},
		// Unchanged: another industry's withdrawal.
		{"another industry", "industry:insurance", "acme", "", "", "c-0"},
	} {
		for _, named := range []string{"", "c-0"} {
			for _, size := range []int{0, 16} {
				t.Run(fmt.Sprintf("%s/named=%q/cache=%d", tc.name, named, size), func(t *testing.T) {
					s := newFakeStore()
					c0, w := goodRecord(), goodRecord()
					c0.ID, c0.Number, c0.Scope, c0.Tenant, c0.GrantedAt = "c-0", callee, "industry:finance", "", t0
					w.ID, w.Number, w.Scope, w.Tenant, w.GrantedAt = "w-1", callee, Scope(tc.scope), tc.tenant, t0.Add(time.Hour)
					mustAdd(t, s, c0)
					mustAdd(t, s, w)
					c := mustCheck(t, cnConfig(), s, WithCacheSize(size))
					d := marketing(at)
					d.Tenant, d.ConsentID = tc.dialTenant, named
					if _, _, err := c.Attest(ctx, d); err != nil { // warm the cache
						t.Fatal(err)
					}
					if _, err := s.RevokeConsent(ctx, "w-1", revokedAt, "call"); err != nil {
						t.Fatal(err)
					}
					rs, ev, err := c.Attest(ctx, d)
					if err != nil {
						t.Fatal(err)
					}
					if got := codes(rs); got != tc.want {
						t.Fatalf("codes = %q, want %q (reasons %+v)", got, tc.want, rs)
					}
					gotID := evValue(ev, EvidenceID)
					if len(rs) > 0 {
						gotID = evValue(rs[0].Evidence, EvidenceID)
					}
					if gotID != tc.wantID {
						t.Errorf("consent.id = %q, want %q (reasons %+v)", gotID, tc.wantID, rs)
					}
					if len(rs) > 0 && tc.tenant != "" && tc.scope == "industry:finance" && !strings.Contains(rs[0].Message, "given to tenant acme, which this dial does not name") {
						t.Errorf("message %q does not say the dial names no tenant", rs[0].Message)
					}
				})
			}
		}
	}
}
