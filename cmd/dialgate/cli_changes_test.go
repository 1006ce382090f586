package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/internal/sidecar"
)

// cliChanges returns the change records of the audit log in data, after
// checking that `dialgate audit verify` passes on it with the data
// directory's key and that no file holds the national digits raw.
func cliChanges(t *testing.T, data, raw string) []auditlog.ChangeRecord {
	t.Helper()
	dir := filepath.Join(data, sidecar.AuditDir)
	pub := filepath.Join(data, sidecar.KeysDir, sidecar.SignerPubFile)
	if code, out, errs := runCLI(t, "", "audit", "verify", dir, "--key", pub); code != 0 || !strings.Contains(out, "OK ") {
		t.Fatalf("audit verify: %d\n%s%s", code, out, errs)
	}
	files, err := filepath.Glob(filepath.Join(dir, "audit-*.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no audit files in %s: %v", dir, err)
	}
	var out []auditlog.ChangeRecord
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if raw != "" && bytes.Contains(b, []byte(raw)) {
			t.Fatalf("%s holds the raw number %s", f, raw)
		}
		for _, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
			l, err := auditlog.ParseLine(line)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			if l.Change != nil {
				out = append(out, *l.Change)
			}
		}
	}
	return out
}

// breakAuditLog makes the audit log of data impossible to open: a file
// stands where its directory should be (also as root, unlike a mode).
func breakAuditLog(t *testing.T, data string) {
	t.Helper()
	dir := filepath.Join(data, sidecar.AuditDir)
	if err := os.Rename(dir, dir+".moved"); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("not a directory\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

var consentAddArgs = []string{"consent", "add", "--id", "c-1", "--number", "+8613900139000", "--scope", "industry:finance", "--tenant", "acme",
	"--method", "web_form", "--disclosure-sha256", cliHash, "--granted-at", "2026-11-01T10:00:00+08:00", "--channel", "website"}

// TestCLIConsentChangesRecorded: consent add is recorded as requested, then
// applied; consent revoke as applied, naming the consent's number by its
// keyed hash; the log verifies and holds no raw number.
func TestCLIConsentChangesRecorded(t *testing.T) {
	data := t.TempDir()
	if code, out, errs := runCLI(t, "", append([]string{"--data", data}, consentAddArgs...)...); code != 0 {
		t.Fatalf("add: %d %s%s", code, out, errs)
	}
	if code, out, errs := runCLI(t, "", "--data", data, "consent", "revoke", "c-1", "--channel", "call", "--at", "2026-11-02T10:00:00+08:00"); code != 0 {
		t.Fatalf("revoke: %d %s%s", code, out, errs)
	}
	got := cliChanges(t, data, "13900139000")
	if len(got) != 3 {
		t.Fatalf("%d change records, want 3: %+v", len(got), got)
	}
	req, app, rev := got[0], got[1], got[2]
	if req.Op != auditlog.OpConsentGrant || req.Result != auditlog.ResultRequested || app.Result != auditlog.ResultApplied || app.ChangeID != req.ChangeID ||
		!strings.HasPrefix(req.ChangeID, "chg-") || req.Actor == "" || req.ID != "c-1" || req.Scope != "industry:finance" || req.Tenant != "acme" ||
		req.Source != "website" || req.Callee == nil || req.Callee.CountryCode != 86 || req.EffectiveAt.Format("2006-01-02T15:04:05Z07:00") != "2026-11-01T02:00:00Z" {
		t.Fatalf("grant records %+v / %+v", req, app)
	}
	if rev.Op != auditlog.OpConsentRevoke || rev.Result != auditlog.ResultApplied || rev.ID != "c-1" || rev.Source != "call" || rev.Actor != req.Actor ||
		rev.Callee == nil || rev.Callee.HMAC != req.Callee.HMAC || rev.ChangeID == req.ChangeID || rev.EffectiveAt.Format("2006-01-02T15:04:05Z07:00") != "2026-11-02T02:00:00Z" {
		t.Fatalf("revoke record %+v", rev)
	}
}

// TestCLIConsentAddRefusedUnrecorded: a consent (it may allow dials) whose
// record cannot be written is not added: exit 1 saying nothing changed.
func TestCLIConsentAddRefusedUnrecorded(t *testing.T) {
	data := t.TempDir()
	breakAuditLog(t, data)
	code, out, errs := runCLI(t, "", append([]string{"--data", data}, consentAddArgs...)...)
	if code != 1 || !strings.Contains(errs, "consent.grant: nothing changed: the audit log could not record it") || out != "" {
		t.Fatalf("add with a broken log: %d %q %q", code, out, errs)
	}
	if code, out, _ := runCLI(t, "", "--data", data, "consent", "show", "+8613900139000"); strings.Contains(out, "c-1") {
		t.Fatalf("consent added although not recorded: %d %s", code, out)
	}
}

// TestCLIConsentRevokeUnrecorded: a withdrawal is made even when its record
// cannot be written, and the command exits 1 saying it is in force but not
// recorded.
func TestCLIConsentRevokeUnrecorded(t *testing.T) {
	data := t.TempDir()
	if code, out, errs := runCLI(t, "", append([]string{"--data", data}, consentAddArgs...)...); code != 0 {
		t.Fatalf("add: %d %s%s", code, out, errs)
	}
	breakAuditLog(t, data)
	code, out, errs := runCLI(t, "", "--data", data, "consent", "revoke", "c-1", "--channel", "call")
	if code != 1 || !strings.Contains(out, "revoked consent c-1") || !strings.Contains(errs, "consent.revoke: applied and in force, but not recorded in the audit log") {
		t.Fatalf("revoke with a broken log: %d %q %q", code, out, errs)
	}
	// In force: the record shows its withdrawal (by call).
	if _, out, _ := runCLI(t, "", "--data", data, "consent", "show", "+8613900139000"); !strings.Contains(out, "c-1") || !strings.Contains(out, "(call)") {
		t.Fatalf("consent not revoked: %s", out)
	}
}

// TestCLIDNCImportRecorded: a dnc import writes one change record for the
// whole import — its count, scope, list, source and the SHA-256 of its
// files — naming no number; the log verifies and holds no raw number.
func TestCLIDNCImportRecorded(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	body := "+8613800138000\n+8613800138001\n+8613800138002\n+8613800138001\n"
	list := writeFile(t, dir, "optouts.txt", body)
	code, out, errs := runCLI(t, "", "--data", data, "dnc", "import", "--scope", "tenant:acme", "--list", "opt_out", "--at", "2026-01-01T00:00:00+08:00", list)
	if code != 0 || !strings.Contains(out, "imported 3 numbers") {
		t.Fatalf("import: %d %s%s", code, out, errs)
	}
	got := cliChanges(t, data, "13800138000")
	if len(got) != 1 {
		t.Fatalf("%d change records, want 1: %+v", len(got), got)
	}
	c := got[0]
	sum := sha256.Sum256([]byte(body))
	if c.Op != auditlog.OpDNCImport || c.Result != auditlog.ResultApplied || c.Count != 3 || c.SHA256 != hex.EncodeToString(sum[:]) ||
		c.Scope != "tenant:acme" || c.ID != "opt_out" || c.Source != "import:optouts.txt" || c.Callee != nil || c.Actor == "" ||
		c.EffectiveAt.Format("2006-01-02T15:04:05Z07:00") != "2025-12-31T16:00:00Z" || len(c.Redacted) != 0 {
		t.Fatalf("import record %+v", c)
	}
}

// TestCLIDNCImportUnrecorded: opt-outs are added even when the record
// cannot be written; the command exits 1 saying they are in force but not
// recorded.
func TestCLIDNCImportUnrecorded(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	breakAuditLog(t, data)
	list := writeFile(t, dir, "optouts.txt", "+8613800138000\n")
	code, out, errs := runCLI(t, "", "--data", data, "dnc", "import", "--scope", "global", "--list", "opt_out", list)
	if code != 1 || !strings.Contains(out, "imported 1 number") || !strings.Contains(errs, "dnc.import: applied and in force, but not recorded in the audit log") {
		t.Fatalf("import with a broken log: %d %q %q", code, out, errs)
	}
	if code, out, _ := runCLI(t, "", "--data", data, "dnc", "lookup", "+8613800138000"); code != 0 || !strings.Contains(out, "LISTED") {
		t.Fatalf("entry not in force: %d %s", code, out)
	}
}

// TestCLILedgerChangesRecorded: ledger add is recorded as requested then
// applied, naming the caller ID; ledger import in one requested and one
// applied record with the tenant, count and the file's SHA-256; the same
// entry again changes nothing and records nothing.
func TestCLILedgerChangesRecorded(t *testing.T) {
	data := t.TempDir()
	add := []string{"--data", data, "ledger", "add", "--tenant", "acme", "--number", "+861058001234", "--holder", "Acme Ltd", "--purposes", "service"}
	if code, out, errs := runCLI(t, "", add...); code != 0 || !strings.Contains(out, "added") {
		t.Fatalf("add: %d %s%s", code, out, errs)
	}
	if code, out, errs := runCLI(t, "", add...); code != 0 || !strings.Contains(out, "unchanged") {
		t.Fatalf("add again: %d %s%s", code, out, errs)
	}
	body := "number,holder,purposes\n+861058001235,Acme Ltd,service\n+861058001236,Acme Ltd,service\n"
	file := writeFile(t, t.TempDir(), "ledger.csv", body)
	if code, out, errs := runCLI(t, "", "--data", data, "ledger", "import", file, "--tenant", "acme"); code != 0 {
		t.Fatalf("import: %d %s%s", code, out, errs)
	}
	got := cliChanges(t, data, "")
	if len(got) != 4 {
		t.Fatalf("%d change records, want 4: %+v", len(got), got)
	}
	if got[0].Op != auditlog.OpLedgerAdd || got[0].Result != auditlog.ResultRequested || got[1].Result != auditlog.ResultApplied || got[1].ChangeID != got[0].ChangeID ||
		got[0].Tenant != "acme" || got[0].CallerID != "+861058001234" || got[0].Callee != nil {
		t.Fatalf("add records %+v / %+v", got[0], got[1])
	}
	sum := sha256.Sum256([]byte(body))
	if got[2].Op != auditlog.OpLedgerImport || got[2].Result != auditlog.ResultRequested || got[3].Result != auditlog.ResultApplied || got[3].ChangeID != got[2].ChangeID ||
		got[2].Tenant != "acme" || got[2].Count != 2 || got[2].SHA256 != hex.EncodeToString(sum[:]) || got[2].Source != "import:ledger.csv" {
		t.Fatalf("import records %+v / %+v", got[2], got[3])
	}
}

// TestCLILedgerReplaceRecorded: ledger add --replace over an entry with
// other facts records that it may replace (replace) and the entry it
// replaced, as the ledger stored it (replaced), in both of its records;
// --replace of a number the ledger does not hold names none.
func TestCLILedgerReplaceRecorded(t *testing.T) {
	data := t.TempDir()
	base := []string{"--data", data, "ledger", "add", "--tenant", "acme", "--number", "+861058001234", "--purposes", "service"}
	add := func(extra ...string) {
		t.Helper()
		if code, out, errs := runCLI(t, "", append(slices.Clone(base), extra...)...); code != 0 {
			t.Fatalf("add %v: %d %s%s", extra, code, out, errs)
		}
	}
	add("--holder", "Acme Ltd", "--qualification", "B2-20250001", "--valid-from", "2026-01-01T08:00:00+08:00", "--replace")
	add("--holder", "Other Ltd", "--access", "carrier trunk 7", "--replace")
	got := cliChanges(t, data, "")
	if len(got) != 4 {
		t.Fatalf("%d change records, want 4: %+v", len(got), got)
	}
	for i, g := range got[:2] {
		if !g.Replace || g.Replaced != nil || g.ReplacedUnreadable {
			t.Errorf("record %d (a new number): %+v", i, g)
		}
	}
	want := auditlog.LedgerEntry{Type: "fixed", Holder: "Acme Ltd", Qualification: "B2-20250001", Purposes: []string{"service"},
		ValidFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	for i, g := range got[2:] {
		if g.Op != auditlog.OpLedgerAdd || !g.Replace || g.Replaced == nil || !reflect.DeepEqual(*g.Replaced, want) || g.Actor == "" {
			t.Errorf("record %d: %+v (replaced %+v), want replaced %+v", i+2, g, g.Replaced, want)
		}
	}
}

// TestCLILedgerRefusedUnrecorded: a ledger entry or import (they may allow
// dials) whose record cannot be written is not stored: exit 1 saying
// nothing changed.
func TestCLILedgerRefusedUnrecorded(t *testing.T) {
	data := t.TempDir()
	breakAuditLog(t, data)
	code, out, errs := runCLI(t, "", "--data", data, "ledger", "add", "--tenant", "acme", "--number", "+861058001234", "--holder", "Acme Ltd", "--purposes", "service")
	if code != 1 || out != "" || !strings.Contains(errs, "ledger.add: nothing changed: the audit log could not record it") {
		t.Fatalf("add with a broken log: %d %q %q", code, out, errs)
	}
	file := writeFile(t, t.TempDir(), "ledger.csv", "number,holder,purposes\n+861058001235,Acme Ltd,service\n")
	code, out, errs = runCLI(t, "", "--data", data, "ledger", "import", file, "--tenant", "acme")
	if code != 1 || out != "" || !strings.Contains(errs, "ledger.import: nothing changed: the audit log could not record it") {
		t.Fatalf("import with a broken log: %d %q %q", code, out, errs)
	}
	if _, out, _ := runCLI(t, "", "--data", data, "ledger", "show", "--tenant", "acme"); strings.Contains(out, "+86105800123") {
		t.Fatalf("ledger stored although not recorded:\n%s", out)
	}
}

// TestCLIRecordingChangesRecorded: recordings register and hold are
// recorded as applied; end and release as requested, then applied; the
// log verifies and holds no raw number.
func TestCLIRecordingChangesRecorded(t *testing.T) {
	data := t.TempDir()
	start := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second)
	steps := [][]string{
		{"recordings", "register", "--id", "r-1", "--number", "+8613900139000", "--started-at", start.Format(time.RFC3339)},
		{"recordings", "end", "r-1", "--ended-at", start.Add(3 * time.Minute).Format(time.RFC3339)},
		{"recordings", "hold", "r-1", "--hold", "litigation-1"},
		{"recordings", "release", "r-1", "--hold", "litigation-1"},
	}
	for _, s := range steps {
		if code, out, errs := runCLI(t, "", append([]string{"--data", data}, s...)...); code != 0 {
			t.Fatalf("%v: %d %s%s", s, code, out, errs)
		}
	}
	got := cliChanges(t, data, "13900139000")
	type want struct{ op, result string }
	wants := []want{
		{auditlog.OpRecordingRegister, auditlog.ResultApplied},
		{auditlog.OpRecordingEnd, auditlog.ResultRequested}, {auditlog.OpRecordingEnd, auditlog.ResultApplied},
		{auditlog.OpRecordingHold, auditlog.ResultApplied},
		{auditlog.OpRecordingReleaseHold, auditlog.ResultRequested}, {auditlog.OpRecordingReleaseHold, auditlog.ResultApplied},
	}
	if len(got) != len(wants) {
		t.Fatalf("%d change records, want %d: %+v", len(got), len(wants), got)
	}
	for i, w := range wants {
		if got[i].Op != w.op || got[i].Result != w.result || got[i].ID != "r-1" || got[i].Actor == "" {
			t.Fatalf("record %d: %+v, want %s %s", i, got[i], w.op, w.result)
		}
	}
	if got[0].Callee == nil || !got[0].EffectiveAt.Equal(start) || !got[1].EffectiveAt.Equal(start.Add(3*time.Minute)) || got[2].ChangeID != got[1].ChangeID ||
		got[3].HoldID != "litigation-1" || got[4].HoldID != "litigation-1" || got[5].ChangeID != got[4].ChangeID {
		t.Fatalf("records %+v", got)
	}
}

// TestCLIRecordingHoldsUnrecorded: a hold is placed even when its record
// cannot be written (exit 1, in force but not recorded); a release whose
// record cannot be written is refused (exit 1, nothing changed) and the
// hold stays.
func TestCLIRecordingHoldsUnrecorded(t *testing.T) {
	data := t.TempDir()
	start := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second)
	if code, out, errs := runCLI(t, "", "--data", data, "recordings", "register", "--id", "r-1", "--number", "+8613900139000", "--started-at", start.Format(time.RFC3339)); code != 0 {
		t.Fatalf("register: %d %s%s", code, out, errs)
	}
	breakAuditLog(t, data)
	code, out, errs := runCLI(t, "", "--data", data, "recordings", "hold", "r-1", "--hold", "litigation-1")
	if code != 1 || !strings.Contains(out, "held r-1") || !strings.Contains(errs, "recording.hold: applied and in force, but not recorded") {
		t.Fatalf("hold with a broken log: %d %q %q", code, out, errs)
	}
	code, out, errs = runCLI(t, "", "--data", data, "recordings", "release", "r-1", "--hold", "litigation-1")
	if code != 1 || out != "" || !strings.Contains(errs, "recording.release_hold: nothing changed: the audit log could not record it") {
		t.Fatalf("release with a broken log: %d %q %q", code, out, errs)
	}
	if _, out, _ := runCLI(t, "", "--data", data, "recordings", "show", "r-1"); !strings.Contains(out, "litigation-1") {
		t.Fatalf("hold not in force after a refused release:\n%s", out)
	}
}

// TestCLIComplaintFileRecorded: complaint add is recorded as applied
// (complaint.file) with its id, scope, channel and the number's keyed hash;
// with a log that cannot be written the complaint is filed anyway and the
// command exits 1 saying it is in force but not recorded.
func TestCLIComplaintFileRecorded(t *testing.T) {
	data := t.TempDir()
	if code, out, errs := runCLI(t, "", "--data", data, "complaint", "add", "--id", "cp-1", "--number", "+8613900139000", "--scope", "tenant:acme", "--tenant", "acme", "--channel", "web"); code != 0 {
		t.Fatalf("add: %d %s%s", code, out, errs)
	}
	got := cliChanges(t, data, "13900139000")
	if len(got) != 1 || got[0].Op != auditlog.OpComplaintFile || got[0].Result != auditlog.ResultApplied || got[0].ID != "cp-1" || got[0].Scope != "tenant:acme" ||
		got[0].Tenant != "acme" || got[0].Source != "web" || got[0].Callee == nil || got[0].Actor == "" {
		t.Fatalf("records %+v", got)
	}
	breakAuditLog(t, data)
	code, out, errs := runCLI(t, "", "--data", data, "complaint", "add", "--id", "cp-2", "--number", "+8613900139001", "--channel", "phone")
	if code != 1 || !strings.Contains(out, "complaint cp-2 filed") || !strings.Contains(errs, "complaint.file: applied and in force, but not recorded") {
		t.Fatalf("add with a broken log: %d %q %q", code, out, errs)
	}
	if code, out, _ := runCLI(t, "", "--data", data, "dnc", "lookup", "+8613900139001"); code != 0 || !strings.Contains(out, "LISTED") {
		t.Fatalf("complaint's opt-out not in force: %d %s", code, out)
	}
}

// TestCLIComplaintStepsRecorded: complaint forward, resolve and answer are
// each recorded as applied (complaint.forward, complaint.resolve,
// complaint.answer) with the complaint's id and the step's time; the log
// verifies and holds no raw number.
func TestCLIComplaintStepsRecorded(t *testing.T) {
	data := t.TempDir()
	recv := time.Now().Add(-3 * time.Hour).UTC().Truncate(time.Second)
	if code, out, errs := runCLI(t, "", "--data", data, "complaint", "add", "--id", "cp-1", "--number", "+8613900139000", "--tenant", "acme", "--at", recv.Format(time.RFC3339)); code != 0 {
		t.Fatalf("add: %d %s%s", code, out, errs)
	}
	steps := []struct {
		args []string
		op   string
		at   time.Time
	}{
		{[]string{"complaint", "forward", "cp-1"}, auditlog.OpComplaintForward, recv.Add(time.Hour)},
		{[]string{"complaint", "resolve", "cp-1", "--resolution", "number listed, agent retrained"}, auditlog.OpComplaintResolve, recv.Add(2 * time.Hour)},
		{[]string{"complaint", "answer", "cp-1"}, auditlog.OpComplaintAnswer, recv.Add(150 * time.Minute)},
	}
	for _, s := range steps {
		args := append(append([]string{"--data", data}, s.args...), "--at", s.at.Format(time.RFC3339))
		if code, out, errs := runCLI(t, "", args...); code != 0 {
			t.Fatalf("%v: %d %s%s", s.args, code, out, errs)
		}
	}
	got := cliChanges(t, data, "13900139000")
	if len(got) != 1+len(steps) || got[0].Op != auditlog.OpComplaintFile {
		t.Fatalf("%d change records, want %d: %+v", len(got), 1+len(steps), got)
	}
	seen := map[string]bool{got[0].ChangeID: true}
	for i, s := range steps {
		c := got[i+1]
		if c.Op != s.op || c.Result != auditlog.ResultApplied || c.ID != "cp-1" || c.Actor == "" || !c.EffectiveAt.Equal(s.at) ||
			!strings.HasPrefix(c.ChangeID, "chg-") || seen[c.ChangeID] || len(c.Redacted) != 0 {
			t.Fatalf("record %d: %+v, want %s applied at %s", i+1, c, s.op, s.at)
		}
		seen[c.ChangeID] = true
	}
}

// TestCLIComplaintStepUnrecorded: a step is recorded in the complaint even
// when its change record cannot be written (it only records progress); the
// command exits 1 saying it is in force but not recorded.
func TestCLIComplaintStepUnrecorded(t *testing.T) {
	data := t.TempDir()
	if code, out, errs := runCLI(t, "", "--data", data, "complaint", "add", "--id", "cp-1", "--number", "+8613900139000"); code != 0 {
		t.Fatalf("add: %d %s%s", code, out, errs)
	}
	breakAuditLog(t, data)
	code, out, errs := runCLI(t, "", "--data", data, "complaint", "forward", "cp-1")
	if code != 1 || !strings.Contains(out, "complaint cp-1: forward at") || !strings.Contains(errs, "complaint.forward: applied and in force, but not recorded") {
		t.Fatalf("forward with a broken log: %d %q %q", code, out, errs)
	}
	if code, out, _ := runCLI(t, "", "--data", data, "complaint", "list", "--status", "forwarded"); code != 0 || !strings.Contains(out, "cp-1") {
		t.Fatalf("step not in force: %d %s", code, out)
	}
	// A refused step (wrong state) changes nothing and records nothing.
	code, out, errs = runCLI(t, "", "--data", data, "complaint", "answer", "cp-1")
	if code == 0 || strings.Contains(errs, "not recorded") {
		t.Fatalf("answer before handling: %d %q %q", code, out, errs)
	}
}

// registerOld registers recording id of +8613900139000 started 40 days
// ago: its 30-day retention ended 10 days ago.
func registerOld(t *testing.T, data, id string) {
	t.Helper()
	start := time.Now().AddDate(0, 0, -40).UTC().Truncate(time.Second)
	if code, out, errs := runCLI(t, "", "--data", data, "recordings", "register", "--id", id, "--number", "+8613900139000",
		"--started-at", start.Format(time.RFC3339), "--ended-at", start.Add(3*time.Minute).Format(time.RFC3339),
		"--at", start.Add(5*time.Minute).Format(time.RFC3339)); code != 0 {
		t.Fatalf("register %s: %d %s%s", id, code, out, errs)
	}
}

// TestCLIRecordingSweepRecorded: a sweep is recorded as requested — how
// many recordings it is about to delete and the SHA-256 of their sorted
// ids — before it deletes, then applied with the count and SHA-256 of
// those it deleted; a held recording is not counted; a sweep with nothing
// due records nothing; the log verifies.
func TestCLIRecordingSweepRecorded(t *testing.T) {
	data := t.TempDir()
	for _, id := range []string{"r-2", "r-1", "r-3"} {
		registerOld(t, data, id)
	}
	if code, out, errs := runCLI(t, "", "--data", data, "recordings", "hold", "r-3", "--hold", "litigation-1"); code != 0 {
		t.Fatalf("hold: %d %s%s", code, out, errs)
	}
	before := len(cliChanges(t, data, ""))
	if code, out, errs := runCLI(t, "", "--data", data, "recordings", "sweep"); code != 0 || !strings.Contains(out, "deleted 2: r-1, r-2") {
		t.Fatalf("sweep: %d %s%s", code, out, errs)
	}
	got := cliChanges(t, data, "13900139000")[before:]
	if len(got) != 2 {
		t.Fatalf("%d sweep records, want 2: %+v", len(got), got)
	}
	sum := sha256.Sum256([]byte("r-1\nr-2\n"))
	req, app := got[0], got[1]
	if req.Op != auditlog.OpRecordingSweep || req.Result != auditlog.ResultRequested || req.Count != 2 || req.SHA256 != hex.EncodeToString(sum[:]) ||
		req.Actor == "" || !strings.HasPrefix(req.ChangeID, "chg-") || req.EffectiveAt.IsZero() || req.Callee != nil {
		t.Fatalf("requested record %+v", req)
	}
	if app.Op != auditlog.OpRecordingSweep || app.Result != auditlog.ResultApplied || app.ChangeID != req.ChangeID || app.Count != 2 ||
		app.SHA256 != req.SHA256 || !app.EffectiveAt.Equal(req.EffectiveAt) {
		t.Fatalf("applied record %+v", app)
	}
	// Only r-3 (held) is due: the sweep is still recorded, deleting none.
	if code, out, errs := runCLI(t, "", "--data", data, "recordings", "sweep"); code != 0 || !strings.Contains(out, "skipped r-3: held") {
		t.Fatalf("sweep again: %d %s%s", code, out, errs)
	}
	empty := sha256.Sum256(nil)
	got = cliChanges(t, data, "")[before+2:]
	if len(got) != 2 || got[0].Result != auditlog.ResultRequested || got[1].Result != auditlog.ResultApplied || got[1].Count != 0 || got[1].SHA256 != hex.EncodeToString(empty[:]) {
		t.Fatalf("records of a sweep deleting none: %+v", got)
	}
	// Nothing due at all: no record.
	empty2 := t.TempDir()
	if code, out, errs := runCLI(t, "", "--data", empty2, "recordings", "register", "--id", "r-9", "--number", "+8613900139000", "--started-at", time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)); code != 0 {
		t.Fatalf("register: %d %s%s", code, out, errs)
	}
	if code, out, errs := runCLI(t, "", "--data", empty2, "recordings", "sweep"); code != 0 || !strings.Contains(out, "deleted 0") {
		t.Fatalf("sweep of nothing due: %d %s%s", code, out, errs)
	}
	if got := cliChanges(t, empty2, ""); len(got) != 1 || got[0].Op != auditlog.OpRecordingRegister {
		t.Fatalf("a sweep with nothing due recorded: %+v", got)
	}
}

