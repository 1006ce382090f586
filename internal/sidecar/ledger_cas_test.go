package sidecar

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/internal/ledgertest"
	"github.com/dialgate/dialgate/internal/testdb"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"github.com/dialgate/dialgate/storage"
)

// changeLog keeps the change records written, in order.
type changeLog struct {
	mu sync.Mutex
	cs []auditlog.Change
}

// RecordChange implements auditlog.ChangeRecorder.
func (l *changeLog) RecordChange(_ context.Context, c auditlog.Change) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cs = append(l.cs, c)
	return nil
}

// TestAddLedgerEntryRace: another writer that changes, deletes or adds the
// entry of the number after AddLedgerEntry read it (and recorded what it
// replaces) and before it writes is not overwritten: the RPC answers
// FailedPrecondition naming the number, the ledger holds what the other
// writer left, and the change record requested is followed by a failed
// one (FailedPrecondition) — never by applied, which would claim a
// replacement that did not happen.
func TestAddLedgerEntryRace(t *testing.T) {
	n := dialgate.MustParseNumber("+861058001234")
	entry := func(holder string) callerid.Entry {
		e, err := callerid.Entry{Tenant: "acme", Number: n, Holder: holder, Purposes: []dialgate.Purpose{dialgate.PurposeService},
			ValidFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}.Normalize()
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	third := entry("Third Ltd")
	for storeName, open := range ledgertest.Stores(t) {
		for name, tc := range map[string]struct {
			stored   bool // the ledger holds Acme Ltd's entry first
			replace  bool
			other    *callerid.Entry
			want     string // holder after the refused request; "" none
			replaced string // the holder the requested record names as replaced
		}{
			"replaced entry changed":       {true, true, &third, "Third Ltd", "Acme Ltd"},
			"replaced entry deleted":       {true, true, nil, "", "Acme Ltd"},
			"new number appeared":          {false, false, &third, "Third Ltd", ""},
			"new number appeared, replace": {false, true, &third, "Third Ltd", ""},
		} {
			t.Run(storeName+"/"+name, func(t *testing.T) {
				ctx := ctxT(t)
				ms := open(t)
				if tc.stored {
					if err := ms.PutLedger(ctx, entry("Acme Ltd")); err != nil {
						t.Fatal(err)
					}
				}
				log := &changeLog{}
				be := &Backend{Changes: log}
				wireLedger(be, nil, &ledgertest.Interloper{Store: ms, T: t, Tenant: "acme", Target: n, Other: tc.other})
				srv := &adminServer{be: be, now: time.Now, log: slog.New(slog.DiscardHandler)}
				_, err := srv.AddLedgerEntry(ctx, &pb.AddLedgerEntryRequest{Tenant: "acme", Number: n.String(), Type: pb.NumberType_NUMBER_TYPE_FIXED,
					Holder: "Other Ltd", Purposes: []pb.Purpose{pb.Purpose_PURPOSE_SERVICE}, Replace: tc.replace})
				if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), n.String()) {
					t.Fatalf("AddLedgerEntry: %v; want FailedPrecondition naming %s", err, n)
				}
				got, err := ms.LedgerEntry(ctx, "acme", n)
				switch {
				case tc.want == "" && !errors.Is(err, storage.ErrNotFound):
					t.Fatalf("after the refused request: %+v, %v; want none (the other writer deleted it)", got, err)
				case tc.want != "" && (err != nil || got.Holder != tc.want):
					t.Fatalf("after the refused request: %+v, %v; want holder %q", got, err, tc.want)
				}
				if len(log.cs) != 2 || log.cs[0].Result != auditlog.ResultRequested || log.cs[1].Result != auditlog.ResultFailed ||
					log.cs[1].ErrorCode != codes.FailedPrecondition.String() {
					t.Fatalf("change records %+v; want requested, then failed FailedPrecondition", log.cs)
				}
				if r := log.cs[0].Replaced; (tc.replaced == "") != (r == nil) || (r != nil && r.Holder != tc.replaced) {
					t.Fatalf("requested record names replaced %+v, want holder %q", r, tc.replaced)
				}
			})
		}
	}
}

// TestFleetLedgerReplaceChain: two sidecars of a fleet on one PostgreSQL
// take concurrent AddLedgerEntry requests that each replace the entry of
// one number, as the AdminService makes them (read what it replaces,
// record it, write). Every write that succeeds replaced exactly the entry
// it named: no two name the same entry replaced (one of them would have
// overwritten another's entry unnamed), each names the initial entry or
// one a successful write stored, and the ledger ends with the entry no
// successful write names as replaced.
func TestFleetLedgerReplaceChain(t *testing.T) {
	url := os.Getenv("DIALGATE_TEST_POSTGRES")
	if url == "" {
		t.Skip("DIALGATE_TEST_POSTGRES is not set; run with DIALGATE_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'")
	}
	schema := fmt.Sprintf("ledgerchain%d", time.Now().UnixNano())
	t.Cleanup(func() { testdb.DropPostgresSchema(url, schema) })
	bes := fleetSidecarsOn(t, 2, Config{Postgres: url, PostgresSchema: schema}, capProfile)
	ctx := ctxT(t)
	n := dialgate.MustParseNumber("+861058001234")
	entry := func(holder string) LedgerEntry {
		return LedgerEntry{Tenant: "acme", Number: n, Type: "fixed", Holder: holder, Purposes: []dialgate.Purpose{dialgate.PurposeService},
			ValidFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Replace: true}
	}
	if err := bes[0].Ledger.AddLedgerEntry(ctx, entry("Initial Ltd")); err != nil {
		t.Fatal(err)
	}
	const writers = 24
	type result struct {
		holder, replaced string
		err              error
	}
	results := make([]result, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			la := bes[i%len(bes)].Ledger
			e := entry(fmt.Sprintf("Holder %02d Ltd", i))
			results[i].holder = e.Holder
			p, err := la.LedgerPrior(ctx, e)
			if err != nil {
				results[i].err = err
				return
			}
			if p.Replaces != nil {
				results[i].replaced = p.Replaces.Holder
			}
			e.Prior = &p
			results[i].err = la.AddLedgerEntry(ctx, e)
		}()
	}
	wg.Wait()
	named := map[string]string{} // replaced holder -> the writer that named it
	stored := map[string]bool{"Initial Ltd": true}
	wins := 0
	for _, r := range results {
		switch {
		case r.err == nil:
			wins++
			stored[r.holder] = true
		case !errors.Is(r.err, ErrFailedPrecondition):
			t.Fatalf("%s: %v, want success or ErrFailedPrecondition", r.holder, r.err)
		}
	}
	for _, r := range results {
		if r.err != nil {
			continue
		}
		if w, dup := named[r.replaced]; dup {
			t.Fatalf("%s and %s both succeeded naming %q as the entry replaced: one overwrote an entry it did not name", w, r.holder, r.replaced)
		}
		named[r.replaced] = r.holder
		if !stored[r.replaced] {
			t.Fatalf("%s names %q as replaced, which no successful write stored", r.holder, r.replaced)
		}
	}
	got, err := bes[1].Ledger.(*ledgerAdmin).store.LedgerEntry(ctx, "acme", n)
	if err != nil {
		t.Fatal(err)
	}
	if !stored[got.Holder] || named[got.Holder] != "" {
		t.Fatalf("the ledger ends with %q, want the one successful write no other names as replaced (%d wins: %v)", got.Holder, wins, named)
	}
	t.Logf("%d of %d writers succeeded", wins, writers)
}
