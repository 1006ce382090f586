package sidecar

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/auditlog"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"github.com/dialgate/dialgate/report"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// TestAdminConsentRetryRecordedUnchanged: a retried GrantConsent of the
// same record, and a RevokeConsent of a consent revoked already, are
// recorded (every request is: an auditor sees the retry), as applied and
// unchanged, and the quarterly report counts one grant and one
// revocation, with the retries under "<op> (unchanged)".
func TestAdminConsentRetryRecordedUnchanged(t *testing.T) {
	dir := t.TempDir()
	e := startFull(t, Config{TokensFile: opsToken(t)}, dir)
	ctx := bearer(t, "ops-desk-token-0123456789")
	now := time.Now()
	grant := &pb.GrantConsentRequest{Id: "c-retry-1", Number: "+8613900139081", Scope: "tenant:acme", Tenant: "acme",
		Method: pb.ConsentMethod_CONSENT_METHOD_WEB_FORM, GrantedAt: timestamppb.New(now.Add(-time.Hour)), Channel: "web",
		EvidenceSha256: strings.Repeat("ab", 32)}
	for i := range 2 {
		if _, err := e.admin.GrantConsent(ctx, grant); err != nil {
			t.Fatalf("grant %d: %v", i, err)
		}
	}
	for i := range 2 {
		if _, err := e.admin.RevokeConsent(ctx, &pb.RevokeConsentRequest{Id: "c-retry-1", Channel: "call"}); err != nil {
			t.Fatalf("revoke %d: %v", i, err)
		}
	}
	got := changeResults(t, e, dir, "")
	want := "consent.grant requested,consent.grant applied,consent.grant requested,consent.grant applied unchanged," +
		"consent.revoke applied,consent.revoke applied unchanged"
	if got != want {
		t.Errorf("change records:\n %s\nwant\n %s", got, want)
	}
	r := quarterReport(t, dir)
	if r.Changes.ConsentGrants != 1 || r.Changes.ConsentRevocations != 1 {
		t.Errorf("report: %d grants, %d revocations; want 1 and 1 (a retry that changed nothing is no new grant or revocation)",
			r.Changes.ConsentGrants, r.Changes.ConsentRevocations)
	}
	ops := map[string]int{}
	for _, o := range r.Changes.ByOp {
		ops[o.Key] = o.Count
	}
	if ops["consent.grant"] != 1 || ops["consent.revoke"] != 1 || ops["consent.grant (unchanged)"] != 1 || ops["consent.revoke (unchanged)"] != 1 {
		t.Errorf("report by op: %+v", r.Changes.ByOp)
	}
}

// TestAdminDNCRemoveNotListedRecordedUnchanged: a RemoveDncEntry of an
// entry not listed (a retry of a removal made, or a number never listed in
// that scope) answers OK and is recorded as applied and unchanged, not as
// an opt-out removed: the quarterly report counted each as one of the
// opt-outs removed (dnc_removals), so a client retrying a removal after a
// lost answer, or a script removing numbers never listed, inflated the
// removals a regulator reads.
func TestAdminDNCRemoveNotListedRecordedUnchanged(t *testing.T) {
	dir := t.TempDir()
	e := startFull(t, Config{TokensFile: opsToken(t)}, dir)
	ctx := bearer(t, "ops-desk-token-0123456789")
	const num = "+8613900139082"
	long := timestamppb.New(time.Now().AddDate(-3, 0, 0))
	if _, err := e.admin.AddDncEntry(ctx, &pb.AddDncEntryRequest{Number: num, Scope: "tenant:acme", AddedAt: long}); err != nil {
		t.Fatal(err)
	}
	for i, n := range []string{num, num, "+8613900139083"} {
		if _, err := e.admin.RemoveDncEntry(ctx, &pb.RemoveDncEntryRequest{Number: n, Scope: "tenant:acme"}); err != nil {
			t.Fatalf("remove %d: %v", i, err)
		}
	}
	got := changeResults(t, e, dir, "")
	want := "dnc.add applied,dnc.remove requested,dnc.remove applied,dnc.remove requested,dnc.remove applied unchanged," +
		"dnc.remove requested,dnc.remove applied unchanged"
	if got != want {
		t.Errorf("change records:\n %s\nwant\n %s", got, want)
	}
	r := quarterReport(t, dir)
	if r.Changes.DNCRemovals != 1 {
		t.Errorf("report: %d opt-outs removed, want 1 (the others removed nothing)", r.Changes.DNCRemovals)
	}
}

