package auditlog

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// An auditor given a closed log (a stopped sidecar's, a copy taken for the
// audit, one written by dialgate check) needs every record signed: records
// after the last checkpoint could have been appended or edited by anyone
// who can write the file, and the quarterly report counts them.
// VerifyOptions.RequireSealed makes them a failure naming the first one;
// without it they stay a count in the Report.
func TestVerifyRequireSealed(t *testing.T) {
	ctx := context.Background()
	k := newTestKeys(t, "test-log")
	dir := t.TempDir()
	files := sealedThenUnsealed(t, dir, testOptions(k))

	rep, err := Verify(ctx, files, VerifyOptions{Verifiers: k.verifiers})
	if err != nil || rep.Unsealed != 1 {
		t.Fatalf("Verify: unsealed %v, %v; want 1 unsealed record and no error", rep, err)
	}
	sealedN := rep.Tree.N

	rep, err = Verify(ctx, files, VerifyOptions{Verifiers: k.verifiers, RequireSealed: true})
	var ve *VerifyError
	if !errors.As(err, &ve) || !errors.Is(err, ErrVerify) {
		t.Fatalf("Verify RequireSealed: %v; want a *VerifyError", err)
	}
	if ve.Problem != ProblemUnsealed || ve.Seq != sealedN || ve.File != files[len(files)-1] || ve.Line == 0 {
		t.Errorf("problem %+v; want %q at record %d, naming its file and line", ve, ProblemUnsealed, sealedN)
	}
	if !strings.Contains(ve.Detail, "1 record") {
		t.Errorf("detail %q; want it to say how many records are unsealed", ve.Detail)
	}
	if rep == nil || rep.Unsealed != 1 {
		t.Errorf("report %+v; want the unsealed count kept", rep)
	}

	// A closed log passes.
	dir2 := t.TempDir()
	files2 := writeLog(t, dir2, testOptions(k), 4)
	if _, err := Verify(ctx, files2, VerifyOptions{Verifiers: k.verifiers, RequireSealed: true}); err != nil {
		t.Errorf("Verify RequireSealed on a closed log: %v", err)
	}
}

// A log without any checkpoint is unsealed from record 0, and the message
// does not speak of a last checkpoint it does not have.
func TestVerifyRequireSealedNoCheckpoint(t *testing.T) {
	k := newTestKeys(t, "test-log")
	dir := t.TempDir()
	files := writeLog(t, dir, testOptions(k), 2)
	var kept []string
	for _, l := range strings.SplitAfter(readFile(t, files[0]), "\n") {
		if !strings.Contains(l, `"kind":"checkpoint"`) {
			kept = append(kept, l)
		}
	}
	writeFile(t, files[0], strings.Join(kept, ""))
	_, err := Verify(context.Background(), files, VerifyOptions{Verifiers: k.verifiers, RequireSealed: true})
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Problem != ProblemUnsealed || ve.Seq != 0 || ve.Line != 1 || !strings.Contains(ve.Detail, "and no checkpoint") {
		t.Fatalf("Verify: %v; want unsealed from record 0 at line 1, saying there is no checkpoint", err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyRequireSealedTrustedCovers: RequireSealed refuses records no
// signature covers (docs/auditors.md: "records after a log's last
// checkpoint (signed by nothing)"). It also refused records that the
// trusted checkpoint (VerifyOptions.Trusted, which Verify checked the log
// against) signs, when the log's own checkpoint lines stop before them (its
// last checkpoint lines deleted): the failure said "no signature covers"
// records a signature covers. Records the trusted checkpoint signs are
// sealed; those after both are still refused, from the first of them.
func TestVerifyRequireSealedTrustedCovers(t *testing.T) {
	ctx := context.Background()
	k := newTestKeys(t, "test-log")
	dir := t.TempDir()
	opts := testOptions(k)
	opts.CheckpointEvery = 3
	files := writeLog(t, dir, opts, 7) // checkpoints after records 2, 5 and 6 (the close)
	trusted, err := os.ReadFile(dir + "/" + CheckpointFile)
	if err != nil {
		t.Fatal(err)
	}
	// The log's last checkpoint line is deleted: its own checkpoints now
	// seal records 0 to 5 only; the trusted one signs all 7 (+ outcomes).
	lines := strings.SplitAfter(readFile(t, files[0]), "\n")
	last := len(lines) - 2
	if !strings.Contains(lines[last], `"kind":"checkpoint"`) {
		t.Fatalf("last line %q is not a checkpoint", lines[last])
	}
	writeFile(t, files[0], strings.Join(lines[:last], ""))
	vo := VerifyOptions{Verifiers: k.verifiers, Trusted: trusted}
	rep, err := Verify(ctx, files, vo)
	if err != nil || rep.TrustedTree == nil || rep.Tree.N >= rep.TrustedTree.N || rep.TrustedTree.N != rep.Records {
		t.Fatalf("Verify: %+v, %v; want the trusted checkpoint to sign more records than the log's last", rep, err)
	}
	if rep.Unsealed != 0 {
		t.Errorf("Unsealed = %d, want 0: the trusted checkpoint signs every record", rep.Unsealed)
	}
	vo.RequireSealed = true
	if rep, err := Verify(ctx, files, vo); err != nil || rep.Unsealed != 0 {
		t.Fatalf("Verify RequireSealed with a trusted checkpoint signing every record: %v (unsealed %d), want success", err, rep.Unsealed)
	}
	// Without the trusted checkpoint, they are unsealed.
	if _, err := Verify(ctx, files, VerifyOptions{Verifiers: k.verifiers, RequireSealed: true}); !errors.Is(err, ErrVerify) {
		t.Fatalf("Verify RequireSealed without the trusted checkpoint: %v, want unsealed", err)
	}
	// A record appended after both is refused, from the first after the trusted tree.
	n := rep.Records
	writeFile(t, files[0], strings.Join(lines[:last], "")+forgedNext(t, lines[last-1]))
	_, err = Verify(ctx, files, vo)
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Problem != ProblemUnsealed || ve.Seq != n || !strings.Contains(ve.Detail, "1 record after the trusted checkpoint") {
		t.Fatalf("Verify RequireSealed with a record after the trusted checkpoint: %v, want unsealed at record %d, 1 record after the trusted checkpoint", err, n)
	}
}

// forgedNext returns a record line that follows the record line prev (the
// next seq, prev its hash): what anyone who can write the file can append.
func forgedNext(t *testing.T, prev string) string {
	t.Helper()
	prev = strings.TrimSuffix(prev, "\n")
	l, err := ParseLine([]byte(prev))
	if err != nil || l.Seq == nil {
		t.Fatalf("%q is not a record: %v", prev, err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(prev), &m); err != nil {
		t.Fatal(err)
	}
	m["seq"], m["prev"] = *l.Seq+1, tlog.RecordHash([]byte(prev)).String()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}
