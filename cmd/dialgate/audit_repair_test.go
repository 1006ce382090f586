package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/internal/sidecar"
)

// auditTestLog is the audit log of a sidecar's data directory, opened
// with its keys, and a gate recording decisions to it at a fixed time.
type auditTestLog struct {
	dir  string           // the log's directory
	opts auditlog.Options // what it was opened with
	log  *auditlog.Log
	gate *dialgate.Gate
}

// openAuditTestLog opens the audit log of the data directory data, making
// its keys when it has none.
func openAuditTestLog(t *testing.T, data string) *auditTestLog {
	t.Helper()
	keys, err := sidecar.LoadKeys(data)
	if err != nil {
		t.Fatal(err)
	}
	a := &auditTestLog{dir: filepath.Join(data, sidecar.AuditDir), opts: auditlog.Options{HMACKey: keys.HMAC, HMACKeyID: keys.HMACKeyID, Signer: keys.Signer}}
	if a.log, err = auditlog.Open(context.Background(), a.dir, a.opts); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	if a.gate, err = dialgate.New(nil, dialgate.WithAuditLog(a.log), dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return at }))); err != nil {
		t.Fatal(err)
	}
	return a
}

// check records the decision on a service call to the number to.
func (a *auditTestLog) check(t *testing.T, to string) {
	t.Helper()
	if _, err := a.gate.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber(to), Purpose: dialgate.PurposeService, LeadID: "l"}); err != nil {
		t.Fatal(err)
	}
}

