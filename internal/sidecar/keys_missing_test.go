package sidecar

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A data directory whose store or audit log exists but whose HMAC key is
// gone is refused: a new key would stop every cap, pause and recording keyed
// by the old callee hash from matching (capped callees dialled again).
func TestMissingKeyWithStateRefused(t *testing.T) {
	data := t.TempDir()
	cfg := Config{Listen: "127.0.0.1:0", MetricsListen: "off", Data: data, Profile: "cn"}
	be, err := Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := be.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(data, KeysDir, HMACKeyFile)
	if err := os.Remove(key); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), cfg, nil); err == nil || !strings.Contains(err.Error(), "restore the key") {
		t.Fatalf("Open with the store but no key: %v, want a refusal", err)
	}
	if _, err := os.Stat(key); !os.IsNotExist(err) {
		t.Fatalf("a new key was written: %v", err)
	}
	// The CLI's LoadKeys sees the audit log.
	if _, err := LoadKeys(data); err == nil || !strings.Contains(err.Error(), filepath.Join(data, AuditDir)) {
		t.Fatalf("LoadKeys with an audit log but no key: %v, want a refusal naming the log", err)
	}
	// A fresh directory still gets its keys.
	if _, err := LoadKeys(t.TempDir()); err != nil {
		t.Fatalf("fresh directory: %v", err)
	}
}
