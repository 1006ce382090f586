package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/dialgate/dialgate/auditlog"
)

// appendForgedRecord appends to file a copy of its last record with the next
// seq, a prev that chains it and, for a decision, another decision id: what anyone who can write the file can do
// without the signing key.
func appendForgedRecord(t *testing.T, file string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var last string
	var seq float64
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		if m["kind"] != "checkpoint" {
			last, seq = l, m["seq"].(float64)
		}
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(last), &m); err != nil {
		t.Fatal(err)
	}
	m["seq"], m["prev"] = seq+1, tlog.RecordHash([]byte(last)).String()
	if d, ok := m["decision"].(map[string]any); ok {
		d["id"] = fmt.Sprint(d["id"], "-forged") // a decision of its own, counted by a report
	}
	forged, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, append(data, append(forged, '\n')...), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestAuditVerifySealed: a record appended after the last checkpoint of a
// closed log verified with exit 0 and a warning (the quarterly report then
// counted it). --sealed makes it a failure naming the record, its file and
// line, for the auditor who verifies a closed log.
func TestAuditVerifySealed(t *testing.T) {
	dir, pub := auditFixture(t)
	file := filepath.Join(dir, "audit-000001.jsonl")
	if code, out, errs := runCLI(t, "", "audit", "verify", dir, "--key", pub, "--sealed"); code != 0 || !strings.Contains(out, "OK   30 records") {
		t.Fatalf("verify --sealed on a closed log: %d\n%s%s", code, out, errs)
	}
	appendForgedRecord(t, file)
	code, out, _ := runCLI(t, "", "audit", "verify", dir, "--key", pub)
	if code != 0 || !strings.Contains(out, "WARNING: 1 record after the last checkpoint is not sealed") {
		t.Fatalf("verify without --sealed: %d\n%s", code, out)
	}
	n := strings.Count(mustRead(t, file), "\n")
	code, out, _ = runCLI(t, "", "audit", "verify", dir, "--key", pub, "--sealed")
	want := file + ":" + strconv.Itoa(n) + ": record 30: unsealed: 1 record after the last checkpoint"
	if code != 1 || !strings.Contains(out, "FAIL "+want) {
		t.Fatalf("verify --sealed: %d\n%s\nwant exit 1 and FAIL %s", code, out, want)
	}
	code, out, _ = runCLI(t, "", "audit", "verify", dir, "--key", pub, "--sealed", "--json")
	var res verifyResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 1 || res.OK || res.Problem == nil ||
		res.Problem.Problem != auditlog.ProblemUnsealed || res.Problem.Seq != 30 || res.Unsealed != 1 {
		t.Fatalf("verify --sealed --json: %d %v\n%s", code, err, out)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
