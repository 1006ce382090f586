package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fullWriter fails every write, as stdout redirected to a full disk
// (/dev/full) or a file system gone read-only does.
type fullWriter struct{}

func (fullWriter) Write([]byte) (int, error) {
	return 0, errors.New("write /dev/stdout: no space left on device")
}

// TestStdoutWriteFailureIsNotSuccess: a command whose output could not be
// written must not exit 0. `policy show cn > mutant.yaml` or `consent export
// N > evidence.json` on a full disk exited 0 with an empty or cut file, and
// `check --json` exited 0 (allowed) with no decision printed. The exit code
// is 1 (the command could not do all its job; a write it made stands, so
// not 2, bad input).
func TestStdoutWriteFailureIsNotSuccess(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
	}{
		{"policy show", "", []string{"policy", "show", "cn"}},
		{"policy show json", "", []string{"policy", "show", "cn", "--json"}},
		{"check json allowed", `{"to":"+8613800138000","purpose":"service","lead_id":"x","at":"2026-12-04T10:00:00+08:00"}`,
			[]string{"--data", t.TempDir(), "check", "--json", "--what-if", "--profile", "testdata/cn-no-callerid.yaml"}},
		{"version", "", []string{"version"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var errb bytes.Buffer
			a := newApp(strings.NewReader(tc.stdin), fullWriter{}, &errb)
			err := a.run(context.Background(), tc.args)
			if code := exitCode(err); code != exitFailed {
				t.Fatalf("exit %d, want %d (stdout could not be written); stderr: %s", code, exitFailed, errb.String())
			}
			if !strings.Contains(errb.String(), "stdout") {
				t.Errorf("stderr does not say the output was not written: %q", errb.String())
			}
		})
	}
}

// TestStdoutWriteFailureKeepsAnswer: a command that already exits with its
// answer (dnc lookup: 1, not listed; check: 1, denied) keeps it when its
// output cannot be written; it does not become 0.
func TestStdoutWriteFailureKeepsAnswer(t *testing.T) {
	var errb bytes.Buffer
	a := newApp(strings.NewReader(`{"to":"+8613800138000","purpose":"service","lead_id":"x","at":"2026-12-04T22:30:00+08:00"}`), fullWriter{}, &errb)
	err := a.run(context.Background(), []string{"--data", t.TempDir(), "check", "--json", "--what-if", "--profile", "testdata/cn-no-callerid.yaml"})
	if code := exitCode(err); code != exitFailed {
		t.Fatalf("denied check with a failing stdout: exit %d, want %d; stderr: %s", code, exitFailed, errb.String())
	}
}

// TestStdoutWriteFailureLookupListed: dnc lookup of a listed number whose
// output cannot be written exits 2 (trouble, as grep), never 1, which says
// "listed nowhere".
func TestStdoutWriteFailureLookupListed(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(t.TempDir(), "l.txt")
	if err := os.WriteFile(list, []byte("+8613800138000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "", "--data", dir, "dnc", "import", list, "--scope", "global", "--list", "opt_out"); code != 0 {
		t.Fatalf("dnc import: exit %d: %s", code, stderr)
	}
	for _, args := range [][]string{{"dnc", "lookup", "+8613800138000"}, {"dnc", "lookup", "+8613800138000", "--json"}} {
		var errb bytes.Buffer
		err := newApp(strings.NewReader(""), fullWriter{}, &errb).run(context.Background(), append([]string{"--data", dir}, args...))
		if code := exitCode(err); code != exitBadArgs {
			t.Errorf("%v with a failing stdout: exit %d, want %d; stderr: %s", args, code, exitBadArgs, errb.String())
		}
	}
}
