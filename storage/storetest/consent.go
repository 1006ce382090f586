package storetest

//lint:file-ignore ST1005 the conformance failures start with the Go method they report on (Reserve, Usage, Close)

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
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
		{"TenantRoundTrips", consentTenant},
		{"InvalidWritesNothing", consentInvalid},
		{"DuplicateIDConflicts", consentConflict},
		{"ByNumberOrder", consentByNumber},
		{"Revoke", consentRevoke},
		{"RevokeUnknownWritesNothing", consentRevokeUnknown},
		{"RevokeTwiceKeepsFirst", consentRevokeTwice},
		{"RevokeBeforeGrantedRevokesAsOfGrant", consentRevokeBeforeGranted},
		{"ReConsentIsNewRecord", consentReConsent},
		{"EventsSince", consentEventsSince},
		{"CancelledContext", consentCancelled},
		{"Concurrent", consentConcurrent},
		{"Closed", consentClosed},
		{"Reopen", consentReopen},
		{"RevisionStamp", consentRevisionStamp},
		{"StoredRecords", consentStored},
		{"StoredRecordRevoked", consentStoredRevoke},
		{"StoredIndexWithoutRecord", consentIndexWithoutRecord},
		{"StoredEvents", consentEventStored},
		{"UnkeptRefused", consentUnkeptRefused},
	}
}

var (
	conNum  = dialgate.MustParseNumber("+8613900139000")
	conNum2 = dialgate.MustParseNumber("+8613900139001")
)

const conHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func conRecord(id string, n dialgate.Number, granted time.Time) consent.Record {
	return consent.Record{
		ID: id, Number: n, Scope: "industry:finance", Method: consent.MethodWebForm,
		DisclosureSHA256: conHash, EvidenceURI: "https://evidence.example/" + id, Channel: "website",
		GrantedAt: granted, ExpiresAt: granted.AddDate(1, 0, 0),
	}
}

func openConsent(h harness[consent.Store]) (consent.Store, error) {
	s, err := h.open()
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	if s == nil {
		return nil, errors.New("open returned nil")
	}
	return s, nil
}

func sameRecord(got, want consent.Record) error {
	if got.ID != want.ID || got.Number != want.Number || got.Scope != want.Scope || got.Tenant != want.Tenant || got.Method != want.Method ||
		got.DisclosureSHA256 != want.DisclosureSHA256 || got.EvidenceURI != want.EvidenceURI || got.Channel != want.Channel ||
		!got.GrantedAt.Equal(want.GrantedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) || !got.RevokedAt.Equal(want.RevokedAt) ||
		got.RevocationChannel != want.RevocationChannel {
		return fmt.Errorf("record = %+v, want %+v", got, want)
	}
	return nil
}

// expectState checks the revision and the number of events.
func expectRevision(ctx context.Context, s consent.Store, want uint64) error {
	rev, err := s.ConsentRevision(ctx)
	if err != nil {
		return fmt.Errorf("ConsentRevision: %w", err)
	}
	if rev != want {
		return fmt.Errorf("ConsentRevision = %d, want %d", rev, want)
	}
	evs, err := s.ConsentEventsSince(ctx, 0, 1<<20)
	if err != nil {
		return fmt.Errorf("ConsentEventsSince: %w", err)
	}
	if uint64(len(evs)) != want {
		return fmt.Errorf("%d events, want %d", len(evs), want)
	}
	for i, e := range evs {
		if e.Seq != uint64(i)+1 {
			return fmt.Errorf("event %d has Seq %d, want %d (events must be numbered without gaps)", i, e.Seq, i+1)
		}
	}
	return nil
}

