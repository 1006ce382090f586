// Package ledgertest holds what the tests of conditional caller-ID ledger
// writes share (callerid.ConditionalStore, as dialgate ledger add|import and
// the AdminService's AddLedgerEntry use it): a store in which another writer
// comes between a writer's checks and its write, and the stores those tests
// run on.
package ledgertest

import (
	"context"
	"os"
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/internal/teststores"
	"github.com/dialgate/dialgate/storage/memstore"
)

// Interloper is a ledger store shared with another writer (another sidecar
// of a fleet, another CLI) that changes the entry of Tenant and Target once,
// just before the first write made through it: after every read and check
// the writer makes, in the window two steps leave open. Store must be a
// callerid.ConditionalStore. An Interloper is for one test goroutine.
type Interloper struct {
	callerid.Store
	T      testing.TB      // the test, failed when the other writer's change fails
	Tenant string          // the tenant of the entry the other writer changes
	Target dialgate.Number // the number of that entry
	Other  *callerid.Entry // stored by the other writer; nil: it deletes the entry
	done   bool
}

// cut makes the other writer's change, once.
func (w *Interloper) cut(ctx context.Context) {
	if w.done {
		return
	}
	w.done = true
	var err error
	if w.Other != nil {
		err = w.Store.PutLedger(ctx, *w.Other)
	} else {
		err = w.Store.DeleteLedgerEntry(ctx, w.Tenant, w.Target)
	}
	if err != nil {
		w.T.Fatalf("the other writer: %v", err)
	}
}

// PutLedger implements callerid.Store: the other writer's change, then the
// write.
func (w *Interloper) PutLedger(ctx context.Context, entries ...callerid.Entry) error {
	w.cut(ctx)
	return w.Store.PutLedger(ctx, entries...)
}

// PutLedgerIf implements callerid.ConditionalStore: the other writer's
// change, then the conditional write.
func (w *Interloper) PutLedgerIf(ctx context.Context, expect []callerid.Expect, entries ...callerid.Entry) error {
	w.cut(ctx)
	return w.Store.(callerid.ConditionalStore).PutLedgerIf(ctx, expect, entries...)
}

// Stores returns, by name, openers of the fresh ledger stores the race
// tests run on: "memstore", and "pgstore" (a schema of its own, dropped
// when the test ends) when DIALGATE_TEST_POSTGRES is set (otherwise it says
// so in t's log).
func Stores(t testing.TB) map[string]func(t testing.TB) callerid.Store {
	stores := map[string]func(t testing.TB) callerid.Store{
		"memstore": func(testing.TB) callerid.Store { return memstore.New() },
	}
	url := os.Getenv("DIALGATE_TEST_POSTGRES")
	if url == "" {
		t.Log("DIALGATE_TEST_POSTGRES is not set: the PostgreSQL case is skipped")
		return stores
	}
	stores["pgstore"] = func(t testing.TB) callerid.Store { return teststores.Postgres(t, url, "dgledgercas") }
	return stores
}
