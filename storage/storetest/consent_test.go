package storetest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/storage/memstore"
	"github.com/dialgate/dialgate/storage/storetest"
)

// frozenRevision breaks the revision contract: a check's cache on top of it
// would never learn of a revocation.
type frozenRevision struct{ *memstore.Store }

func (frozenRevision) ConsentRevision(context.Context) (uint64, error) { return 0, nil }

// revokeEditsInPlace forgets the first withdrawal on a second revoke.
type revokeOverwrites struct{ *memstore.Store }

func (s revokeOverwrites) RevokeConsent(ctx context.Context, id string, at time.Time, ch string) (consent.Record, error) {
	r, err := s.Store.RevokeConsent(ctx, id, at, ch)
	if err == nil && r.RevocationChannel != ch {
		r.RevokedAt, r.RevocationChannel = at, ch
	}
	return r, err
}

// refusesEarlyRevoke refuses a withdrawal dated before the grant, which
// leaves the consent in force.
type refusesEarlyRevoke struct{ *memstore.Store }

func (s refusesEarlyRevoke) RevokeConsent(ctx context.Context, id string, at time.Time, ch string) (consent.Record, error) {
	if r, err := s.Store.Consent(ctx, id); err == nil && at.Before(r.GrantedAt) {
		return consent.Record{}, &consent.FieldError{Field: "revoked_at", Problem: "before granted_at"}
	}
	return s.Store.RevokeConsent(ctx, id, at, ch)
}

// dropsTenant forgets a record's tenant, as a store persisting the record
// field by field would if it missed the new field.
type dropsTenant struct{ *memstore.Store }

func (s dropsTenant) AddConsent(ctx context.Context, r consent.Record) error {
	r.Tenant = ""
	return s.Store.AddConsent(ctx, r)
}

// sameStamp gives every revision the same stamp: the consent check's cache
// could not tell a write its store lost from the one that took its Seq.
type sameStamp struct{ *memstore.Store }

func (s sameStamp) ConsentRevisionStamp(ctx context.Context) (uint64, string, error) {
	r, err := s.Store.ConsentRevision(ctx)
	return r, "stamp", err
}

func TestConsentSuiteCatchesBrokenStores(t *testing.T) {
	ctx := context.Background()
	for name, tc := range map[string]struct {
		open func() (consent.Store, error)
		want string
	}{
		"frozen revision":      {func() (consent.Store, error) { return frozenRevision{memstore.New()}, nil }, "ConsentRevision = 0"},
		"revoke edits":         {func() (consent.Store, error) { return revokeOverwrites{memstore.New()}, nil }, "RevokeTwiceKeepsFirst"},
		"early revoke refused": {func() (consent.Store, error) { return refusesEarlyRevoke{memstore.New()}, nil }, "RevokeBeforeGrantedRevokesAsOfGrant"},
		"tenant dropped":       {func() (consent.Store, error) { return dropsTenant{memstore.New()}, nil }, "TenantRoundTrips"},
		"stamp kept":           {func() (consent.Store, error) { return sameStamp{memstore.New()}, nil }, "RevisionStamp"},
	} {
		err := storetest.CheckConsent(ctx, tc.open)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: suite = %v, want a failure mentioning %q", name, err, tc.want)
		}
	}
	if err := storetest.CheckConsent(ctx, func() (consent.Store, error) { return memstore.New(), nil }); err != nil {
		t.Errorf("memstore: %v", err)
	}
}
