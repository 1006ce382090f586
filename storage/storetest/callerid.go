package storetest

//lint:file-ignore ST1005 the conformance failures start with the Go method they report on (Reserve, Usage, Close)

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/storage"
)

// TestCallerID runs the callerid.Store conformance suite as subtests. open
// must return a fresh, empty store for the given (sub)test and arrange for it
// to be closed.
func TestCallerID(t *testing.T, open func(t *testing.T) callerid.Store, opts ...Option) {
	t.Helper()
	runT(t, ledgerCases(), open, newConfig(opts))
}

// CheckCallerID runs the callerid.Store conformance suite and reports every
// failure, joined. open must return a fresh, empty store on each call; stores
// implementing io.Closer are closed after each case.
func CheckCallerID(ctx context.Context, open func() (callerid.Store, error), opts ...Option) error {
	return checkAll(ctx, "CallerID", ledgerCases(), open, newConfig(opts))
}

func ledgerCases() []testCase[callerid.Store] {
	return []testCase[callerid.Store]{
		{"PutGet", ledgerPutGet},
		{"NormalizeOnPut", ledgerNormalize},
		{"InvalidWritesNothing", ledgerInvalid},
		{"OneNumberTwiceWritesNothing", ledgerTwice},
		{"Replace", ledgerReplace},
		{"BatchAfterUnchanged", ledgerBatchAfterUnchanged},
		{"Delete", ledgerDelete},
		{"UnstorableTenantNotFound", ledgerUnstorableTenant},
		{"ListOrder", ledgerList},
		{"Version", ledgerVersion},
		{"ReturnsCopies", ledgerCopies},
		{"Concurrent", ledgerConcurrent},
		{"ConcurrentBatches", ledgerConcurrentBatches},
		{"Closed", ledgerClosed},
		{"Reopen", ledgerReopen},
		{"StoredRecords", ledgerStored},
		{"PutLedgerIf", ledgerIf},
		{"PutLedgerIfAllOrNone", ledgerIfAllOrNone},
		{"PutLedgerIfConcurrent", ledgerIfConcurrent},
		{"PutLedgerIfDamaged", ledgerIfDamaged},
		{"UnkeptInstantsRefused", ledgerUnkeptRefused},
	}
}

var (
	ledFixed  = dialgate.MustParseNumber("+861058001234")
	ledFixed2 = dialgate.MustParseNumber("+862158001234")
	ledMobile = dialgate.MustParseNumber("+8613800138001")
	led400    = dialgate.MustParseNumber("+864001234567")
)

func ledEntry(tenant string, n dialgate.Number) callerid.Entry {
	return callerid.Entry{
		Tenant: tenant, Number: n, Type: callerid.TypeFixed, Holder: "Acme Ltd",
		Access: "SIP trunk", Qualification: "B2-20190001",
		Purposes:  []dialgate.Purpose{dialgate.PurposeMarketing, dialgate.PurposeService},
		ValidFrom: t0.AddDate(-1, 0, 0), ValidUntil: t0.AddDate(1, 0, 0),
	}
}

func openLedger(h harness[callerid.Store]) (callerid.Store, error) {
	s, err := h.open()
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	if s == nil {
		return nil, errors.New("open returned nil")
	}
	return s, nil
}

func sameLedgerEntry(got, want callerid.Entry) error {
	if got.Tenant != want.Tenant || got.Number != want.Number || got.Type != want.Type || got.Holder != want.Holder ||
		got.Access != want.Access || got.Qualification != want.Qualification || !slices.Equal(got.Purposes, want.Purposes) ||
		!got.ValidFrom.Equal(want.ValidFrom) || !got.ValidUntil.Equal(want.ValidUntil) || got.OfficeUseOnly != want.OfficeUseOnly {
		return fmt.Errorf("entry = %+v, want %+v", got, want)
	}
	return nil
}

