package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/internal/sidecar"
	"github.com/dialgate/dialgate/storage/boltstore"
)

// heldDataDir returns a sidecar's data directory (its keys beside its
// store) whose store another handle holds open until the test ends, as a
// running dialgate serve does.
func heldDataDir(t *testing.T) string {
	t.Helper()
	data := t.TempDir()
	if _, err := sidecar.LoadKeys(data); err != nil {
		t.Fatal(err)
	}
	held, err := boltstore.Open(filepath.Join(data, boltstore.DefaultFileName), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { held.Close() })
	return data
}

// A store that cannot be opened (here: held by another process, as when
// dialgate serve runs on the same --data) is a failure, not bad input:
// check exits 1 like any other "no decision possible" (DESIGN §5, check --help).
func TestCheckStoreFailureExits1(t *testing.T) {
	data := heldDataDir(t)
	code, out, errs := runCLI(t, "", "--data", data, "check", "--to", "+8613800138000", "--from", "+861058001234",
		"--purpose", "service", "--lead-id", "x")
	if code != 1 || !strings.Contains(errs, "locked") {
		t.Fatalf("check on a locked store: exit %d, stdout %q, stderr %q; want exit 1 and the lock named", code, out, errs)
	}
}

// TestCheckWhatIfWithAStoreIsRefused: --what-if only makes sense without a
// store. With one it was silently ignored: the "what-if" decision reserved
// a frequency-cap slot and was recorded in the audit log, so the real dial
// after it was capped.
func TestCheckWhatIfWithAStoreIsRefused(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return runCheckAt(t, "", append([]string{"--data", data}, args...)...)
	}
	if code, _, errs := run("ledger", "add", "--tenant", "acme", "--number", "+861058001234", "--holder", "Acme Ltd", "--purposes", "service"); code != 0 {
		t.Fatalf("ledger add: %d %s", code, errs)
	}
	dial := []string{"check", "--tenant", "acme", "--to", "+8613800138000", "--from", "+861058001234", "--purpose", "service", "--lead-id", "x"}
	// ledger add recorded its change in the log: the refused check must
	// add nothing to it.
	logFile := filepath.Join(data, sidecar.AuditDir, "audit-000001.jsonl")
	before, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(append(dial, "--what-if")...)
	if code != 2 || out != "" || !strings.Contains(errs, "--what-if:") {
		t.Fatalf("check --what-if with a store: exit %d %q %q", code, out, errs)
	}
	if after, err := os.ReadFile(logFile); err != nil || !bytes.Equal(after, before) {
		t.Errorf("the refused check wrote to the audit log (%v)", err)
	}
	// Nothing was reserved: the real decision a minute later is allowed
	// (cn caps a callee at 1 call per 5 minutes).
	if code, out, errs := run(append(dial, "--at", "2026-12-04T10:01:00+08:00")...); code != 0 {
		t.Fatalf("check after the refused what-if: exit %d\n%s%s", code, out, errs)
	}
}

