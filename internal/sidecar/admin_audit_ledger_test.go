package sidecar

import (
	"testing"

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
	got, _, _ := auditChanges(t, e, dir)
	wants := []struct {
		result, code string
		replace      bool
	}{
		{auditlog.ResultRequested, "", false},
		{auditlog.ResultApplied, "", false},
		{auditlog.ResultRequested, "", false},
		{auditlog.ResultFailed, "AlreadyExists", false},
		{auditlog.ResultRequested, "", true},
		{auditlog.ResultApplied, "", true},
	}
	if len(got) != len(wants) {
		t.Fatalf("%d change records, want %d: %+v", len(got), len(wants), got)
	}
	for i, w := range wants {
		g := got[i]
		if g.Op != auditlog.OpLedgerAdd || g.Result != w.result || g.ErrorCode != w.code || g.Replace != w.replace ||
			g.CallerID != "+861058001234" || g.Tenant != "acme" || g.Actor != "ops-desk" {
			t.Errorf("record %d: %+v, want %+v", i, g, w)
		}
	}
}
