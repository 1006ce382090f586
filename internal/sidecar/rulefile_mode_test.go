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

// TestRuleFilesOthersMayWriteRefused: the config file, the tokens file and
// the client CA bundle are refused when other users may write them, since
// whoever may write them could turn the sidecar's access control off. The
// profile file (the rules themselves: a "dnc: null" in it drops every
// opt-out at the next start) and the blackouts file (reloaded every minute:
// "blackouts: []" lifts a declared emergency at once) were taken at any
// mode. Both are refused at start (ErrConfig, naming the key, the file and
// its mode, before the data directory is made); a blackouts copy loaded at
// a reload from a file others may write is a bad copy: every dial the
// schedule judges is denied, as for a file that does not parse.
func TestRuleFilesOthersMayWriteRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not the access control on Windows")
	}
	dir := t.TempDir()
	prof := filepath.Join(dir, "prof.yaml")
	writeFileAtomic(t, prof, "schema: dialgate.profile.v1\nname: mycn\nextends: cn\n")
	black := filepath.Join(dir, "blackouts.yaml")
	writeFileAtomic(t, black, blackoutsYAML(false))
	for _, c := range []struct {
		name, file, key string
		cfg             Config
	}{
		{"profile", prof, "profile", Config{Profile: prof}},
		{"blackouts", black, "blackouts_file", Config{BlackoutsFile: black}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			cfg.Data = filepath.Join(t.TempDir(), "data")
			othersMayWriteRefusedAtStart(t, cfg, c.file, []string{c.key, c.file}, nil)
		})
	}
	t.Run("blackouts reload", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "blackouts.yaml")
		writeFileAtomic(t, path, blackoutsYAML(true))
		be, err := Open(context.Background(), Config{Data: t.TempDir(), BlackoutsFile: path}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { be.Close(context.Background()) })
		// Another user lifts the emergency through a file made writable.
		writeFileAtomic(t, path, blackoutsYAML(false))
		if err := os.Chmod(path, 0o666); err != nil {
			t.Fatal(err)
		}
		if err := be.ReloadBlackouts(false); err == nil || !strings.Contains(err.Error(), "0666") {
			t.Fatalf("reload of a copy others may write: %v; want it refused naming the mode", err)
		}
		if v := scheduleVerdict(t, be); v != "unavailable" {
			t.Fatalf("after the refused copy: %q; want every dial the schedule judges denied (unavailable)", v)
		}
		// chmod o-w alone (the same content) and a reload: in force.
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := be.ReloadBlackouts(false); err != nil {
			t.Fatalf("reload after chmod o-w: %v", err)
		}
		if v := scheduleVerdict(t, be); v != "" {
			t.Fatalf("after chmod o-w: %q; want the copy (no blackout) in force", v)
		}
	})
}

// othersMayWriteRefusedAtStart makes file, read by cfg (whose Data does not
// exist yet), writable by other users (0666) and checks cfg is refused at
// start: CheckFiles with an ErrConfig naming each of checkNames and the
// mode, Open with an ErrConfig naming each of openNames, and the data
// directory not made. Group-writable (0664) is then accepted by
// CheckFiles. file is left 0600.
func othersMayWriteRefusedAtStart(t *testing.T, cfg Config, file string, checkNames, openNames []string) {
	t.Helper()
	if err := os.Chmod(file, 0o666); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(file, 0o600)
	names := func(err error, want []string) bool {
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				return false
			}
		}
		return true
	}
	err := CheckFiles(cfg)
	if !errors.Is(err, ErrConfig) || !names(err, checkNames) || !strings.Contains(err.Error(), "0666") {
		t.Fatalf("CheckFiles: %v; want ErrConfig naming %s and its mode", err, strings.Join(checkNames, ", "))
	}
	be, err := Open(context.Background(), cfg, nil)
	if err == nil {
		be.Close(context.Background())
	}
	if !errors.Is(err, ErrConfig) || !names(err, openNames) {
		want := "ErrConfig"
		if len(openNames) > 0 {
			want += " naming " + strings.Join(openNames, ", ")
		}
		t.Fatalf("Open: %v; want %s", err, want)
	}
	if _, err := os.Stat(cfg.Data); !os.IsNotExist(err) {
		t.Fatalf("the data directory was made: %v", err)
	}
	// Group-writable is the operator's choice: accepted.
	if err := os.Chmod(file, 0o664); err != nil {
		t.Fatal(err)
	}
	if err := CheckFiles(cfg); err != nil {
		t.Fatalf("CheckFiles, mode 0664: %v", err)
	}
}
