package storetest

//lint:file-ignore ST1005 the conformance failures start with the Go method they report on (PutLedgerIf)

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/storage"
)

// errNotConditional marks a conditional-write case run on a store that
// does not implement callerid.ConditionalStore.
var errNotConditional = fmt.Errorf("%w: not a callerid.ConditionalStore", errSkip)

// openConditional opens a store and returns it as a ConditionalStore, or
// errNotConditional.
func openConditional(h harness[callerid.Store]) (callerid.ConditionalStore, error) {
	s, err := openLedger(h)
	if err != nil {
		return nil, err
	}
	cs, ok := s.(callerid.ConditionalStore)
	if !ok {
		return nil, errNotConditional
	}
	return cs, nil
}

// wantConflict checks that err is a *callerid.ConflictError wrapping
// storage.ErrConflict that names tenant and n and what was found.
func wantConflict(what string, err error, tenant string, n dialgate.Number, found callerid.ExpectState) error {
	var ce *callerid.ConflictError
	if !errors.Is(err, storage.ErrConflict) || !errors.As(err, &ce) {
		return fmt.Errorf("%s: %v, want a *callerid.ConflictError wrapping storage.ErrConflict", what, err)
	}
	if ce.Tenant != tenant || ce.Number != n || ce.Found != found || !strings.Contains(err.Error(), n.String()) {
		return fmt.Errorf("%s: %v (%+v), want the conflict of %s of tenant %q, found %v", what, err, *ce, n, tenant, found)
	}
	return nil
}