// TestCLIRecordingSweepRefusedUnrecorded: a sweep whose deletions cannot
// be recorded deletes nothing: exit 1 saying nothing changed.
func TestCLIRecordingSweepRefusedUnrecorded(t *testing.T) {
	data := t.TempDir()
	registerOld(t, data, "r-1")
	breakAuditLog(t, data)
	code, out, errs := runCLI(t, "", "--data", data, "recordings", "sweep")
	if code != 1 || out != "" || !strings.Contains(errs, "recording.sweep: nothing changed: the audit log could not record it") {
		t.Fatalf("sweep with a broken log: %d %q %q", code, out, errs)
	}
	if code, out, errs := runCLI(t, "", "--data", data, "recordings", "show", "r-1"); code != 0 || !strings.Contains(out, "r-1") {
		t.Fatalf("recording deleted although the sweep was not recorded: %d %s%s", code, out, errs)
	}
}

// TestCLIRecordingSweepFailedRecorded: a sweep whose deletions fail (media
// and no --media-root) is recorded as requested, then failed with the
// count and SHA-256 of what it did delete (none), and exits 1.
func TestCLIRecordingSweepFailedRecorded(t *testing.T) {
	data, media := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(media, "r-1.wav"), []byte("RIFF"), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now().AddDate(0, 0, -40).UTC().Truncate(time.Second)
	if code, out, errs := runCLI(t, "", "--data", data, "recordings", "register", "--id", "r-1", "--number", "+8613900139000",
		"--started-at", start.Format(time.RFC3339), "--ended-at", start.Add(3*time.Minute).Format(time.RFC3339),
		"--at", start.Add(5*time.Minute).Format(time.RFC3339), "--media-uri", "file:r-1.wav", "--media-root", media); code != 0 {
		t.Fatalf("register: %d %s%s", code, out, errs)
	}
	code, out, errs := runCLI(t, "", "--data", data, "recordings", "sweep")
	if code != 1 || !strings.Contains(out, "FAILED  r-1") {
		t.Fatalf("sweep without --media-root: %d %q %q", code, out, errs)
	}
	got := cliChanges(t, data, "13900139000")
	if len(got) != 3 {
		t.Fatalf("%d change records, want 3: %+v", len(got), got)
	}
	one, none := sha256.Sum256([]byte("r-1\n")), sha256.Sum256(nil)
	req, res := got[1], got[2]
	if req.Op != auditlog.OpRecordingSweep || req.Result != auditlog.ResultRequested || req.Count != 1 || req.SHA256 != hex.EncodeToString(one[:]) ||
		res.Op != auditlog.OpRecordingSweep || res.Result != auditlog.ResultFailed || res.ChangeID != req.ChangeID || res.ErrorCode != "Unavailable" ||
		res.Count != 0 || res.SHA256 != hex.EncodeToString(none[:]) {
		t.Fatalf("sweep records %+v / %+v", req, res)
	}
}