func consentAddGet(ctx context.Context, h harness[consent.Store]) error {
	s, err := openConsent(h)
	if err != nil {
		return err
	}
	if err := expectRevision(ctx, s, 0); err != nil {
		return fmt.Errorf("empty store: %w", err)
	}
	r := conRecord("c-1", conNum, t0)
	if err := s.AddConsent(ctx, r); err != nil {
		return fmt.Errorf("AddConsent: %w", err)
	}
	got, err := s.Consent(ctx, "c-1")
	if err != nil {
		return fmt.Errorf("Consent: %w", err)
	}
	if err := sameRecord(got, r); err != nil {
		return err
	}
	if _, err := s.Consent(ctx, "c-2"); !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("Consent(unknown) = %v, want storage.ErrNotFound", err)
	}
	if err := expectRevision(ctx, s, 1); err != nil {
		return err
	}
	hist, err := s.ConsentHistory(ctx, conNum)
	if err != nil {
		return fmt.Errorf("ConsentHistory: %w", err)
	}
	if len(hist) != 1 || hist[0].Type != consent.EventGranted || hist[0].ConsentID != "c-1" || hist[0].Seq != 1 ||
		hist[0].Number != conNum || !hist[0].At.Equal(t0) || hist[0].Channel != "website" {
		return fmt.Errorf("history = %+v, want one granted event for c-1", hist)
	}
	return nil
}

// consentTenant: a record's Tenant (the seller the person consented to) is
// kept by every read — Consent, ConsentsByNumber, the record RevokeConsent
// returns, and after a reopen — and a record without one reads back without
// one. A store that dropped it would turn a consent given to one seller into
// one covering every seller's dials.
func consentTenant(ctx context.Context, h harness[consent.Store]) error {
	s, err := openConsent(h)
	if err != nil {
		return err
	}
	tied := conRecord("c-acme", conNum, t0)
	tied.Tenant = "acme"
	untied := conRecord("c-any", conNum, t0.Add(time.Hour))
	for _, r := range []consent.Record{tied, untied} {
		if err := s.AddConsent(ctx, r); err != nil {
			return fmt.Errorf("AddConsent %s: %w", r.ID, err)
		}
	}
	check := func(when string, s consent.Store, want ...consent.Record) error {
		for _, w := range want {
			got, err := s.Consent(ctx, w.ID)
			if err != nil {
				return fmt.Errorf("%s: Consent %s: %w", when, w.ID, err)
			}
			if err := sameRecord(got, w); err != nil {
				return fmt.Errorf("%s: Consent %s: %w", when, w.ID, err)
			}
		}
		recs, err := s.ConsentsByNumber(ctx, conNum)
		if err != nil {
			return fmt.Errorf("%s: ConsentsByNumber: %w", when, err)
		}
		if len(recs) != len(want) {
			return fmt.Errorf("%s: ConsentsByNumber = %d records, want %d", when, len(recs), len(want))
		}
		for i := range want {
			if err := sameRecord(recs[i], want[i]); err != nil {
				return fmt.Errorf("%s: ConsentsByNumber[%d]: %w", when, i, err)
			}
		}
		return nil
	}
	if err := check("after AddConsent", s, tied, untied); err != nil {
		return err
	}
	got, err := s.RevokeConsent(ctx, "c-acme", t0.Add(2*time.Hour), "sms")
	if err != nil {
		return fmt.Errorf("RevokeConsent: %w", err)
	}
	tied.RevokedAt, tied.RevocationChannel = t0.Add(2*time.Hour), "sms"
	if err := sameRecord(got, tied); err != nil {
		return fmt.Errorf("RevokeConsent returned: %w", err)
	}
	if err := check("after RevokeConsent", s, tied, untied); err != nil {
		return err
	}
	if h.reopen == nil {
		return nil
	}
	if s, err = h.reopenOrSkip(s); err != nil {
		return fmt.Errorf("reopen: %w", err)
	}
	return check("after reopen", s, tied, untied)
}

