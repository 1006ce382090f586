package sidecar

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestRetiredSignerKeysFileWritableByOthers: the retired keys file is a
// list of keys Open trusts for the audit log's checkpoints. Others who
// could write it (mode 0666) could add a key of their own and plant
// checkpoints the sidecar accepts and then signs over with its real key;
// it was read whatever its mode. It is refused as the signer key file is
// (ErrConfig, naming the file and its mode); readable by all is fine (it
// holds public keys).
func TestRetiredSignerKeysFileWritableByOthers(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no mode bits")
	}
	data := t.TempDir()
	keys, err := LoadKeys(data)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := os.ReadFile(filepath.Join(data, KeysDir, SignerPubFile))
	if err != nil {
		t.Fatal(err)
	}
	_ = keys
	path := filepath.Join(data, KeysDir, RetiredSignerPubFile)
	if err := os.WriteFile(path, pub, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if k, err := LoadKeys(data); err != nil || len(k.Retired) != 1 {
		t.Fatalf("LoadKeys with a 0644 retired keys file: %d keys, %v; want 1 key", len(k.Retired), err)
	}
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	_, err = LoadKeys(data)
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "0666") {
		t.Fatalf("LoadKeys with a retired keys file others can write: %v; want ErrConfig naming %s and its mode", err, path)
	}
}
