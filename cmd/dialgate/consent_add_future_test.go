package main

import (
	"strings"
	"testing"
	"time"
)

// `consent add` refused a --granted-at more than a minute ahead of the
// clock, and took one less than that as given. A consent dated ahead of the
// moment it is recorded is a wrong clock, and it slipped past the person's
// withdrawal: a withdrawal recorded in that minute is dated before the
// grant, so the grant read as consent given again after it, and allowed
// dials once its granted_at came. The sidecar's GrantConsent refuses any
// granted_at after its clock; so does the CLI now.
func TestConsentAddAheadOfClockRefused(t *testing.T) {
	data := t.TempDir()
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return runCheckAt(t, "", append([]string{"--data", data}, args...)...)
	}
	add := func(id string, granted time.Time) (int, string, string) {
		return run("consent", "add", "--id", id, "--number", "+8613900139000", "--scope", "industry:finance",
			"--method", "web_form", "--disclosure-sha256", cliHash, "--granted-at", granted.Format(time.RFC3339))
	}
	now := time.Now().Truncate(time.Second)
	if code, out, errs := add("c-1", now.Add(-24*time.Hour)); code != 0 {
		t.Fatalf("add c-1: %d %q %q", code, out, errs)
	}
	code, out, errs := add("c-2", now.Add(40*time.Second))
	if code == 2 && strings.Contains(errs, "--granted-at") && strings.Contains(errs, "future") {
		return // refused: nothing can slip past a withdrawal
	}
	if code != 0 {
		t.Fatalf("add c-2 ahead of the clock: %d %q %q; want exit 2 naming --granted-at", code, out, errs)
	}
	// Accepted: the person withdraws now, and c-2 allows after it.
	if code, out, errs := run("consent", "revoke", "c-1", "--channel", "call"); code != 0 {
		t.Fatalf("revoke c-1: %d %q %q", code, out, errs)
	}
	code, out, _ = run("check", "--to", "+8613900139000", "--purpose", "marketing", "--industry", "finance", "--consent-id", "c-2",
		"--at", now.Add(2*time.Minute).Format(time.RFC3339), "--profile", "testdata/cn-no-callerid.yaml")
	t.Fatalf("a grant dated 40 s ahead was stored; after the withdrawal, consent.revoked in check's reasons: %v (exit %d); want the grant refused (exit 2 naming --granted-at)",
		strings.Contains(out, "consent.revoked"), code)
}
