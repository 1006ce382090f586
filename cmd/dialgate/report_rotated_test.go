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

// TestReportQuarterlyLogRotatedBeforeVerify: report quarterly --key listed
// a live log's files, then verified the directory, then counted the files
// it had listed. A sidecar that rotated its log in between (the next file
// begun, a checkpoint signing records in it) left the verified checkpoint
// signing records the report never read: the report failed with "a log
// file was changed after it was verified", though nothing was changed,
// where it worked before reports compared trees. Without --sealed the files
// are now listed once verified, so every record verified is counted.
func TestReportQuarterlyLogRotatedBeforeVerify(t *testing.T) {
	data := t.TempDir()
	if code, _, errs := runCheckAt(t, "", "--data", data, "ledger", "add", "--tenant", "acme", "--number", "+861058001234", "--holder", "Acme Ltd", "--purposes", "service"); code != 0 {
		t.Fatalf("ledger add: %d %s", code, errs)
	}
	if code, _, errs := runCheckAt(t, "", "--data", data, "check", "--tenant", "acme", "--to", "+8613900139001", "--from", "+861058001234", "--purpose", "service",
		"--lead-id", "crm-1", "--at", "2026-12-01T10:00:00+08:00"); code != 0 {
		t.Fatalf("check: %d %s", code, errs)
	}
	dir := filepath.Join(data, "audit")
	pub := filepath.Join(data, "keys", "audit-signer.pub")
	// rotate is a sidecar writing on: two decisions, each file full after
	// one record, so the log continues in new files, signed at each turn.
	rotate := func() {
		k, err := sidecar.LoadKeys(data)
		if err != nil {
			t.Fatal(err)
		}
		l, err := auditlog.Open(context.Background(), dir, auditlog.Options{HMACKey: k.HMAC, HMACKeyID: k.HMACKeyID, Signer: k.Signer, NoNewLogID: true, MaxFileBytes: 1})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			d := dialgate.Decision{ID: fmt.Sprintf("d-rotated-%d", i), At: time.Date(2026, 12, 2, 10, 0, i, 0, time.UTC), Allowed: true,
				Dial: dialgate.Dial{To: dialgate.MustParseNumber("+8613900139002"), Purpose: dialgate.PurposeService}}
			if err := l.RecordDecision(context.Background(), d); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	var out, errb bytes.Buffer
	a := newApp(strings.NewReader(""), &out, &errb)
	a.beforeReportVerify = rotate
	err := a.run(context.Background(), []string{"--data", data, "report", "quarterly", "--quarter", "2026Q4", "--at", "2026-12-05T10:00:00+08:00", "--key", pub})
	if code := exitCode(err); code != 0 {
		t.Fatalf("report --key on a log rotated while it was read: exit %d, stderr %q; want exit 0", code, errb.String())
	}
	if files, err := auditlog.LogFiles(dir); err != nil || len(files) < 2 {
		t.Fatalf("the log was not rotated: %v %v", files, err)
	}
}
