package sidecar

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"

	"github.com/dialgate/dialgate/auditlog"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestLedgerReplaceRecorded: an AddLedgerEntry refused because the ledger
// holds the number with other facts (AlreadyExists) is recorded as requested
// then failed with its code, and one that replaces them (replace set) says
// so in both of its records — the ledger keeps no history, so the change
// records are the only trace of who replaced an entry, and when.
func TestLedgerReplaceRecorded(t *testing.T) {
	dir := t.TempDir()
	e := startFull(t, Config{TokensFile: opsToken(t)}, dir)
	ctx := bearer(t, "ops-desk-token-0123456789")
	add := func(holder string, replace bool) error {
		_, err := e.admin.AddLedgerEntry(ctx, &pb.AddLedgerEntryRequest{Tenant: "acme", Number: "+861058001234", Type: pb.NumberType_NUMBER_TYPE_FIXED,
			Holder: holder, Purposes: []pb.Purpose{pb.Purpose_PURPOSE_SERVICE}, Replace: replace})
		return err
	}
	if err := add("Acme Ltd", false); err != nil {
		t.Fatal(err)
	}
	if err := add("Other Ltd", false); status.Code(err) != codes.AlreadyExists {
		t.Fatalf("another holder without replace: %v, want AlreadyExists", err)
	}
	if err := add("Other Ltd", true); err != nil {
		t.Fatalf("another holder with replace: %v", err)
	}
	if err := add("Third Ltd", true); err != nil {
		t.Fatalf("a third holder with replace: %v", err)
	}
	if err := add("Third Ltd", true); err != nil { // the same again: replaces nothing
		t.Fatalf("the same entry with replace: %v", err)
	}
	got, _, _ := auditChanges(t, e, dir)
	wants := []struct {
		result, code string
		replace      bool
		replaced     string // the holder of the entry replaced
	}{
		{auditlog.ResultRequested, "", false, ""},
		{auditlog.ResultApplied, "", false, ""},
		{auditlog.ResultRequested, "", false, ""},
		{auditlog.ResultFailed, "AlreadyExists", false, ""},
		{auditlog.ResultRequested, "", true, "Acme Ltd"},
		{auditlog.ResultApplied, "", true, "Acme Ltd"},
		{auditlog.ResultRequested, "", true, "Other Ltd"},
		{auditlog.ResultApplied, "", true, "Other Ltd"},
		{auditlog.ResultRequested, "", true, ""},
		{auditlog.ResultApplied, "", true, ""},
	}
	if len(got) != len(wants) {
		t.Fatalf("%d change records, want %d: %+v", len(got), len(wants), got)
	}
	// The first entry's valid_from was the server's clock: the record of
	// its replacement gives it as stored.
	first := got[0].EffectiveAt
	for i, w := range wants {
		g := got[i]
		if g.Op != auditlog.OpLedgerAdd || g.Result != w.result || g.ErrorCode != w.code || g.Replace != w.replace ||
			g.CallerID != "+861058001234" || g.Tenant != "acme" || g.Actor != "ops-desk" || g.ReplacedUnreadable {
			t.Errorf("record %d: %+v, want %+v", i, g, w)
		}
		if w.replaced == "" {
			if g.Replaced != nil {
				t.Errorf("record %d: replaced %+v, want none", i, g.Replaced)
			}
			continue
		}
		want := auditlog.LedgerEntry{Type: "fixed", Holder: w.replaced, Purposes: []string{"service"}, ValidFrom: first}
		if w.replaced == "Other Ltd" {
			want.ValidFrom = got[4].EffectiveAt
		}
		if r := g.Replaced; r == nil || !reflect.DeepEqual(*r, want) {
			t.Errorf("record %d: replaced %+v, want %+v", i, r, want)
		}
	}
}

// TestLedgerPriorGuards: a write whose change record named the entry it
// replaces is refused (FailedPrecondition, nothing stored) when the ledger
// holds another by then; an unreadable entry is named as such and replaced
// only on request.
func TestLedgerPriorGuards(t *testing.T) {
	ctx := ctxT(t)
	st := &corruptLedger{Store: memstore.New()}
	a := &ledgerAdmin{store: st}
	n := dialgate.MustParseNumber("+861058001234")
	entry := func(holder string, replace bool) LedgerEntry {
		return LedgerEntry{Tenant: "acme", Number: n, Type: "fixed", Holder: holder, Purposes: []dialgate.Purpose{dialgate.PurposeService},
			ValidFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Replace: replace}
	}
	if err := a.AddLedgerEntry(ctx, entry("Acme Ltd", false)); err != nil {
		t.Fatal(err)
	}
	e := entry("Other Ltd", true)
	p, err := a.LedgerPrior(ctx, e)
	if err != nil || p.Unreadable || p.Replaces == nil || p.Replaces.Holder != "Acme Ltd" {
		t.Fatalf("prior: %+v, %v", p, err)
	}
	e.Prior = &p
	// Another write comes between the record and the write.
	if err := a.AddLedgerEntry(ctx, entry("Third Ltd", true)); err != nil {
		t.Fatal(err)
	}
	if err := a.AddLedgerEntry(ctx, e); !errors.Is(err, ErrFailedPrecondition) {
		t.Fatalf("write after another: %v, want ErrFailedPrecondition", err)
	}
	if got, _ := st.LedgerEntry(ctx, "acme", n); got.Holder != "Third Ltd" {
		t.Fatalf("stored holder %q, want Third Ltd (unchanged)", got.Holder)
	}
	// A prior of none (not read) lets the write replace nothing.
	e.Prior = &LedgerPrior{}
	if err := a.AddLedgerEntry(ctx, e); !errors.Is(err, ErrFailedPrecondition) {
		t.Fatalf("write with no prior over an entry: %v, want ErrFailedPrecondition", err)
	}
	st.corrupt = true
	if _, err := a.LedgerPrior(ctx, entry("Other Ltd", false)); !errors.Is(err, storage.ErrCorrupt) {
		t.Fatalf("prior of an unreadable entry without replace: %v, want ErrCorrupt", err)
	}
	e = entry("Other Ltd", true)
	if p, err = a.LedgerPrior(ctx, e); err != nil || !p.Unreadable || p.Replaces != nil {
		t.Fatalf("prior of an unreadable entry: %+v, %v", p, err)
	}
	e.Prior = &p
	if err := a.AddLedgerEntry(ctx, e); err != nil {
		t.Fatalf("replacing an unreadable entry: %v", err)
	}
	st.corrupt = false
	if got, _ := st.LedgerEntry(ctx, "acme", n); got.Holder != "Other Ltd" {
		t.Fatalf("stored holder %q, want Other Ltd", got.Holder)
	}
}

