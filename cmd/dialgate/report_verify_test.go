package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportQuarterlyVerifies: the report counted whatever the log files
// held once their hash chain held, and the chain needs no key: a record
// appended with the right seq and prev, or a sealed record edited together
// with every later prev, was counted. With --key every log directory is
// verified (auditlog.Verify) before anything is counted, and --sealed also
// refuses records no checkpoint signs; a failure names the directory and
// the problem, and no report is written.
func TestReportQuarterlyVerifies(t *testing.T) {
	data := t.TempDir()
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return runCheckAt(t, "", append([]string{"--data", data}, args...)...)
	}
	if code, _, errs := run("ledger", "add", "--tenant", "acme", "--number", "+861058001234", "--holder", "Acme Ltd", "--purposes", "service"); code != 0 {
		t.Fatalf("ledger add: %d %s", code, errs)
	}
	if code, _, errs := run("check", "--tenant", "acme", "--to", "+8613900139001", "--from", "+861058001234", "--purpose", "service",
		"--lead-id", "crm-1", "--at", "2026-12-01T10:00:00+08:00"); code != 0 {
		t.Fatalf("check: %d %s", code, errs)
	}
	pub := filepath.Join(data, "keys", "audit-signer.pub")
	dir := filepath.Join(data, "audit")
	file := filepath.Join(dir, "audit-000001.jsonl")
	total := func(out string) int {
		t.Helper()
		var r struct {
			Decisions struct {
				Total int `json:"total"`
			} `json:"decisions"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("report JSON: %v\n%s", err, out)
		}
		return r.Decisions.Total
	}
	report := []string{"report", "quarterly", "--quarter", "2026Q4", "--at", "2026-12-05T10:00:00+08:00"}
	code, out, errs := run(append(report, "--key", pub, "--sealed")...)
	if code != 0 || total(out) != 1 {
		t.Fatalf("report --key --sealed on an unedited log: %d %s %s", code, out, errs)
	}
	// The report says what it verified, so that whoever reads it can match
	// the log with audit verify's output; without --key it says nothing was.
	var v struct {
		Verification *struct {
			Keys   []string `json:"keys"`
			Sealed bool     `json:"sealed"`
			Logs   []struct {
				Dir      string `json:"dir"`
				Records  int64  `json:"records"`
				TreeSize int64  `json:"tree_size"`
				TreeHash string `json:"tree_hash"`
			} `json:"logs"`
		} `json:"audit_verification"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	_, vout, _ := runCheckAt(t, "", "audit", "verify", dir, "--key", pub, "--json")
	var vres verifyResult
	if err := json.Unmarshal([]byte(vout), &vres); err != nil {
		t.Fatal(err)
	}
	if av := v.Verification; av == nil || len(av.Keys) != 1 || !strings.HasPrefix(av.Keys[0], "dialgate-sidecar+") || !av.Sealed || len(av.Logs) != 1 ||
		av.Logs[0].Dir != dir || av.Logs[0].Records != vres.Records || av.Logs[0].TreeSize != vres.TreeSize || av.Logs[0].TreeHash != vres.TreeHash || av.Logs[0].TreeHash == "" {
		t.Errorf("audit_verification %+v; want the key, sealed, and the log %s as audit verify saw it (%d records, tree %d %s)", av, dir, vres.Records, vres.TreeSize, vres.TreeHash)
	}
	if code, out, _ := run(report...); code != 0 || !strings.Contains(out, `"audit_verification": null`) {
		t.Errorf("report without --key: %d; want \"audit_verification\": null:\n%s", code, out)
	}
	if code, _, errs := run(append(report, "--sealed")...); code != 2 || !strings.Contains(errs, "--sealed") || !strings.Contains(errs, "--key") {
		t.Fatalf("report --sealed without --key: %d %s; want exit 2 naming --sealed and --key", code, errs)
	}

	clean, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	appendForgedRecord(t, file)
	if code, out, errs := run(report...); code != 0 || total(out) != 2 {
		t.Fatalf("report without --key: %d, want the forged record counted (2 decisions): %s %s", code, out, errs)
	}
	code, out, errs = run(append(report, "--key", pub, "--sealed")...)
	if code != 1 || out != "" || !strings.Contains(errs, dir) || !strings.Contains(errs, "unsealed") {
		t.Fatalf("report --key --sealed with an appended record: %d stdout %q stderr %q; want exit 1 naming %s and unsealed", code, out, errs, dir)
	}

	// A sealed record edited: the chain breaks where the next record's prev
	// no longer matches, or, for the last record, only the signature shows it.
	edited := strings.Replace(string(clean), `"allowed":true`, `"allowed":false`, 1)
	if edited == string(clean) {
		t.Fatal("no allowed decision to edit")
	}
	if err := os.WriteFile(file, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs = run(append(report, "--key", pub)...)
	if code != 1 || out != "" || !strings.Contains(errs, "edited") {
		t.Fatalf("report --key with an edited record: %d stdout %q stderr %q; want exit 1 naming the edit", code, out, errs)
	}
	other := filepath.Join(t.TempDir(), "o")
	runCheckAt(t, "", "audit", "keygen", "--out", other)
	if err := os.WriteFile(file, clean, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := run(append(report, "--key", other+".pub")...); code != 1 || !strings.Contains(errs, "bad signature") {
		t.Fatalf("report --key with another key: %d %s", code, errs)
	}
}