func consentInvalid(ctx context.Context, h harness[consent.Store]) error {
	s, err := openConsent(h)
	if err != nil {
		return err
	}
	bad := map[string]func(r *consent.Record){
		"expires_at":        func(r *consent.Record) { r.ExpiresAt = r.GrantedAt.Add(-time.Hour) },
		"method":            func(r *consent.Record) { r.Method = "telepathy" },
		"disclosure_sha256": func(r *consent.Record) { r.DisclosureSHA256 = "" },
		"revoked_at":        func(r *consent.Record) { r.RevokedAt = r.GrantedAt.Add(time.Hour) },
		"id":                func(r *consent.Record) { r.ID = "" },
		"tenant":            func(r *consent.Record) { r.Tenant = "ac\x00me" },
	}
	for field, edit := range bad {
		r := conRecord("c-bad", conNum, t0)
		edit(&r)
		err := s.AddConsent(ctx, r)
		var fe *consent.FieldError
		if !errors.Is(err, consent.ErrInvalid) || !errors.As(err, &fe) || fe.Field != field {
			return fmt.Errorf("AddConsent with bad %s = %v, want consent.ErrInvalid naming %s", field, err, field)
		}
	}
	if _, err := s.Consent(ctx, "c-bad"); !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("invalid record was stored: %v", err)
	}
	if recs, err := s.ConsentsByNumber(ctx, conNum); err != nil || len(recs) != 0 {
		return fmt.Errorf("ConsentsByNumber after invalid adds = %v, %v; want none", recs, err)
	}
	return expectRevision(ctx, s, 0)
}

func consentConflict(ctx context.Context, h harness[consent.Store]) error {
	s, err := openConsent(h)
	if err != nil {
		return err
	}
	r := conRecord("c-1", conNum, t0)
	if err := s.AddConsent(ctx, r); err != nil {
		return err
	}
	for _, again := range []consent.Record{r, conRecord("c-1", conNum2, t0.Add(time.Hour))} {
		if err := s.AddConsent(ctx, again); !errors.Is(err, storage.ErrConflict) {
			return fmt.Errorf("AddConsent with an existing id = %v, want storage.ErrConflict", err)
		}
	}
	got, err := s.Consent(ctx, "c-1")
	if err != nil {
		return err
	}
	if err := sameRecord(got, r); err != nil {
		return fmt.Errorf("after conflicting adds: %w", err)
	}
	if recs, err := s.ConsentsByNumber(ctx, conNum2); err != nil || len(recs) != 0 {
		return fmt.Errorf("conflicting add indexed under its number: %v, %v", recs, err)
	}
	return expectRevision(ctx, s, 1)
}

func consentByNumber(ctx context.Context, h harness[consent.Store]) error {
	s, err := openConsent(h)
	if err != nil {
		return err
	}
	recs, err := s.ConsentsByNumber(ctx, conNum)
	if err != nil || len(recs) != 0 {
		return fmt.Errorf("ConsentsByNumber on an empty store = %v, %v", recs, err)
	}
	// Added out of order; b and a share an instant (ordered by id).
	for _, r := range []consent.Record{
		conRecord("c-late", conNum, t0.Add(2*time.Hour)),
		conRecord("c-b", conNum, t0),
		conRecord("c-other", conNum2, t0),
		conRecord("c-a", conNum, t0),
	} {
		if err := s.AddConsent(ctx, r); err != nil {
			return err
		}
	}
	recs, err = s.ConsentsByNumber(ctx, conNum)
	if err != nil {
		return err
	}
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.ID)
	}
	if fmt.Sprint(ids) != "[c-a c-b c-late]" {
		return fmt.Errorf("ConsentsByNumber ids = %v, want [c-a c-b c-late] (GrantedAt, then ID)", ids)
	}
	return nil
}

