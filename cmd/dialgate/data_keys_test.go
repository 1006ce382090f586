package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/internal/sidecar"
)

// TestServeAfterWriteCommandsOnNewData: importing opt-outs, consents or
// caller IDs into a new --data before the first `dialgate serve` is an
// ordinary set-up; the store those commands create holds nothing keyed by
// the callee hash, and serve must start on it (it refuses a store whose
// HMAC key was lost).
func TestServeAfterWriteCommandsOnNewData(t *testing.T) {
	root := t.TempDir()
	list := filepath.Join(root, "list.txt")
	if err := os.WriteFile(list, []byte("+8613900139000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"dnc import", []string{"dnc", "import", "--scope", "global", "--list", "opt_out", list}},
		{"consent add", []string{"consent", "add", "--id", "c-1", "--number", "+8613900139000", "--scope", "industry:finance",
			"--method", "web_form", "--disclosure-sha256", cliHash, "--granted-at", "2026-11-01T10:00:00+08:00"}},
		{"ledger add", []string{"ledger", "add", "--number", "+861058001234", "--holder", "Acme Ltd", "--purposes", "service"}},
	} {
		data := filepath.Join(root, c.name)
		runCLI(t, "", append([]string{"--data", data}, c.args...)...)
		if _, err := os.Stat(filepath.Join(data, "dialgate.db")); err != nil {
			t.Fatalf("%s: no store created: %v", c.name, err)
		}
		be, err := sidecar.Open(context.Background(), sidecar.Config{Listen: "127.0.0.1:0", MetricsListen: "off", Data: data, Profile: "cn"}, nil)
		if err != nil {
			t.Fatalf("%s, then serve: %v", c.name, err)
		}
		if err := be.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLostKeyRefusedWithoutAuditLog: a store whose recordings (or counters)
// are keyed by the callee hash, in a --data without an audit log yet (the
// recordings and complaint commands write none), must not get a new key when
// its key is lost: the recordings of a complaint's callee would no longer be
// found, and a check would count caps under another hash.
func TestLostKeyRefusedWithoutAuditLog(t *testing.T) {
	data := t.TempDir()
	started := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	if code, out, errs := runCLI(t, "", "--data", data, "recordings", "register", "--profile", "cn", "--id", "r-1", "--number", "+8613900139040", "--started-at", started); code != 0 {
		t.Fatalf("register: exit %d: %s %s", code, out, errs)
	}
	key := filepath.Join(data, sidecar.KeysDir, sidecar.HMACKeyFile)
	if err := os.Remove(key); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"recordings", "register", "--profile", "cn", "--id", "r-2", "--number", "+8613900139041", "--started-at", started},
		{"check", "--profile", "cn", "--to", "+8613900139040", "--purpose", "service", "--at", "2026-12-04T10:00:00+08:00"},
	} {
		code, _, errs := runCLI(t, "", append([]string{"--data", data}, args...)...)
		if code != 1 || !strings.Contains(errs, "restore the key") {
			t.Errorf("%s with the key lost: exit %d, %s; want exit 1 and a refusal", args[0], code, errs)
		}
		if _, err := os.Stat(key); !os.IsNotExist(err) {
			t.Fatalf("%s: a new key was written: %v", args[0], err)
		}
	}
}
