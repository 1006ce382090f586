package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/internal/sidecar"
)

// A config naming a fleet back-end without hmac_key_file is one dialgate
// serve refuses: the CLI refuses it too (exit 2, naming the key) instead of
// hashing callees with the host's --data/keys key, which no sidecar uses — a
// complaint filed with it would hold none of the callee's recordings, and
// check would count shared caps under another key.
func TestFleetConfigWithoutHMACKeyIsRefused(t *testing.T) {
	dir, cfg, _ := pgFleet(t, "")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, "hmac_key_file:") {
			kept = append(kept, l)
		}
	}
	noKey := filepath.Join(dir, "nokey.yaml")
	if err := os.WriteFile(noKey, []byte(strings.Join(kept, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	host := filepath.Join(dir, "h")

	// The sidecar-side record: a recording of the callee, hashed with the
	// fleet key (valid config).
	started := time.Now().Add(-time.Hour).Format(time.RFC3339)
	if code, out, errs := runCLI(t, "", "--data", host, "recordings", "--config", cfg, "register", "--id", "r-rl", "--number", "+8613900139077", "--started-at", started); code != 0 {
		t.Fatalf("register: %d %s %s", code, out, errs)
	}
	code, out, errs := runCLI(t, "", "--data", host, "complaint", "--config", noKey, "add", "--number", "+8613900139077", "--id", "cp-rl", "--at", "2026-11-03T10:00:00+08:00")
	_, show, _ := runCLI(t, "", "--data", host, "recordings", "--config", cfg, "show", "r-rl")
	if code != exitBadArgs || !strings.Contains(errs, "hmac_key_file") {
		t.Errorf("complaint add --config without hmac_key_file: exit %d, want %d naming hmac_key_file\n%s%s\nrecording after it:\n%s", code, exitBadArgs, out, errs, show)
	}

	dial := `{"to":"+8613900139078","from":"+861058001234","purpose":"service","lead_id":"crm-1","tenant":"acme"}`
	code, _, errs = runCLI(t, dial, "--data", host, "check", "--config", noKey, "--json", "--at", "2026-12-04T10:00:00+08:00")
	if code != exitBadArgs || !strings.Contains(errs, "hmac_key_file") {
		t.Errorf("check --config without hmac_key_file: exit %d, want %d naming hmac_key_file\n%s", code, exitBadArgs, fmt.Sprint(errs))
	}
}

// check --config decides on the config's own `data` directory unless --data
// is given, as dialgate serve --config does: the sidecar's store lists the
// callee, a stray ./dialgate-data in the working directory does not, and
// check must deny.
func TestCheckConfigUsesConfigData(t *testing.T) {
	dir := t.TempDir()
	sidecarData := filepath.Join(dir, "sidecar-data")
	prof := filepath.Join(dir, "profile.yaml")
	if err := os.WriteFile(prof, []byte(fleetProfile), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "sidecar.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("data: %q\nprofile: %q\n", sidecarData, prof)), 0o600); err != nil {
		t.Fatal(err)
	}
	optouts := filepath.Join(dir, "optouts.txt")
	if err := os.WriteFile(optouts, []byte("+8613900139099\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.txt")
	if err := os.WriteFile(other, []byte("+8613900139011\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The opt-out is in the sidecar's store.
	if code, out, errs := runCheckAt(t, "", "--data", sidecarData, "dnc", "import", "--profile", prof, "--scope", "global", "--list", "opt_out", optouts); code != 0 {
		t.Fatalf("import into the sidecar's store: %d %s %s", code, out, errs)
	}
	// Control: against the sidecar's store, the dial is denied.
	if code, out, errs := runCheckAt(t, "", "--data", sidecarData, "check", "--config", cfg, "--to", "+8613900139099", "--purpose", "service", "--at", "2026-12-04T10:00:00+08:00"); code != 1 || !strings.Contains(out, "dnc.listed") {
		t.Fatalf("control: check --data sidecar-data: %d %s %s", code, out, errs)
	}
	// Another store in the working directory (./dialgate-data).
	t.Chdir(dir)
	if code, out, errs := runCheckAt(t, "", "--data", "./dialgate-data", "dnc", "import", "--profile", prof, "--scope", "global", "--list", "opt_out", other); code != 0 {
		t.Fatalf("import into ./dialgate-data: %d %s %s", code, out, errs)
	}
	var out, errb strings.Builder
	a := newApp(strings.NewReader(""), &out, &errb)
	a.now = func() time.Time { return time.Date(2026, 12, 4, 10, 0, 0, 0, time.FixedZone("", 8*3600)) }
	err := a.run(t.Context(), []string{"check", "--config", cfg, "--to", "+8613900139099", "--purpose", "service"})
	if code := exitCode(err); code != 1 || !strings.Contains(out.String(), "dnc.listed") {
		t.Fatalf("check --config did not deny a callee listed in the config's sidecar store (exit %d):\n%s%s", code, out.String(), errb.String())
	}
}

// TestCheckNoStoreNote: without a local store, check's note says which
// state it read from the fleet of --config and which it decided without.
// With a fleet it said "deciding without stored lists, consents or
// counters" though it read the fleet's shared lists and consents.
func TestCheckNoStoreNote(t *testing.T) {
	for _, c := range []struct {
		fleet *sidecar.Config
		note  string
	}{
		{nil, "deciding without stored do-not-call lists, consents or counters"},
		{&sidecar.Config{}, "deciding without stored do-not-call lists, consents or counters"},
		{&sidecar.Config{Postgres: "postgres://db"}, "deciding with the fleet's shared do-not-call lists, consents and counters (--config)"},
		{&sidecar.Config{Redis: "redis://r"}, "deciding with the fleet's shared do-not-call lists, consents and counters (--config)"},
	} {
		if got := noStoreState(c.fleet).note(); got != c.note {
			t.Errorf("fleet %+v: note %q, want %q", c.fleet, got, c.note)
		}
	}

	// Through the command, with a PostgreSQL fleet and an empty --data.
	prof, err := filepath.Abs("testdata/cn-no-callerid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir, cfg, _ := pgFleet(t, fmt.Sprintf("profile: %q\n", prof))
	code, out, errs := runCheckAt(t, "", "--data", filepath.Join(dir, "empty"), "check", "--config", cfg,
		"--to", "+8613800138000", "--purpose", "service", "--lead-id", "x", "--at", "2026-12-04T10:00:00+08:00")
	if code != 0 || !strings.Contains(out, "ALLOWED") ||
		!strings.Contains(errs, "deciding with the fleet's shared do-not-call lists, consents and counters (--config)") {
		t.Errorf("check --config without a local store: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}

// TestCheckWhatIfPostgresFleetIsRefused: a fleet on PostgreSQL without
// Redis keeps its counters and sweep.sequential runs there, so check
// --config without a local store decides against, and writes into, the
// fleet's state. --what-if was accepted (a PostgreSQL fleet counted as no
// store): the "what-if" dial was recorded in the fleet's runs (a run it
// completed closed the segment to the tenant on every sidecar) and
// counters, unaudited; without --what-if the allow was refused as "no
// counter was consulted" and its reservations stayed, never released.
func TestCheckWhatIfPostgresFleetIsRefused(t *testing.T) {
	prof, err := filepath.Abs("testdata/cn-no-callerid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir, cfg, _ := pgFleet(t, fmt.Sprintf("profile: %q\n", prof))
	empty := filepath.Join(dir, "empty")
	dial := []string{"--data", empty, "check", "--config", cfg,
		"--to", "+8613800138000", "--purpose", "service", "--lead-id", "x"}
	code, out, errs := runCLI(t, "", append(dial, "--what-if")...)
	if code != 2 || out != "" || !strings.Contains(errs, "--what-if:") {
		t.Fatalf("check --what-if with a PostgreSQL fleet: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	// So is a decision at an instant given by hand: its reservations would
	// be stored in the fleet's state at that instant.
	code, out, errs = runCLI(t, "", append(dial, "--at", "2026-12-04T10:00:00+08:00")...)
	if code != 2 || out != "" || !strings.Contains(errs, "--at: refused") {
		t.Fatalf("check --at with a PostgreSQL fleet: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	// Without it the decision is real: recorded, and an allow exits 0
	// (TestCheckNoStoreNote).
}
