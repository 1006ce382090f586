package auditlog

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Verify names a repair whose saved bytes are a whole record, only its
// newline missing (an acknowledged record made to look torn). Its newline
// replaced by another byte, or a cut saved beside the log by hand holding
// whole lines, escaped it: the saved bytes did not parse as one line and
// held no zeros, so the repair passed for a crash's. A crash's torn line
// is part of a line the writer wrote: it never holds a whole record
// followed by more bytes, nor a newline (without a power cut's zeros).
func TestVerifyNamesWholeRecordCutWithMore(t *testing.T) {
	k := newTestKeys(t, "test-log")
	opts := testOptions(k)
	for _, tc := range []struct {
		name string
		edit func(t *testing.T, dir string, file string, b []byte) // b: the file, its last record unsealed
	}{
		{"newline replaced by another byte", func(t *testing.T, _, file string, b []byte) {
			if err := os.WriteFile(file, append(bytes.TrimSuffix(b, []byte("\n")), ' ', 'x'), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"whole lines cut and saved by hand", func(t *testing.T, dir, file string, b []byte) {
			// The last record and a copy of it, as if several records
			// were cut: saved as Repair names a cut, the file cut there.
			lines := bytes.SplitAfter(b, []byte("\n"))
			last := lines[len(lines)-2]
			off := len(b) - len(last)
			saved := filepath.Join(dir, fmt.Sprintf("%s.torn-%d", filepath.Base(file), off))
			if err := os.WriteFile(saved, append(append([]byte(nil), last...), last...), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, b[:off], 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			files := sealedThenUnsealed(t, dir, opts)
			b, err := os.ReadFile(files[0])
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(t, dir, files[0], b)
			recs, err := Repair(context.Background(), dir, opts)
			if err != nil || len(recs) != 1 {
				t.Fatalf("Repair: %+v, %v", recs, err)
			}
			rep, err := Verify(context.Background(), files, VerifyOptions{Verifiers: k.verifiers, Dir: dir})
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if len(rep.WholeRecordCuts) != 1 || rep.WholeRecordCuts[0] != recs[0] || len(rep.ZeroedWriteCuts) != 0 {
				t.Fatalf("WholeRecordCuts %+v, ZeroedWriteCuts %+v; want the repair %+v named", rep.WholeRecordCuts, rep.ZeroedWriteCuts, recs[0])
			}
			if whole, err := SavedWholeRecord(dir, recs[0]); err != nil || !whole {
				t.Fatalf("SavedWholeRecord: %v, %v; want true", whole, err)
			}
		})
	}
}
