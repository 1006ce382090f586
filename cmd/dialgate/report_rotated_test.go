package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

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
	data, pub, rotate := liveRotatedLog(t)
	dir := filepath.Join(data, sidecar.AuditDir)
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
