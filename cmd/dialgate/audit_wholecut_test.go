package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/internal/sidecar"
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

// TestAuditRepairWholeRecordCut: a log whose last line is a whole record,
// only its newline missing, is no crash's usual doing (a crash leaves part
// of a line; an acknowledged record's newline is written and synced with
// it). `audit repair` still cuts it (no acknowledged record lacks its
// newline: see docs/auditors.md), but says so in the words of `audit
// verify`'s WARNING (text), and in whole_record_cuts (--json); so does it
// when it records such a cut an interrupted repair saved. A torn last line
// is not so named.
func TestAuditRepairWholeRecordCut(t *testing.T) {
	for _, tc := range []struct {
		name        string
		keepNewline bool // a torn last line: part of a record, not a whole one
		interrupted bool // an interrupted repair saved and cut it, and recorded nothing
		asJSON      bool
	}{
		{name: "text"},
		{name: "json", asJSON: true},
		{name: "interrupted", interrupted: true},
		{name: "interrupted-json", interrupted: true, asJSON: true},
		{name: "torn-line", keepNewline: true},
		{name: "torn-line-json", keepNewline: true, asJSON: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := t.TempDir()
			a := openAuditTestLog(t, data)
			dir := a.dir
			for range 3 {
				a.check(t, "+8613900139000")
			}
			files, err := auditlog.LogFiles(dir)
			if err != nil || len(files) != 1 {
				t.Fatal(files, err)
			}
			// The log as a crash leaves it: no closing checkpoint, none
			// published.
			b, err := os.ReadFile(files[0])
			if err != nil {
				t.Fatal(err)
			}
			if err := a.log.Close(); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(filepath.Join(dir, auditlog.CheckpointFile)); err != nil {
				t.Fatal(err)
			}
			b = b[:len(b)-1] // the last record's newline removed
			cut := bytes.LastIndexByte(b, '\n') + 1
			if tc.keepNewline {
				b = b[:len(b)-7] // part of the record
			}
			n := len(b) - cut // the bytes the repair cuts
			name := filepath.Base(files[0])
			saved := fmt.Sprintf("%s.torn-%d", name, cut)
			if tc.interrupted {
				if err := os.WriteFile(filepath.Join(dir, saved), b[cut:], 0o600); err != nil {
					t.Fatal(err)
				}
				b = b[:cut]
			}
			if err := os.WriteFile(files[0], b, 0o600); err != nil {
				t.Fatal(err)
			}
			args := []string{"--data", data, "audit", "repair"}
			if tc.asJSON {
				args = append(args, "--json")
			}
			code, out, errs := runCLI(t, "", args...)
			if code != 0 {
				t.Fatalf("repair: %d %s %s", code, out, errs)
			}
			want := auditlog.RepairRecord{File: name, Offset: int64(cut), CutBytes: int64(n), SavedAs: saved}
			warning := fmt.Sprintf("WARNING: the repair that cut %d bytes off %s at offset %d (saved as %s) cut a whole record or line, not part of one: a crash leaves part of a line; an acknowledged record may have been made to look torn", n, name, cut, saved)
			if tc.asJSON {
				var res struct {
					Repaired bool                    `json:"repaired"`
					Repairs  []auditlog.RepairRecord `json:"repairs"`
					Whole    []auditlog.RepairRecord `json:"whole_record_cuts"`
				}
				if err := json.Unmarshal([]byte(out), &res); err != nil || !res.Repaired || len(res.Repairs) != 1 {
					t.Fatalf("repair --json: %v %s", err, out)
				}
				got := res.Repairs[0]
				if got.File != want.File || got.Offset != want.Offset || got.CutBytes != want.CutBytes || got.SavedAs != want.SavedAs {
					t.Fatalf("repair --json: %+v, want %+v", got, want)
				}
				switch {
				case tc.keepNewline && (len(res.Whole) != 0 || strings.Contains(out, "whole_record_cuts")):
					t.Fatalf("repair --json of a torn last line names a whole record cut: %s", out)
				case !tc.keepNewline && (len(res.Whole) != 1 || res.Whole[0] != got):
					t.Fatalf("repair --json: whole_record_cuts %+v, want [%+v]\n%s", res.Whole, got, out)
				}
			} else {
				switch {
				case tc.keepNewline && (strings.Contains(out, "WARNING") || strings.Contains(out, "whole record")):
					t.Fatalf("repair of a torn last line warns of a whole record:\n%s", out)
				case !tc.keepNewline && !strings.Contains(out, warning):
					t.Fatalf("repair:\n%s\nwant %q", out, warning)
				}
			}
			// verify warns alike (unchanged).
			pub := filepath.Join(data, sidecar.KeysDir, sidecar.SignerPubFile)
			code, out, errs = runCLI(t, "", "--data", data, "audit", "verify", dir, "--key", pub)
			if code != 0 || strings.Contains(out, warning) == tc.keepNewline {
				t.Fatalf("verify after repair: %d %s %s\nwant warning %v: %q", code, out, errs, !tc.keepNewline, warning)
			}
		})
	}
}
