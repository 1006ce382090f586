package audittest_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/audittest"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/storage"
)

// mapConsents is a minimal consent.Store for this test (the memstore one is
// not written yet); the check runs with its cache off, so revisions and
// events are not needed.
type mapConsents struct {
	mu sync.Mutex
	m  map[string]consent.Record
}

func (s *mapConsents) AddConsent(ctx context.Context, r consent.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[r.ID] = r
	return nil
}

func (s *mapConsents) Consent(ctx context.Context, id string) (consent.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.m[id]
	if !ok {
		return consent.Record{}, storage.ErrNotFound
	}
	return r, nil
}

func (s *mapConsents) ConsentsByNumber(ctx context.Context, n dialgate.Number) ([]consent.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []consent.Record
	for _, r := range s.m {
		if r.Number == n {
			out = append(out, r)
		}
	}
	return out, nil
}

func (s *mapConsents) RevokeConsent(ctx context.Context, id string, at time.Time, channel string) (consent.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.m[id]
	if !ok {
		return consent.Record{}, storage.ErrNotFound
	}
	r.RevokedAt, r.RevocationChannel = at, channel
	s.m[id] = r
	return r, nil
}

func (s *mapConsents) ConsentHistory(ctx context.Context, n dialgate.Number) ([]consent.Event, error) {
	return nil, nil
}

func (s *mapConsents) ConsentRevision(ctx context.Context) (uint64, error) { return 0, nil }

func (s *mapConsents) ConsentEventsSince(ctx context.Context, since uint64, limit int) ([]consent.Event, error) {
	return nil, nil
}

// TestFaultyConsentStore runs CheckGate against the real consent check on a
// consent store that goes down on demand.
func TestFaultyConsentStore(t *testing.T) {
	ctx := context.Background()
	mem := &mapConsents{m: map[string]consent.Record{}}
	outage := &audittest.Fault{}
	store := audittest.FaultyConsentStore{Store: mem, Fault: outage}
	scope, err := consent.NewScope(consent.ScopeIndustry, "finance")
	if err != nil {
		t.Fatal(err)
	}
	callee := dialgate.MustParseNumber("+8613900139010")
	if err := store.AddConsent(ctx, consent.Record{ID: "c-1", Number: callee, Scope: scope, Method: consent.MethodWebForm,
		DisclosureSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", EvidenceURI: "https://crm.example.com/c-1",
		GrantedAt: t0.Add(-24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	check, err := consent.NewCheck(consent.Config{Require: []consent.Requirement{{
		Purposes: []dialgate.Purpose{dialgate.PurposeMarketing},
		Cite:     dialgate.Citation{Source: dialgate.SourceLaw, Ref: "test"},
	}}}, store, consent.WithCacheSize(0))
	if err != nil {
		t.Fatal(err)
	}
	log := &audittest.Log{}
	g := newGate(t, []dialgate.Checker{check}, dialgate.WithAuditLog(log))
	d := dial(callee.String(), "c-1")
	d.Industry = "finance"
	audittest.TestGate(t, g, log, []audittest.Probe{
		{Name: "consented", Dial: d},
		{Name: "consent store down", Dial: d, Outage: outage, MustDeny: true, Codes: []dialgate.Code{dialgate.UnavailableCode("consent")}},
		{Name: "consented again", Dial: d},
		{Name: "revoked consent", Dial: d, MustDeny: true, Codes: []dialgate.Code{dialgate.CodeConsentRevoked},
			Setup: func(ctx context.Context) error {
				_, err := store.RevokeConsent(ctx, "c-1", t0.Add(-time.Minute), "ivr")
				return err
			}},
	})
	if outage.Injected() == 0 {
		t.Fatal("the outage never reached the store")
	}
}
