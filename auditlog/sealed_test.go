package auditlog

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
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
