package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
	"github.com/dialgate/dialgate/storage/pgstore"
)

// interloper is a ledger store in which another writer changes one
// entry just before the write: after every check the command makes, and
// before its entries are stored — the window a fleet's shared PostgreSQL
// leaves open between two steps.
type interloper struct {
	callerid.Store
	t      *testing.T
	tenant string
	target dialgate.Number
	other  *callerid.Entry // stored by the other writer; nil: it deletes the entry
	done   bool
}

// cut makes the other writer's change, once.
func (w *interloper) cut(ctx context.Context) {
	if w.done {
		return
	}
	w.done = true
	var err error
	if w.other != nil {
		err = w.Store.PutLedger(ctx, *w.other)
	} else {
		err = w.Store.DeleteLedgerEntry(ctx, w.tenant, w.target)
	}
	if err != nil {
		w.t.Fatalf("the other writer: %v", err)
	}
}

// PutLedger implements callerid.Store.
func (w *interloper) PutLedger(ctx context.Context, entries ...callerid.Entry) error {
	w.cut(ctx)
	return w.Store.PutLedger(ctx, entries...)
}

// PutLedgerIf implements callerid.ConditionalStore when the store does.
func (w *interloper) PutLedgerIf(ctx context.Context, expect []callerid.Expect, entries ...callerid.Entry) error {
	w.cut(ctx)
	return w.Store.(callerid.ConditionalStore).PutLedgerIf(ctx, expect, entries...)
}

// casStores returns the ledger stores the race tests run on: memstore, and
// a PostgreSQL store (a schema of its own) with DIALGATE_TEST_POSTGRES.
func casStores(t *testing.T) map[string]func(t *testing.T) callerid.Store {
	stores := map[string]func(t *testing.T) callerid.Store{
		"memstore": func(*testing.T) callerid.Store { return memstore.New() },
	}
	purl := os.Getenv("DIALGATE_TEST_POSTGRES")
	if purl == "" {
		t.Log("DIALGATE_TEST_POSTGRES is not set: the PostgreSQL case is skipped")
		return stores
	}
	stores["pgstore"] = func(t *testing.T) callerid.Store {
		var b [6]byte
		rand.Read(b[:])
		schema := "dgledgercas_" + hex.EncodeToString(b[:])
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s, err := pgstore.Open(ctx, purl, pgstore.Options{Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			s.Close()
			ctx := context.Background()
			if c, err := pgx.Connect(ctx, purl); err == nil {
				c.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
				c.Close(ctx)
			}
		})
		return s
	}
	return stores
}

// TestLedgerImportApplyRace: another writer that changes, adds or deletes
// an entry after the import's last check and before its write is not
// overwritten: the import stores nothing and fails with
// storage.ErrConflict naming the file's entry and the number, and the
// ledger holds what the other writer left (its change record, written as
// requested, is not made true by a write it did not describe).
func TestLedgerImportApplyRace(t *testing.T) {
	n1, n2 := dialgate.MustParseNumber("+861058001234"), dialgate.MustParseNumber("+861058001235")
	entry := func(n dialgate.Number, holder string) callerid.Entry {
		e, err := callerid.Entry{Tenant: "acme", Number: n, Holder: holder, Purposes: []dialgate.Purpose{dialgate.PurposeService}}.Normalize()
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	third1, third2 := entry(n1, "Third Ltd"), entry(n2, "Third Ltd")
	for storeName, open := range casStores(t) {
		for name, tc := range map[string]struct {
			target dialgate.Number
			other  *callerid.Entry
			want   string // the holder the target has after the refused import; "" none
		}{
			"replaced entry changed": {n1, &third1, "Third Ltd"},
			"replaced entry deleted": {n1, nil, ""},
			"new number appeared":    {n2, &third2, "Third Ltd"},
		} {
			t.Run(storeName+"/"+name, func(t *testing.T) {
				ctx := t.Context()
				inner := open(t)
				if err := inner.PutLedger(ctx, entry(n1, "Acme Ltd")); err != nil {
					t.Fatal(err)
				}
				s := &interloper{Store: inner, t: t, tenant: "acme", target: tc.target, other: tc.other}
				entries := []callerid.Entry{entry(n1, "Other Ltd"), entry(n2, "Other Ltd")}
				plan, err := planLedgerImport(ctx, s, entries, true, "ledger.csv")
				if err != nil {
					t.Fatal(err)
				}
				err = plan.apply(ctx, s)
				if !errors.Is(err, storage.ErrConflict) || !strings.Contains(err.Error(), tc.target.String()) || !strings.Contains(err.Error(), "ledger.csv: entry") {
					t.Fatalf("apply: %v; want ErrConflict naming the file's entry and %s", err, tc.target)
				}
				got, err := inner.LedgerEntry(ctx, "acme", tc.target)
				switch {
				case tc.want == "" && !errors.Is(err, storage.ErrNotFound):
					t.Fatalf("%s after the refused import: %+v, %v; want none (the other writer deleted it)", tc.target, got, err)
				case tc.want != "" && (err != nil || got.Holder != tc.want):
					t.Fatalf("%s after the refused import: %+v, %v; want holder %q", tc.target, got, err, tc.want)
				}
				for _, n := range []dialgate.Number{n1, n2} {
					if got, err := inner.LedgerEntry(ctx, "acme", n); err == nil && got.Holder == "Other Ltd" {
						t.Fatalf("%s stored although the import was refused (all or none)", n)
					}
				}
			})
		}
	}
}
