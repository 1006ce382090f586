package callerid

import (
	"context"

	"github.com/dialgate/dialgate"
)

// Store keeps the caller-ID ledger. memstore.Store, boltstore.Store and
// pgstore.Store implement it; storetest.TestCallerID is its conformance
// suite. A store that can check what it holds in the transaction of a
// write implements ConditionalStore too (all three do).
//
// Implementations must be safe for concurrent use. Entries are identified by
// (Tenant, Number). Errors are those of package storage, wrapped:
// storage.ErrNotFound for a missing entry, storage.ErrClosed after Close,
// storage.ErrCorrupt for undecodable data and for an entry read back that
// fails Entry.ValidateStored (a storage.RecordError naming it and the field;
// a listing fails rather than leave it out); an entry that fails Validate is
// rejected with an error wrapping ErrInvalidEntry and nothing is written.
type Store interface {
	// PutLedger inserts or replaces the given entries, all or none, each after
	// Normalize (so an entry without a type gets the type of its number);
	// entries that give one (Tenant, Number) twice are refused with an error
	// wrapping ErrInvalidEntry (NormalizeEntries does both). A
	// durable store makes the write durable before returning. It changes the
	// ledger version.
	PutLedger(ctx context.Context, entries ...Entry) error
	// DeleteLedgerEntry removes the entry of tenant and n; storage.ErrNotFound if
	// there is none. It changes the ledger version.
	DeleteLedgerEntry(ctx context.Context, tenant string, n dialgate.Number) error
	// LedgerEntry returns the entry of tenant and n, or storage.ErrNotFound.
	LedgerEntry(ctx context.Context, tenant string, n dialgate.Number) (Entry, error)
	// ListLedger returns every entry of every tenant, ordered by tenant and then
	// by number. The caller owns the returned slice.
	ListLedger(ctx context.Context) ([]Entry, error)
	// LedgerVersion returns a number that changes whenever the ledger changes
	// (it never repeats a value within one store's life). The Check polls it to
	// know when to reload the ledger, so it should be cheap.
	LedgerVersion(ctx context.Context) (uint64, error)
}
