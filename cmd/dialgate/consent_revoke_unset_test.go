package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// `consent revoke --at` before 2000 (a zero Unix time a script filled in,
// a clock reset) is taken as now, as the sidecar's RevokeConsent takes it
// and as `dnc add --at` refuses it. Taken literally it revoked the consent
// as of its grant, and the withdrawal, dated that early, did not reach the
// person's other records granted since (a duplicate granted the next day
// here): the dial relying on it was allowed after the person withdrew.
func TestConsentRevokeAtBefore2000IsNow(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		data := t.TempDir()
		run := func(args ...string) (int, string, string) {
			t.Helper()
			return runCheckAt(t, "", append([]string{"--data", data}, args...)...)
		}
		for _, g := range []struct{ id, at string }{{"c-1", "2026-11-01T10:00:00+08:00"}, {"c-2", "2026-11-02T10:00:00+08:00"}} {
			if code, out, errs := run("consent", "add", "--id", g.id, "--number", "+8613900139000", "--scope", "industry:finance",
				"--method", "web_form", "--disclosure-sha256", cliHash, "--granted-at", g.at); code != 0 {
				t.Fatalf("add %s: %d %q %q", g.id, code, out, errs)
			}
		}
		checkArgs := []string{"check", "--to", "+8613900139000", "--purpose", "marketing", "--industry", "finance", "--consent-id", "c-2",
			"--at", "2026-12-05T10:00:00+08:00", "--profile", "testdata/cn-no-callerid.yaml"}
		if code, out, errs := run(checkArgs...); code != 0 {
			t.Fatalf("check before the revocation: %d %q %q", code, out, errs)
		}
		before := time.Now().Add(-time.Second)
		args := []string{"consent", "revoke", "c-1", "--at", "1970-01-01T00:00:00Z", "--channel", "sms"}
		if asJSON {
			args = append(args, "--json")
		}
		code, out, errs := run(args...)
		if code != 0 {
			t.Fatalf("revoke --at 1970: %d %q %q; want exit 0", code, out, errs)
		}
		if asJSON {
			var got struct {
				RevokedAt   time.Time `json:"revoked_at"`
				RequestedAt time.Time `json:"requested_at"`
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil || got.RevokedAt.Before(before) || !got.RequestedAt.Equal(time.Unix(0, 0)) {
				t.Fatalf("revoke --json --at 1970: %q %v; want revoked_at now and requested_at 1970", out, err)
			}
		} else if !strings.Contains(out, "is before 2000") {
			t.Errorf("revoke --at 1970: %q does not say --at was taken as now", out)
		}
		checkArgs[len(checkArgs)-3] = "2026-12-05T15:00:00+08:00" // past the frequency cap of the first check
		if code, out, _ := run(checkArgs...); code != 1 || !strings.Contains(out, "consent.revoked") {
			t.Fatalf("check of c-2 after c-1 was withdrawn (json=%v): %d %q, want exit 1 and consent.revoked", asJSON, code, out)
		}
	}
}
