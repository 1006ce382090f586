package sidecar

import (
	"os"
	"path/filepath"
	"runtime"
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
			cfg := Config{Profile: prof, Data: filepath.Join(t.TempDir(), "data")}
			othersMayWriteRefusedAtStart(t, cfg, open, []string{open}, []string{open})
		})
	}
}
