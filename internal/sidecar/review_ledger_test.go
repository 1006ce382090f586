package sidecar

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/dialgate/dialgate"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
)

// TestWireLedgerNeverReplacesSilently: AddLedgerEntry for a number the
// tenant's ledger holds with other facts answers AlreadyExists naming the
// fields, and the stored entry stays in force; the same request again (a
// retry, valid_from left to the server's clock) succeeds without a change;
// replace=true replaces the entry and the next Check sees it at once.
func TestWireLedgerNeverReplacesSilently(t *testing.T) {
	e, _ := openWire(t, wireProfile)
	ctx := ctxT(t)
	e.addLedger(t)
	e.addLedger(t) // a retry of the same request
	stored, err := e.be.Ledger.(*ledgerAdmin).store.LedgerEntry(ctx, "acme", dialgate.MustParseNumber(wireFrom))
	if err != nil {
		t.Fatal(err)
	}
	narrow := &pb.AddLedgerEntryRequest{Tenant: "acme", Number: wireFrom, Type: pb.NumberType_NUMBER_TYPE_FIXED,
		Holder: "Other Co", Purposes: []pb.Purpose{pb.Purpose_PURPOSE_SURVEY}}
	_, err = e.admin.AddLedgerEntry(ctx, narrow)
	wantCode(t, err, codes.AlreadyExists, "holder, purposes")
	after, err := e.be.Ledger.(*ledgerAdmin).store.LedgerEntry(ctx, "acme", dialgate.MustParseNumber(wireFrom))
	if err != nil || after.ChangedFields(stored) != nil {
		t.Fatalf("a refused AddLedgerEntry changed the entry: %+v, %v", after, err)
	}
	if d := e.check(t, "+8613900139301"); !d.GetAllowed() {
		t.Fatalf("the stored entry no longer allows: %v", codesOf(d))
	}
	// The same facts with an explicit valid_from other than the stored one
	// differ.
	same := &pb.AddLedgerEntryRequest{Tenant: "acme", Number: wireFrom, Type: pb.NumberType_NUMBER_TYPE_FIXED,
		Holder: "Acme Ltd", Purposes: []pb.Purpose{pb.Purpose_PURPOSE_CALLBACK, pb.Purpose_PURPOSE_SERVICE, pb.Purpose_PURPOSE_MARKETING},
		ValidFrom: timestamppb.New(stored.ValidFrom.Add(-time.Hour))}
	_, err = e.admin.AddLedgerEntry(ctx, same)
	wantCode(t, err, codes.AlreadyExists, "valid_from")

	narrow.Replace = true
	if _, err := e.admin.AddLedgerEntry(ctx, narrow); err != nil {
		t.Fatalf("replace: %v", err)
	}
	d := e.check(t, "+8613900139302") // a callback: the entry is for surveys only now
	if d.GetAllowed() {
		t.Fatal("the replaced entry still allows callbacks")
	}
}
