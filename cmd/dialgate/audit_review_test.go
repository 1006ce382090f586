package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/auditlog"
)

// A whole file deleted from the middle of a log directory is tampering
// (records deleted), not bad input: `audit verify DIR` exits 1 naming it,
// as it does for the same gap when the files are listed one by one.
func TestAuditVerifyMissingFile(t *testing.T) {
	dir, prefix := writeAuditLog(t, 60, auditlog.Options{MaxFileBytes: 4 << 10})
	files, err := auditlog.LogFiles(dir)
	if err != nil || len(files) < 3 {
		t.Fatalf("want a log of at least 3 files, got %v %v", files, err)
	}
	if code, out, errs := runCLI(t, "", "audit", "verify", dir, "--key", prefix+".pub"); code != 0 {
		t.Fatalf("verify before: %d %s %s", code, out, errs)
	}
	if err := os.Remove(files[1]); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "", "audit", "verify", dir, "--key", prefix+".pub")
	if code != 1 || !strings.Contains(out, "FAIL") || !strings.Contains(out, "deleted") || !strings.Contains(out, filepath.Base(files[1])) {
		t.Errorf("verify with %s deleted: exit %d\n%s%s\nwant exit 1, FAIL, deleted, naming the file", filepath.Base(files[1]), code, out, errs)
	}
	code, out, _ = runCLI(t, "", "audit", "verify", dir, "--key", prefix+".pub", "--json")
	var res verifyResult
	if err := jsonUnmarshal(out, &res); err != nil || code != 1 || res.OK || res.Problem == nil || res.Problem.Problem != auditlog.ProblemDeleted {
		t.Errorf("verify --json with a file deleted: exit %d %v\n%s", code, err, out)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
