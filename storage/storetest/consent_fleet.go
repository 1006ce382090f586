package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/numbering"
)

// TestConsentAcrossProcesses checks that a revocation written through one
// handle of a shared store (a) is in force for every consent check that
// starts, through another handle (b: another sidecar of the fleet), after
// RevokeConsent returned, also when b's check had the line's records cached,
// the revocation names the line's other spelling (a French overseas
// number), and the line is granted and withdrawn again and again. a and b
// must share one empty store.
func TestConsentAcrossProcesses(t *testing.T, a, b consent.Store) {
	t.Helper()
	if err := CheckConsentAcrossProcesses(context.Background(), a, b); err != nil {
		t.Fatal(err)
	}
}

// CheckConsentAcrossProcesses is TestConsentAcrossProcesses returning the
// first failure.
func CheckConsentAcrossProcesses(ctx context.Context, a, b consent.Store) error {
	local := dialgate.MustParseNumber("+596696123456")
	national, ok := numbering.OverseasAlias(local)
	if !ok {
		return fmt.Errorf("%s is not a French overseas line", local)
	}
	check, err := consent.NewCheck(consent.Config{Require: []consent.Requirement{{
		Purposes: []dialgate.Purpose{dialgate.PurposeMarketing},
		Cite:     dialgate.Citation{Source: dialgate.SourceLaw, Ref: "storetest"},
	}}}, b)
	if err != nil {
		return fmt.Errorf("consent.NewCheck: %w", err)
	}
	base := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	dial := func(to dialgate.Number, tenant, id string, at time.Time) dialgate.Dial {
		return dialgate.Dial{To: to, Purpose: dialgate.PurposeMarketing, Industry: "finance", Tenant: tenant, ConsentID: id, At: at}
	}
	want := func(step string, d dialgate.Dial, code dialgate.Code) error {
		rs, err := check.Check(ctx, d)
		switch {
		case err != nil:
			return fmt.Errorf("%s: check through the other handle: %w", step, err)
		case code == "" && len(rs) != 0:
			return fmt.Errorf("%s: check through the other handle = %+v, want allowed", step, rs)
		case code != "" && (len(rs) != 1 || rs[0].Code != code):
			return fmt.Errorf("%s: check through the other handle = %+v, want %s", step, rs, code)
		}
		return nil
	}
	for i := range 8 {
		granted := base.Add(time.Duration(i) * time.Hour)
		at := granted.Add(10 * time.Minute)
		// Granted under the territory's spelling (one tenant), and under
		// the national one (tenantless).
		own := conRecord(fmt.Sprintf("fleet-%d-acme", i), local, granted)
		own.Tenant = "acme"
		shared := conRecord(fmt.Sprintf("fleet-%d-any", i), national, granted)
		for _, r := range []consent.Record{own, shared} {
			if err := a.AddConsent(ctx, r); err != nil {
				return fmt.Errorf("round %d: AddConsent %s: %w", i, r.ID, err)
			}
		}
		for _, to := range []dialgate.Number{local, national} {
			if err := want(fmt.Sprintf("round %d: after the grants, dial %s", i, to), dial(to, "acme", own.ID, at), ""); err != nil {
				return err
			}
		}
		// Withdrawn under the national spelling through a: every check
		// through b that starts now denies, under either spelling, named
		// or not, for the tenant the record covers and for another.
		if _, err := a.RevokeConsent(ctx, shared.ID, at.Add(time.Minute), "call"); err != nil {
			return fmt.Errorf("round %d: RevokeConsent: %w", i, err)
		}
		dat := at.Add(2 * time.Minute)
		for _, to := range []dialgate.Number{local, national} {
			for _, id := range []string{own.ID, shared.ID, ""} {
				if err := want(fmt.Sprintf("round %d: after revoking %s, dial %s naming %q", i, shared.ID, to, id), dial(to, "acme", id, dat), dialgate.CodeConsentRevoked); err != nil {
					return err
				}
			}
		}
		if _, err := a.RevokeConsent(ctx, own.ID, dat, "call"); err != nil {
			return fmt.Errorf("round %d: RevokeConsent: %w", i, err)
		}
	}
	return nil
}
