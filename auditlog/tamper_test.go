package auditlog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// tamperLog writes a 40-record log with a checkpoint every 10 records and
// returns its single file's lines (checkpoints included), the keys and the
// trusted checkpoint.
func tamperLog(t *testing.T) (dir string, lines [][]byte, k testKeys, trusted []byte) {
	t.Helper()
	k = newTestKeys(t, "tamper-log")
	dir = t.TempDir()
	opts := testOptions(k)
	opts.CheckpointEvery = 10
	l := openTest(t, dir, opts)
	for i := range 40 {
		if err := l.RecordDecision(context.Background(), sampleDecision(i)); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	b, err := os.ReadFile(filepath.Join(dir, fileName(1)))
	if err != nil {
		t.Fatal(err)
	}
	lines = bytes.SplitAfter(b, []byte("\n"))
	lines = lines[:len(lines)-1] // the empty piece after the last newline
	trusted, err = os.ReadFile(filepath.Join(dir, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	return dir, lines, k, trusted
}

// lineOf returns the index in lines of record seq.
func lineOf(t *testing.T, lines [][]byte, seq int64) int {
	for i, l := range lines {
		if bytes.Contains(l, fmt.Appendf(nil, `"seq":%d,`, seq)) {
			return i
		}
	}
	t.Fatalf("record %d not found", seq)
	return -1
}

func TestTamper(t *testing.T) {
	_, lines, k, trusted := tamperLog(t)
	if len(lines) != 44 {
		t.Fatalf("%d lines, want 40 records + 4 checkpoints", len(lines))
	}
	clone := func() [][]byte {
		out := make([][]byte, len(lines))
		for i, l := range lines {
			out[i] = append([]byte(nil), l...)
		}
		return out
	}
	type tc struct {
		name    string
		edit    func([][]byte) [][]byte
		trusted bool
		problem Problem
		want    string // in the message
	}
	cases := []tc{
		{"untouched", func(ls [][]byte) [][]byte { return ls }, true, "", ""},
		{"edit one byte in a record", func(ls [][]byte) [][]byte {
			i := lineOf(t, ls, 5)
			ls[i] = bytes.Replace(ls[i], []byte(`"tenant":"acme"`), []byte(`"tenant":"acmf"`), 1)
			return ls
		}, false, ProblemEdited, "record 5: edited: its hash does not match the prev that record 6"},
		{"edit one byte so the line is not JSON", func(ls [][]byte) [][]byte {
			i := lineOf(t, ls, 12)
			ls[i][len(ls[i])-2] = 'x' // the closing brace
			return ls
		}, false, ProblemEdited, "record 12: edited: record 12 was expected here but the line is not a valid record"},
		{"edit the last record", func(ls [][]byte) [][]byte {
			i := lineOf(t, ls, 39)
			ls[i] = bytes.Replace(ls[i], []byte(`"allowed":`), []byte(`"allowed" :`), 1)
			return ls
		}, false, ProblemEdited, "do not match the tree hash this checkpoint signs"},
		{"edit a record and rewrite the chain", func(ls [][]byte) [][]byte {
			return rechain(t, ls, 7, func(l *Line) { l.Decision.Allowed = !l.Decision.Allowed })
		}, false, ProblemEdited, "the records 0 to 9 do not match the tree hash this checkpoint signs"},
		{"delete a record", func(ls [][]byte) [][]byte {
			i := lineOf(t, ls, 15)
			return append(ls[:i], ls[i+1:]...)
		}, false, ProblemDeleted, "record 15: deleted: record 15 is missing: record 16 follows record 14"},
		{"delete the record before a checkpoint", func(ls [][]byte) [][]byte {
			i := lineOf(t, ls, 9)
			return append(ls[:i], ls[i+1:]...)
		}, false, ProblemDeleted, "the checkpoint here signs 10 records but only 9 precede it"},
		{"swap two records", func(ls [][]byte) [][]byte {
			i, j := lineOf(t, ls, 21), lineOf(t, ls, 22)
			ls[i], ls[j] = ls[j], ls[i]
			return ls
		}, false, ProblemReordered, "record 22: reordered: record 22 comes before record 21"},
		{"duplicate a record", func(ls [][]byte) [][]byte {
			i := lineOf(t, ls, 3)
			return append(ls[:i+1], append([][]byte{ls[i]}, ls[i+1:]...)...)
		}, false, ProblemInserted, "record 3 appears again"},
		{"insert an edited copy of an earlier record", func(ls [][]byte) [][]byte {
			cp := bytes.Replace(ls[lineOf(t, ls, 3)], []byte(`"tenant":"acme"`), []byte(`"tenant":"acmf"`), 1)
			i := lineOf(t, ls, 17)
			return append(ls[:i], append([][]byte{cp}, ls[i:]...)...)
		}, false, ProblemReordered, "record 3: reordered: record 3 comes after record 16 (another record 3 is at "},
		{"move a record six records later", func(ls [][]byte) [][]byte {
			i, j := lineOf(t, ls, 30), lineOf(t, ls, 36)
			moved := ls[i]
			ls = append(ls[:i:i], ls[i+1:]...)
			return append(ls[:j:j], append([][]byte{moved}, ls[j:]...)...)
		}, false, ProblemReordered, "record 31: reordered: record 31 comes before record 30"},
		{"truncate after a checkpoint", func(ls [][]byte) [][]byte {
			return ls[:lineOf(t, ls, 25)] // records 25..39 and two checkpoints gone
		}, true, ProblemTruncated, "the trusted checkpoint signs 40 records but the log holds only 25"},
		{"truncate mid-line", func(ls [][]byte) [][]byte {
			i := lineOf(t, ls, 33)
			ls[i] = ls[i][:len(ls[i])/2]
			return ls[:i+1]
		}, false, ProblemTruncated, "the last line"},
		{"bad signature", func(ls [][]byte) [][]byte {
			i := lineOf(t, ls, 20) - 1 // the checkpoint after record 19
			ls[i] = corruptSignature(t, ls[i])
			return ls
		}, false, ProblemBadSignature, "does not verify"},
		{"checkpoint text edited", func(ls [][]byte) [][]byte {
			i := lineOf(t, ls, 10) - 1
			ls[i] = bytes.Replace(ls[i], []byte(`\n10\n`), []byte(`\n11\n`), 1)
			return ls
		}, false, ProblemBadSignature, "does not verify"},
		{"checkpoint moved", func(ls [][]byte) [][]byte {
			i := lineOf(t, ls, 10) - 1
			ls[i], ls[i+1] = ls[i+1], ls[i]
			return ls
		}, false, ProblemReordered, "it was moved"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			name := filepath.Join(dir, fileName(1))
			if err := os.WriteFile(name, bytes.Join(c.edit(clone()), nil), 0o600); err != nil {
				t.Fatal(err)
			}
			opts := VerifyOptions{Verifiers: k.verifiers}
			if c.trusted {
				opts.Trusted = trusted
			}
			_, err := Verify(context.Background(), []string{name}, opts)
			if c.problem == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			ve := assertProblem(t, err, c.problem, c.want)
			if !strings.HasPrefix(ve.Error(), name) {
				t.Fatalf("message %q does not start with the file name", ve)
			}
			t.Log(ve)
		})
	}

	t.Run("unknown key", func(t *testing.T) {
		other := newTestKeys(t, "tamper-log")
		dir := t.TempDir()
		name := filepath.Join(dir, fileName(1))
		os.WriteFile(name, bytes.Join(lines, nil), 0o600)
		_, err := Verify(context.Background(), []string{name}, VerifyOptions{Verifiers: other.verifiers})
		assertProblem(t, err, ProblemBadSignature, "not signed by any trusted key")
	})
	t.Run("forged trusted checkpoint", func(t *testing.T) {
		dir := t.TempDir()
		name := filepath.Join(dir, fileName(1))
		os.WriteFile(name, bytes.Join(lines, nil), 0o600)
		forged := bytes.Replace(trusted, []byte("\n40\n"), []byte("\n41\n"), 1)
		_, err := Verify(context.Background(), []string{name}, VerifyOptions{Verifiers: k.verifiers, Trusted: forged})
		assertProblem(t, err, ProblemBadSignature, "trusted checkpoint")
	})
}

// rechain edits record seq and rewrites every later prev, as an attacker who
// knows the format (but not the signing key) would.
func rechain(t *testing.T, ls [][]byte, seq int64, edit func(*Line)) [][]byte {
	t.Helper()
	var prev tlog.Hash
	for i, raw := range ls {
		l, err := ParseLine(bytes.TrimSuffix(raw, []byte("\n")))
		if err != nil {
			t.Fatal(err)
		}
		if l.Kind == KindCheckpoint {
			continue
		}
		if *l.Seq == seq {
			edit(l)
		}
		if *l.Seq > 0 {
			l.Prev = prev.String()
		}
		enc, err := encodeLine(l)
		if err != nil {
			t.Fatal(err)
		}
		prev = tlog.RecordHash(enc)
		ls[i] = append(enc, '\n')
	}
	return ls
}

// corruptSignature flips one bit of the signature (not the key hash) of a
// checkpoint line.
func corruptSignature(t *testing.T, line []byte) []byte {
	t.Helper()
	var l Line
	if err := json.Unmarshal(line, &l); err != nil {
		t.Fatal(err)
	}
	i := strings.LastIndex(l.Note, " ")
	sig := []byte(l.Note[i+1:])
	// base64 of 4 bytes key hash + 64 bytes signature; change a character well inside the signature.
	if sig[20] == 'A' {
		sig[20] = 'B'
	} else {
		sig[20] = 'A'
	}
	l.Note = l.Note[:i+1] + string(sig)
	return append(appendCheckpointLine(nil, []byte(l.Note)), '\n')
}
