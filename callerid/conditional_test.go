package callerid_test

import (
	"context"
	"errors"
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
)

// plainStore hides the memstore's PutLedgerIf: a custom store written
// before ConditionalStore.
type plainStore struct{ callerid.Store }

// TestPutLedgerChecked: with a store that has no PutLedgerIf the checked
// write reads each entry, refuses (a *ConflictError, nothing written) one
// that is not what its Expect says, and otherwise writes; with one that
// has it, PutLedgerIf decides.
func TestPutLedgerChecked(t *testing.T) {
	ctx := context.Background()
	n := dialgate.MustParseNumber("+861058001234")
	e := callerid.Entry{Tenant: "acme", Number: n, Type: callerid.TypeFixed, Holder: "Acme Ltd", Purposes: []dialgate.Purpose{dialgate.PurposeService}}
	other := e
	other.Holder = "Other Ltd"
	for name, s := range map[string]callerid.Store{"two steps": plainStore{memstore.New()}, "conditional": memstore.New()} {
		t.Run(name, func(t *testing.T) {
			if err := callerid.PutLedgerChecked(ctx, s, []callerid.Expect{callerid.ExpectNone("acme", n)}, e); err != nil {
				t.Fatal(err)
			}
			err := callerid.PutLedgerChecked(ctx, s, []callerid.Expect{callerid.ExpectNone("acme", n)}, other)
			var ce *callerid.ConflictError
			if !errors.Is(err, storage.ErrConflict) || !errors.As(err, &ce) || ce.Number != n || ce.Found != callerid.ExpectEntry {
				t.Fatalf("expecting absent over an entry: %v, want a ConflictError", err)
			}
			if got, _ := s.LedgerEntry(ctx, "acme", n); got.Holder != "Acme Ltd" {
				t.Fatalf("holder %q after a refused write, want Acme Ltd", got.Holder)
			}
			if err := callerid.PutLedgerChecked(ctx, s, nil, other); !errors.Is(err, storage.ErrInvalid) {
				t.Fatalf("an entry without expect: %v, want storage.ErrInvalid", err)
			}
			if err := callerid.PutLedgerChecked(ctx, s, []callerid.Expect{callerid.ExpectSame(e)}, other); err != nil {
				t.Fatal(err)
			}
			if got, _ := s.LedgerEntry(ctx, "acme", n); got.Holder != "Other Ltd" {
				t.Fatalf("holder %q, want Other Ltd", got.Holder)
			}
		})
	}
}

// TestConflictErrorMessage: the message names the number, the tenant,
// that another writer changed the entry, and what differs.
func TestConflictErrorMessage(t *testing.T) {
	err := &callerid.ConflictError{Tenant: "acme", Number: dialgate.MustParseNumber("+861058001234"),
		Want: callerid.ExpectEntry, Found: callerid.ExpectEntry, Changed: []string{"holder", "purposes"}}
	const want = `ledger entry +861058001234 of tenant "acme": another writer changed it: the ledger holds one with another holder, purposes, expected the one read before: storage: conflict`
	if err.Error() != want {
		t.Fatalf("%q\nwant %q", err.Error(), want)
	}
	if !errors.Is(err, storage.ErrConflict) {
		t.Fatal("does not wrap storage.ErrConflict")
	}
}
