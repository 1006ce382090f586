package consent_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/storage/memstore"
)

// TestCachedCheckDecidesAsUncached runs random histories of grants and
// withdrawals (both spellings of a French overseas line and another number;
// scopes of every kind, one in another case; records of a tenant, of
// another, of none; withdrawals dated before their grant) and decides a
// random dial after each step three ways: with the default cache, with a
// cache of two lines (evicting all the time) and without a cache. The
// cached checks must decide every dial as the uncached one does, and an
// allow must rest on a record in force at the dial's instant: the cache
// may save reads, never change a decision.
func TestCachedCheckDecidesAsUncached(t *testing.T) {
	ctx := context.Background()
	cfg := consent.Config{Require: []consent.Requirement{{
		Purposes: []dialgate.Purpose{dialgate.PurposeMarketing},
		Cite:     dialgate.Citation{Source: dialgate.SourceLaw, Ref: "model"},
	}}}
	nums := []dialgate.Number{
		dialgate.MustParseNumber("+596696123456"), dialgate.MustParseNumber("+33696123456"),
		dialgate.MustParseNumber("+8613900139000"),
	}
	scopes := []string{"industry:finance", "industry:Finance", "business:loans", "campaign:winter", "tenant:acme", "tenant:beta"}
	tenants := []string{"", "acme", "beta"}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 1))
		s := memstore.New()
		checks := make([]*consent.Check, 3)
		for i, size := range []int{consent.DefaultCacheSize, 2, 0} {
			c, err := consent.NewCheck(cfg, s, consent.WithCacheSize(size))
			if err != nil {
				t.Fatal(err)
			}
			checks[i] = c
		}
		var ids []string
		now := t0
		for step := range 60 {
			now = now.Add(time.Duration(rng.IntN(120)) * time.Minute)
			switch rng.IntN(4) {
			case 0:
				id := fmt.Sprintf("c-%d", step)
				sc := scopes[rng.IntN(len(scopes))]
				tenant := tenants[rng.IntN(len(tenants))]
				if name, ok := strings.CutPrefix(sc, "tenant:"); ok && tenant != "" {
					tenant = name // a record's tenant is its tenant scope's
				}
				r := consent.Record{ID: id, Number: nums[rng.IntN(len(nums))], Scope: consent.Scope(sc), Tenant: tenant,
					Method: consent.MethodWritten, EvidenceURI: "https://evidence.example/" + id,
					GrantedAt: now.Add(-time.Duration(rng.IntN(300)) * time.Minute)}
				if rng.IntN(2) == 0 {
					r.ExpiresAt = r.GrantedAt.Add(time.Duration(1+rng.IntN(600)) * time.Minute)
				}
				if err := s.AddConsent(ctx, r); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			case 1:
				if len(ids) == 0 {
					continue
				}
				at := now.Add(-time.Duration(rng.IntN(300)) * time.Minute)
				if _, err := s.RevokeConsent(ctx, ids[rng.IntN(len(ids))], at, "call"); err != nil {
					t.Fatal(err)
				}
			default:
				d := dialgate.Dial{To: nums[rng.IntN(len(nums))], Purpose: dialgate.PurposeMarketing,
					Industry: []string{"finance", "", "insurance"}[rng.IntN(3)], BusinessLine: []string{"loans", ""}[rng.IntN(2)],
					Campaign: []string{"winter", ""}[rng.IntN(2)], Tenant: tenants[rng.IntN(3)], At: now}
				if rng.IntN(2) == 0 && len(ids) > 0 {
					d.ConsentID = ids[rng.IntN(len(ids))]
				}
				rs, ev, err := checks[2].Attest(ctx, d)
				want := fmt.Sprint(rs, ev, err)
				for i, c := range checks[:2] {
					crs, cev, cerr := c.Attest(ctx, d)
					if got := fmt.Sprint(crs, cev, cerr); got != want {
						t.Fatalf("seed %d, step %d, dial %+v: cached check %d decided %s, uncached %s", seed, step, d, i, got, want)
					}
				}
				if err != nil || len(rs) > 0 {
					continue
				}
				var id string
				for _, e := range ev {
					if e.Key == consent.EvidenceID {
						id = e.Value
					}
				}
				r, err := s.Consent(ctx, id)
				if err != nil || !r.ValidAt(now) || !r.Covers(&d) {
					t.Fatalf("seed %d, step %d: allowed %+v on %q, which is not in force: %+v, %v", seed, step, d, id, r, err)
				}
			}
		}
	}
}