// corruptLedger is a ledger store whose entries read as damaged while
// corrupt is set.
type corruptLedger struct {
	*memstore.Store
	corrupt bool
}

// LedgerEntry implements callerid.Store.
func (c *corruptLedger) LedgerEntry(ctx context.Context, tenant string, n dialgate.Number) (callerid.Entry, error) {
	if c.corrupt {
		return callerid.Entry{}, fmt.Errorf("ledger entry: %w", storage.ErrCorrupt)
	}
	return c.Store.LedgerEntry(ctx, tenant, n)
}

// PutLedgerIf implements callerid.ConditionalStore: while corrupt, the
// entries held are checked as read (damaged), not as the memstore holds
// them.
func (c *corruptLedger) PutLedgerIf(ctx context.Context, expect []callerid.Expect, entries ...callerid.Entry) error {
	if !c.corrupt {
		return c.Store.PutLedgerIf(ctx, expect, entries...)
	}
	return callerid.PutLedgerChecked(ctx, struct{ callerid.Store }{c}, expect, entries...)
}

// listFails is a ledger store whose listing fails while fail is set: the
// check's reload after a write cannot read the ledger back.
type listFails struct {
	*memstore.Store
	fail bool
}

// ListLedger implements callerid.Store.
func (l *listFails) ListLedger(ctx context.Context) ([]callerid.Entry, error) {
	if l.fail {
		return nil, fmt.Errorf("listing: connection reset: %w", storage.ErrUnavailable)
	}
	return l.Store.ListLedger(ctx)
}

// TestLedgerWriteStoredReloadFailed: AddLedgerEntry whose write is stored
// but whose check cannot reload the ledger afterwards (the store fails the
// listing) reports the write as made — it is: the entry is in the store,
// and the RPC saying "not applied" and its change record "failed" were
// false — and the check does not go on deciding on the ledger read before
// the write (a revocation) meanwhile: it is unavailable until it can read
// the ledger, then decides on the stored entry.
func TestLedgerWriteStoredReloadFailed(t *testing.T) {
	ctx := ctxT(t)
	st := &listFails{Store: memstore.New()}
	cite := dialgate.Citation{Source: dialgate.SourceLaw, Ref: "工信厅信管函〔2018〕337号"}
	chk, err := callerid.New(callerid.Config{Cite: cite, Ledger: &callerid.Rule{Cite: cite}}, st)
	if err != nil {
		t.Fatal(err)
	}
	a := &ledgerAdmin{store: st, check: chk}
	n := dialgate.MustParseNumber("+861058001234")
	e := LedgerEntry{Tenant: "acme", Number: n, Type: "fixed", Holder: "Acme Ltd", Purposes: []dialgate.Purpose{dialgate.PurposeMarketing},
		ValidFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := a.AddLedgerEntry(ctx, e); err != nil {
		t.Fatal(err)
	}
	d := dialgate.Dial{To: dialgate.MustParseNumber("+8613900139000"), From: n, Purpose: dialgate.PurposeMarketing, Tenant: "acme",
		LeadID: "l-1", At: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}
	if rs, err := chk.Check(ctx, d); rs != nil || err != nil {
		t.Fatalf("before the revocation: %v, %v; want allowed", rs, err)
	}
	// The revocation: office use only from now on.
	e.OfficeUseOnly, e.Replace = true, true
	st.fail = true
	if err := a.AddLedgerEntry(ctx, e); err != nil {
		t.Fatalf("AddLedgerEntry whose write was stored: %v, want nil (the entry is stored)", err)
	}
	if got, err := st.LedgerEntry(ctx, "acme", n); err != nil || !got.OfficeUseOnly {
		t.Fatalf("stored: %+v, %v; want the office-use-only entry", got, err)
	}
	if rs, err := chk.Check(ctx, d); err == nil {
		t.Fatalf("while the ledger cannot be read back: %v, nil error; want an error (callerid.unavailable), not the ledger read before the revocation", rs)
	}
	st.fail = false
	if rs, err := chk.Check(ctx, d); err != nil || len(rs) != 1 || rs[0].Code != dialgate.CodeCallerIDPurposeMismatch {
		t.Fatalf("once the ledger reads: %v, %v; want callerid.purpose_mismatch", rs, err)
	}
}