func ledgerPutGet(ctx context.Context, h harness[callerid.Store]) error {
	s, err := openLedger(h)
	if err != nil {
		return err
	}
	if _, err := s.LedgerEntry(ctx, "acme", ledFixed); !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("LedgerEntry on empty store: %v, want storage.ErrNotFound", err)
	}
	e := ledEntry("acme", ledFixed)
	e.OfficeUseOnly = true
	if err := s.PutLedger(ctx, e); err != nil {
		return fmt.Errorf("PutLedger: %w", err)
	}
	got, err := s.LedgerEntry(ctx, "acme", ledFixed)
	if err != nil {
		return fmt.Errorf("LedgerEntry: %w", err)
	}
	if err := sameLedgerEntry(got, e); err != nil {
		return err
	}
	// The key is (tenant, number): another tenant does not see it.
	if _, err := s.LedgerEntry(ctx, "globex", ledFixed); !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("LedgerEntry of another tenant: %v, want storage.ErrNotFound", err)
	}
	return nil
}

func ledgerNormalize(ctx context.Context, h harness[callerid.Store]) error {
	s, err := openLedger(h)
	if err != nil {
		return err
	}
	e := ledEntry("acme", led400)
	e.Type = ""
	if err := s.PutLedger(ctx, e); err != nil {
		return fmt.Errorf("PutLedger without type: %w", err)
	}
	got, err := s.LedgerEntry(ctx, "acme", led400)
	if err != nil {
		return fmt.Errorf("LedgerEntry: %w", err)
	}
	if got.Type != callerid.Type400 {
		return fmt.Errorf("type = %q, want 400 derived from the number", got.Type)
	}
	return nil
}

func ledgerInvalid(ctx context.Context, h harness[callerid.Store]) error {
	s, err := openLedger(h)
	if err != nil {
		return err
	}
	v0, err := s.LedgerVersion(ctx)
	if err != nil {
		return fmt.Errorf("LedgerVersion: %w", err)
	}
	good := ledEntry("acme", ledFixed)
	bad := ledEntry("acme", ledMobile) // a mobile number typed "fixed"
	if err := s.PutLedger(ctx, good, bad); !errors.Is(err, callerid.ErrInvalidEntry) {
		return fmt.Errorf("PutLedger with an invalid entry: %v, want callerid.ErrInvalidEntry", err)
	}
	if _, err := s.LedgerEntry(ctx, "acme", ledFixed); !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("after a failed PutLedger the valid entry was written (all or none): %v", err)
	}
	noHolder := ledEntry("acme", ledFixed)
	noHolder.Holder = ""
	if err := s.PutLedger(ctx, noHolder); !errors.Is(err, callerid.ErrInvalidEntry) {
		return fmt.Errorf("PutLedger without holder: %v, want callerid.ErrInvalidEntry", err)
	}
	if v, err := s.LedgerVersion(ctx); err != nil || v != v0 {
		return fmt.Errorf("version after failed writes = %d, %v; want %d unchanged", v, err, v0)
	}
	return nil
}

// ledgerTwice: one PutLedger call that gives one (tenant, number) twice is
// refused (callerid.ErrInvalidEntry) and writes nothing: the store would
// otherwise keep one of two purpose lists or validities without a word.
func ledgerTwice(ctx context.Context, h harness[callerid.Store]) error {
	s, err := openLedger(h)
	if err != nil {
		return err
	}
	v0, err := s.LedgerVersion(ctx)
	if err != nil {
		return fmt.Errorf("LedgerVersion: %w", err)
	}
	first := ledEntry("acme", ledFixed)
	other := ledEntry("acme", ledFixed2)
	second := ledEntry("acme", ledFixed)
	second.Type = "" // the same key once normalized
	second.Purposes = []dialgate.Purpose{dialgate.PurposeCollections}
	if err := s.PutLedger(ctx, first, other, second); !errors.Is(err, callerid.ErrInvalidEntry) {
		return fmt.Errorf("PutLedger with one number twice: %v, want callerid.ErrInvalidEntry", err)
	}
	for _, n := range []dialgate.Number{ledFixed, ledFixed2} {
		if _, err := s.LedgerEntry(ctx, "acme", n); !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("after a refused PutLedger, %s was written (all or none): %v", n, err)
		}
	}
	if v, err := s.LedgerVersion(ctx); err != nil || v != v0 {
		return fmt.Errorf("version after a refused write = %d, %v; want %d unchanged", v, err, v0)
	}
	// The same number for two tenants is two entries.
	if err := s.PutLedger(ctx, ledEntry("acme", ledFixed), ledEntry("globex", ledFixed)); err != nil {
		return fmt.Errorf("PutLedger of one number for two tenants: %w", err)
	}
	return nil
}

