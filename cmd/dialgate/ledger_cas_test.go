package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/internal/ledgertest"
	"github.com/dialgate/dialgate/storage"
)

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
	for storeName, open := range ledgertest.Stores(t) {
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
				s := &ledgertest.Interloper{Store: inner, T: t, Tenant: "acme", Target: tc.target, Other: tc.other}
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
