package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/storage"
)

// TestConsent runs the consent.Store conformance suite as subtests. open must
// return a fresh, empty store for the given (sub)test and arrange for it to be
// closed.
func TestConsent(t *testing.T, open func(t *testing.T) consent.Store, opts ...Option) {
	t.Helper()
	runT(t, consentCases(), open, newConfig(opts))
}

// CheckConsent runs the consent.Store conformance suite and reports every
// failure, joined. open must return a fresh, empty store on each call; stores
// implementing io.Closer are closed after each case.
func CheckConsent(ctx context.Context, open func() (consent.Store, error), opts ...Option) error {
	return checkAll(ctx, "Consent", consentCases(), open, newConfig(opts))
}

func consentCases() []testCase[consent.Store] {
	return []testCase[consent.Store]{
		{"AddGet", consentAddGet},
		{"ByNumberOrder", consentByNumber},
		{"Revoke", consentRevoke},
		{"EventsAndRevision", consentEvents},
		{"ConcurrentWritesNoGaps", consentConcurrent},
		{"Reopen", consentReopen},
	}
}

var consentT0 = time.Date(2026, 11, 1, 10, 0, 0, 123456789, time.FixedZone("CST", 8*3600))

func consentRec(id, number string, granted time.Time) consent.Record {
	sc, err := consent.ParseScope("industry:finance")
	if err != nil {
		panic(err)
	}
	return consent.Record{ID: id, Number: dialgate.MustParseNumber(number), Scope: sc, Method: consent.MethodWebForm,
		DisclosureSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Channel: "website",
		GrantedAt: granted, ExpiresAt: granted.Add(365 * 24 * time.Hour)}
}

func sameRecord(got, want consent.Record) error {
	if got.ID != want.ID || got.Number != want.Number || got.Scope != want.Scope || got.Method != want.Method ||
		got.DisclosureSHA256 != want.DisclosureSHA256 || got.EvidenceURI != want.EvidenceURI || got.Channel != want.Channel ||
		!got.GrantedAt.Equal(want.GrantedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) || !got.RevokedAt.Equal(want.RevokedAt) ||
		got.RevocationChannel != want.RevocationChannel {
		return fmt.Errorf("got %+v, want %+v", got, want)
	}
	return nil
}

func consentAddGet(ctx context.Context, h harness[consent.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	r := consentRec("c-1", "+8613900139000", consentT0)
	if err := s.AddConsent(ctx, r); err != nil {
		return fmt.Errorf("AddConsent: %w", err)
	}
	got, err := s.Consent(ctx, "c-1")
	if err != nil {
		return fmt.Errorf("Consent: %w", err)
	}
	if err := sameRecord(got, r); err != nil {
		return fmt.Errorf("Consent: %w", err)
	}
	if err := s.AddConsent(ctx, r); !errors.Is(err, storage.ErrConflict) {
		return fmt.Errorf("AddConsent of an existing id: %v, want storage.ErrConflict", err)
	}
	if _, err := s.Consent(ctx, "c-404"); !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("Consent of an unknown id: %v, want storage.ErrNotFound", err)
	}
	bad := consentRec("c-2", "+8613900139000", consentT0)
	bad.DisclosureSHA256 = ""
	if err := s.AddConsent(ctx, bad); !errors.Is(err, consent.ErrInvalid) {
		return fmt.Errorf("AddConsent of an invalid record: %v, want consent.ErrInvalid", err)
	}
	revoked := consentRec("c-3", "+8613900139000", consentT0)
	revoked.RevokedAt = consentT0.Add(time.Hour)
	if err := s.AddConsent(ctx, revoked); !errors.Is(err, consent.ErrInvalid) {
		return fmt.Errorf("AddConsent of a revoked record: %v, want consent.ErrInvalid", err)
	}
	// The refused writes left no trace.
	if rev, err := s.ConsentRevision(ctx); err != nil || rev != 1 {
		return fmt.Errorf("ConsentRevision after one add and refused ones = %d, %v; want 1", rev, err)
	}
	return nil
}

