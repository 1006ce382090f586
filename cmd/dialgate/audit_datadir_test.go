package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/internal/sidecar"
)

// `dialgate audit verify DATA` on the data directory of `dialgate serve`
// said only "no audit-*.jsonl files"; the log is in DATA/audit, and the
// message now says so (it still fails: the operator names the log).
func TestAuditVerifyDataDirectoryPointsToLog(t *testing.T) {
	dir, prefix := writeAuditLog(t, 2, auditlog.Options{})
	data := t.TempDir()
	if err := os.Rename(dir, filepath.Join(data, sidecar.AuditDir)); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runCLI(t, "", "audit", "verify", data, "--key", prefix+".pub")
	if code == 0 || !strings.Contains(errs, filepath.Join(data, sidecar.AuditDir)) {
		t.Fatalf("verify of the data directory: exit %d, %s; want a failure naming %s", code, errs, filepath.Join(data, sidecar.AuditDir))
	}
	empty := t.TempDir()
	if code, _, errs := runCLI(t, "", "audit", "verify", empty, "--key", prefix+".pub"); code == 0 || strings.Contains(errs, "data directory") {
		t.Fatalf("verify of an empty directory: exit %d, %s; want a failure without the data-directory hint", code, errs)
	}
}