func consentRevoke(ctx context.Context, h harness[consent.Store]) error {
	s, err := openConsent(h)
	if err != nil {
		return err
	}
	r := conRecord("c-1", conNum, t0)
	if err := s.AddConsent(ctx, r); err != nil {
		return err
	}
	at := t0.Add(24 * time.Hour)
	got, err := s.RevokeConsent(ctx, "c-1", at, "sms")
	if err != nil {
		return fmt.Errorf("RevokeConsent: %w", err)
	}
	r.RevokedAt, r.RevocationChannel = at, "sms"
	if err := sameRecord(got, r); err != nil {
		return fmt.Errorf("RevokeConsent returned: %w", err)
	}
	// Visible as soon as the call returned.
	if got, err = s.Consent(ctx, "c-1"); err != nil {
		return err
	}
	if err := sameRecord(got, r); err != nil {
		return fmt.Errorf("Consent after revoke: %w", err)
	}
	recs, err := s.ConsentsByNumber(ctx, conNum)
	if err != nil || len(recs) != 1 || !recs[0].Revoked() {
		return fmt.Errorf("ConsentsByNumber after revoke = %+v, %v", recs, err)
	}
	if err := expectRevision(ctx, s, 2); err != nil {
		return err
	}
	hist, err := s.ConsentHistory(ctx, conNum)
	if err != nil {
		return err
	}
	if len(hist) != 2 || hist[1].Type != consent.EventRevoked || hist[1].Seq != 2 || !hist[1].At.Equal(at) || hist[1].Channel != "sms" ||
		!hist[1].RequestedAt.IsZero() {
		return fmt.Errorf("history = %+v, want granted then revoked (no requested_at: the instant was taken as given)", hist)
	}
	return nil
}

func consentRevokeUnknown(ctx context.Context, h harness[consent.Store]) error {
	s, err := openConsent(h)
	if err != nil {
		return err
	}
	if err := s.AddConsent(ctx, conRecord("c-1", conNum, t0)); err != nil {
		return err
	}
	if _, err := s.RevokeConsent(ctx, "c-404", t0.Add(time.Hour), "call"); !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("RevokeConsent(unknown) = %v, want storage.ErrNotFound", err)
	}
	return expectRevision(ctx, s, 1)
}

func consentRevokeTwice(ctx context.Context, h harness[consent.Store]) error {
	s, err := openConsent(h)
	if err != nil {
		return err
	}
	if err := s.AddConsent(ctx, conRecord("c-1", conNum, t0)); err != nil {
		return err
	}
	first := t0.Add(time.Hour)
	if _, err := s.RevokeConsent(ctx, "c-1", first, "sms"); err != nil {
		return err
	}
	got, err := s.RevokeConsent(ctx, "c-1", t0.Add(2*time.Hour), "web")
	if err != nil {
		return fmt.Errorf("second RevokeConsent = %v, want nil (idempotent)", err)
	}
	if !got.RevokedAt.Equal(first) || got.RevocationChannel != "sms" {
		return fmt.Errorf("second RevokeConsent changed the record to %+v; the first withdrawal stands", got)
	}
	// A retry of the very same withdrawal (a client that lost the
	// answer) changes nothing either: the record read before it says it
	// is revoked, which is how the sidecar and the CLI record the retry
	// as unchanged, and no event is added.
	before, err := s.Consent(ctx, "c-1")
	if err != nil {
		return err
	}
	if !before.Revoked() {
		return fmt.Errorf("Consent after RevokeConsent = %+v, want revoked", before)
	}
	got, err = s.RevokeConsent(ctx, "c-1", first, "sms")
	if err != nil {
		return fmt.Errorf("retried RevokeConsent = %v, want nil (idempotent)", err)
	}
	if !got.RevokedAt.Equal(first) || got.RevocationChannel != "sms" {
		return fmt.Errorf("retried RevokeConsent returned %+v; the first withdrawal stands", got)
	}
	return expectRevision(ctx, s, 2)
}