// TestAdminReleaseHoldGoneRecordedUnchanged: a ReleaseRecordingHold of a
// hold already gone from an unheld recording (a retry) answers OK and is
// recorded as applied and unchanged: it was recorded as a hold lifted, a
// second release of a legal hold in the log.
func TestAdminReleaseHoldGoneRecordedUnchanged(t *testing.T) {
	dir := t.TempDir()
	e := startFull(t, Config{TokensFile: opsToken(t)}, dir)
	ctx := bearer(t, "ops-desk-token-0123456789")
	started := timestamppb.New(time.Now().Add(-time.Hour))
	if _, err := e.admin.RegisterRecording(ctx, &pb.RegisterRecordingRequest{Id: "r-rel-1", Number: "+8613900139084", StartedAt: started}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.HoldRecording(ctx, &pb.HoldRecordingRequest{Id: "r-rel-1", HoldId: "legal-1", Reason: "dispute"}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := e.admin.ReleaseRecordingHold(ctx, &pb.ReleaseRecordingHoldRequest{Id: "r-rel-1", HoldId: "legal-1"}); err != nil {
			t.Fatalf("release %d: %v", i, err)
		}
	}
	got := changeResults(t, e, dir, auditlog.OpRecordingReleaseHold)
	if want := "requested,applied,requested,applied unchanged"; got != want {
		t.Errorf("release records: %s, want %s", got, want)
	}
}

// TestAdminLedgerRetryRecordedUnchanged: an AddLedgerEntry of the entry the
// ledger holds already (a retry) answers OK, stores nothing, and is
// recorded as applied and unchanged: it was recorded as another entry
// added, counted again in the quarterly report's ledger.add.
func TestAdminLedgerRetryRecordedUnchanged(t *testing.T) {
	dir := t.TempDir()
	e := startFull(t, Config{TokensFile: opsToken(t)}, dir)
	ctx := bearer(t, "ops-desk-token-0123456789")
	req := &pb.AddLedgerEntryRequest{Tenant: "acme", Number: "+861058001288", Type: pb.NumberType_NUMBER_TYPE_FIXED,
		Holder: "Acme", Purposes: []pb.Purpose{pb.Purpose_PURPOSE_SERVICE}, ValidFrom: timestamppb.New(time.Now().Add(-time.Hour))}
	for i := range 2 {
		if _, err := e.admin.AddLedgerEntry(ctx, req); err != nil {
			t.Fatalf("add %d: %v", i, err)
		}
	}
	got := changeResults(t, e, dir, auditlog.OpLedgerAdd)
	if want := "requested,applied,requested,applied unchanged"; got != want {
		t.Errorf("ledger.add records: %s, want %s", got, want)
	}
}

// changeResults returns the change records of the data directory dir
// (served by e), "<op> <result>[ unchanged]" each, of operation op only
// ("<result>[ unchanged]") when op is not empty, joined by commas.
func changeResults(t *testing.T, e *testEnv, dir, op string) string {
	t.Helper()
	changes, _, _ := auditChanges(t, e, dir)
	var got []string
	for _, c := range changes {
		if op != "" && c.Op != op {
			continue
		}
		s := c.Result
		if op == "" {
			s = c.Op + " " + s
		}
		if c.Unchanged {
			s += " unchanged"
		}
		got = append(got, s)
	}
	return strings.Join(got, ",")
}

// quarterReport builds the quarterly report of this quarter from the audit
// log of the data directory dir.
func quarterReport(t *testing.T, dir string) *report.Report {
	t.Helper()
	files, err := auditlog.LogFiles(filepath.Join(dir, AuditDir))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC()
	q := report.Quarter{Year: at.Year(), Q: (int(at.Month())-1)/3 + 1}
	r, err := report.Build(context.Background(), q, time.UTC, at, report.Sources{AuditFiles: files})
	if err != nil {
		t.Fatal(err)
	}
	return r
}
