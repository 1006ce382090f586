package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/internal/sidecar"
)

// liveRotatedLog returns the data directory of a log with one decision, its
// public key, and a function that writes on as a running sidecar does: two
// decisions, each file full after one record, so that the log continues in
// new files and its checkpoint file signs records in them.
func liveRotatedLog(t *testing.T) (data, pub string, rotate func()) {
	t.Helper()
	data = t.TempDir()
	if code, _, errs := runCheckAt(t, "", "--data", data, "ledger", "add", "--tenant", "acme", "--number", "+861058001234", "--holder", "Acme Ltd", "--purposes", "service"); code != 0 {
		t.Fatalf("ledger add: %d %s", code, errs)
	}
	if code, _, errs := runCheckAt(t, "", "--data", data, "check", "--tenant", "acme", "--to", "+8613900139001", "--from", "+861058001234", "--purpose", "service",
		"--lead-id", "crm-1", "--at", "2026-12-01T10:00:00+08:00"); code != 0 {
		t.Fatalf("check: %d %s", code, errs)
	}
	dir := filepath.Join(data, sidecar.AuditDir)
	rotate = func() {
		k, err := sidecar.LoadKeys(data)
		if err != nil {
			t.Fatal(err)
		}
		l, err := auditlog.Open(context.Background(), dir, auditlog.Options{HMACKey: k.HMAC, HMACKeyID: k.HMACKeyID, Signer: k.Signer, NoNewLogID: true, MaxFileBytes: 1})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			d := dialgate.Decision{ID: fmt.Sprintf("d-live-%d", i), At: time.Date(2026, 12, 2, 10, 0, i, 0, time.UTC), Allowed: true,
				Dial: dialgate.Dial{To: dialgate.MustParseNumber("+8613900139002"), Purpose: dialgate.PurposeService}}
			if err := l.RecordDecision(context.Background(), d); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return data, filepath.Join(data, sidecar.KeysDir, "audit-signer.pub"), rotate
}

// TestAuditVerifyLogRotatedWhileListed: audit verify DIR listed a live log's
// files, then read the directory's checkpoint file. A sidecar that rotated
// its log in between (records in a new file, the checkpoint file signing
// them) made verify fail with "truncated: the trusted checkpoint signs 3
// records but the log holds only 1", though nothing was cut. The
// checkpoint file is now read before the files are listed: every record it
// signs is in a file listed.
func TestAuditVerifyLogRotatedWhileListed(t *testing.T) {
	data, pub, rotate := liveRotatedLog(t)
	dir := filepath.Join(data, sidecar.AuditDir)
	var out, errb bytes.Buffer
	a := newApp(strings.NewReader(""), &out, &errb)
	a.afterAuditListed = rotate
	err := a.run(context.Background(), []string{"audit", "verify", dir, "--key", pub})
	if code := exitCode(err); code != 0 {
		t.Fatalf("audit verify of a log rotated while it was listed: exit %d, stdout %q, stderr %q; want exit 0", code, out.String(), errb.String())
	}
	if files, err := auditlog.LogFiles(dir); err != nil || len(files) < 2 {
		t.Fatalf("the log was not rotated: %v %v", files, err)
	}
}

// TestReportQuarterlyLogRotatedWhileListed: report quarterly --key listed
// each log's files, then read its checkpoint file, as audit verify did (see
// TestAuditVerifyLogRotatedWhileListed): a rotation in between failed the
// report on a log nobody changed.
func TestReportQuarterlyLogRotatedWhileListed(t *testing.T) {
	data, pub, rotate := liveRotatedLog(t)
	var out, errb bytes.Buffer
	a := newApp(strings.NewReader(""), &out, &errb)
	a.afterAuditListed = rotate
	err := a.run(context.Background(), []string{"--data", data, "report", "quarterly", "--quarter", "2026Q4", "--at", "2026-12-05T10:00:00+08:00", "--key", pub})
	if code := exitCode(err); code != 0 {
		t.Fatalf("report --key on a log rotated while it was listed: exit %d, stderr %q; want exit 0", code, errb.String())
	}
}
