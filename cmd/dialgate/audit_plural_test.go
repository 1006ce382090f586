package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestVerifyTextCountsInWords: audit verify's text said "WARNING: 1 records
// after the last checkpoint are not sealed" (and "1 records" elsewhere) to
// an auditor. One is "record", "is"; more are "records", "are".
func TestVerifyTextCountsInWords(t *testing.T) {
	one := int64(1)
	var out bytes.Buffer
	writeVerifyText(&app{stdout: &out}, verifyResult{Files: []string{"audit-000001.jsonl"}, Records: 1, Decisions: 1,
		Checkpoints: 1, TreeSize: 1, TreeHash: "h", Unsealed: 1, Trusted: "checkpoint", TrustedSize: &one})
	got := out.String()
	for _, w := range []string{"OK   1 record (1 decision, 0 outcomes, 0 repairs)", "1 checkpoint; the last signs 1 record,",
		"trusted checkpoint checkpoint (1 record)", "WARNING: 1 record after the last checkpoint is not sealed"} {
		if !strings.Contains(got, w) {
			t.Errorf("one record: want %q in\n%s", w, got)
		}
	}
	if strings.Contains(got, "1 records") || strings.Contains(got, "1 checkpoints") {
		t.Errorf("one record: plural of one in\n%s", got)
	}
	two := int64(2)
	out.Reset()
	writeVerifyText(&app{stdout: &out}, verifyResult{Files: []string{"audit-000001.jsonl"}, Records: 4, Decisions: 4,
		Checkpoints: 2, TreeSize: 2, TreeHash: "h", Unsealed: 2, Trusted: "checkpoint", TrustedSize: &two})
	got = out.String()
	for _, w := range []string{"OK   4 records (4 decisions", "2 checkpoints; the last signs 2 records,",
		"trusted checkpoint checkpoint (2 records)", "WARNING: 2 records after the last checkpoint are not sealed"} {
		if !strings.Contains(got, w) {
			t.Errorf("several records: want %q in\n%s", w, got)
		}
	}
}