func consentByNumber(ctx context.Context, h harness[consent.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	n := "+8613900139001"
	recs := []consent.Record{
		consentRec("b", n, consentT0.Add(time.Hour)),
		consentRec("a", n, consentT0.Add(time.Hour)),
		consentRec("z", n, consentT0),
		consentRec("other", "+8613900139002", consentT0),
	}
	for _, r := range recs {
		if err := s.AddConsent(ctx, r); err != nil {
			return fmt.Errorf("AddConsent(%s): %w", r.ID, err)
		}
	}
	got, err := s.ConsentsByNumber(ctx, dialgate.MustParseNumber(n))
	if err != nil {
		return fmt.Errorf("ConsentsByNumber: %w", err)
	}
	var ids []string
	for _, r := range got {
		ids = append(ids, r.ID)
	}
	if fmt.Sprint(ids) != "[z a b]" {
		return fmt.Errorf("ConsentsByNumber ids = %v, want [z a b] (by granted_at, then id)", ids)
	}
	none, err := s.ConsentsByNumber(ctx, dialgate.MustParseNumber("+8613900139099"))
	if err != nil || len(none) != 0 {
		return fmt.Errorf("ConsentsByNumber of an unknown number = %v, %v; want empty", none, err)
	}
	return nil
}

func consentRevoke(ctx context.Context, h harness[consent.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	r := consentRec("c-1", "+8613900139003", consentT0)
	if err := s.AddConsent(ctx, r); err != nil {
		return err
	}
	if _, err := s.RevokeConsent(ctx, "c-404", consentT0, "call"); !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("RevokeConsent of an unknown id: %v, want storage.ErrNotFound", err)
	}
	if _, err := s.RevokeConsent(ctx, "c-1", consentT0.Add(-time.Second), "call"); !errors.Is(err, consent.ErrInvalid) {
		return fmt.Errorf("RevokeConsent before granted_at: %v, want consent.ErrInvalid", err)
	}
	at := consentT0.Add(48 * time.Hour)
	got, err := s.RevokeConsent(ctx, "c-1", at, "sms")
	if err != nil {
		return fmt.Errorf("RevokeConsent: %w", err)
	}
	want := r
	want.RevokedAt, want.RevocationChannel = at, "sms"
	if err := sameRecord(got, want); err != nil {
		return fmt.Errorf("RevokeConsent returned: %w", err)
	}
	// The first withdrawal stands.
	again, err := s.RevokeConsent(ctx, "c-1", at.Add(time.Hour), "web")
	if err != nil {
		return fmt.Errorf("second RevokeConsent: %w", err)
	}
	if err := sameRecord(again, want); err != nil {
		return fmt.Errorf("second RevokeConsent changed the record: %w", err)
	}
	stored, err := s.Consent(ctx, "c-1")
	if err != nil {
		return err
	}
	if err := sameRecord(stored, want); err != nil {
		return fmt.Errorf("stored after revoke: %w", err)
	}
	if rev, err := s.ConsentRevision(ctx); err != nil || rev != 2 {
		return fmt.Errorf("ConsentRevision after add, revoke and a repeated revoke = %d, %v; want 2", rev, err)
	}
	return nil
}

func consentEvents(ctx context.Context, h harness[consent.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	if rev, err := s.ConsentRevision(ctx); err != nil || rev != 0 {
		return fmt.Errorf("ConsentRevision of an empty store = %d, %v; want 0", rev, err)
	}
	if evs, err := s.ConsentEventsSince(ctx, 0, 10); err != nil || len(evs) != 0 {
		return fmt.Errorf("ConsentEventsSince on an empty store = %v, %v", evs, err)
	}
	n := dialgate.MustParseNumber("+8613900139004")
	for i, id := range []string{"e-1", "e-2", "e-3"} {
		if err := s.AddConsent(ctx, consentRec(id, n.String(), consentT0.Add(time.Duration(i)*time.Minute))); err != nil {
			return err
		}
	}
	if _, err := s.RevokeConsent(ctx, "e-2", consentT0.Add(time.Hour), "call"); err != nil {
		return err
	}
	if err := s.AddConsent(ctx, consentRec("e-other", "+8613900139005", consentT0)); err != nil {
		return err
	}
	rev, err := s.ConsentRevision(ctx)
	if err != nil || rev != 5 {
		return fmt.Errorf("ConsentRevision = %d, %v; want 5", rev, err)
	}
	all, err := s.ConsentEventsSince(ctx, 0, 100)
	if err != nil {
		return fmt.Errorf("ConsentEventsSince: %w", err)
	}
	if len(all) != 5 {
		return fmt.Errorf("ConsentEventsSince(0) returned %d events, want 5", len(all))
	}
	for i, e := range all {
		if e.Seq != uint64(i+1) {
			return fmt.Errorf("event %d has Seq %d, want %d", i, e.Seq, i+1)
		}
	}
	if e := all[3]; e.Type != consent.EventRevoked || e.ConsentID != "e-2" || e.Number != n || !e.At.Equal(consentT0.Add(time.Hour)) || e.Channel != "call" {
		return fmt.Errorf("revocation event = %+v", e)
	}
	if e := all[0]; e.Type != consent.EventGranted || e.ConsentID != "e-1" || !e.At.Equal(consentT0) || e.Channel != "website" {
		return fmt.Errorf("grant event = %+v", e)
	}
	page, err := s.ConsentEventsSince(ctx, 2, 2)
	if err != nil || len(page) != 2 || page[0].Seq != 3 || page[1].Seq != 4 {
		return fmt.Errorf("ConsentEventsSince(2, limit 2) = %+v, %v; want Seq 3 and 4", page, err)
	}
	if _, err := s.ConsentEventsSince(ctx, 0, 0); err == nil {
		return errors.New("ConsentEventsSince with limit 0: no error")
	}
	hist, err := s.ConsentHistory(ctx, n)
	if err != nil {
		return fmt.Errorf("ConsentHistory: %w", err)
	}
	if len(hist) != 4 || hist[3].Type != consent.EventRevoked {
		return fmt.Errorf("ConsentHistory = %+v, want 3 grants then the revocation", hist)
	}
	return nil
}

func consentConcurrent(ctx context.Context, h harness[consent.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	const n = 32
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("k-%d", i)
			if err := s.AddConsent(ctx, consentRec(id, "+8613900139006", consentT0)); err != nil {
				errs[i] = err
				return
			}
			if i%2 == 0 {
				_, errs[i] = s.RevokeConsent(ctx, id, consentT0.Add(time.Hour), "call")
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("concurrent writes: %w", err)
	}
	rev, err := s.ConsentRevision(ctx)
	if err != nil {
		return err
	}
	if want := uint64(n + n/2); rev != want {
		return fmt.Errorf("ConsentRevision after %d writes = %d", want, rev)
	}
	evs, err := s.ConsentEventsSince(ctx, 0, 1000)
	if err != nil {
		return err
	}
	for i, e := range evs {
		if e.Seq != uint64(i+1) {
			return fmt.Errorf("events after concurrent writes: event %d has Seq %d (gap or disorder)", i, e.Seq)
		}
	}
	if uint64(len(evs)) != rev {
		return fmt.Errorf("%d events for revision %d", len(evs), rev)
	}
	return nil
}

func consentReopen(ctx context.Context, h harness[consent.Store]) error {
	if h.reopen == nil {
		return errSkip
	}
	s, err := h.open()
	if err != nil {
		return err
	}
	r := consentRec("d-1", "+8613900139007", consentT0)
	if err := s.AddConsent(ctx, r); err != nil {
		return err
	}
	if _, err := s.RevokeConsent(ctx, "d-1", consentT0.Add(time.Hour), "call"); err != nil {
		return err
	}
	s, err = h.reopenOrSkip(s)
	if err != nil {
		return fmt.Errorf("reopen: %w", err)
	}
	got, err := s.Consent(ctx, "d-1")
	if err != nil {
		return fmt.Errorf("after reopen: %w", err)
	}
	if !got.Revoked() {
		return errors.New("after reopen: the revocation was lost")
	}
	if rev, err := s.ConsentRevision(ctx); err != nil || rev != 2 {
		return fmt.Errorf("after reopen: ConsentRevision = %d, %v; want 2", rev, err)
	}
	return nil
}
