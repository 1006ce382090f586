package audittest

import (
	"context"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage"
)

// FaultyConsentStore wraps a consent.Store so that every call fails while
// Fault says so: a consent database outage. Reads and writes both consult
// it. Safe for concurrent use when Store is.
type FaultyConsentStore struct {
	Store consent.Store // the store calls are forwarded to while healthy
	Fault *Fault        // decides when calls fail; nil never fails
}

var (
	_ consent.Store           = FaultyConsentStore{}
	_ consent.RevisionStamper = FaultyConsentStore{}
)

// AddConsent fails or forwards.
func (s FaultyConsentStore) AddConsent(ctx context.Context, r consent.Record) error {
	if err := s.Fault.Err(); err != nil {
		return err
	}
	return s.Store.AddConsent(ctx, r)
}

// Consent fails or forwards.
func (s FaultyConsentStore) Consent(ctx context.Context, id string) (consent.Record, error) {
	if err := s.Fault.Err(); err != nil {
		return consent.Record{}, err
	}
	return s.Store.Consent(ctx, id)
}

// ConsentsByNumber fails or forwards.
func (s FaultyConsentStore) ConsentsByNumber(ctx context.Context, n dialgate.Number) ([]consent.Record, error) {
	if err := s.Fault.Err(); err != nil {
		return nil, err
	}
	return s.Store.ConsentsByNumber(ctx, n)
}

// RevokeConsent fails or forwards.
func (s FaultyConsentStore) RevokeConsent(ctx context.Context, id string, at time.Time, channel string) (consent.Record, error) {
	if err := s.Fault.Err(); err != nil {
		return consent.Record{}, err
	}
	return s.Store.RevokeConsent(ctx, id, at, channel)
}

// ConsentHistory fails or forwards.
func (s FaultyConsentStore) ConsentHistory(ctx context.Context, n dialgate.Number) ([]consent.Event, error) {
	if err := s.Fault.Err(); err != nil {
		return nil, err
	}
	return s.Store.ConsentHistory(ctx, n)
}

// ConsentRevision fails or forwards.
func (s FaultyConsentStore) ConsentRevision(ctx context.Context) (uint64, error) {
	if err := s.Fault.Err(); err != nil {
		return 0, err
	}
	return s.Store.ConsentRevision(ctx)
}

// ConsentRevisionStamp fails or forwards (consent.RevisionStamper): the
// wrapped store's stamp, "" when it keeps none.
func (s FaultyConsentStore) ConsentRevisionStamp(ctx context.Context) (uint64, string, error) {
	if err := s.Fault.Err(); err != nil {
		return 0, "", err
	}
	if st, ok := s.Store.(consent.RevisionStamper); ok {
		return st.ConsentRevisionStamp(ctx)
	}
	r, err := s.Store.ConsentRevision(ctx)
	return r, "", err
}

// ConsentEventsSince fails or forwards.
func (s FaultyConsentStore) ConsentEventsSince(ctx context.Context, since uint64, limit int) ([]consent.Event, error) {
	if err := s.Fault.Err(); err != nil {
		return nil, err
	}
	return s.Store.ConsentEventsSince(ctx, since, limit)
}

// FaultyDNCStore wraps a dnc.Store so that every call fails while Fault says
// so: a do-not-call database outage. Safe for concurrent use when Store is.
type FaultyDNCStore struct {
	Store dnc.Store // the store calls are forwarded to while healthy
	Fault *Fault    // decides when calls fail; nil never fails
}

var _ dnc.Store = FaultyDNCStore{}

// AddDNC fails or forwards.
func (s FaultyDNCStore) AddDNC(ctx context.Context, entries ...dnc.Entry) error {
	if err := s.Fault.Err(); err != nil {
		return err
	}
	return s.Store.AddDNC(ctx, entries...)
}

// DNCEntries fails or forwards.
func (s FaultyDNCStore) DNCEntries(ctx context.Context, n dialgate.Number) ([]dnc.Entry, error) {
	if err := s.Fault.Err(); err != nil {
		return nil, err
	}
	return s.Store.DNCEntries(ctx, n)
}

// RemoveDNC fails or forwards.
func (s FaultyDNCStore) RemoveDNC(ctx context.Context, n dialgate.Number, scope dnc.Scope, t time.Time) error {
	if err := s.Fault.Err(); err != nil {
		return err
	}
	return s.Store.RemoveDNC(ctx, n, scope, t)
}

// RemoveDNCIf fails or forwards.
func (s FaultyDNCStore) RemoveDNCIf(ctx context.Context, n dialgate.Number, scope dnc.Scope, t time.Time, cond dnc.RemoveCondition) error {
	if err := s.Fault.Err(); err != nil {
		return err
	}
	return s.Store.RemoveDNCIf(ctx, n, scope, t, cond)
}

// ScanDNC fails or forwards.
func (s FaultyDNCStore) ScanDNC(ctx context.Context, fn func(dnc.Entry) error) error {
	if err := s.Fault.Err(); err != nil {
		return err
	}
	return s.Store.ScanDNC(ctx, fn)
}

// FaultyCounters wraps storage.Counters (frequency caps, segment rates) so
// that Usage and Reserve fail while Fault says so; Release always forwards,
// so that nothing stays reserved. Safe for concurrent use when Counters is.
type FaultyCounters struct {
	Counters storage.Counters // the counters calls are forwarded to while healthy
	Fault    *Fault           // decides when Usage and Reserve fail; nil never fails
}

var _ storage.Counters = FaultyCounters{}

// Usage fails or forwards.
func (c FaultyCounters) Usage(ctx context.Context, t time.Time, limits []storage.Limit) ([]storage.Usage, error) {
	if err := c.Fault.Err(); err != nil {
		return nil, err
	}
	return c.Counters.Usage(ctx, t, limits)
}

// Reserve fails or forwards.
func (c FaultyCounters) Reserve(ctx context.Context, id string, t time.Time, limits []storage.Limit) (bool, []storage.Usage, error) {
	if err := c.Fault.Err(); err != nil {
		return false, nil, err
	}
	return c.Counters.Reserve(ctx, id, t, limits)
}

// Release forwards.
func (c FaultyCounters) Release(ctx context.Context, id string) error {
	return c.Counters.Release(ctx, id)
}
