package main

import (
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/internal/sidecar"
)

// `dialgate admin consent revoke --at` before 2000 (a zero Unix time a
// script filled in, a clock reset) was refused as bad input (exit 2), and
// the withdrawal was not made, while the local `consent revoke --at` and the
// sidecar's RevokeConsent take such an instant as now: a withdrawal is never
// refused for its instant. It now reaches the sidecar, which revokes as of
// its clock, and the command says so.
func TestAdminConsentRevokeAtBefore2000IsNow(t *testing.T) {
	s := startAdminSidecar(t, sidecar.Config{})
	const num = "+8613900139073"
	granted := time.Now().UTC().Add(-24 * time.Hour).Truncate(time.Second).Format(time.RFC3339)
	if code, out, errs := s.admin(t, "consent", "add", "--id", "c-unset-1", "--number", num, "--scope", "industry:finance",
		"--method", "written", "--evidence-uri", "s3://evidence/c-unset-1.pdf", "--granted-at", granted); code != 0 {
		t.Fatalf("admin consent add: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs := s.admin(t, "consent", "revoke", "c-unset-1", "--at", "1970-01-01T00:00:00Z", "--channel", "call")
	if code != 0 || !strings.Contains(out, "revoked consent c-unset-1") || !strings.Contains(out, "before 2000") {
		t.Fatalf("admin consent revoke --at 1970: exit %d, stdout %q, stderr %q; want it revoked as of the sidecar's clock, saying so", code, out, errs)
	}
	s.stop()
	code, out, errs = runCLI(t, "", "--data", s.data, "consent", "show", num)
	if code != 0 || !strings.Contains(out, "c-unset-1") || !strings.Contains(out, "(call)") {
		t.Fatalf("consent show after the revocation: exit %d, stdout %q, stderr %q; want c-unset-1 revoked (call)", code, out, errs)
	}
}
