package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/internal/sidecar"
)

// markShared records in data's serve profile that its sidecar keeps records
// on the fleet back-ends shared, as dialgate serve with redis or postgres
// in its config records it.
func markShared(t *testing.T, data string, shared ...string) {
	t.Helper()
	path := filepath.Join(data, sidecar.DataProfileFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var dp sidecar.DataProfile
	if err := json.Unmarshal(b, &dp); err != nil {
		t.Fatal(err)
	}
	dp.Shared = shared
	if b, err = json.Marshal(dp); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// On the data directory of a sidecar whose records live on a fleet's
// shared back-ends, a command that would read or write those records in
// the local store without --config is refused (exit 2, naming --config and
// dialgate admin): a revocation or an opt-out written there would reach no
// sidecar (a lost opt-out), and a lookup there would answer "not listed"
// for a number the fleet lists. Records a Redis-only fleet keeps on each
// host (ledger, recordings, complaints) are still written locally.
func TestFleetDataNeedsConfig(t *testing.T) {
	data := t.TempDir()
	serveOnce(t, data, "cn")
	list := filepath.Join(t.TempDir(), "optouts.txt")
	if err := os.WriteFile(list, []byte("+8613900139072\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	shared := [][]string{
		{"consent", "add", "--id", "c-1", "--number", "+8613900139072", "--scope", "industry:finance", "--tenant", "acme", "--method", "written", "--evidence-uri", "s3://evidence/c-1.pdf", "--granted-at", "2026-01-02T03:04:05Z"},
		{"consent", "revoke", "c-1"},
		{"consent", "show", "+8613900139072"},
		{"dnc", "import", list, "--scope", "global", "--list", "opt_out"},
		{"dnc", "lookup", "+8613900139072"},
		{"check", "--to", "+8613900139072", "--from", "+861058001234", "--purpose", "service", "--lead-id", "l-1"},
	}
	hostLocal := [][]string{
		{"ledger", "add", "--tenant", "acme", "--number", "+861058001234", "--holder", "Acme Ltd", "--purposes", "service"},
		{"complaint", "add", "--number", "+8613900139072", "--id", "cp-1"},
	}
	markShared(t, data, "redis")
	for _, args := range shared {
		code, out, errs := runCLI(t, "", append([]string{"--data", data}, args...)...)
		if code != 2 || !strings.Contains(errs, "--config") || !strings.Contains(errs, "dialgate admin") || !strings.Contains(errs, "redis") {
			t.Errorf("%v on a Redis fleet's data without --config: exit %d, want 2 naming --config, dialgate admin and redis\n%s%s", args, code, out, errs)
		}
	}
	for _, args := range hostLocal {
		if code, out, errs := runCLI(t, "", append([]string{"--data", data}, args...)...); code != 0 {
			t.Errorf("%v on a Redis fleet's data (kept on each host): exit %d\n%s%s", args, code, out, errs)
		}
	}
	markShared(t, data, "postgres")
	for _, args := range append(shared, hostLocal...) {
		code, out, errs := runCLI(t, "", append([]string{"--data", data}, args...)...)
		if code != 2 || !strings.Contains(errs, "--config") || !strings.Contains(errs, "postgres") {
			t.Errorf("%v on a PostgreSQL fleet's data without --config: exit %d, want 2 naming --config and postgres\n%s%s", args, code, out, errs)
		}
	}
}

// A serve profile record that cannot be read (damaged, cut short) cannot
// say whether the records live on a fleet: the commands that would write or
// read them in the local store refuse (exit 2, naming the record), as they
// refuse a fleet's data, instead of writing a revocation or an opt-out no
// sidecar may read.
func TestFleetDataDamagedRecordRefused(t *testing.T) {
	data := t.TempDir()
	serveOnce(t, data, "cn")
	if err := os.WriteFile(filepath.Join(data, sidecar.DataProfileFile), []byte(`{"profile":"cn","shar`), 0o600); err != nil {
		t.Fatal(err)
	}
	list := filepath.Join(t.TempDir(), "optouts.txt")
	if err := os.WriteFile(list, []byte("+8613900139072\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"consent", "add", "--id", "c-1", "--number", "+8613900139072", "--scope", "industry:finance", "--tenant", "acme", "--method", "written", "--evidence-uri", "s3://evidence/c-1.pdf", "--granted-at", "2026-01-02T03:04:05Z"},
		{"consent", "revoke", "c-1"},
		{"consent", "show", "+8613900139072"},
		{"dnc", "import", list, "--scope", "global", "--list", "opt_out"},
		{"dnc", "lookup", "+8613900139072"},
		{"ledger", "add", "--tenant", "acme", "--number", "+861058001234", "--holder", "Acme Ltd", "--purposes", "service"},
	} {
		code, out, errs := runCLI(t, "", append([]string{"--data", data}, args...)...)
		if code != 2 || !strings.Contains(errs, sidecar.DataProfileFile) {
			t.Errorf("%v with a damaged %s: exit %d, want 2 naming it\n%s%s", args, sidecar.DataProfileFile, code, out, errs)
		}
	}
}

// With --config, refuseFleetData let everything through: a config naming
// no fleet back-end (the config of another, local sidecar; an empty file)
// made check on the data directory of a sidecar whose do-not-call lists and
// consents live in Redis decide from the local store, where the fleet's
// opt-outs are not: a number the fleet lists came out allowed (exit 0). A
// config that lacks a back-end the data directory's sidecar keeps records
// on is refused (exit 2, naming it), as no --config is.
func TestFleetDataConfigMissingBackend(t *testing.T) {
	data := t.TempDir()
	serveOnce(t, data, "cn")
	cfg := filepath.Join(t.TempDir(), "local.yaml")
	if err := os.WriteFile(cfg, []byte("profile: cn\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	markShared(t, data, "redis")
	args := []string{"--data", data, "check", "--config", cfg, "--to", "+8613900139072", "--from", "+861058001234", "--purpose", "service", "--lead-id", "l-1"}
	code, out, errs := runCLI(t, "", args...)
	if code != 2 || !strings.Contains(errs, "--config") || !strings.Contains(errs, "redis") {
		t.Errorf("check with a config naming no fleet back-end on a Redis fleet's data: exit %d, want 2 naming --config and redis\n%s%s", code, out, errs)
	}
}

// A write with a config that names fewer fleet back-ends than the data
// directory's sidecar keeps records on: with redis and postgres, the
// fleet's do-not-call lists are Redis's, so an opt-out imported with a
// config naming postgres alone would be written where no sidecar reads it.
// Refused before anything is opened (the PostgreSQL URL is never dialled).
func TestFleetDataConfigFewerBackends(t *testing.T) {
	data := t.TempDir()
	serveOnce(t, data, "cn")
	dir := t.TempDir()
	key := filepath.Join(dir, "hmac.key")
	if err := os.WriteFile(key, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "pg.yaml")
	if err := os.WriteFile(cfg, []byte("postgres: postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1\nhmac_key_file: "+key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	list := filepath.Join(dir, "optouts.txt")
	if err := os.WriteFile(list, []byte("+8613900139072\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	markShared(t, data, "postgres", "redis")
	code, out, errs := runCLI(t, "", "--data", data, "dnc", "import", list, "--scope", "global", "--list", "opt_out", "--config", cfg)
	if code != 2 || !strings.Contains(errs, "names no redis") {
		t.Errorf("dnc import with a postgres-only config on a postgres+redis fleet's data: exit %d, want 2 naming redis\n%s%s", code, out, errs)
	}
}