// TestAuditRepair: a torn last line stops the log from opening; `audit
// repair` cuts it, records the cut, and the log verifies again.
func TestAuditRepair(t *testing.T) {
	data := t.TempDir()
	ctx := context.Background()
	a := openAuditTestLog(t, data)
	dir, opts := a.dir, a.opts
	for range 3 {
		a.check(t, "+8613900139000")
	}
	if err := a.log.Close(); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string, string) {
		return runCLI(t, "", append([]string{"--data", data}, args...)...)
	}
	if code, out, _ := run("audit", "repair"); code != 0 || !strings.Contains(out, "nothing to repair") {
		t.Fatalf("repair of a sound log: %d %s", code, out)
	}
	files, err := auditlog.LogFiles(dir)
	if err != nil || len(files) == 0 {
		t.Fatal(files, err)
	}
	f, err := os.OpenFile(files[len(files)-1], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"schema":"dialgate.audit.v1","seq":9,"kind":"deci`) // a crash mid-line
	f.Close()
	if _, err := auditlog.Open(ctx, dir, opts); err == nil {
		t.Fatal("a torn log opened")
	}
	code, out, errs := run("audit", "repair")
	if code != 0 || !strings.Contains(out, "cut ") || strings.Contains(out, "zero") {
		t.Fatalf("repair of a torn last line: %d %s %s (no zeros: not a torn write with unwritten blocks)", code, out, errs)
	}
	pub := filepath.Join(data, sidecar.KeysDir, sidecar.SignerPubFile)
	if code, out, errs := run("audit", "verify", dir, "--key", pub); code != 0 {
		t.Fatalf("verify after repair: %d %s %s", code, out, errs)
	}
	l2, err := auditlog.Open(ctx, dir, opts)
	if err != nil {
		t.Fatalf("open after repair: %v", err)
	}
	l2.Close()

	// Saved cut bytes no repair record names (a repair interrupted after its
	// cut): verify warns, serve would refuse, repair records them.
	stray := files[len(files)-1] + ".torn-7-2"
	if err := os.WriteFile(stray, []byte(`{"schema":"dialgate.audit.v1","seq":9`), 0o600); err != nil {
		t.Fatal(err)
	}
	var res verifyResult
	code, out, errs = run("audit", "verify", dir, "--key", pub, "--json")
	if err := json.Unmarshal([]byte(out), &res); code != 1 || err != nil || res.OK || len(res.UnrecordedCuts) != 1 || res.UnrecordedCuts[0] != stray {
		t.Fatalf("verify with an unrecorded cut: %d %s %s", code, out, errs)
	}
	if _, err := auditlog.Open(ctx, dir, opts); err == nil {
		t.Fatal("a log with an unrecorded cut opened")
	}
	if code, out, errs := run("audit", "repair"); code != 0 || !strings.Contains(out, filepath.Base(stray)) {
		t.Fatalf("repair of an unrecorded cut: %d %s %s", code, out, errs)
	}
	if code, out, errs := run("audit", "verify", dir, "--key", pub); code != 0 || strings.Contains(out, "WARNING") || strings.Contains(out, "FAIL") {
		t.Fatalf("verify after recording the cut: %d %s %s", code, out, errs)
	}

	// The opposite: a repair record whose saved file was deleted (the
	// evidence of what was cut removed) or changed fails verification,
	// naming the record and the file; given the files, verify looks beside
	// the first one.
	saved, err := auditlog.SavedCuts(dir)
	if err != nil || len(saved) != 2 {
		t.Fatalf("saved cuts: %v %v", saved, err)
	}
	orig, err := os.ReadFile(saved[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(saved[0]); err != nil {
		t.Fatal(err)
	}
	code, out, errs = run("audit", "verify", dir, "--key", pub, "--json")
	res = verifyResult{}
	if err := json.Unmarshal([]byte(out), &res); code != 1 || err != nil || res.OK || res.Problem == nil ||
		res.Problem.Problem != auditlog.ProblemDeleted || res.Problem.File != saved[0] || res.Problem.Seq < 0 {
		t.Fatalf("verify with a repair record's saved file deleted: %d %s %s", code, out, errs)
	}
	code, out, errs = run(append(append([]string{"audit", "verify"}, files...), "--key", pub)...)
	if code != 1 || !strings.Contains(out, fmt.Sprintf("record %d: deleted", res.Problem.Seq)) || !strings.Contains(out, filepath.Base(saved[0])) {
		t.Fatalf("verify FILE… with a repair record's saved file deleted: %d %s %s", code, out, errs)
	}
	if err := os.WriteFile(saved[0], append(orig, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := run("audit", "verify", dir, "--key", pub); code != 1 || !strings.Contains(out, "edited") || !strings.Contains(out, "was changed") {
		t.Fatalf("verify with a repair record's saved file changed: %d %s %s", code, out, errs)
	}
	if err := os.WriteFile(saved[0], orig, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := run("audit", "verify", dir, "--key", pub); code != 0 {
		t.Fatalf("verify with the saved file restored: %d %s %s", code, out, errs)
	}
}

// TestCheckRecordsInAuditLog: a decision dialgate check makes against the
// store (which it may reserve capacity in) is recorded in the data
// directory's audit log, like one of dialgate serve; the log verifies.
func TestCheckRecordsInAuditLog(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	run := func(stdin string, args ...string) (int, string, string) {
		return runCheckAt(t, stdin, append([]string{"--data", data}, args...)...)
	}
	list := filepath.Join(t.TempDir(), "optouts.txt")
	if err := os.WriteFile(list, []byte("+8613900139031\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := run("", "dnc", "import", "--scope", "global", "--list", "opt_out", "--at", "2026-01-01T00:00:00+08:00", list); code != 0 {
		t.Fatalf("dnc import: %d %s", code, errs)
	}
	code, out, errs := run(`{"to":"+8613900139031","from":"+861058001234","purpose":"service","lead_id":"crm-1"}`,
		"check", "--json", "--at", "2026-12-04T10:00:00+08:00")
	if code != 1 {
		t.Fatalf("check of a listed number: exit %d\n%s\n%s", code, out, errs)
	}
	var dec struct{ ID string }
	if err := json.Unmarshal([]byte(out), &dec); err != nil || dec.ID == "" {
		t.Fatalf("decision %q: %v", out, err)
	}
	files, err := auditlog.LogFiles(filepath.Join(data, sidecar.AuditDir))
	if err != nil || len(files) == 0 {
		t.Fatalf("no audit log after check: %v %v", files, err)
	}
	var logged bool
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		logged = logged || strings.Contains(string(b), `"`+dec.ID+`"`)
	}
	if !logged {
		t.Fatalf("decision %s is not in the audit log %v", dec.ID, files)
	}
	pub := filepath.Join(data, sidecar.KeysDir, sidecar.SignerPubFile)
	if code, out, errs := run("", "audit", "verify", filepath.Join(data, sidecar.AuditDir), "--key", pub); code != 0 {
		t.Fatalf("verify: %d %s %s", code, out, errs)
	}
}

// TestAuditRepairNeedsTheLogsKeys: a repair with --dir and a --data that
// holds no keys (a typo, or the default ./dialgate-data) is refused and
// changes nothing. It used to make new keys there and sign the repair's
// checkpoint with them: the log then failed verification under the
// sidecar's key for good.
func TestAuditRepairNeedsTheLogsKeys(t *testing.T) {
	data := t.TempDir()
	a := openAuditTestLog(t, data)
	dir := a.dir
	a.check(t, "+8613900139000")
	if err := a.log.Close(); err != nil {
		t.Fatal(err)
	}
	files, err := auditlog.LogFiles(dir)
	if err != nil || len(files) == 0 {
		t.Fatal(files, err)
	}
	last := files[len(files)-1]
	f, err := os.OpenFile(last, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"schema":"dialgate.audit.v1","seq":1,"kind":"deci`) // a crash mid-line
	f.Close()
	before, err := os.ReadFile(last)
	if err != nil {
		t.Fatal(err)
	}

	wrong := filepath.Join(t.TempDir(), "dialgate-data")
	code, out, errs := runCLI(t, "", "--data", wrong, "audit", "repair", "--dir", dir)
	if code != 2 || !strings.Contains(errs, "--data") || !strings.Contains(errs, "nothing was changed") {
		t.Fatalf("repair with a --data without keys: exit %d\n%s\n%s", code, out, errs)
	}
	if _, err := os.Stat(wrong); err == nil {
		t.Errorf("repair made %s", wrong)
	}
	if after, err := os.ReadFile(last); err != nil || string(after) != string(before) {
		t.Fatalf("repair refused but the log changed: %v", err)
	}
	// With the sidecar's --data the same repair works and verifies.
	if code, out, errs := runCLI(t, "", "--data", data, "audit", "repair", "--dir", dir); code != 0 || !strings.Contains(out, "cut ") {
		t.Fatalf("repair: %d %s %s", code, out, errs)
	}
	pub := filepath.Join(data, sidecar.KeysDir, sidecar.SignerPubFile)
	if code, out, errs := runCLI(t, "", "--data", data, "audit", "verify", dir, "--key", pub); code != 0 {
		t.Fatalf("verify after repair: %d %s %s", code, out, errs)
	}
}
