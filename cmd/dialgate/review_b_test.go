package main

import (
	"strings"
	"testing"

	"github.com/dialgate/dialgate/auditlog"
)

// A --log-id no checkpoint can carry (a control character, too long) is bad
// input (exit 2, naming --log-id), not a failure to verify (exit 1).
func TestAuditVerifyBadLogID(t *testing.T) {
	dir, prefix := writeAuditLog(t, 5, auditlog.Options{})
	for _, id := range []string{"host\x01a", strings.Repeat("h", auditlog.MaxLogIDLen+1), "host a"} {
		code, out, errs := runCLI(t, "", "audit", "verify", dir, "--key", prefix+".pub", "--log-id", id)
		if code != 2 || !strings.Contains(errs, "--log-id") {
			t.Errorf("--log-id %q: exit %d\n%s%s\nwant exit 2 naming --log-id", id, code, out, errs)
		}
	}
}
