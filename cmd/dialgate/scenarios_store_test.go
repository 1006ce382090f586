package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// scenarios run --store bolt runs each file on a fresh embedded store in a
// temporary directory, removed after it; the data directory is not touched.
func TestScenariosStoreBolt(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	data := t.TempDir()
	code, out, errs := runCLI(t, "", "--data", data, "scenarios", "run", "--store", "bolt", "../../internal/scenario/testdata/run", "../../examples/scenarios/consent-revoke-then-dial.yaml")
	if code != 1 || !strings.Contains(out, "4 files on bolt: 2 passed, 2 failed, 0 invalid") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	for _, dir := range []string{tmp, data} {
		left, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) != 0 {
			t.Errorf("%s holds %d entries after the run (%s...); want none", dir, len(left), left[0].Name())
		}
	}
	// memory, the default, says nothing of the store.
	code, out, _ = runCLI(t, "", "scenarios", "run", "--store", "memory", "../../internal/scenario/testdata/run/pass.yaml")
	if code != 0 || !strings.Contains(out, "1 file: 1 passed") {
		t.Errorf("--store memory: exit %d\n%s", code, out)
	}
}

// A --store that is not a store spec is bad input (exit 2), before any file
// runs.
func TestScenariosStoreBad(t *testing.T) {
	for _, spec := range []string{"sqlite", "postgres=", "bolt+redis=redis://x", ""} {
		code, out, errs := runCLI(t, "", "scenarios", "run", "--store", spec, "../../internal/scenario/testdata/run/pass.yaml")
		if code != 2 || out != "" || !strings.Contains(errs, "--store: store") {
			t.Errorf("--store %q: exit %d\n%s\n%s", spec, code, out, errs)
		}
	}
}

// On the fleet's servers the JSON names the back-end, never its URLs
// (which may carry a password).
func TestScenariosStoreFleet(t *testing.T) {
	pg, rd := os.Getenv("DIALGATE_TEST_POSTGRES"), os.Getenv("DIALGATE_TEST_REDIS")
	if pg == "" || rd == "" {
		t.Skip("DIALGATE_TEST_POSTGRES and DIALGATE_TEST_REDIS are not both set")
	}
	code, out, errs := runCLI(t, "", "scenarios", "run", "--json", "--store", "redis="+rd+"+postgres="+pg, "../../examples/scenarios/dnc-opt-out.yaml", "../../examples/scenarios/consent-revoke-then-dial.yaml")
	var res struct {
		Store                   string `json:"store"`
		Passed, Failed, Invalid int
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s\n%s", err, out, errs)
	}
	if code != 0 || res.Store != "redis+postgres" || res.Passed != 2 {
		t.Errorf("exit %d, %+v\n%s", code, res, errs)
	}
	if strings.Contains(out, pg) || strings.Contains(out, rd) {
		t.Errorf("the report holds a server URL:\n%s", out)
	}
	// A server that does not answer: the file could not be run (exit 1),
	// it is not invalid.
	code, _, errs = runCLI(t, "", "scenarios", "run", "--store", "postgres=postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=2", "../../internal/scenario/testdata/run/pass.yaml")
	if code != 1 || !strings.Contains(errs, "postgres") {
		t.Errorf("unreachable server: exit %d\n%s", code, errs)
	}
}

// --gates sends the dials to several Gates in turn: in memory each keeps
// its sweep runs, so a sweep split between them goes unseen (the file
// fails); a count below one is bad input.
func TestScenariosGates(t *testing.T) {
	const sweep = "../../examples/scenarios/sweep-sequential.yaml"
	code, out, _ := runCLI(t, "", "scenarios", "run", "--gates", "2", sweep)
	if code != 1 || !strings.Contains(out, "1 file through 2 Gates: 0 passed, 1 failed") {
		t.Errorf("--gates 2 in memory: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "", "scenarios", "run", "--gates", "2", "--json", "../../examples/scenarios/frequency-cn.yaml")
	var res struct {
		Gates  int `json:"gates"`
		Passed int `json:"passed"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || res.Gates != 2 || res.Passed != 1 {
		t.Errorf("--gates 2 --json: exit %d, %+v, %v\n%s", code, res, err, out)
	}
	code, _, errs := runCLI(t, "", "scenarios", "run", "--gates", "0", sweep)
	if code != 2 || !strings.Contains(errs, "--gates: 0") {
		t.Errorf("--gates 0: exit %d\n%s", code, errs)
	}
	code, _, errs = runCLI(t, "", "scenarios", "run", "--gates", "1025", sweep)
	if code != 2 || !strings.Contains(errs, "--gates: 1025") {
		t.Errorf("--gates 1025: exit %d\n%s", code, errs)
	}
	pg := os.Getenv("DIALGATE_TEST_POSTGRES")
	if pg == "" {
		t.Skip("DIALGATE_TEST_POSTGRES is not set: not run on a fleet store")
	}
	code, out, _ = runCLI(t, "", "scenarios", "run", "--gates", "2", "--store", "postgres="+pg, sweep)
	if code != 0 || !strings.Contains(out, "1 file on postgres through 2 Gates: 1 passed") {
		t.Errorf("--gates 2 on postgres: exit %d\n%s", code, out)
	}
}
