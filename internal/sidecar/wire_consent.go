package sidecar

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/storage"
)

// consentAdmin adapts a consent.Store to ConsentAdmin. The consent check
// needs no notice of a write: before every dial it reads the store's consent
// revision and drops the cached records of every number whose records changed
// since (see consent.Check), so a revocation is in force for every Check that
// starts after RevokeConsent returns.
type consentAdmin struct{ store consent.Store }

// wireConsent sets be.Consents when the store keeps consents. Consent
// evidence is recorded even when the profile has no consent section (it then
// requires consent for nothing).
func wireConsent(be *Backend, store consent.Store) {
	if store == nil {
		be.unwired("consent", "the store keeps no consent records")
		return
	}
	be.Consents = consentAdmin{store: store}
}

// consentError maps the consent package's errors to the adapter's.
func consentError(err error) error {
	var fe *consent.FieldError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fe):
		field := fe.Field
		switch field { // the wire names
		case "disclosure_sha256":
			field = "evidence_sha256"
		case "revocation_channel":
			field = "channel"
		}
		return &dialgate.FieldError{Field: field, Problem: fe.Problem, Err: err}
	case errors.Is(err, storage.ErrNotFound):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}

// GrantConsent implements ConsentAdmin: it validates and adds the record; an
// existing id is a success when the record is the same and not revoked
// (unchanged: a retry), FailedPrecondition when it is the same and
// revoked, and AlreadyExists (saying nothing of its state) when it is
// another record.
func (a consentAdmin) GrantConsent(ctx context.Context, c ConsentGrant) (unchanged bool, err error) {
	r := consent.Record{
		ID: c.ID, Number: c.Number, Scope: consent.Scope(c.Scope), Tenant: c.Tenant, Method: consent.Method(c.Method),
		DisclosureSHA256: c.EvidenceSHA256, EvidenceURI: c.EvidenceURI, Channel: c.Channel,
		GrantedAt: c.GrantedAt, ExpiresAt: c.ExpiresAt,
	}
	if err := r.ValidateNew(); err != nil {
		return false, consentError(err)
	}
	err = a.store.AddConsent(ctx, r)
	if !errors.Is(err, storage.ErrConflict) {
		return false, consentError(err)
	}
	// The id exists: a retry of the same grant is a success.
	old, err := a.store.Consent(ctx, c.ID)
	if err != nil {
		return false, consentError(err)
	}
	// Another record first, before its state: ids are chosen by clients,
	// and whether another tenant's consent was withdrawn is that tenant's
	// business. Only a caller that sent the very record learns it is
	// revoked.
	if !old.SameGrant(&r) {
		return false, fmt.Errorf("%w: consent %s exists with other fields", ErrAlreadyExists, c.ID)
	}
	if old.Revoked() {
		return false, fmt.Errorf("%w: consent %s exists and was revoked; consent given again is a new record with a new id", ErrFailedPrecondition, c.ID)
	}
	return true, nil
}

// RevokeConsent implements ConsentAdmin. at before the consent's granted_at
// is no error: the store revokes the consent as of its grant (see
// consent.Store.RevokeConsent). It returns the record's number and its
// revoked_at as stored, and whether the consent was revoked already
// (unchanged: the first withdrawal stands).
//
// The store's RevokeConsent answers a first and a repeated withdrawal
// alike, so the record is read before: one revoked then is unchanged.
// Requests racing each other (none revoked when read) are each told they
// revoked it, and a read that fails does not hold the withdrawal back:
// either way the request is not unchanged — a revocation is counted twice
// rather than one lost from the count.
func (a consentAdmin) RevokeConsent(ctx context.Context, id string, at time.Time, channel string) (n dialgate.Number, revokedAt time.Time, unchanged bool, err error) {
	if err := consent.ValidateID(id); err != nil {
		return dialgate.Number{}, time.Time{}, false, consentError(err)
	}
	old, rerr := a.store.Consent(ctx, id)
	r, err := a.store.RevokeConsent(ctx, id, at, channel)
	if err != nil {
		return dialgate.Number{}, time.Time{}, false, consentError(err)
	}
	return r.Number, r.RevokedAt, rerr == nil && old.Revoked(), nil
}