// TestCheckWithoutStoreDenies: without a store (and without --what-if) check
// printed ALLOWED and exited 1, with the refusal on stderr only; --json
// printed "allowed": true. The decision itself is now a deny: each check
// that needs stored state adds <check>.unavailable naming the missing
// store, so what is printed, the JSON and the exit code agree.
func TestCheckWithoutStoreDenies(t *testing.T) {
	data := t.TempDir()
	store := filepath.Join(data, boltstore.DefaultFileName)
	dial := []string{"--data", data, "check", "--to", "+8613800138000", "--from", "+861058001234", "--purpose", "service",
		"--lead-id", "x", "--at", "2026-12-04T10:00:00+08:00", "--profile", "testdata/cn-no-callerid.yaml"}
	code, out, errs := runCLI(t, "", dial...)
	if code != 1 || !strings.HasPrefix(out, "DENIED\n") || strings.Contains(out, "ALLOWED") {
		t.Fatalf("check without a store: exit %d\nstdout:\n%s\nstderr:\n%s\nwant exit 1 and DENIED", code, out, errs)
	}
	for _, c := range []string{"dnc", "consent", "frequency"} {
		if want := "  - " + c + ".unavailable: no store at " + store + ", so no stored "; !strings.Contains(out, want) {
			t.Errorf("check without a store: stdout lacks %q:\n%s", want, out)
		}
	}
	// The checks that read no stored state still judge the dial.
	if strings.Contains(out, "schedule.unavailable") || strings.Contains(out, "ring.unavailable") || !strings.Contains(out, "schedule.zone: Asia/Shanghai") {
		t.Errorf("check without a store: a check reading no stored state was not judged normally:\n%s", out)
	}

	code, out, errs = runCLI(t, `{"to":"+8613800138000","from":"+861058001234","purpose":"service","lead_id":"x"}`,
		"--data", data, "check", "--json", "--at", "2026-12-04T10:00:00+08:00", "--profile", "testdata/cn-no-callerid.yaml")
	var dec struct {
		Allowed bool `json:"allowed"`
		Reasons []struct {
			Code string `json:"code"`
		} `json:"reasons"`
	}
	if err := json.Unmarshal([]byte(out), &dec); err != nil || code != 1 || dec.Allowed || len(dec.Reasons) == 0 || dec.Reasons[0].Code != "dnc.unavailable" {
		t.Fatalf("check --json without a store: exit %d %v %+v\nstdout:\n%s\nstderr:\n%s", code, err, dec, out, errs)
	}

	// --what-if still judges the rules alone, against empty state.
	code, out, errs = runCLI(t, "", append(dial, "--what-if")...)
	if code != 0 || !strings.HasPrefix(out, "ALLOWED\n") || strings.Contains(out, "unavailable") {
		t.Fatalf("check --what-if without a store: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if _, err := os.Stat(store); err == nil {
		t.Fatal("check without a store created one")
	}
}

// TestCheckAtWithStoreIsRefused: check --at against a store made a real
// decision whose reservations (frequency caps, sweep runs) and audit record
// were stored at the instant given by hand: a dial placed now but counted
// last month did not count toward today's caps, and its allow went into a
// past quarter's report. A check that writes to a store now refuses --at
// (the flag, or the at of its JSON input) as bad input, writing nothing;
// without a store --at still decides at that instant.
func TestCheckAtWithStoreIsRefused(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	run := func(stdin string, args ...string) (int, string, string) {
		t.Helper()
		return runCLIAt(t, now, stdin, append([]string{"--data", data}, args...)...)
	}
	if code, _, errs := run("", "ledger", "add", "--tenant", "acme", "--number", "+861058001234", "--holder", "Acme Ltd", "--purposes", "service"); code != 0 {
		t.Fatalf("ledger add: %d %s", code, errs)
	}
	logFile := filepath.Join(data, sidecar.AuditDir, "audit-000001.jsonl")
	before, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	dial := []string{"check", "--tenant", "acme", "--to", "+8613800138000", "--from", "+861058001234", "--purpose", "service", "--lead-id", "x"}
	in := `{"tenant":"acme","to":"+8613800138000","from":"+861058001234","purpose":"service","lead_id":"x"`
	for _, c := range []struct {
		name, stdin string
		args        []string
		flag        string
	}{
		{"--at", "", append(slices.Clone(dial), "--at", "2026-11-04T10:00:00+08:00"), "--at:"},
		{"--json --at", in + "}", []string{"check", "--json", "--at", "2026-11-04T10:00:00+08:00"}, "--at:"},
		{"input at", in + `,"at":"2026-11-04T10:00:00+08:00"}`, []string{"check", "--json"}, `input key "at":`},
		{"--at --what-if", "", append(slices.Clone(dial), "--at", "2026-11-04T10:00:00+08:00", "--what-if"), "--at:"},
	} {
		code, out, errs := run(c.stdin, c.args...)
		if code != 2 || out != "" || !strings.Contains(errs, c.flag) || !strings.Contains(errs, "--what-if") || !strings.Contains(errs, "leave") {
			t.Errorf("%s with a store: exit %d %q %q; want exit 2 naming %s, --what-if and leaving it out", c.name, code, out, errs, c.flag)
		}
	}
	if after, err := os.ReadFile(logFile); err != nil || !bytes.Equal(after, before) {
		t.Errorf("a refused check wrote to the audit log (%v)", err)
	}
	// Nothing was reserved: the real decision now is allowed, and the one
	// after it is capped (cn: 1 call per callee per 5 minutes).
	if code, out, errs := run("", dial...); code != 0 {
		t.Fatalf("check after the refused ones: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := run("", dial...); code != 1 || !strings.Contains(out, "frequency.capped") {
		t.Fatalf("second check: exit %d\n%s%s; want frequency.capped", code, out, errs)
	}
}

// TestCheckWithoutStoreTenantSegmentRate: a segment_rate a profile gives
// one tenant only (sweep.tenants) counts in the store like the profile's,
// so without a store that tenant's dial is denied sweep.unavailable, and
// another tenant's (under no segment_rate) is not.
func TestCheckWithoutStoreTenantSegmentRate(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "cn-tenant-rate.yaml")
	if err := os.WriteFile(prof, []byte(`schema: dialgate.profile.v1
name: cn-tenant-rate
extends: cn
callerid: null
sweep:
  segment_rate: null
  tenants:
    acme:
      segment_rate: {max: 10, window: 1h, cite: {source: U, ref: "stricter for acme"}}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	for _, c := range []struct {
		tenant string
		want   bool
	}{{"acme", true}, {"other", false}} {
		code, out, errs := runCLI(t, "", "--data", data, "check", "--tenant", c.tenant, "--to", "+8613800138000",
			"--purpose", "service", "--lead-id", "x", "--at", "2026-12-04T10:00:00+08:00", "--profile", prof)
		if code != 1 || !strings.HasPrefix(out, "DENIED\n") {
			t.Fatalf("tenant %s: exit %d\nstdout:\n%s\nstderr:\n%s\nwant DENIED, exit 1", c.tenant, code, out, errs)
		}
		if got := strings.Contains(out, "sweep.unavailable: no store at "); got != c.want {
			t.Errorf("tenant %s: sweep.unavailable given %t, want %t:\n%s", c.tenant, got, c.want, out)
		}
	}
}
