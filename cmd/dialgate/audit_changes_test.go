package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
)

// TestAuditVerifyChanges: `audit verify` accepts a log mixing decisions and
// change records and counts the changes; a log without change records
// prints as it did before they existed.
func TestAuditVerifyChanges(t *testing.T) {
	dir, prefix := writeAuditLog(t, 3, auditlog.Options{})
	code, out, errs := runCLI(t, "", "audit", "verify", dir, "--key", prefix+".pub")
	if code != 0 || !strings.Contains(out, "OK   3 records (3 decisions, 0 outcomes, 0 repairs) in 1 file(s)") {
		t.Fatalf("verify without changes: %d\n%s%s", code, out, errs)
	}
	skey, _ := os.ReadFile(prefix + ".key")
	signer, err := auditlog.NewSigner(strings.TrimSpace(string(skey)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	l, err := auditlog.Open(ctx, dir, auditlog.Options{HMACKey: []byte("0123456789abcdef0123"), HMACKeyID: "k1", Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 5, 11, 0, 0, 0, time.UTC)
	n := dialgate.MustParseNumber("+8613900139095")
	for _, c := range []auditlog.Change{
		{Op: auditlog.OpDNCRemove, Result: auditlog.ResultRequested, ChangeID: "chg-1", Actor: "ops", Scope: "global", Number: n, At: at},
		{Op: auditlog.OpDNCRemove, Result: auditlog.ResultApplied, ChangeID: "chg-1", Actor: "ops", Scope: "global", Number: n, At: at},
	} {
		if err := l.RecordChange(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	d := dialgate.Decision{ID: "d-after", At: at.Add(time.Second), Allowed: true, Dial: dialgate.Dial{To: n, Purpose: dialgate.PurposeService}}
	if err := l.RecordDecision(ctx, d); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCLI(t, "", "audit", "verify", dir, "--key", prefix+".pub")
	if code != 0 || !strings.Contains(out, "OK   6 records (4 decisions, 0 outcomes, 0 repairs, 2 changes) in 1 file(s)") {
		t.Fatalf("verify with changes: %d\n%s%s", code, out, errs)
	}
	code, out, _ = runCLI(t, "", "audit", "verify", dir, "--key", prefix+".pub", "--json")
	var res verifyResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || !res.OK || res.Changes != 2 || res.Decisions != 4 {
		t.Fatalf("verify --json: %d %v\n%s", code, err, out)
	}
}