// consentRevokeBeforeGranted: a withdrawal dated before the grant (clock
// skew, a grant recorded with a wrong zone offset) is never refused. The
// record is revoked as of its grant, the history says so, and a consent check
// denies it at any instant — also a check that cached the record before.
func consentRevokeBeforeGranted(ctx context.Context, h harness[consent.Store]) error {
	s, err := openConsent(h)
	if err != nil {
		return err
	}
	r := conRecord("c-1", conNum, t0)
	if err := s.AddConsent(ctx, r); err != nil {
		return err
	}
	check, err := consent.NewCheck(consent.Config{Require: []consent.Requirement{{
		Purposes: []dialgate.Purpose{dialgate.PurposeMarketing},
		Cite:     dialgate.Citation{Source: dialgate.SourceLaw, Ref: "storetest"},
	}}}, s)
	if err != nil {
		return fmt.Errorf("consent.NewCheck: %w", err)
	}
	dial := func(at time.Time, consentID string) dialgate.Dial {
		return dialgate.Dial{To: conNum, Purpose: dialgate.PurposeMarketing, Industry: "finance", ConsentID: consentID, At: at}
	}
	if reasons, err := check.Check(ctx, dial(t0.Add(time.Hour), "c-1")); err != nil || len(reasons) != 0 {
		return fmt.Errorf("consent check before the revocation = %v, %v; want allowed", reasons, err)
	}
	at := t0.Add(-2 * time.Hour)
	got, err := s.RevokeConsent(ctx, "c-1", at, "sms")
	if err != nil {
		return fmt.Errorf("RevokeConsent before granted_at = %v, want nil (a withdrawal is never refused; it is recorded as of granted_at)", err)
	}
	want := r
	want.RevokedAt, want.RevocationChannel = t0, "sms"
	if err := sameRecord(got, want); err != nil {
		return fmt.Errorf("RevokeConsent before granted_at returned: %w", err)
	}
	if got, err = s.Consent(ctx, "c-1"); err != nil {
		return err
	}
	if err := sameRecord(got, want); err != nil {
		return fmt.Errorf("Consent after a revoke before granted_at: %w", err)
	}
	if err := expectRevision(ctx, s, 2); err != nil {
		return err
	}
	hist, err := s.ConsentHistory(ctx, conNum)
	if err != nil {
		return err
	}
	if len(hist) != 2 || hist[1].Type != consent.EventRevoked || hist[1].Seq != 2 || !hist[1].At.Equal(t0) ||
		!hist[1].RequestedAt.Equal(at) || hist[1].Channel != "sms" {
		return fmt.Errorf("history = %+v, want granted, then revoked at granted_at %s with requested_at %s", hist, t0, at)
	}
	for _, when := range []time.Time{at.Add(-time.Hour), at, t0.Add(-time.Second), t0, t0.Add(time.Hour), t0.AddDate(0, 6, 0), t0.AddDate(2, 0, 0)} {
		for _, id := range []string{"c-1", ""} {
			reasons, err := check.Check(ctx, dial(when, id))
			if err != nil || len(reasons) != 1 || reasons[0].Code != dialgate.CodeConsentRevoked {
				return fmt.Errorf("consent check at %s (consent id %q) after a revoke before granted_at = %v, %v; want consent.revoked", when, id, reasons, err)
			}
		}
	}
	// A second withdrawal, earlier still, changes nothing: the first stands.
	if got, err = s.RevokeConsent(ctx, "c-1", at.Add(-time.Hour), "web"); err != nil {
		return fmt.Errorf("second RevokeConsent = %v, want nil (idempotent)", err)
	}
	if err := sameRecord(got, want); err != nil {
		return fmt.Errorf("second RevokeConsent: %w", err)
	}
	return expectRevision(ctx, s, 2)
}