func ledgerReplace(ctx context.Context, h harness[callerid.Store]) error {
	s, err := openLedger(h)
	if err != nil {
		return err
	}
	e := ledEntry("acme", ledFixed)
	if err := s.PutLedger(ctx, e); err != nil {
		return fmt.Errorf("PutLedger: %w", err)
	}
	e.Holder = "Acme Holdings"
	e.Purposes = []dialgate.Purpose{dialgate.PurposeSurvey}
	e.ValidUntil = time.Time{}
	if err := s.PutLedger(ctx, e); err != nil {
		return fmt.Errorf("PutLedger (replace): %w", err)
	}
	got, err := s.LedgerEntry(ctx, "acme", ledFixed)
	if err != nil {
		return fmt.Errorf("LedgerEntry: %w", err)
	}
	if err := sameLedgerEntry(got, e); err != nil {
		return fmt.Errorf("after replace: %w", err)
	}
	all, err := s.ListLedger(ctx)
	if err != nil || len(all) != 1 {
		return fmt.Errorf("ListLedger after replace = %d entries, %v; want 1", len(all), err)
	}
	return nil
}

func ledgerDelete(ctx context.Context, h harness[callerid.Store]) error {
	s, err := openLedger(h)
	if err != nil {
		return err
	}
	if err := s.DeleteLedgerEntry(ctx, "acme", ledFixed); !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("DeleteLedgerEntry of a missing entry: %v, want storage.ErrNotFound", err)
	}
	if err := s.PutLedger(ctx, ledEntry("acme", ledFixed), ledEntry("acme", ledFixed2)); err != nil {
		return fmt.Errorf("PutLedger: %w", err)
	}
	if err := s.DeleteLedgerEntry(ctx, "acme", ledFixed); err != nil {
		return fmt.Errorf("DeleteLedgerEntry: %w", err)
	}
	if _, err := s.LedgerEntry(ctx, "acme", ledFixed); !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("LedgerEntry after delete: %v, want storage.ErrNotFound", err)
	}
	if _, err := s.LedgerEntry(ctx, "acme", ledFixed2); err != nil {
		return fmt.Errorf("the other entry is gone after delete: %w", err)
	}
	return nil
}

// ledgerUnstorableTenant: a look-up or delete naming a tenant no entry can
// have (not UTF-8, or with a NUL byte: Normalize refuses it on every write)
// finds none, in every store alike (storage.ErrNotFound), and changes
// nothing. PostgreSQL refuses such text as a query parameter: pgstore
// answered an unavailable store (storage.ErrUnavailable).
func ledgerUnstorableTenant(ctx context.Context, h harness[callerid.Store]) error {
	s, err := openLedger(h)
	if err != nil {
		return err
	}
	if err := s.PutLedger(ctx, ledEntry("acme", ledFixed)); err != nil {
		return fmt.Errorf("PutLedger: %w", err)
	}
	v0, err := s.LedgerVersion(ctx)
	if err != nil {
		return err
	}
	for _, bad := range []string{"ac\x00me", "acme\xff"} {
		if _, err := s.LedgerEntry(ctx, bad, ledFixed); !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("LedgerEntry(%q) = %v, want storage.ErrNotFound", bad, err)
		}
		if err := s.DeleteLedgerEntry(ctx, bad, ledFixed); !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("DeleteLedgerEntry(%q) = %v, want storage.ErrNotFound", bad, err)
		}
	}
	if v, err := s.LedgerVersion(ctx); err != nil || v != v0 {
		return fmt.Errorf("LedgerVersion after the look-ups = %d, %v; want %d unchanged", v, err, v0)
	}
	if _, err := s.LedgerEntry(ctx, "acme", ledFixed); err != nil {
		return fmt.Errorf("the entry after the look-ups: %w", err)
	}
	return nil
}

