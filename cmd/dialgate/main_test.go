package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// runCLI runs the command line in-process with stdin and an empty --data
// directory unless args name one (or run dialgate admin, which refuses it).
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runCLIAt(t, time.Time{}, stdin, args...)
}

// runCheckAt runs the command line as runCLI does; when it runs check with
// --at T, it removes the flag and sets the clock of the decision to T
// instead (runCLIAt): check refuses --at against a store, whose decisions
// are real and made now.
func runCheckAt(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	i := slices.Index(args, "--at")
	if !slices.Contains(args, "check") || i < 0 || i+1 >= len(args) {
		return runCLI(t, stdin, args...)
	}
	now, err := time.Parse(time.RFC3339, args[i+1])
	if err != nil {
		t.Fatalf("runCheckAt: --at %q: %v", args[i+1], err)
	}
	return runCLIAt(t, now, stdin, slices.Delete(slices.Clone(args), i, i+2)...)
}

// runCLIAt is runCLI with the clock of the decisions check makes against a
// store set to now (the zero time: the system clock): check --at is refused
// there, so a test of a real decision sets the instant here.
func runCLIAt(t *testing.T, now time.Time, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	hasData, admin := false, false
	for _, a := range args {
		if strings.HasPrefix(a, "--data") {
			hasData = true
		}
		// dialgate admin opens no data directory, nor do screen and
		// health: they refuse --data.
		admin = admin || a == "admin" || a == "screen" || a == "health"
	}
	if !hasData && !admin {
		args = append([]string{"--data", t.TempDir()}, args...)
	}
	a := newApp(strings.NewReader(stdin), &out, &errb)
	if !now.IsZero() {
		a.now = func() time.Time { return now }
	}
	err := a.run(context.Background(), args)
	return exitCode(err), out.String(), errb.String()
}

func TestRunSignature(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"version"}, &out, &errb)
	if err != nil || !strings.HasPrefix(out.String(), "dialgate ") {
		t.Fatalf("run(version) = %v, %q, %q", err, out.String(), errb.String())
	}
}