// ledgerHolds checks that the ledger holds e for its key (want nil: none).
func ledgerHolds(ctx context.Context, s callerid.Store, tenant string, n dialgate.Number, want *callerid.Entry) error {
	got, err := s.LedgerEntry(ctx, tenant, n)
	if want == nil {
		if !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("LedgerEntry %s: %+v, %v; want storage.ErrNotFound", n, got, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("LedgerEntry %s: %w", n, err)
	}
	return sameLedgerEntry(got, *want)
}

// ledgerIf: PutLedgerIf writes when the ledger holds what each Expect
// says, and otherwise writes nothing (version unchanged) and names the
// entry: one added, changed or deleted by another writer since it was
// read.
func ledgerIf(ctx context.Context, h harness[callerid.Store]) error {
	s, err := openConditional(h)
	if err != nil {
		return err
	}
	first := ledEntry("acme", ledFixed)
	if err := s.PutLedgerIf(ctx, []callerid.Expect{callerid.ExpectNone("acme", ledFixed)}, first); err != nil {
		return fmt.Errorf("PutLedgerIf of a new entry expected absent: %w", err)
	}
	if err := ledgerHolds(ctx, s, "acme", ledFixed, &first); err != nil {
		return err
	}
	v0, err := s.LedgerVersion(ctx)
	if err != nil {
		return err
	}
	other := first
	other.Holder = "Other Ltd"
	// Added by another writer since it was read (absent then).
	err = s.PutLedgerIf(ctx, []callerid.Expect{callerid.ExpectNone("acme", ledFixed)}, other)
	if err := wantConflict("PutLedgerIf expecting absent over an entry", err, "acme", ledFixed, callerid.ExpectEntry); err != nil {
		return err
	}
	// Changed by another writer since it was read.
	stale := first
	stale.Purposes = []dialgate.Purpose{dialgate.PurposeSurvey}
	err = s.PutLedgerIf(ctx, []callerid.Expect{callerid.ExpectSame(stale)}, other)
	if err := wantConflict("PutLedgerIf expecting another entry", err, "acme", ledFixed, callerid.ExpectEntry); err != nil {
		return err
	}
	if ce := (*callerid.ConflictError)(nil); errors.As(err, &ce) && (len(ce.Changed) != 1 || ce.Changed[0] != "purposes") {
		return fmt.Errorf("PutLedgerIf expecting another entry: changed %v, want [purposes]", ce.Changed)
	}
	// Expecting something unreadable where a readable entry is.
	err = s.PutLedgerIf(ctx, []callerid.Expect{callerid.ExpectDamaged("acme", ledFixed)}, other)
	if err := wantConflict("PutLedgerIf expecting an unreadable entry", err, "acme", ledFixed, callerid.ExpectEntry); err != nil {
		return err
	}
	if err := ledgerHolds(ctx, s, "acme", ledFixed, &first); err != nil {
		return fmt.Errorf("after refused writes: %w", err)
	}
	if v, err := s.LedgerVersion(ctx); err != nil || v != v0 {
		return fmt.Errorf("version after refused writes = %d, %v; want %d unchanged", v, err, v0)
	}
	// The entry as read (purposes in another order: the same facts).
	read := first
	read.Purposes = []dialgate.Purpose{dialgate.PurposeService, dialgate.PurposeMarketing}
	if err := s.PutLedgerIf(ctx, []callerid.Expect{callerid.ExpectSame(read)}, other); err != nil {
		return fmt.Errorf("PutLedgerIf expecting the stored entry: %w", err)
	}
	if err := ledgerHolds(ctx, s, "acme", ledFixed, &other); err != nil {
		return err
	}
	if v, err := s.LedgerVersion(ctx); err != nil || v == v0 {
		return fmt.Errorf("version after a conditional write = %d, %v; want a change from %d", v, err, v0)
	}
	// Deleted by another writer since it was read.
	if err := s.DeleteLedgerEntry(ctx, "acme", ledFixed); err != nil {
		return err
	}
	err = s.PutLedgerIf(ctx, []callerid.Expect{callerid.ExpectSame(other)}, first)
	if err := wantConflict("PutLedgerIf expecting a deleted entry", err, "acme", ledFixed, callerid.ExpectAbsent); err != nil {
		return err
	}
	return ledgerHolds(ctx, s, "acme", ledFixed, nil)
}

// ledgerIfAllOrNone: one entry whose Expect fails stops every entry of the
// call, and the error names that entry; arguments that do not pair each
// entry with one Expect are refused (storage.ErrInvalid), as are invalid
// entries (callerid.ErrInvalidEntry), writing nothing.
func ledgerIfAllOrNone(ctx context.Context, h harness[callerid.Store]) error {
	s, err := openConditional(h)
	if err != nil {
		return err
	}
	held := ledEntry("acme", ledFixed2)
	if err := s.PutLedger(ctx, held); err != nil {
		return fmt.Errorf("PutLedger: %w", err)
	}
	v0, err := s.LedgerVersion(ctx)
	if err != nil {
		return err
	}
	a, b := ledEntry("acme", ledFixed), held
	b.Holder = "Other Ltd"
	c := ledEntry("globex", ledFixed)
	err = s.PutLedgerIf(ctx, []callerid.Expect{
		callerid.ExpectNone("globex", ledFixed), callerid.ExpectNone("acme", ledFixed), callerid.ExpectNone("acme", ledFixed2),
	}, a, b, c)
	if err := wantConflict("PutLedgerIf with one entry changed", err, "acme", ledFixed2, callerid.ExpectEntry); err != nil {
		return err
	}
	for _, e := range []callerid.Entry{a, c} {
		if err := ledgerHolds(ctx, s, e.Tenant, e.Number, nil); err != nil {
			return fmt.Errorf("after a refused PutLedgerIf (all or none): %w", err)
		}
	}
	if err := ledgerHolds(ctx, s, "acme", ledFixed2, &held); err != nil {
		return fmt.Errorf("after a refused PutLedgerIf: %w", err)
	}
	bad := ledEntry("acme", ledMobile) // a mobile number typed "fixed"
	for name, tc := range map[string]struct {
		expect  []callerid.Expect
		entries []callerid.Entry
		want    error
	}{
		"an entry without expect":          {[]callerid.Expect{callerid.ExpectNone("acme", ledFixed)}, []callerid.Entry{a, c}, storage.ErrInvalid},
		"an expect without entry":          {[]callerid.Expect{callerid.ExpectNone("acme", ledFixed), callerid.ExpectNone("globex", ledFixed)}, []callerid.Entry{a}, storage.ErrInvalid},
		"one key expected twice":           {[]callerid.Expect{callerid.ExpectNone("acme", ledFixed), callerid.ExpectDamaged("acme", ledFixed)}, []callerid.Entry{a}, storage.ErrInvalid},
		"the zero expect":                  {[]callerid.Expect{{Tenant: "acme", Number: ledFixed}}, []callerid.Entry{a}, storage.ErrInvalid},
		"an expected entry of another key": {[]callerid.Expect{{Tenant: "acme", Number: ledFixed, State: callerid.ExpectEntry, Entry: held}}, []callerid.Entry{a}, storage.ErrInvalid},
		"an invalid entry":                 {[]callerid.Expect{callerid.ExpectNone("acme", ledFixed), callerid.ExpectNone("acme", ledMobile)}, []callerid.Entry{a, bad}, callerid.ErrInvalidEntry},
	} {
		if err := s.PutLedgerIf(ctx, tc.expect, tc.entries...); !errors.Is(err, tc.want) {
			return fmt.Errorf("PutLedgerIf with %s: %v, want %v", name, err, tc.want)
		}
		if err := ledgerHolds(ctx, s, "acme", ledFixed, nil); err != nil {
			return fmt.Errorf("after PutLedgerIf with %s: %w", name, err)
		}
	}
	if v, err := s.LedgerVersion(ctx); err != nil || v != v0 {
		return fmt.Errorf("version after refused writes = %d, %v; want %d unchanged", v, err, v0)
	}
	// All expectations met: every entry written.
	if err := s.PutLedgerIf(ctx, []callerid.Expect{
		callerid.ExpectSame(held), callerid.ExpectNone("globex", ledFixed), callerid.ExpectNone("acme", ledFixed),
	}, a, b, c); err != nil {
		return fmt.Errorf("PutLedgerIf with every expectation met: %w", err)
	}
	for _, e := range []callerid.Entry{a, b, c} {
		if err := ledgerHolds(ctx, s, e.Tenant, e.Number, &e); err != nil {
			return fmt.Errorf("after PutLedgerIf: %w", err)
		}
	}
	return nil
}

// ledgerIfConcurrent: many writers that read the same state and each
// write their own entry on condition that it still holds: exactly one
// succeeds, every other gets a conflict, and the ledger holds the
// winner's entry — first over an absent key, then over that entry.
func ledgerIfConcurrent(ctx context.Context, h harness[callerid.Store]) error {
	s, err := openConditional(h)
	if err != nil {
		return err
	}
	const n = 16
	round := func(what string, expect callerid.Expect) (callerid.Entry, error) {
		var wg sync.WaitGroup
		errs := make([]error, n)
		entries := make([]callerid.Entry, n)
		for i := range n {
			entries[i] = ledEntry("acme", ledFixed)
			entries[i].Holder = fmt.Sprintf("%s writer %d", what, i)
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.PutLedgerIf(ctx, []callerid.Expect{expect}, entries[i])
			}()
		}
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil && won >= 0:
				return callerid.Entry{}, fmt.Errorf("%s: writers %d and %d both succeeded expecting the same state", what, won, i)
			case err == nil:
				won = i
			case !errors.Is(err, storage.ErrConflict):
				return callerid.Entry{}, fmt.Errorf("%s: writer %d: %v, want success or storage.ErrConflict", what, i, err)
			}
		}
		if won < 0 {
			return callerid.Entry{}, fmt.Errorf("%s: no writer succeeded", what)
		}
		if err := ledgerHolds(ctx, s, "acme", ledFixed, &entries[won]); err != nil {
			return callerid.Entry{}, fmt.Errorf("%s: the ledger does not hold the winner's entry: %w", what, err)
		}
		return entries[won], nil
	}
	won, err := round("absent", callerid.ExpectNone("acme", ledFixed))
	if err != nil {
		return err
	}
	_, err = round("replace", callerid.ExpectSame(won))
	return err
}