func ledgerList(ctx context.Context, h harness[callerid.Store]) error {
	s, err := openLedger(h)
	if err != nil {
		return err
	}
	if all, err := s.ListLedger(ctx); err != nil || len(all) != 0 {
		return fmt.Errorf("ListLedger on empty store = %v, %v", all, err)
	}
	mob := ledEntry("", ledMobile)
	mob.Type = callerid.TypeMobileBusiness
	// Tenants of different lengths: "b" sorts between "acme" and "zeta".
	if err := s.PutLedger(ctx, ledEntry("zeta", ledFixed), ledEntry("b", ledFixed), ledEntry("acme", ledFixed2), ledEntry("acme", ledFixed), mob); err != nil {
		return fmt.Errorf("PutLedger: %w", err)
	}
	all, err := s.ListLedger(ctx)
	if err != nil {
		return fmt.Errorf("ListLedger: %w", err)
	}
	var got []string
	for _, e := range all {
		got = append(got, e.Tenant+"/"+e.Number.String())
	}
	want := []string{"/+8613800138001", "acme/+861058001234", "acme/+862158001234", "b/+861058001234", "zeta/+861058001234"}
	if !slices.Equal(got, want) {
		return fmt.Errorf("ListLedger order = %v, want %v", got, want)
	}
	return nil
}

func ledgerVersion(ctx context.Context, h harness[callerid.Store]) error {
	s, err := openLedger(h)
	if err != nil {
		return err
	}
	seen := map[uint64]bool{}
	v, err := s.LedgerVersion(ctx)
	if err != nil {
		return fmt.Errorf("LedgerVersion: %w", err)
	}
	seen[v] = true
	step := func(what string, f func() error) error {
		if err := f(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		v, err := s.LedgerVersion(ctx)
		if err != nil {
			return fmt.Errorf("LedgerVersion after %s: %w", what, err)
		}
		if seen[v] {
			return fmt.Errorf("LedgerVersion after %s = %d, a value seen before", what, v)
		}
		seen[v] = true
		return nil
	}
	if err := step("put", func() error { return s.PutLedger(ctx, ledEntry("acme", ledFixed)) }); err != nil {
		return err
	}
	if err := step("replace", func() error { return s.PutLedger(ctx, ledEntry("acme", ledFixed)) }); err != nil {
		return err
	}
	if err := step("delete", func() error { return s.DeleteLedgerEntry(ctx, "acme", ledFixed) }); err != nil {
		return err
	}
	before, _ := s.LedgerVersion(ctx)
	if _, err := s.ListLedger(ctx); err != nil {
		return err
	}
	if _, err := s.LedgerEntry(ctx, "acme", ledFixed2); !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("LedgerEntry: %v", err)
	}
	if after, _ := s.LedgerVersion(ctx); after != before {
		return fmt.Errorf("reads changed the version from %d to %d", before, after)
	}
	return nil
}

