package storetest_test

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
	"github.com/dialgate/dialgate/storage/storetest"
)

// shortHolds forgets a hold past 2262 once stored: the kind of difference
// between stores the DNC model finds.
type shortHolds struct{ *memstore.Store }

func (s shortHolds) AddDNC(ctx context.Context, es ...dnc.Entry) error {
	es = slices.Clone(es)
	for i := range es {
		if es[i].HoldUntil.Year() > 2262 {
			es[i].HoldUntil = es[i].AddedAt
		}
	}
	return s.Store.AddDNC(ctx, es...)
}

// lateRevocations records a withdrawal dated before the grant as of the
// instant asked for.
type lateRevocations struct{ *memstore.Store }

func (s lateRevocations) RevokeConsent(ctx context.Context, id string, at time.Time, channel string) (consent.Record, error) {
	r, err := s.Consent(ctx, id)
	if err == nil && at.Before(r.GrantedAt) {
		at = r.GrantedAt.Add(time.Nanosecond)
	}
	return s.Store.RevokeConsent(ctx, id, at, channel)
}

// keptReleases never releases.
type keptReleases struct{ *memstore.Store }

func (keptReleases) Release(context.Context, string) error { return nil }

// textOrder lists the ledger in number text order.
type textOrder struct{ *memstore.Store }

func (s textOrder) ListLedger(ctx context.Context) ([]callerid.Entry, error) {
	es, err := s.Store.ListLedger(ctx)
	slices.SortFunc(es, func(a, b callerid.Entry) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Number.String(), b.Number.String()))
	})
	return es, err
}

func TestModelsCatchBrokenStores(t *testing.T) {
	ctx := context.Background()
	if err := storetest.CheckDNCAgainstModel(ctx, func() (dnc.Store, error) { return shortHolds{memstore.New()}, nil }); err == nil || !strings.Contains(err.Error(), "seed") {
		t.Errorf("a store that shortens far holds passed the DNC model: %v", err)
	}
	if err := storetest.CheckConsentAgainstModel(ctx, func() (consent.Store, error) { return lateRevocations{memstore.New()}, nil }); err == nil || !strings.Contains(err.Error(), "seed") {
		t.Errorf("a store that dates early withdrawals after the grant passed the consent model: %v", err)
	}
	if err := storetest.CheckCountersAgainstModel(ctx, func() (storage.Counters, error) { return keptReleases{memstore.New()}, nil }); err == nil || !strings.Contains(err.Error(), "seed") {
		t.Errorf("a store that never releases passed the counters model: %v", err)
	}
	if err := storetest.CheckCallerIDAgainstModel(ctx, func() (callerid.Store, error) { return textOrder{memstore.New()}, nil }); err == nil || !strings.Contains(err.Error(), "seed") {
		t.Errorf("a store that lists numbers in text order passed the caller-ID model: %v", err)
	}
	// The store they wrap passes.
	if err := storetest.CheckDNCAgainstModel(ctx, func() (dnc.Store, error) { return memstore.New(), nil }); err != nil {
		t.Error(err)
	}
}
