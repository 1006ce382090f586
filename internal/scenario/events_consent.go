package scenario

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/storage"
)

// consentArgs is one consent as a scenario writes it: an entry of the
// top-level consents: key, or the keys of a grant_consent event. Keys are the
// consent.Record's JSON keys; evidence_sha256 (the name DESIGN §4 uses) is
// accepted for disclosure_sha256. method is required. tenant is the seller
// the consent was given to; unlike a ledger entry's, an empty tenant is not
// the file's tenant but none: the consent covers every tenant's dials in its
// scope.
type consentArgs struct {
	ID               string `json:"id"`
	Number           string `json:"number"`
	Scope            string `json:"scope"`
	Tenant           string `json:"tenant,omitempty"`
	Method           string `json:"method"`
	DisclosureSHA256 string `json:"disclosure_sha256,omitempty"`
	EvidenceSHA256   string `json:"evidence_sha256,omitempty"`
	EvidenceURI      string `json:"evidence_uri,omitempty"`
	Channel          string `json:"channel,omitempty"`
	GrantedAt        string `json:"granted_at,omitempty"`
	ExpiresAt        string `json:"expires_at,omitempty"`
}

// record converts a to a consent.Record; granted is used when a has no
// granted_at. It checks the syntax of the number and the times, not the
// record's rules (Record.ValidateNew does).
func (a *consentArgs) record(granted time.Time) (consent.Record, error) {
	r := consent.Record{ID: a.ID, Scope: consent.Scope(a.Scope), Tenant: a.Tenant, Method: consent.Method(a.Method),
		DisclosureSHA256: a.DisclosureSHA256, EvidenceURI: a.EvidenceURI, Channel: a.Channel, GrantedAt: granted}
	if a.EvidenceSHA256 != "" {
		if a.DisclosureSHA256 != "" && a.DisclosureSHA256 != a.EvidenceSHA256 {
			return r, errors.New("evidence_sha256: differs from disclosure_sha256 (they name the same hash; give one)")
		}
		r.DisclosureSHA256 = a.EvidenceSHA256
	}
	if a.Number != "" {
		n, err := dialgate.ParseNumber(a.Number)
		if err != nil {
			return r, fmt.Errorf("number: %w", err)
		}
		r.Number = n
	}
	for _, f := range []struct {
		name, v string
		dst     *time.Time
	}{{"granted_at", a.GrantedAt, &r.GrantedAt}, {"expires_at", a.ExpiresAt, &r.ExpiresAt}} {
		if f.v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, f.v)
		if err != nil {
			return r, fmt.Errorf("%s: %q is not an RFC 3339 time", f.name, f.v)
		}
		if t.IsZero() && f.name == "expires_at" {
			// The zero instant reads as no expiry: leave the key out for
			// that, as dialgate consent add asks.
			return r, fmt.Errorf("expires_at: %s is the zero instant (an unset time?); leave it out for a consent that does not lapse by time", f.v)
		}
		*f.dst = t
	}
	return r, nil
}

// consentsSeed stores the top-level consents: before the first step. Every
// entry must be a valid new record with its granted_at; ids are unique.
func consentsSeed() *seedSpec {
	return seedKey(func(a *[]consentArgs) error {
		seen := map[string]int{}
		for i := range *a {
			r, err := (*a)[i].record(time.Time{})
			if err == nil {
				err = r.ValidateNew()
			}
			if err != nil {
				return fmt.Errorf("[%d].%s", i, trimConsentPrefix(err))
			}
			if j, dup := seen[r.ID]; dup {
				return fmt.Errorf("[%d].id: %s already listed at [%d] (consent given again is a new record with a new id)", i, r.ID, j)
			}
			seen[r.ID] = i
		}
		return nil
	}, func(ctx context.Context, env *Env, a *[]consentArgs) error {
		for i := range *a {
			r, err := (*a)[i].record(time.Time{})
			if err != nil {
				return err
			}
			if err := env.Stores.Consents.AddConsent(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
}

// grantConsentEvent adds a consent record; granted_at defaults to the step's
// at. Its error names: consent.invalid (the record breaks a rule; the message
// names the field), consent.conflict (the id exists: consent given again is a
// new record).
func grantConsentEvent() *eventSpec {
	return event(false, func(a *consentArgs) error {
		_, err := a.record(time.Time{})
		return err
	}, func(ctx context.Context, env *Env, a *consentArgs, _ *dialgate.Decision) (Result, error) {
		r, err := a.record(env.Clock.Now())
		if err != nil {
			return Result{}, err
		}
		err = env.Stores.Consents.AddConsent(ctx, r)
		switch {
		case err == nil:
			return Result{}, nil
		case errors.Is(err, consent.ErrInvalid):
			return Result{Error: "consent.invalid", Message: err.Error()}, nil
		case errors.Is(err, storage.ErrConflict):
			return Result{Error: "consent.conflict", Message: err.Error()}, nil
		}
		return Result{}, err
	})
}

// revokeConsentArgs are the keys of a revoke_consent event.
type revokeConsentArgs struct {
	ConsentID string `json:"consent_id"`
	Channel   string `json:"channel,omitempty"`
}

// revokeConsentEvent withdraws a consent at the step's at. Its error name is
// consent.not_found for an unknown id.
func revokeConsentEvent() *eventSpec {
	return event(false, func(a *revokeConsentArgs) error {
		if a.ConsentID == "" {
			return errors.New("consent_id: missing")
		}
		return nil
	}, func(ctx context.Context, env *Env, a *revokeConsentArgs, _ *dialgate.Decision) (Result, error) {
		_, err := env.Stores.Consents.RevokeConsent(ctx, a.ConsentID, env.Clock.Now(), a.Channel)
		switch {
		case err == nil:
			return Result{}, nil
		case errors.Is(err, storage.ErrNotFound):
			return Result{Error: "consent.not_found", Message: err.Error()}, nil
		case errors.Is(err, consent.ErrInvalid):
			return Result{Error: "consent.invalid", Message: err.Error()}, nil
		}
		return Result{}, err
	})
}

func trimConsentPrefix(err error) string {
	var fe *consent.FieldError
	if errors.As(err, &fe) {
		return fe.Field + ": " + fe.Problem
	}
	return err.Error()
}
