package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

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
		{"consent revoke", []string{"consent", "revoke", "c-1"}}, // exits 1 (unknown id) after creating the store
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
