package report_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/report"
)

// TestBuildCountsChanges: the report counts the quarter's opt-out removals
// (made, refused, and requested with no result: they may have been made),
// by token, the opt-outs added and the consents granted and revoked through
// AdminService, from the audit log's change records, in JSON, CSV and HTML.
func TestBuildCountsChanges(t *testing.T) {
	ctx := context.Background()
	log, dir := openTestLog(t)
	n := dialgate.MustParseNumber("+8613900139091")
	in := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	before := time.Date(2026, 9, 30, 10, 0, 0, 0, cst) // the quarter before
	g, err := dialgate.New(nil, dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return in })), dialgate.WithAuditLog(log))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Check(ctx, dialgate.Dial{To: n, Purpose: dialgate.PurposeService, LeadID: "l", Tenant: "acme"}); err != nil {
		t.Fatal(err)
	}
	changes := []auditlog.Change{
		{Op: auditlog.OpDNCAdd, Result: auditlog.ResultApplied, ChangeID: "a1", Actor: "agent-7", Number: n, At: in},
		{Op: auditlog.OpDNCRemove, Result: auditlog.ResultRequested, ChangeID: "r1", Actor: "ops", Number: n, At: in},
		{Op: auditlog.OpDNCRemove, Result: auditlog.ResultApplied, ChangeID: "r1", Actor: "ops", Number: n, At: in},
		{Op: auditlog.OpDNCRemove, Result: auditlog.ResultRequested, ChangeID: "r2", Actor: "ops", Number: n, At: in},
		{Op: auditlog.OpDNCRemove, Result: auditlog.ResultFailed, ChangeID: "r2", Actor: "ops", Number: n, At: in, ErrorCode: "FailedPrecondition"},
		{Op: auditlog.OpDNCRemove, Result: auditlog.ResultRequested, ChangeID: "r3", Actor: "crm-sync", Number: n, At: in}, // no result
		{Op: auditlog.OpDNCRemove, Result: auditlog.ResultRequested, ChangeID: "r0", Actor: "ops", Number: n, At: before},
		{Op: auditlog.OpDNCRemove, Result: auditlog.ResultApplied, ChangeID: "r0", Actor: "ops", Number: n, At: before},
		{Op: auditlog.OpConsentGrant, Result: auditlog.ResultRequested, ChangeID: "g1", Actor: "ops", ID: "c-1", Number: n, At: in},
		{Op: auditlog.OpConsentGrant, Result: auditlog.ResultApplied, ChangeID: "g1", Actor: "ops", ID: "c-1", Number: n, At: in},
		{Op: auditlog.OpConsentRevoke, Result: auditlog.ResultApplied, ChangeID: "v1", Actor: "ops", ID: "c-1", At: in},
		{Op: auditlog.OpConsentRevoke, Result: auditlog.ResultApplied, ChangeID: "v2", Actor: "ops", ID: "c-2", At: in},
	}
	r := reportOfChanges(t, log, dir, changes, in.Add(time.Hour))
	c := r.Changes
	if c.DNCRemovals != 1 || c.DNCRemovalsUnconfirmed != 1 || c.DNCRemovalsRefused != 1 || c.DNCAdditions != 1 ||
		c.ConsentGrants != 1 || c.ConsentRevocations != 2 {
		t.Fatalf("changes: %+v", c)
	}
	if got := countsText(c.DNCRemovalsByActor); got != "crm-sync=1,ops=1" {
		t.Errorf("removals by actor: %s", got)
	}
	if got := countsText(c.ByOp); got != "consent.revoke=2,consent.grant=1,dnc.add=1,dnc.remove=1,dnc.remove (unconfirmed)=1" {
		t.Errorf("by op: %s", got)
	}
	var js, csv, html bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"admin_changes": {`, `"dnc_removals": 1,`, `"dnc_removals_unconfirmed": 1,`, `"consent_revocations": 2,`} {
		if !strings.Contains(js.String(), want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
	for _, want := range []string{"admin_changes,dnc_removals,1\n", "admin_changes,dnc_removals_unconfirmed,1\n",
		"admin_changes,consent_revocations,2\n", "dnc_removals_by_actor,ops,1\n", "admin_changes_by_op,dnc.remove (unconfirmed),1\n"} {
		if !strings.Contains(csv.String(), want) {
			t.Errorf("CSV lacks %q", want)
		}
	}
	for _, want := range []string{"Opt-outs removed</td><td class=\"n\"><strong>1</strong>", "Consents revoked</td><td class=\"n\">2", "Opt-outs removed by token"} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

func countsText(cs []report.Count) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, c.Key+"="+strconv.Itoa(c.Count))
	}
	return strings.Join(parts, ",")
}

// TestBuildCountsCLIChangeOps: the change records of a complaint's steps
// and of a recordings sweep (dialgate complaint forward|resolve|answer,
// dialgate recordings sweep) are counted by operation like the others; a
// sweep requested with no result is counted unconfirmed (it may have
// deleted).
func TestBuildCountsCLIChangeOps(t *testing.T) {
	log, dir := openTestLog(t)
	in := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	sum := strings.Repeat("ab", 32)
	changes := []auditlog.Change{
		{Op: auditlog.OpComplaintForward, Result: auditlog.ResultApplied, ChangeID: "f1", Actor: "ops", ID: "cp-1", At: in, EffectiveAt: in},
		{Op: auditlog.OpComplaintResolve, Result: auditlog.ResultApplied, ChangeID: "h1", Actor: "ops", ID: "cp-1", At: in, EffectiveAt: in},
		{Op: auditlog.OpComplaintAnswer, Result: auditlog.ResultApplied, ChangeID: "a1", Actor: "ops", ID: "cp-1", At: in, EffectiveAt: in},
		{Op: auditlog.OpRecordingSweep, Result: auditlog.ResultRequested, ChangeID: "s1", Actor: "ops", At: in, Count: 2, SHA256: sum},
		{Op: auditlog.OpRecordingSweep, Result: auditlog.ResultApplied, ChangeID: "s1", Actor: "ops", At: in, Count: 2, SHA256: sum},
		{Op: auditlog.OpRecordingSweep, Result: auditlog.ResultRequested, ChangeID: "s2", Actor: "ops", At: in, Count: 1, SHA256: sum},
	}
	r := reportOfChanges(t, log, dir, changes, in.Add(time.Hour))
	if got := countsText(r.Changes.ByOp); got != "complaint.answer=1,complaint.forward=1,complaint.resolve=1,recording.sweep=1,recording.sweep (unconfirmed)=1" {
		t.Errorf("by op: %s", got)
	}
}

// reportOfChanges records changes in log (in dir), closes it, and builds the
// 2026 Q4 report from it at instant at.
func reportOfChanges(t *testing.T, log *auditlog.Log, dir string, changes []auditlog.Change, at time.Time) *report.Report {
	t.Helper()
	ctx := context.Background()
	for _, c := range changes {
		if err := log.RecordChange(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	files, err := auditlog.LogFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := report.Build(ctx, report.Quarter{Year: 2026, Q: 4}, cst, at, report.Sources{AuditFiles: files})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestBuildCountsChangesWithIdentities: records naming a client
// certificate (actor "mtls:…", actor_cert) or no identity
// ("unauthenticated:…"), and a ledger replacement naming the entry it
// replaced, are counted like the others, by their actor.
func TestBuildCountsChangesWithIdentities(t *testing.T) {
	log, dir := openTestLog(t)
	n := dialgate.MustParseNumber("+8613900139093")
	in := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	cert := &auditlog.ClientCert{Subject: "CN=ops-admin", Issuer: "CN=Example CA", Serial: "5eed", SHA256: strings.Repeat("a1", 32)}
	changes := []auditlog.Change{
		{Op: auditlog.OpDNCRemove, Result: auditlog.ResultRequested, ChangeID: "r1", Actor: "mtls:ops-admin", ActorCert: cert, Number: n, At: in},
		{Op: auditlog.OpDNCRemove, Result: auditlog.ResultApplied, ChangeID: "r1", Actor: "mtls:ops-admin", ActorCert: cert, Number: n, At: in},
		{Op: auditlog.OpDNCRemove, Result: auditlog.ResultRequested, ChangeID: "r2", Actor: "unauthenticated:loopback", Number: n, At: in},
		{Op: auditlog.OpDNCRemove, Result: auditlog.ResultApplied, ChangeID: "r2", Actor: "unauthenticated:loopback", Number: n, At: in},
		{Op: auditlog.OpLedgerAdd, Result: auditlog.ResultRequested, ChangeID: "l1", Actor: "ops-desk", ActorCert: cert, Tenant: "acme", CallerID: "+861058001234", Replace: true,
			Replaced: &auditlog.LedgerEntry{Type: "fixed", Holder: "Example Ltd", Purposes: []string{"service"}}, At: in},
		{Op: auditlog.OpLedgerAdd, Result: auditlog.ResultApplied, ChangeID: "l1", Actor: "ops-desk", ActorCert: cert, Tenant: "acme", CallerID: "+861058001234", Replace: true,
			Replaced: &auditlog.LedgerEntry{Type: "fixed", Holder: "Example Ltd", Purposes: []string{"service"}}, At: in},
	}
	r := reportOfChanges(t, log, dir, changes, in.Add(time.Hour))
	if got := countsText(r.Changes.DNCRemovalsByActor); got != "mtls:ops-admin=1,unauthenticated:loopback=1" {
		t.Errorf("removals by actor: %s", got)
	}
	if got := countsText(r.Changes.ByOp); got != "dnc.remove=2,ledger.add=1" {
		t.Errorf("by op: %s", got)
	}
}

// TestBuildReadsPreActorLog: a log written before an actor was required
// and before ledger replacements named the entry replaced
// (auditlog/testdata/pre-actor) is read as before: the removal with no
// actor counted as "unnamed".
func TestBuildReadsPreActorLog(t *testing.T) {
	r, err := report.Build(context.Background(), report.Quarter{Year: 2026, Q: 4}, cst, time.Date(2026, 12, 1, 0, 0, 0, 0, cst),
		report.Sources{AuditFiles: []string{filepath.Join("..", "auditlog", "testdata", "pre-actor", "audit-000001.jsonl")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := countsText(r.Changes.DNCRemovalsByActor); got != "unnamed=1" {
		t.Errorf("removals by actor: %s", got)
	}
	if got := countsText(r.Changes.ByOp); got != "dnc.remove=1,ledger.add=1" {
		t.Errorf("by op: %s", got)
	}
}

// TestBuildCountsLedgerImportOnce: a ledger import replacing two entries
// (one record naming both, requested then applied) is one ledger.import
// in by_op, not also a ledger.add per entry replaced; a ledger.add beside
// it is counted once.
func TestBuildCountsLedgerImportOnce(t *testing.T) {
	log, dir := openTestLog(t)
	in := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	replaced := []auditlog.LedgerReplacement{
		{CallerID: "+861058001234", Replaced: &auditlog.LedgerEntry{Type: "fixed", Holder: "Example Ltd", Purposes: []string{"service"}}},
		{CallerID: "+861058001235", ReplacedUnreadable: true},
	}
	imp := auditlog.Change{Op: auditlog.OpLedgerImport, ChangeID: "i1", Actor: "ops", Tenant: "acme", Source: "import:ledger.csv",
		Count: 3, SHA256: strings.Repeat("0f", 32), Replace: true, ReplacedEntries: replaced, At: in}
	requested, applied := imp, imp
	requested.Result, applied.Result = auditlog.ResultRequested, auditlog.ResultApplied
	changes := []auditlog.Change{
		{Op: auditlog.OpLedgerAdd, Result: auditlog.ResultRequested, ChangeID: "l1", Actor: "ops", Tenant: "acme", CallerID: "+861058001236", At: in},
		{Op: auditlog.OpLedgerAdd, Result: auditlog.ResultApplied, ChangeID: "l1", Actor: "ops", Tenant: "acme", CallerID: "+861058001236", At: in},
		requested, applied,
	}
	r := reportOfChanges(t, log, dir, changes, in.Add(time.Hour))
	if got := countsText(r.Changes.ByOp); got != "ledger.add=1,ledger.import=1" {
		t.Errorf("by op: %s, want ledger.add=1,ledger.import=1", got)
	}
}

// TestBuildUnchangedChangesNotCounted: a request recorded as applied and
// unchanged (a retried grant of the same consent, a consent revoked again)
// is counted under "<op> (unchanged)", never as another grant or
// revocation, while its requested record is resolved by it.
func TestBuildUnchangedChangesNotCounted(t *testing.T) {
	log, dir := openTestLog(t)
	n := dialgate.MustParseNumber("+8613900139094")
	in := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	changes := []auditlog.Change{
		{Op: auditlog.OpConsentGrant, Result: auditlog.ResultRequested, ChangeID: "g1", Actor: "ops", ID: "c-1", Number: n, At: in},
		{Op: auditlog.OpConsentGrant, Result: auditlog.ResultApplied, ChangeID: "g1", Actor: "ops", ID: "c-1", Number: n, At: in},
		{Op: auditlog.OpConsentGrant, Result: auditlog.ResultRequested, ChangeID: "g2", Actor: "ops", ID: "c-1", Number: n, At: in},
		{Op: auditlog.OpConsentGrant, Result: auditlog.ResultApplied, Unchanged: true, ChangeID: "g2", Actor: "ops", ID: "c-1", Number: n, At: in},
		{Op: auditlog.OpConsentRevoke, Result: auditlog.ResultApplied, ChangeID: "v1", Actor: "ops", ID: "c-1", At: in},
		{Op: auditlog.OpConsentRevoke, Result: auditlog.ResultApplied, Unchanged: true, ChangeID: "v2", Actor: "ops", ID: "c-1", At: in},
		{Op: auditlog.OpConsentRevoke, Result: auditlog.ResultApplied, Unchanged: true, ChangeID: "v3", Actor: "ops", ID: "c-1", At: in},
	}
	r := reportOfChanges(t, log, dir, changes, in.Add(time.Hour))
	if c := r.Changes; c.ConsentGrants != 1 || c.ConsentRevocations != 1 {
		t.Fatalf("changes: %+v", c)
	}
	if got := countsText(r.Changes.ByOp); got != "consent.revoke (unchanged)=2,consent.grant=1,consent.grant (unchanged)=1,consent.revoke=1" {
		t.Errorf("by op: %s", got)
	}
}

// The HTML report said that opt-outs and consents written with the CLI on
// a data directory were not recorded: they are (dialgate consent, dnc
// import, ledger, complaint and recordings commands record change records
// with the system user as actor), and the report counts them. It says so.
func TestHTMLSaysCLIChangesAreCounted(t *testing.T) {
	log, dir := openTestLog(t)
	in := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	r := reportOfChanges(t, log, dir, []auditlog.Change{
		{Op: auditlog.OpConsentRevoke, Result: auditlog.ResultApplied, ChangeID: "v1", Actor: "alice", ID: "c-1", At: in},
	}, in.Add(time.Hour))
	if r.Changes.ConsentRevocations != 1 {
		t.Fatalf("a revocation made with the CLI is not counted: %+v", r.Changes)
	}
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	if html := b.String(); strings.Contains(html, "with the CLI directly on a data directory are not recorded") || !strings.Contains(html, "with the name of the system user who ran them") {
		t.Errorf("the HTML report does not say that changes made with the dialgate commands are recorded and counted")
	}
}

// TestBuildRemovalFailedMaybeMade: an opt-out removal recorded as failed
// with a code that refuses nothing — Unavailable (the sidecar's store lost
// its answer: "may have been applied"), Canceled, DeadlineExceeded — may
// have been made: it is counted unconfirmed, by its token, not refused.
// Its retry, recorded applied and unchanged (the opt-out was gone), is no
// removal: counted as refused, the removal in force was counted nowhere.
func TestBuildRemovalFailedMaybeMade(t *testing.T) {
	log, dir := openTestLog(t)
	n := dialgate.MustParseNumber("+8613900139092")
	in := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	var changes []auditlog.Change
	for i, code := range []string{"Unavailable", "Canceled", "DeadlineExceeded", "FailedPrecondition", "NotFound"} {
		id := "m" + strconv.Itoa(i)
		changes = append(changes,
			auditlog.Change{Op: auditlog.OpDNCRemove, Result: auditlog.ResultRequested, ChangeID: id, Actor: "ops", Number: n, At: in},
			auditlog.Change{Op: auditlog.OpDNCRemove, Result: auditlog.ResultFailed, ChangeID: id, Actor: "ops", Number: n, At: in, ErrorCode: code})
	}
	changes = append(changes,
		auditlog.Change{Op: auditlog.OpDNCRemove, Result: auditlog.ResultRequested, ChangeID: "m9", Actor: "ops", Number: n, At: in},
		auditlog.Change{Op: auditlog.OpDNCRemove, Result: auditlog.ResultApplied, ChangeID: "m9", Actor: "ops", Number: n, At: in, Unchanged: true})
	c := reportOfChanges(t, log, dir, changes, in.Add(time.Hour)).Changes
	if c.DNCRemovals != 0 || c.DNCRemovalsUnconfirmed != 3 || c.DNCRemovalsRefused != 2 {
		t.Fatalf("removals %d, unconfirmed %d, refused %d; want 0, 3 (failed without a refusal: may have been made), 2",
			c.DNCRemovals, c.DNCRemovalsUnconfirmed, c.DNCRemovalsRefused)
	}
	if got := countsText(c.DNCRemovalsByActor); got != "ops=3" {
		t.Errorf("removals by actor: %s", got)
	}
	if got := countsText(c.ByOp); got != "dnc.remove (unconfirmed)=3,dnc.remove (unchanged)=1" {
		t.Errorf("by op: %s", got)
	}
}
