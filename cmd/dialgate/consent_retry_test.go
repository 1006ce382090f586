package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/report"
)

// TestCLIConsentRevokeAgainUnchanged: `dialgate consent revoke` of a
// consent revoked already (a retry) is recorded (an auditor sees every
// request) as applied and unchanged, and `dialgate report quarterly`
// counts one revocation, the retry under "consent.revoke (unchanged)".
func TestCLIConsentRevokeAgainUnchanged(t *testing.T) {
	data := t.TempDir()
	if code, out, errs := runCLI(t, "", append([]string{"--data", data}, consentAddArgs...)...); code != 0 {
		t.Fatalf("add: %d %s%s", code, out, errs)
	}
	for i := range 2 {
		if code, out, errs := runCLI(t, "", "--data", data, "consent", "revoke", "c-1", "--channel", "call"); code != 0 {
			t.Fatalf("revoke %d: %d %s%s", i, code, out, errs)
		}
	}
	got := cliChanges(t, data, "13900139000")
	if len(got) != 4 {
		t.Fatalf("%d change records, want 4 (every request recorded): %+v", len(got), got)
	}
	if first, again := got[2], got[3]; first.Op != auditlog.OpConsentRevoke || first.Unchanged ||
		again.Op != auditlog.OpConsentRevoke || again.Result != auditlog.ResultApplied || !again.Unchanged || !again.EffectiveAt.Equal(first.EffectiveAt) {
		t.Fatalf("revoke records %+v / %+v, want applied, then applied and unchanged", first, again)
	}
	// The report is made as of now to the second: wait for the second
	// after the changes.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	now := time.Now().UTC()
	q := fmt.Sprintf("%dQ%d", now.Year(), (int(now.Month())-1)/3+1)
	code, out, errs := runCLI(t, "", "--data", data, "report", "quarterly", "--quarter", q, "--zone", "UTC")
	var r report.Report
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil {
		t.Fatalf("report quarterly: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	ops := map[string]int{}
	for _, c := range r.Changes.ByOp {
		ops[c.Key] = c.Count
	}
	if r.Changes.ConsentGrants != 1 || r.Changes.ConsentRevocations != 1 || ops["consent.revoke (unchanged)"] != 1 {
		t.Errorf("report: %d grants, %d revocations, by op %+v; want 1, 1 and one unchanged revocation",
			r.Changes.ConsentGrants, r.Changes.ConsentRevocations, r.Changes.ByOp)
	}
}

// TestCLIConsentAddAgainUnchanged: `dialgate consent add` run again with
// the same record (its answer lost, or its completion not recorded) is a
// retry, as through the sidecar's GrantConsent: exit 0, recorded applied
// and unchanged (not counted as another grant). Another record under the
// id, or the same one once revoked, is still refused (exit 1), recorded
// failed.
func TestCLIConsentAddAgainUnchanged(t *testing.T) {
	data := t.TempDir()
	for i := range 2 {
		if code, out, errs := runCLI(t, "", append([]string{"--data", data}, consentAddArgs...)...); code != 0 {
			t.Fatalf("add %d: %d %s%s", i, code, out, errs)
		}
	}
	got := cliChanges(t, data, "13900139000")
	if len(got) != 4 {
		t.Fatalf("%d change records, want 4 (every request recorded): %+v", len(got), got)
	}
	if first, again := got[1], got[3]; first.Op != auditlog.OpConsentGrant || first.Result != auditlog.ResultApplied || first.Unchanged ||
		again.Op != auditlog.OpConsentGrant || again.Result != auditlog.ResultApplied || !again.Unchanged {
		t.Fatalf("grant records %+v / %+v, want applied, then applied and unchanged", first, again)
	}
	other := slices.Clone(consentAddArgs)
	i := slices.Index(other, "--granted-at")
	other[i+1] = "2026-01-02T00:00:00Z"
	if code, out, errs := runCLI(t, "", append([]string{"--data", data}, other...)...); code != 1 || !strings.Contains(errs, "exists") {
		t.Fatalf("another record under the id: %d %s%s; want exit 1: exists", code, out, errs)
	}
	if code, out, errs := runCLI(t, "", "--data", data, "consent", "revoke", "c-1"); code != 0 {
		t.Fatalf("revoke: %d %s%s", code, out, errs)
	}
	if code, out, errs := runCLI(t, "", append([]string{"--data", data}, consentAddArgs...)...); code != 1 || !strings.Contains(errs, "revoked") {
		t.Fatalf("the same record once revoked: %d %s%s; want exit 1: revoked", code, out, errs)
	}
}
