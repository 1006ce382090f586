package sidecar

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestProfileExtendsFileOthersMayWriteRefused: a profile file other users
// may write is refused (they could drop the do-not-call check at the next
// start), but the files it extends were read at any mode: a profile 0600
// that extends base.yaml 0666 let any local user write "dnc: null" into
// base.yaml and have it in force at the next start. Every file of the
// extends chain is refused like the profile itself (ErrConfig naming the
// file and its mode, before the data directory is made); group-writable is
// accepted.
func TestProfileExtendsFileOthersMayWriteRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not the access control on Windows")
	}
	dir := t.TempDir()
	base := filepath.Join(dir, "base.yaml")
	writeFileAtomic(t, base, "schema: dialgate.profile.v1\nname: mybase\nextends: cn\n")
	mid := filepath.Join(dir, "sub", "mid.yaml")
	if err := os.Mkdir(filepath.Dir(mid), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFileAtomic(t, mid, "schema: dialgate.profile.v1\nname: mymid\nextends: ../base.yaml\n")
	prof := filepath.Join(dir, "prof.yaml")
	writeFileAtomic(t, prof, "schema: dialgate.profile.v1\nname: mycn\nextends: sub/mid.yaml\n")
	for _, open := range []string{base, mid} {
		t.Run(filepath.Base(open), func(t *testing.T) {
			if err := os.Chmod(open, 0o666); err != nil {
				t.Fatal(err)
			}
			defer os.Chmod(open, 0o600)
			cfg := Config{Profile: prof, Data: filepath.Join(t.TempDir(), "data")}
			err := CheckFiles(cfg)
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), open) || !strings.Contains(err.Error(), "0666") {
				t.Fatalf("CheckFiles: %v; want ErrConfig naming %s and its mode", err, open)
			}
			be, err := Open(context.Background(), cfg, nil)
			if err == nil {
				be.Close(context.Background())
			}
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), open) {
				t.Fatalf("Open: %v; want ErrConfig naming %s", err, open)
			}
			if _, err := os.Stat(cfg.Data); !os.IsNotExist(err) {
				t.Fatalf("the data directory was made: %v", err)
			}
			if err := os.Chmod(open, 0o664); err != nil {
				t.Fatal(err)
			}
			if err := CheckFiles(cfg); err != nil {
				t.Fatalf("CheckFiles, mode 0664: %v", err)
			}
		})
	}
}
