package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/auditlog"
)

// A repair that cut a whole record is shown: a WARNING in the text, and
// whole_record_cuts in --json.
func TestVerifyShowsWholeRecordCut(t *testing.T) {
	cut := auditlog.RepairRecord{File: "audit-000001.jsonl", Offset: 5187, CutBytes: 612, CutSHA256: strings.Repeat("ab", 32), SavedAs: "audit-000001.jsonl.torn-5187"}
	res := verifyResult{OK: true, Records: 7, Repairs: 1, Files: []string{"audit-000001.jsonl"}, WholeRecordCuts: []auditlog.RepairRecord{cut}}
	var out bytes.Buffer
	a := newApp(nil, &out, &out)
	if err := a.printVerify(res, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "WARNING: the repair that cut 612 bytes off audit-000001.jsonl at offset 5187 (saved as audit-000001.jsonl.torn-5187) cut a whole record") {
		t.Errorf("text output:\n%s", out.String())
	}
	out.Reset()
	if err := a.printVerify(res, true); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Cuts []auditlog.RepairRecord `json:"whole_record_cuts"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || len(got.Cuts) != 1 || got.Cuts[0] != cut {
		t.Errorf("--json: %v %s", err, out.String())
	}
}