func ledgerCopies(ctx context.Context, h harness[callerid.Store]) error {
	s, err := openLedger(h)
	if err != nil {
		return err
	}
	e := ledEntry("acme", ledFixed)
	if err := s.PutLedger(ctx, e); err != nil {
		return fmt.Errorf("PutLedger: %w", err)
	}
	e.Purposes[0] = dialgate.PurposeSurvey // the caller's slice, after the put
	got, err := s.LedgerEntry(ctx, "acme", ledFixed)
	if err != nil {
		return err
	}
	got.Purposes[1] = dialgate.PurposeSurvey
	all, err := s.ListLedger(ctx)
	if err != nil {
		return err
	}
	all[0].Purposes[0] = dialgate.PurposeCallback
	again, err := s.LedgerEntry(ctx, "acme", ledFixed)
	if err != nil {
		return err
	}
	if !slices.Equal(again.Purposes, []dialgate.Purpose{dialgate.PurposeMarketing, dialgate.PurposeService}) {
		return fmt.Errorf("stored purposes changed through a caller's slice: %v", again.Purposes)
	}
	return nil
}

// ledgerConcurrentBatches: two writers storing the same entries in opposite
// orders, at once, both succeed (a store that locks the keys in the order
// given can deadlock, and the database then aborts one batch).
func ledgerConcurrentBatches(ctx context.Context, h harness[callerid.Store]) error {
	s, err := openLedger(h)
	if err != nil {
		return err
	}
	const n, rounds = 16, 8
	fwd := make([]callerid.Entry, n)
	for i := range fwd {
		num, err := dialgate.NumberFromUint64(862158000000 + uint64(i))
		if err != nil {
			return err
		}
		fwd[i] = ledEntry("acme", num)
	}
	if err := oppositeOrders(rounds, fwd, func(b []callerid.Entry) error { return s.PutLedger(ctx, b...) }); err != nil {
		return fmt.Errorf("PutLedger: %w", err)
	}
	all, err := s.ListLedger(ctx)
	if err != nil || len(all) != n {
		return fmt.Errorf("after the batches ListLedger = %d entries, %v; want %d", len(all), err, n)
	}
	return nil
}

func ledgerConcurrent(ctx context.Context, h harness[callerid.Store]) error {
	s, err := openLedger(h)
	if err != nil {
		return err
	}
	const n = 32
	var wg sync.WaitGroup
	errs := make(chan error, 3*n)
	for i := range n {
		wg.Add(3)
		num, err := dialgate.NumberFromUint64(862158000000 + uint64(i))
		if err != nil {
			return err
		}
		go func() {
			defer wg.Done()
			errs <- s.PutLedger(ctx, ledEntry("acme", num))
		}()
		go func() {
			defer wg.Done()
			_, err := s.ListLedger(ctx)
			errs <- err
		}()
		go func() {
			defer wg.Done()
			_, err := s.LedgerVersion(ctx)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return fmt.Errorf("concurrent use: %w", err)
		}
	}
	all, err := s.ListLedger(ctx)
	if err != nil || len(all) != n {
		return fmt.Errorf("after %d concurrent puts ListLedger = %d entries, %v", n, len(all), err)
	}
	return nil
}

func ledgerClosed(ctx context.Context, h harness[callerid.Store]) error {
	s, err := openLedger(h)
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
	checks := map[string]error{
		"PutLedger":         s.PutLedger(ctx, ledEntry("acme", ledFixed)),
		"DeleteLedgerEntry": s.DeleteLedgerEntry(ctx, "acme", ledFixed),
	}
	_, checks["LedgerEntry"] = s.LedgerEntry(ctx, "acme", ledFixed)
	_, checks["ListLedger"] = s.ListLedger(ctx)
	_, checks["LedgerVersion"] = s.LedgerVersion(ctx)
	for _, name := range []string{"PutLedger", "DeleteLedgerEntry", "LedgerEntry", "ListLedger", "LedgerVersion"} {
		if !errors.Is(checks[name], storage.ErrClosed) {
			return fmt.Errorf("%s after Close: %v, want storage.ErrClosed", name, checks[name])
		}
	}
	return nil
}

