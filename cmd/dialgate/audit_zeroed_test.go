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

// TestAuditRepairZeroedBlock: a power cut during the log's last write can
// leave a block of it unwritten (zeros) and later ones written. `audit
// repair` cuts from the damaged line on, saves and records the cut, and
// says (as `audit verify` does, in its text and --json output) that it cut
// a torn write with unwritten (zero) blocks, counting the whole records the
// saved bytes hold; `audit verify` passes; the same block overwritten with
// anything but zeros is refused, naming the file and the offset, and
// nothing changes.
func TestAuditRepairZeroedBlock(t *testing.T) {
	const block = 4096
	for _, tc := range []struct {
		fill   byte
		asJSON bool
	}{{0, false}, {0, true}, {'x', false}} {
		fill := tc.fill
		t.Run(fmt.Sprintf("fill=%q,json=%v", fill, tc.asJSON), func(t *testing.T) {
			data := t.TempDir()
			a := openAuditTestLog(t, data)
			dir := a.dir
			files, err := auditlog.LogFiles(dir)
			if err != nil || len(files) != 1 {
				t.Fatal(files, err)
			}
			for i := 0; ; i++ {
				if fi, err := os.Stat(files[0]); err != nil || fi.Size() > 3*block {
					break
				}
				a.check(t, fmt.Sprintf("+86139001390%02d", i%100))
			}
			// A crash: the log is not closed (no closing checkpoint).
			b, err := os.ReadFile(files[0])
			if err != nil {
				t.Fatal(err)
			}
			// A whole block, with a block of whole lines after it.
			p := (len(b)-1)/block*block - 2*block
			// The records the saved bytes will hold whole: the lines wholly
			// after the damaged block.
			var whole int
			for s := 0; s < len(b); s += bytes.IndexByte(b[s:], '\n') + 1 {
				if s >= p+block {
					whole++
				}
			}
			if whole == 0 {
				t.Fatal("no whole line after the damaged block")
			}
			for i := p; i < p+block; i++ {
				b[i] = fill
			}
			cut := bytes.LastIndexByte(b[:p], '\n') + 1
			// Nor had any checkpoint been published: the closing one is
			// not part of the crash.
			cp := filepath.Join(dir, auditlog.CheckpointFile)
			if _, err := os.Stat(cp); err == nil {
				t.Fatal("a checkpoint was published before the crash")
			}
			if err := a.log.Close(); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(cp); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(files[0], b, 0o600); err != nil {
				t.Fatal(err)
			}
			pub := filepath.Join(data, sidecar.KeysDir, sidecar.SignerPubFile)
			args := []string{"--data", data, "audit", "repair"}
			if tc.asJSON {
				args = append(args, "--json")
			}
			code, out, errs := runCLI(t, "", args...)
			if fill != 0 {
				if code == 0 || !strings.Contains(errs, filepath.Base(files[0])) || !strings.Contains(errs, fmt.Sprint(cut)) {
					t.Fatalf("repair of a block of %q: %d %s %s", fill, code, out, errs)
				}
				if after, _ := os.ReadFile(files[0]); !bytes.Equal(after, b) {
					t.Fatal("the refused repair changed the log")
				}
				return
			}
			name := filepath.Base(files[0])
			// Repair, like verify, names the cut a torn write with zeroed
			// blocks, not a torn last line, and counts the whole records it
			// holds.
			zeroed := fmt.Sprintf("a torn write with unwritten (zero) blocks (%d zero bytes), not a torn last line: the saved bytes hold %d whole records, never acknowledged", block, whole)
			if tc.asJSON {
				var res struct {
					Repaired bool `json:"repaired"`
					Repairs  []struct {
						File   string `json:"file"`
						Offset int64  `json:"offset"`
					} `json:"repairs"`
					Cuts []struct {
						File         string `json:"file"`
						Offset       int64  `json:"offset"`
						SavedAs      string `json:"saved_as"`
						ZeroBytes    int64  `json:"zero_bytes"`
						WholeRecords int    `json:"whole_records"`
					} `json:"zeroed_write_cuts"`
				}
				if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil || !res.Repaired || len(res.Repairs) != 1 || res.Repairs[0].Offset != int64(cut) ||
					len(res.Cuts) != 1 || res.Cuts[0].File != name || res.Cuts[0].Offset != int64(cut) || res.Cuts[0].SavedAs != fmt.Sprintf("%s.torn-%d", name, cut) ||
					res.Cuts[0].ZeroBytes != block || res.Cuts[0].WholeRecords != whole {
					t.Fatalf("repair --json: %d %v %s %s; want one zeroed write cut at %d, %d zero bytes, %d whole records", code, err, out, errs, cut, block, whole)
				}
			} else if code != 0 || !strings.Contains(out, fmt.Sprintf("at offset %d", cut)) || !strings.Contains(out, "the cut is "+zeroed) {
				t.Fatalf("repair: %d %s %s\nwant %q", code, out, errs, zeroed)
			}
			want := fmt.Sprintf("cut %d bytes off %s at offset %d (saved as %s.torn-%d) cut %s", len(b)-cut, name, cut, name, cut, zeroed)
			if code, out, errs := runCLI(t, "", "--data", data, "audit", "verify", dir, "--key", pub); code != 0 || strings.Contains(out, "WARNING") || !strings.Contains(out, want) {
				t.Fatalf("verify after repair: %d %s %s\nwant %q", code, out, errs, want)
			}
			code, out, errs = runCLI(t, "", "--data", data, "audit", "verify", dir, "--key", pub, "--json")
			var res struct {
				Cuts []struct {
					File         string `json:"file"`
					Offset       int64  `json:"offset"`
					ZeroBytes    int64  `json:"zero_bytes"`
					WholeRecords int    `json:"whole_records"`
				} `json:"zeroed_write_cuts"`
				Whole []json.RawMessage `json:"whole_record_cuts"`
			}
			if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil || len(res.Cuts) != 1 || len(res.Whole) != 0 ||
				res.Cuts[0].File != name || res.Cuts[0].Offset != int64(cut) || res.Cuts[0].ZeroBytes != block || res.Cuts[0].WholeRecords != whole {
				t.Fatalf("verify --json after repair: %d %v %s %s; want %d whole records", code, err, out, errs, whole)
			}
			// New records chain onto the last line kept.
			a = openAuditTestLog(t, data)
			a.check(t, "+8613900139000")
			if err := a.log.Close(); err != nil {
				t.Fatal(err)
			}
			if code, out, errs := runCLI(t, "", "--data", data, "audit", "verify", dir, "--key", pub); code != 0 || strings.Contains(out, "WARNING") {
				t.Fatalf("verify after new records: %d %s %s", code, out, errs)
			}
			if after, _ := os.ReadFile(files[0]); !bytes.HasPrefix(after, b[:cut]) {
				t.Fatal("the lines before the damaged one changed")
			}
		})
	}
}
