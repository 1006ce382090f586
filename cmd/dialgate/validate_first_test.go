package main

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A --config whose back-ends do not keep what the command writes (neither
// redis nor postgres, or redis alone for what PostgreSQL keeps) is refused,
// exit 2, before anything is written: no data directory, keys, audit log
// or store are made in an empty directory.
func TestCLIBadConfigRefusedBeforeWriting(t *testing.T) {
	cfgDir := t.TempDir()
	key := filepath.Join(cfgDir, "hmac.key")
	if err := os.WriteFile(key, []byte(hex.EncodeToString(make([]byte, 32))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	none := filepath.Join(cfgDir, "none.yaml")
	redisOnly := filepath.Join(cfgDir, "redis.yaml")
	unknown := filepath.Join(cfgDir, "unknown.yaml")
	for file, body := range map[string]string{
		unknown:   "profile: cn\nlistne: \"127.0.0.1:0\"\n",
		none:      "profile: cn\n",
		redisOnly: "profile: cn\nredis: \"redis://127.0.0.1:6379/9\"\nredis_require_aof: false\nhmac_key_file: " + key + "\n",
	} {
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	list := filepath.Join(cfgDir, "list.txt")
	ledger := filepath.Join(cfgDir, "ledger.csv")
	repair := filepath.Join(cfgDir, "cp-1.json")
	for file, body := range map[string]string{
		list:   "+8613900139000\n",
		ledger: "number,type,holder,purposes\n+861058001234,fixed,Acme Ltd,service\n",
		repair: `{"id":"cp-1","callee":"h","scope":"global","channel":"phone","received_at":"2026-11-02T02:00:00Z","forward_by":"2026-11-05T16:00:00Z","handle_by":"2026-11-26T16:00:00Z","answer_by":"2026-12-01T16:00:00Z","status":"open","dnc_listed":true}`,
	} {
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		cfg  string
		args []string
	}{
		{none, []string{"dnc", "import", "--scope", "global", "--list", "opt_out", list}},
		{none, []string{"consent", "add", "--id", "k1", "--number", "+8613900139000", "--scope", "tenant:t", "--method", "written",
			"--evidence-uri", "https://example.com/k1", "--granted-at", "2026-01-01T00:00:00Z"}},
		{none, []string{"consent", "revoke", "k1"}},
		{none, []string{"complaint", "repair", "cp-1", "--from-json", repair}},
		{redisOnly, []string{"complaint", "repair", "cp-1", "--from-json", repair}},
		{none, []string{"ledger", "add", "--number", "+861058001234", "--type", "fixed", "--holder", "Acme Ltd", "--purposes", "service"}},
		{redisOnly, []string{"ledger", "add", "--number", "+861058001234", "--type", "fixed", "--holder", "Acme Ltd", "--purposes", "service"}},
		{none, []string{"ledger", "import", ledger}},
		{redisOnly, []string{"ledger", "import", ledger}},
		{none, []string{"complaint", "add", "--id", "cp-1", "--number", "+8613900139000"}},
		{none, []string{"recordings", "register", "--id", "r1", "--number", "+8613900139000", "--started-at", "2026-12-01T00:00:00Z"}},
		{none, []string{"recordings", "sweep"}},
		{unknown, []string{"serve", "--metrics-listen", "off"}},
		{unknown, []string{"complaint", "add", "--id", "cp-1", "--number", "+8613900139000"}},
	}
	for _, c := range cases {
		empty := t.TempDir()
		data := filepath.Join(empty, "data")
		args := append([]string{"--data", data, c.args[0], "--config", c.cfg}, c.args[1:]...)
		code, out, errs := runCLI(t, "", args...)
		if code != 2 || !strings.Contains(errs, "--config") {
			t.Errorf("%s with %s: exit %d, %q %q; want 2 naming --config", strings.Join(c.args[:min(2, len(c.args))], " "), filepath.Base(c.cfg), code, out, errs)
		}
		if ents, err := os.ReadDir(empty); err != nil || len(ents) != 0 {
			t.Errorf("%s with %s: wrote %v (%v); want nothing", strings.Join(c.args[:min(2, len(c.args))], " "), filepath.Base(c.cfg), ents, err)
		}
	}
}