func ledgerReopen(ctx context.Context, h harness[callerid.Store]) error {
	if h.reopen == nil {
		return errSkip
	}
	s, err := openLedger(h)
	if err != nil {
		return err
	}
	e := ledEntry("acme", ledFixed)
	if err := s.PutLedger(ctx, e, ledEntry("acme", ledFixed2)); err != nil {
		return fmt.Errorf("PutLedger: %w", err)
	}
	if err := s.DeleteLedgerEntry(ctx, "acme", ledFixed2); err != nil {
		return fmt.Errorf("DeleteLedgerEntry: %w", err)
	}
	v, err := s.LedgerVersion(ctx)
	if err != nil {
		return err
	}
	s, err = h.reopenOrSkip(s)
	if err != nil {
		return fmt.Errorf("reopen: %w", err)
	}
	got, err := s.LedgerEntry(ctx, "acme", ledFixed)
	if err != nil {
		return fmt.Errorf("after reopen: %w", err)
	}
	if err := sameLedgerEntry(got, e); err != nil {
		return fmt.Errorf("after reopen: %w", err)
	}
	if _, err := s.LedgerEntry(ctx, "acme", ledFixed2); !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("deleted entry after reopen: %v, want storage.ErrNotFound", err)
	}
	if err := s.PutLedger(ctx, ledEntry("acme", ledFixed2)); err != nil {
		return fmt.Errorf("PutLedger after reopen: %w", err)
	}
	if v2, err := s.LedgerVersion(ctx); err != nil || v2 == v {
		return fmt.Errorf("version after reopen and a write = %d, %v; want a value other than %d (versions never repeat)", v2, err, v)
	}
	return nil
}

// ledgerBatchAfterUnchanged writes a batch whose first entries the ledger
// already holds unchanged (a ledger imported again with numbers added),
// with PutLedger and, on a ConditionalStore, PutLedgerIf: every entry after
// them must be stored too, and the version changed. A store that stopped
// at the first entry with nothing to write (as boltstore's AddDNC did)
// would drop the rest of the batch, reporting success.
func ledgerBatchAfterUnchanged(ctx context.Context, h harness[callerid.Store]) error {
	s, err := openLedger(h)
	if err != nil {
		return err
	}
	old := ledEntry("acme", ledFixed)
	if err := s.PutLedger(ctx, old); err != nil {
		return fmt.Errorf("PutLedger: %w", err)
	}
	check := func(what string, v0 uint64, batch ...callerid.Entry) error {
		for _, e := range batch {
			if err := ledgerHolds(ctx, s, e.Tenant, e.Number, &e); err != nil {
				return fmt.Errorf("%s after a batch that began with an entry held unchanged: %w", what, err)
			}
		}
		v, err := s.LedgerVersion(ctx)
		if err != nil {
			return err
		}
		if v == v0 {
			return fmt.Errorf("%s: the ledger version did not change (%d)", what, v)
		}
		return nil
	}
	v0, err := s.LedgerVersion(ctx)
	if err != nil {
		return err
	}
	mobile := ledEntry("acme", ledMobile)
	mobile.Type = callerid.TypeMobileBusiness
	batch := []callerid.Entry{old, ledEntry("acme", ledFixed2), ledEntry("globex", ledFixed), mobile}
	if err := s.PutLedger(ctx, batch...); err != nil {
		return fmt.Errorf("PutLedger: %w", err)
	}
	if err := check("PutLedger", v0, batch...); err != nil {
		return err
	}
	cs, ok := s.(callerid.ConditionalStore)
	if !ok {
		return nil
	}
	if v0, err = s.LedgerVersion(ctx); err != nil {
		return err
	}
	next := []callerid.Entry{old, ledEntry("acme", led400), ledEntry("zeta", ledFixed)}
	next[1].Type = callerid.Type400
	expect := []callerid.Expect{callerid.ExpectSame(old), callerid.ExpectNone("acme", led400), callerid.ExpectNone("zeta", ledFixed)}
	if err := cs.PutLedgerIf(ctx, expect, next...); err != nil {
		return fmt.Errorf("PutLedgerIf: %w", err)
	}
	return check("PutLedgerIf", v0, next...)
}
