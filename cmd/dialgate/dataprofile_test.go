package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/internal/sidecar"
)

// serveOnce starts and stops the sidecar backend on data with profile, as
// `dialgate serve --data data --profile profile` does: it records the
// profile in data.
func serveOnce(t *testing.T, data, profile string) {
	t.Helper()
	be, err := sidecar.Open(context.Background(), sidecar.Config{Data: data, Profile: profile}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := be.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// registerRetain registers recording id on data with extra flags and returns
// how long it is kept past its start, in days (exit 0 required).
func registerRetain(t *testing.T, data, id string, extra ...string) (days int, stderr string) {
	t.Helper()
	started := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	args := append([]string{"--data", data, "recordings", "register", "--id", id, "--number", "+14055550123",
		"--started-at", started.Format(time.RFC3339), "--json"}, extra...)
	code, out, errs := runCLI(t, "", args...)
	if code != 0 {
		t.Fatalf("register %v: exit %d\n%s%s", extra, code, out, errs)
	}
	var r recRegistered
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return int(r.RetainUntil.Sub(started).Hours() / 24), errs
}

// A us serve's data: the CLI commands on it default to us — a recording is
// kept 5 years (1827 days) and a do-not-call entry held 60 months, not cn's
// 30 days and 12 months, which a sweep would delete and a removal lift early.
func TestDataProfileDefaultsToServes(t *testing.T) {
	data := t.TempDir()
	serveOnce(t, data, "us")
	days, errs := registerRetain(t, data, "r-1")
	if days != 1827 {
		t.Fatalf("recording kept %d days on a us serve's data without --profile, want 1827 (us)\n%s", days, errs)
	}
	if strings.Contains(errs, "note") || strings.Contains(errs, "warning") {
		t.Errorf("the recorded profile is used silently; stderr:\n%s", errs)
	}
	list := filepath.Join(t.TempDir(), "refusals.txt")
	if err := os.WriteFile(list, []byte("+14055550123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	code, out, errs := runCLI(t, "", "--data", data, "dnc", "import", list, "--scope", "global", "--list", "opt_out",
		"--at", at.Format(time.RFC3339), "--json")
	if code != 0 {
		t.Fatalf("dnc import: exit %d\n%s%s", code, out, errs)
	}
	var res importResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if want := at.AddDate(0, 60, 0); !res.HoldUntil.Equal(want) {
		t.Fatalf("dnc import on a us serve's data: held until %s, want %s (us: 60 months)", res.HoldUntil, want)
	}
}

// An explicit --profile other than the one serve runs is refused (exit 2,
// naming both and the file) by every command that writes records following
// the profile, and nothing is written; a read-only command warns.
func TestDataProfileRefusesAnotherForWrites(t *testing.T) {
	data := t.TempDir()
	serveOnce(t, data, "us")
	started := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	list := filepath.Join(t.TempDir(), "refusals.txt")
	if err := os.WriteFile(list, []byte("+14055550123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"recordings", "register", "--id", "r-1", "--number", "+14055550123", "--started-at", started},
		{"recordings", "sweep"},
		{"recordings", "hold", "r-1", "--hold", "h"},
		{"recordings", "release", "r-1", "--hold", "h"},
		{"dnc", "import", list, "--scope", "global", "--list", "opt_out"},
		{"complaint", "add", "--number", "+14055550123", "--id", "cp-1"},
		{"complaint", "answer", "cp-1"},
		{"check", "--to", "+14055550123", "--purpose", "service"},
	} {
		code, out, errs := runCLI(t, "", append([]string{"--data", data}, append(args, "--profile", "cn")...)...)
		if code != 2 || !strings.Contains(errs, "--profile is cn") || !strings.Contains(errs, "runs us") ||
			!strings.Contains(errs, sidecar.DataProfileFile) {
			t.Errorf("%v --profile cn on a us serve's data: exit %d, want 2 naming cn, us and %s\n%s%s", args, code, sidecar.DataProfileFile, out, errs)
		}
	}
	if code, _, errs := runCLI(t, "", "--data", data, "recordings", "show", "r-1"); code != 1 || !strings.Contains(errs, "not found") {
		t.Fatalf("a refused register wrote the recording: exit %d %s", code, errs)
	}
	// The profile serve runs, given explicitly, is accepted.
	if days, _ := registerRetain(t, data, "r-1", "--profile", "us"); days != 1827 {
		t.Fatalf("--profile us: %d days", days)
	}
	// Read-only commands warn.
	for _, args := range [][]string{{"recordings", "show", "r-1"}, {"complaint", "list"}} {
		code, out, errs := runCLI(t, "", append([]string{"--data", data}, append(args, "--profile", "cn")...)...)
		if code != 0 || !strings.Contains(errs, "warning") || !strings.Contains(errs, "runs us") {
			t.Errorf("%v --profile cn: exit %d, want 0 with a warning\n%s%s", args, code, out, errs)
		}
	}
}

// Without a recorded profile (a new directory, or data of an older build)
// the default stays cn, and stderr says so.
func TestDataProfileNoneRecorded(t *testing.T) {
	data := t.TempDir()
	days, errs := registerRetain(t, data, "r-1")
	if days != 30 || !strings.Contains(errs, "note") || !strings.Contains(errs, "default profile cn") || !strings.Contains(errs, sidecar.DataProfileFile) {
		t.Fatalf("no recorded profile: %d days, stderr %q; want cn's 30 days and a note naming the default", days, errs)
	}
	if _, errs := registerRetain(t, data, "r-2", "--profile", "us"); strings.Contains(errs, "note: no profile") {
		t.Errorf("an explicit --profile needs no note: %s", errs)
	}
}

// A profile file serve runs is recorded by its path: the CLI uses the file;
// a file edited since serve started is used with a warning (serve applies it
// once restarted), a copy with the same rules is accepted, another profile
// (a built-in, or the file now naming another profile) is refused.
func TestDataProfileFile(t *testing.T) {
	data, dir := t.TempDir(), t.TempDir()
	file := filepath.Join(dir, "acme.yaml")
	write := func(path, name, retention string) {
		t.Helper()
		src := "schema: dialgate.profile.v1\nname: " + name + "\nextends: us\nrecording:\n  retention: " + retention + "\n"
		if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(file, "acme-us", "2555d")
	serveOnce(t, data, file)
	if days, errs := registerRetain(t, data, "r-1"); days != 2555 {
		t.Fatalf("serve's profile file: %d days, want 2555\n%s", days, errs)
	}
	code, _, errs := runCLI(t, "", "--data", data, "recordings", "register", "--id", "r-2", "--number", "+14055550123",
		"--started-at", time.Now().Add(-time.Hour).Format(time.RFC3339), "--profile", "us")
	if code != 2 || !strings.Contains(errs, file) {
		t.Fatalf("the built-in us on data served with %s: exit %d, want 2\n%s", file, code, errs)
	}
	copyFile := filepath.Join(t.TempDir(), "copy.yaml")
	write(copyFile, "acme-us", "2555d")
	if days, errs := registerRetain(t, data, "r-3", "--profile", copyFile); days != 2555 || strings.Contains(errs, "warning") {
		t.Fatalf("a copy with the same rules: %d days, %s", days, errs)
	}
	write(file, "acme-us", "3650d")
	if days, errs := registerRetain(t, data, "r-4"); days != 3650 || !strings.Contains(errs, "warning") || !strings.Contains(errs, "restarted") {
		t.Fatalf("the edited file: %d days, stderr %q; want 3650 with a warning", days, errs)
	}
	write(file, "acme-cn", "3650d")
	code, _, errs = runCLI(t, "", "--data", data, "recordings", "register", "--id", "r-5", "--number", "+14055550123",
		"--started-at", time.Now().Add(-time.Hour).Format(time.RFC3339))
	if code != 2 || !strings.Contains(errs, "acme-cn") {
		t.Fatalf("the file now names another profile: exit %d, want 2\n%s", code, errs)
	}
	os.Remove(file)
	code, _, errs = runCLI(t, "", "--data", data, "recordings", "show", "r-1")
	if code != 2 || !strings.Contains(errs, file) {
		t.Fatalf("the recorded file is gone: exit %d, want 2 naming it\n%s", code, errs)
	}
}

// --config names the profile: one that differs from the profile serve
// recorded is refused for the commands that write.
func TestDataProfileConfig(t *testing.T) {
	data := t.TempDir()
	serveOnce(t, data, "us")
	cfg := filepath.Join(t.TempDir(), "serve.yaml")
	if err := os.WriteFile(cfg, []byte("data: "+data+"\nprofile: cn\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "", "--data", data, "check", "--config", cfg, "--to", "+14055550123", "--purpose", "service")
	if code != 2 || !strings.Contains(errs, "--config") || !strings.Contains(errs, "runs us") {
		t.Fatalf("check --config naming cn on a us serve's data: exit %d\n%s%s", code, out, errs)
	}
}

// A damaged record: the profile serve runs is unknown, so a write is refused
// (naming the file) and a read that needs only the profile warns; a command
// on records a fleet may keep (complaints, below) is refused too, since the
// record cannot say they are local (TestFleetDataDamagedRecordRefused).
func TestDataProfileDamaged(t *testing.T) {
	data := t.TempDir()
	serveOnce(t, data, "us")
	if err := os.WriteFile(filepath.Join(data, sidecar.DataProfileFile), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "", "--data", data, "recordings", "register", "--id", "r-1", "--number", "+14055550123",
		"--started-at", time.Now().Add(-time.Hour).Format(time.RFC3339), "--profile", "us")
	if code != 2 || !strings.Contains(errs, sidecar.DataProfileFile) {
		t.Fatalf("register on a damaged record: exit %d, want 2 naming the file\n%s%s", code, out, errs)
	}
	code, out, errs = runCLI(t, "", "--data", data, "complaint", "list")
	if code != 2 || !strings.Contains(errs, "warning") || !strings.Contains(errs, "default profile cn") || !strings.Contains(errs, "--config") {
		t.Fatalf("complaint list on a damaged record: exit %d, want 2 after a warning naming the default, naming --config\n%s%s", code, out, errs)
	}
}