func TestExitCodes(t *testing.T) {
	dial := []string{"check", "--to", "+8613800138000", "--from", "+861058001234", "--purpose", "service", "--lead-id", "x"}
	tests := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stdout string // substring
		stderr string // substring
	}{
		{"allowed what-if", "", append(dial, "--at", "2026-12-04T10:00:00+08:00", "--profile", "testdata/cn-no-callerid.yaml", "--what-if"), 0, "ALLOWED", "no store at"},
		{"allowed without a store fails closed", "", append(dial, "--at", "2026-12-04T10:00:00+08:00", "--profile", "testdata/cn-no-callerid.yaml"), 1, "DENIED\n  - dnc.unavailable: no store at", "no store at"},
		{"denied", "", append(dial, "--at", "2026-12-04T22:30:00+08:00", "--profile", "testdata/cn-no-callerid.yaml", "--what-if"), 1, "DENIED\n  - schedule.outside_window:", ""},
		{"denied cn", "", append(dial, "--at", "2026-12-04T22:30:00+08:00"), 1, "  - schedule.outside_window:", ""},
		{"denied json", `{"to":"+8613800138000","purpose":"service","lead_id":"x","at":"2026-12-04T22:30:00+08:00"}`, []string{"check", "--json"}, 1, `"code": "schedule.outside_window"`, ""},
		{"bad to", "", []string{"check", "--to", "+86abc", "--purpose", "service"}, 2, "", "--to: invalid number \"+86abc\""},
		{"missing to", "", []string{"check", "--purpose", "service"}, 2, "", "--to: missing"},
		{"bad from", "", []string{"check", "--to", "+8613800138000", "--from", "0105800", "--purpose", "service"}, 2, "", "--from: invalid number"},
		{"missing purpose", "", []string{"check", "--to", "+8613800138000"}, 2, "", "--purpose: missing"},
		{"bad purpose", "", []string{"check", "--to", "+8613800138000", "--purpose", "spam"}, 2, "", `--purpose: unknown purpose "spam"`},
		{"bad at", "", append(dial, "--at", "tomorrow"), 2, "", `--at: "tomorrow" is not an RFC 3339 time`},
		{"bad route", "", append(dial, "--route", "moon"), 2, "", "--route: unknown route"},
		{"callback without trigger", "", []string{"check", "--to", "+8613800138000", "--purpose", "callback"}, 2, "", "--trigger-at: required for purpose callback"},
		{"trigger after at", "", []string{"check", "--to", "+8613800138000", "--purpose", "callback", "--trigger-at", "2026-12-04T11:00:00+08:00", "--at", "2026-12-04T10:00:00+08:00"}, 2, "", "--trigger-at:"},
		{"unknown flag", "", []string{"check", "--too", "+8613800138000"}, 2, "", "unknown flag: --too"},
		{"stray arg", "", append(dial, "extra"), 2, "", "unknown command \"extra\""},
		{"unknown profile", "", append(dial, "--profile", "xx"), 2, "", "--profile:"},
		{"json allowed", `{"to":"+8613800138000","purpose":"service","lead_id":"x","at":"2026-12-04T10:00:00+08:00"}`, []string{"check", "--json", "--what-if", "--profile", "testdata/cn-no-callerid.yaml"}, 0, `"allowed": true`, ""},
		{"json bad to", `{"to":"+86abc","purpose":"service"}`, []string{"check", "--json"}, 2, "", `input key "to": invalid number`},
		{"json unknown key", `{"to":"+8613800138000","purpos":"service"}`, []string{"check", "--json"}, 2, "", `stdin: unknown field "purpos"`},
		{"json empty", ``, []string{"check", "--json"}, 2, "", "stdin: empty"},
		{"json with flag", `{}`, []string{"check", "--json", "--to", "+8613800138000"}, 2, "", "--to: not allowed with --json"},
		{"json at twice", `{"to":"+8613800138000","purpose":"service","at":"2026-12-04T10:00:00+08:00"}`, []string{"check", "--json", "--at", "2026-12-04T10:00:00+08:00"}, 2, "", "both set the decision time"},
		{"unknown command", "", []string{"chekc"}, 2, "", `unknown command "chekc"`},
		{"policy show", "", []string{"policy", "show", "cn"}, 0, "name: cn", ""},
		{"policy show json", "", []string{"policy", "show", "--json", "cn"}, 0, `"version": "cn@`, ""},
		{"policy show unknown", "", []string{"policy", "show", "xx"}, 2, "", `unknown profile "xx"`},
		{"policy show no arg", "", []string{"policy", "show"}, 2, "", "accepts 1 arg"},
		{"policy list", "", []string{"policy", "list"}, 0, "cn@", ""},
		{"policy lint ok", "", []string{"policy", "lint", "cn"}, 0, "ok   cn (cn@", ""},
		{"policy lint none", "", []string{"policy", "lint"}, 2, "", "requires at least 1 arg"},
		{"policy explain", "", []string{"policy", "explain", "cn"}, 0, "cn (cn@", ""},
		{"policy explain json", "", []string{"policy", "explain", "--json", "cn"}, 0, `"rules": [`, ""},
		{"scenarios pass", "", []string{"scenarios", "run", "../../internal/scenario/testdata/run/pass.yaml"}, 0, "--- PASS: 7 steps", ""},
		{"scenarios fail", "", []string{"scenarios", "run", "../../internal/scenario/testdata/run"}, 1, "3 files: 1 passed, 2 failed, 0 invalid", ""},
		{"scenarios missing", "", []string{"scenarios", "run", "nosuch.yaml"}, 2, "", "nosuch.yaml"},
		{"scenarios none", "", []string{"scenarios", "run"}, 2, "", "requires at least 1 arg"},
		{"version json", "", []string{"version", "--json"}, 0, `"go": "go`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLI(t, tt.stdin, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.stdout) || !strings.Contains(errs, tt.stderr) {
				t.Errorf("dialgate %s\nexit %d (want %d)\nstdout:\n%s\nstderr:\n%s\nwant stdout containing %q, stderr containing %q",
					strings.Join(tt.args, " "), code, tt.code, out, errs, tt.stdout, tt.stderr)
			}
		})
	}
}

