package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCheckKeepsSweepRunsAcrossInvocations: each `dialgate check --data`
// is a process of its own. The sequential and stride rules' runs were kept
// in that process's memory only (the embedded store has no storage.Runs),
// so a dialer calling check before every dial of a walk through a 号段 was
// never stopped: every invocation started from no runs, and the 20th
// number of the walk (cn: min_run 20) was ALLOWED. check now keeps the
// runs of the decisions it makes beside the store, and the 20th is denied
// (sweep.sequential), as dialgate serve denies it.
func TestCheckKeepsSweepRunsAcrossInvocations(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if code, _, errs := runCLI(t, "", "--data", data, "ledger", "add", "--tenant", "acme", "--number", "+861058001234", "--holder", "Acme Ltd", "--purposes", "service"); code != 0 {
		t.Fatalf("ledger add: %d %s", code, errs)
	}
	start := time.Date(2026, 12, 4, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	// check decides within its check timeout (500 ms): on a loaded machine
	// a decision can time out (<check>.unavailable, nothing kept), and the
	// dialer asks again.
	check := func(at time.Time, to string) (code int, out, errs string) {
		for range 5 {
			code, out, errs = runCLIAt(t, at, "", "--data", data, "check", "--tenant", "acme",
				"--to", to, "--from", "+861058001234", "--purpose", "service", "--lead-id", "crm-1")
			if code != 1 || !strings.Contains(out, ".unavailable") {
				break
			}
		}
		return code, out, errs
	}
	for i := range 20 {
		code, out, errs := check(start.Add(time.Duration(i)*time.Minute), fmt.Sprintf("+861390013%04d", 1000+i))
		if i < 19 {
			if code != 0 {
				t.Fatalf("number %d of the walk: exit %d\n%s%s", i+1, code, out, errs)
			}
			continue
		}
		if code != 1 || !strings.Contains(out, "sweep.sequential") {
			t.Fatalf("the 20th number of a walk through 1390013, each checked by its own dialgate check: exit %d, want 1 (sweep.sequential)\n%s%s", code, out, errs)
		}
	}
	// The segment stays closed to the tenant for the next check: a number
	// far from the run is denied as well.
	code, out, errs := check(start.Add(time.Hour), "+8613900139000")
	if code != 1 || !strings.Contains(out, "sweep.sequential") {
		t.Fatalf("a number of the closed segment, an hour later: exit %d, want 1 (sweep.sequential)\n%s%s", code, out, errs)
	}
}