func consentReConsent(ctx context.Context, h harness[consent.Store]) error {
	s, err := openConsent(h)
	if err != nil {
		return err
	}
	if err := s.AddConsent(ctx, conRecord("c-1", conNum, t0)); err != nil {
		return err
	}
	if _, err := s.RevokeConsent(ctx, "c-1", t0.Add(time.Hour), "call"); err != nil {
		return err
	}
	if err := s.AddConsent(ctx, conRecord("c-2", conNum, t0.Add(48*time.Hour))); err != nil {
		return fmt.Errorf("re-consent as a new record: %w", err)
	}
	recs, err := s.ConsentsByNumber(ctx, conNum)
	if err != nil || len(recs) != 2 || recs[0].ID != "c-1" || !recs[0].Revoked() || recs[1].ID != "c-2" || recs[1].Revoked() {
		return fmt.Errorf("records after re-consent = %+v, %v; want revoked c-1 then valid c-2", recs, err)
	}
	hist, err := s.ConsentHistory(ctx, conNum)
	if err != nil || len(hist) != 3 || hist[2].ConsentID != "c-2" || hist[2].Type != consent.EventGranted {
		return fmt.Errorf("history = %+v, %v; want granted, revoked, granted", hist, err)
	}
	return nil
}

func consentEventsSince(ctx context.Context, h harness[consent.Store]) error {
	s, err := openConsent(h)
	if err != nil {
		return err
	}
	for i := range 5 {
		n := conNum
		if i%2 == 1 {
			n = conNum2
		}
		if err := s.AddConsent(ctx, conRecord("c-"+strconv.Itoa(i), n, t0)); err != nil {
			return err
		}
	}
	evs, err := s.ConsentEventsSince(ctx, 2, 2)
	if err != nil {
		return err
	}
	if len(evs) != 2 || evs[0].Seq != 3 || evs[1].Seq != 4 || evs[0].ConsentID != "c-2" || evs[1].Number != conNum2 {
		return fmt.Errorf("ConsentEventsSince(2, 2) = %+v, want events 3 and 4", evs)
	}
	if evs, err := s.ConsentEventsSince(ctx, 5, 10); err != nil || len(evs) != 0 {
		return fmt.Errorf("ConsentEventsSince(revision) = %+v, %v; want none", evs, err)
	}
	// Past any Seq a store can hold: none (a store that read since as a
	// signed integer handed out every event from the first, whose Seq is
	// not after since; another reported its history truncated).
	for _, since := range []uint64{1 << 63, math.MaxUint64} {
		if evs, err := s.ConsentEventsSince(ctx, since, 10); err != nil || len(evs) != 0 {
			return fmt.Errorf("ConsentEventsSince(%d) = %d events, %v; want none", since, len(evs), err)
		}
	}
	if _, err := s.ConsentEventsSince(ctx, 0, 0); err == nil {
		return errors.New("ConsentEventsSince with limit 0 succeeded, want an error")
	}
	hist, err := s.ConsentHistory(ctx, conNum2)
	if err != nil || len(hist) != 2 || hist[0].Seq != 2 || hist[1].Seq != 4 {
		return fmt.Errorf("ConsentHistory = %+v, %v; want events 2 and 4", hist, err)
	}
	return expectRevision(ctx, s, 5)
}