func TestLintInvalid(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("schema: dialgate.profile.v1\nname: bad\nextends: cn\n\ndescripton: typo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "", "policy", "lint", "cn", bad)
	if code != 1 || !strings.Contains(out, "ok   cn") || !strings.Contains(out, "FAIL "+bad) ||
		!strings.Contains(out, bad+`:5: descripton: unknown key "descripton"`) || !strings.Contains(errs, "1 of 2 profiles invalid") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}

// TestLintCalendarWarning: lint warns, without failing, when a profile's
// holiday calendars run out within 60 days of --at.
func TestLintCalendarWarning(t *testing.T) {
	code, out, errs := runCLI(t, "", "policy", "lint", "cn", "fr", "us-al", "--at", "2026-12-04T10:00:00+08:00")
	if code != 0 || !strings.Contains(out, "ok   cn (cn@") ||
		!strings.Contains(out, "  warning: schedule.holidays.calendars: the holiday data of series cn ends on 2026-12-31, in 27 days (its last calendar is cn-2026)") ||
		strings.Count(out, "warning:") != 1 {
		t.Errorf("2026-12-04: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	code, out, errs = runCLI(t, "", "policy", "lint", "fr", "--at", "2027-11-15T10:00:00+01:00")
	if code != 0 || !strings.Contains(out, "warning: schedule.holidays.calendars: the holiday data of series fr ends on 2027-12-31, in 46 days (its last calendar is fr-2027); from 2028-01-01 every dial is denied (schedule.unavailable)") {
		t.Errorf("2027-11-15: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if code, _, errs := runCLI(t, "", "policy", "lint", "fr", "--at", "tomorrow"); code != 2 || !strings.Contains(errs, "--at") {
		t.Errorf("bad --at: exit %d %s", code, errs)
	}
}

func TestScenariosInvalid(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "s.yaml")
	src := "schema: dialgate.scenario.v1\nname: t\nprofile: cn\nsteps:\n  - at: 2026-12-04T10:00:00+08:00\n    event: {type: party, number: \"+8613800138000\"}\n"
	if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI(t, "", "scenarios", "run", f, "../../internal/scenario/testdata/run/pass.yaml")
	if code != 2 || !strings.Contains(out, "INVALID") || !strings.Contains(out, `s.yaml:6: steps[0].event.type: unknown event type "party"`) {
		t.Errorf("exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "", "scenarios", "run", "--json", f, "../../internal/scenario/testdata/run/pass.yaml")
	var res struct {
		Files []struct {
			File    string          `json:"file"`
			Invalid string          `json:"invalid"`
			Report  json.RawMessage `json:"report"`
		} `json:"files"`
		Passed, Failed, Invalid int
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if code != 2 || len(res.Files) != 2 || res.Invalid != 1 || res.Passed != 1 || res.Files[0].Invalid == "" || res.Files[1].Report == nil {
		t.Errorf("exit %d, %+v", code, res)
	}
}

func TestHelpEverywhere(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"check", "--help"}, {"policy", "--help"}, {"policy", "show", "--help"},
		{"policy", "lint", "--help"}, {"policy", "explain", "--help"}, {"policy", "list", "--help"},
		{"scenarios", "--help"}, {"scenarios", "run", "--help"}, {"version", "--help"},
	} {
		code, out, _ := runCLI(t, "", args...)
		if code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("dialgate %s: exit %d\n%s", strings.Join(args, " "), code, out)
		}
	}
	// Every command is reachable and documented.
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Short == "" {
			t.Errorf("command %q has no short help", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newApp(nil, nil, nil).root())
}