// ledgerIfDamaged: an entry stored damaged is neither absent nor an
// entry for PutLedgerIf; only an ExpectDamaged replaces it.
func ledgerIfDamaged(ctx context.Context, h harness[callerid.Store]) error {
	s, err := openConditional(h)
	if err != nil {
		return err
	}
	// No holder: decodes, but fails validation (every store can hold it).
	js := fmt.Sprintf(`{"tenant":"acme","number":%q,"type":"fixed","purposes":["service"]}`, ledFixed)
	if err := h.plantOrSkip(ctx, s, RawRecord{Kind: "ledger entry", Tenant: "acme", Number: ledFixed, JSON: []byte(js)}); err != nil {
		return err
	}
	e := ledEntry("acme", ledFixed)
	err = s.PutLedgerIf(ctx, []callerid.Expect{callerid.ExpectNone("acme", ledFixed)}, e)
	if err := wantConflict("PutLedgerIf expecting absent over a damaged entry", err, "acme", ledFixed, callerid.ExpectUnreadable); err != nil {
		return err
	}
	err = s.PutLedgerIf(ctx, []callerid.Expect{callerid.ExpectSame(e)}, e)
	if err := wantConflict("PutLedgerIf expecting an entry over a damaged one", err, "acme", ledFixed, callerid.ExpectUnreadable); err != nil {
		return err
	}
	if _, err := s.LedgerEntry(ctx, "acme", ledFixed); !errors.Is(err, storage.ErrCorrupt) {
		return fmt.Errorf("LedgerEntry after refused writes: %v, want storage.ErrCorrupt (left as stored)", err)
	}
	if err := s.PutLedgerIf(ctx, []callerid.Expect{callerid.ExpectDamaged("acme", ledFixed)}, e); err != nil {
		return fmt.Errorf("PutLedgerIf expecting the damaged entry: %w", err)
	}
	if err := ledgerHolds(ctx, s, "acme", ledFixed, &e); err != nil {
		return err
	}
	err = s.PutLedgerIf(ctx, []callerid.Expect{callerid.ExpectDamaged("acme", ledFixed)}, e)
	return wantConflict("PutLedgerIf expecting a damaged entry over a readable one", err, "acme", ledFixed, callerid.ExpectEntry)
}