func consentCancelled(ctx context.Context, h harness[consent.Store]) error {
	s, err := openConsent(h)
	if err != nil {
		return err
	}
	if err := s.AddConsent(ctx, conRecord("c-1", conNum, t0)); err != nil {
		return err
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.AddConsent(cctx, conRecord("c-2", conNum, t0)); err == nil {
		return errors.New("AddConsent with a cancelled context succeeded")
	}
	if _, err := s.RevokeConsent(cctx, "c-1", t0.Add(time.Hour), "sms"); err == nil {
		return errors.New("RevokeConsent with a cancelled context succeeded")
	}
	got, err := s.Consent(ctx, "c-1")
	if err != nil || got.Revoked() {
		return fmt.Errorf("after cancelled writes: %+v, %v", got, err)
	}
	return expectRevision(ctx, s, 1)
}

// consentConcurrent adds and revokes from many goroutines while readers
// check that a revocation, once returned, is visible and counted.
func consentConcurrent(ctx context.Context, h harness[consent.Store]) error {
	s, err := openConsent(h)
	if err != nil {
		return err
	}
	const workers, each = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, _ := dialgate.NumberFromUint64(8613900139100 + uint64(w))
			for i := range each {
				id := fmt.Sprintf("c-%d-%d", w, i)
				if err := s.AddConsent(ctx, conRecord(id, n, t0.Add(time.Duration(i)*time.Minute))); err != nil {
					errs <- err
					return
				}
				r, err := s.RevokeConsent(ctx, id, t0.Add(time.Hour), "call")
				if err != nil {
					errs <- err
					return
				}
				rev, err := s.ConsentRevision(ctx)
				if err != nil {
					errs <- err
					return
				}
				hist, err := s.ConsentHistory(ctx, n)
				if err != nil {
					errs <- err
					return
				}
				last := hist[len(hist)-1]
				if last.ConsentID != id || last.Type != consent.EventRevoked || rev < last.Seq || !r.Revoked() {
					errs <- fmt.Errorf("after RevokeConsent(%s) returned: revision %d, last event %+v", id, rev, last)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return err
	}
	return expectRevision(ctx, s, 2*workers*each)
}

func consentClosed(ctx context.Context, h harness[consent.Store]) error {
	s, err := openConsent(h)
	if err != nil {
		return err
	}
	c, ok := s.(io.Closer)
	if !ok {
		return errSkip
	}
	if err := c.Close(); err != nil {
		return fmt.Errorf("Close: %w", err)
	}
	checks := map[string]error{"AddConsent": s.AddConsent(ctx, conRecord("c-1", conNum, t0))}
	_, checks["Consent"] = s.Consent(ctx, "c-1")
	_, checks["ConsentsByNumber"] = s.ConsentsByNumber(ctx, conNum)
	_, checks["RevokeConsent"] = s.RevokeConsent(ctx, "c-1", t0, "")
	_, checks["ConsentHistory"] = s.ConsentHistory(ctx, conNum)
	_, checks["ConsentRevision"] = s.ConsentRevision(ctx)
	_, checks["ConsentEventsSince"] = s.ConsentEventsSince(ctx, 0, 10)
	names := []string{"AddConsent", "Consent", "ConsentsByNumber", "RevokeConsent", "ConsentHistory", "ConsentRevision", "ConsentEventsSince"}
	if st, ok := s.(consent.RevisionStamper); ok {
		_, _, checks["ConsentRevisionStamp"] = st.ConsentRevisionStamp(ctx)
		names = append(names, "ConsentRevisionStamp")
	}
	for _, name := range names {
		if !errors.Is(checks[name], storage.ErrClosed) {
			return fmt.Errorf("%s after Close: %v, want storage.ErrClosed", name, checks[name])
		}
	}
	return nil
}

func consentReopen(ctx context.Context, h harness[consent.Store]) error {
	if h.reopen == nil {
		return errSkip
	}
	s, err := openConsent(h)
	if err != nil {
		return err
	}
	r := conRecord("c-1", conNum, t0)
	if err := s.AddConsent(ctx, r); err != nil {
		return err
	}
	if r, err = s.RevokeConsent(ctx, "c-1", t0.Add(time.Hour), "sms"); err != nil {
		return err
	}
	if err := s.AddConsent(ctx, conRecord("c-2", conNum, t0.Add(2*time.Hour))); err != nil {
		return err
	}
	s, err = h.reopenOrSkip(s)
	if err != nil {
		return fmt.Errorf("reopen: %w", err)
	}
	got, err := s.Consent(ctx, "c-1")
	if err != nil {
		return fmt.Errorf("after reopen: %w", err)
	}
	if err := sameRecord(got, r); err != nil {
		return fmt.Errorf("after reopen (the revocation must survive): %w", err)
	}
	if err := expectRevision(ctx, s, 3); err != nil {
		return fmt.Errorf("after reopen: %w", err)
	}
	if err := s.AddConsent(ctx, conRecord("c-3", conNum, t0.Add(3*time.Hour))); err != nil {
		return err
	}
	if err := expectRevision(ctx, s, 4); err != nil {
		return fmt.Errorf("after reopen and a write: %w", err)
	}
	hist, err := s.ConsentHistory(ctx, conNum)
	if err != nil || len(hist) != 4 {
		return fmt.Errorf("history after reopen = %+v, %v; want 4 events", hist, err)
	}
	return nil
}

// consentRevisionStamp (stores implementing consent.RevisionStamper): every
// write that raises the revision gives it a stamp no earlier write gave, read
// with the revision; a write that does not raise it leaves the stamp; the
// stamp survives a reopen. The consent check's cache relies on it to tell
// apart two writes at the same revision of a store that lost writes.
func consentRevisionStamp(ctx context.Context, h harness[consent.Store]) error {
	s, err := openConsent(h)
	if err != nil {
		return err
	}
	if _, ok := s.(consent.RevisionStamper); !ok {
		return errSkip
	}
	seen := map[string]uint64{}
	// expect checks that the revision is want and its stamp a new one
	// (fresh) or the last one read (!fresh).
	var last string
	expect := func(when string, want uint64, fresh bool) error {
		st := s.(consent.RevisionStamper)
		rev, stamp, err := st.ConsentRevisionStamp(ctx)
		if err != nil {
			return fmt.Errorf("%s: ConsentRevisionStamp: %w", when, err)
		}
		if plain, err := s.ConsentRevision(ctx); err != nil || plain != rev {
			return fmt.Errorf("%s: ConsentRevision = %d, %v; ConsentRevisionStamp's revision is %d", when, plain, err, rev)
		}
		if rev != want {
			return fmt.Errorf("%s: ConsentRevisionStamp revision = %d, want %d", when, rev, want)
		}
		if want == 0 {
			return nil
		}
		switch {
		case stamp == "":
			return fmt.Errorf("%s: revision %d has no stamp", when, rev)
		case fresh && seen[stamp] != 0:
			return fmt.Errorf("%s: revision %d has the stamp %q of revision %d", when, rev, stamp, seen[stamp])
		case !fresh && stamp != last:
			return fmt.Errorf("%s: stamp %q, want %q (unchanged: the revision did not move)", when, stamp, last)
		}
		seen[stamp], last = rev, stamp
		return nil
	}
	if err := expect("empty store", 0, true); err != nil {
		return err
	}
	if err := s.AddConsent(ctx, conRecord("c-1", conNum, t0)); err != nil {
		return err
	}
	if err := expect("after a grant", 1, true); err != nil {
		return err
	}
	if err := expect("read again", 1, false); err != nil {
		return err
	}
	if err := s.AddConsent(ctx, conRecord("c-1", conNum, t0)); !errors.Is(err, storage.ErrConflict) {
		return fmt.Errorf("AddConsent of an existing id = %v, want storage.ErrConflict", err)
	}
	if err := expect("after a refused grant", 1, false); err != nil {
		return err
	}
	if _, err := s.RevokeConsent(ctx, "c-1", t0.Add(time.Hour), "sms"); err != nil {
		return err
	}
	if err := expect("after a revocation", 2, true); err != nil {
		return err
	}
	if _, err := s.RevokeConsent(ctx, "c-1", t0.Add(2*time.Hour), "web"); err != nil {
		return err
	}
	if err := expect("after a second revocation (no change)", 2, false); err != nil {
		return err
	}
	if err := s.AddConsent(ctx, conRecord("c-2", conNum2, t0)); err != nil {
		return err
	}
	if err := expect("after another grant", 3, true); err != nil {
		return err
	}
	if h.reopen == nil {
		return nil
	}
	if s, err = h.reopenOrSkip(s); err != nil {
		return fmt.Errorf("reopen: %w", err)
	}
	if _, ok := s.(consent.RevisionStamper); !ok {
		return errors.New("reopened store does not implement consent.RevisionStamper")
	}
	return expect("after reopen", 3, false)
}
