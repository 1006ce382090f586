package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/internal/sidecar"
)

// TestCheckConfigAllowLifetime: check --config decides as that config's
// sidecar would, allow_lifetime included. It built its Gate with the
// default (60s): its allows said "place the call before" a minute on
// where the sidecar says the config's lifetime, and its frequency caps
// counted over their window plus 60s, not plus the fleet's lifetime — a
// call the sidecars allowed 7 minutes earlier (placeable up to 10 minutes
// after its decision) was no longer counted against "1 call per 5m", and
// check allowed a second call the sidecars would deny.
func TestCheckConfigAllowLifetime(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	prof, err := filepath.Abs("testdata/cn-no-callerid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "sidecar.yaml")
	if err := os.WriteFile(cfg, []byte("allow_lifetime: 10m\nprofile: "+prof+"\ndata: "+data+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	// Make the store (check without one decides with none).
	if code, _, errs := runCLIAt(t, t0, "", "--data", data, "ledger", "add", "--tenant", "acme", "--number", "+861058001234", "--holder", "Acme Ltd", "--purposes", "service"); code != 0 {
		t.Fatalf("ledger add: exit %d: %s", code, errs)
	}
	dial := []string{"--config", cfg, "--data", data, "check", "--tenant", "acme", "--to", "+8613800138000", "--purpose", "service", "--lead-id", "x"}
	code, out, errs := runCLIAt(t, t0, "", dial...)
	if code != 0 {
		t.Fatalf("first check: exit %d\n%s\n%s", code, out, errs)
	}
	if want := "place the call before 2026-12-04T10:10:00+08:00"; !strings.Contains(out, want) {
		t.Errorf("first check: want %q (the config's allow_lifetime 10m), got\n%s", want, out)
	}
	code, out, errs = runCLIAt(t, t0.Add(7*time.Minute), "", dial...)
	if code != 1 || !strings.Contains(out, "frequency.capped") {
		t.Errorf("second check 7m later under 1 call per 5m with a 10m allow lifetime: exit %d, want 1 with frequency.capped\n%s\n%s", code, out, errs)
	}
}

// TestCheckDataAllowLifetime: check on the data directory of a sidecar
// (stopped: it holds the store's lock while it runs) counts the frequency
// caps over their window plus that sidecar's allow_lifetime, which serve
// records in serve-profile.json, as check --config does with the config's.
// With the default 60s, a call the sidecar allowed 7 minutes before under
// "1 call per 5m" and a 10m lifetime was not counted, and check allowed a
// second one.
func TestCheckDataAllowLifetime(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	prof, err := filepath.Abs("testdata/cn-no-callerid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	be, err := sidecar.Open(context.Background(), sidecar.Config{Data: data, Profile: prof, AllowLifetime: sidecar.Duration(10 * time.Minute), MetricsListen: "off"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := be.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	dial := []string{"--data", data, "check", "--tenant", "acme", "--to", "+8613800138000", "--purpose", "service", "--lead-id", "x"}
	code, out, errs := runCLIAt(t, t0, "", dial...)
	if code != 0 || !strings.Contains(out, "place the call before 2026-12-04T10:10:00+08:00") {
		t.Fatalf("first check: exit %d, want 0 with the sidecar's 10m allow lifetime\n%s\n%s", code, out, errs)
	}
	code, out, errs = runCLIAt(t, t0.Add(7*time.Minute), "", dial...)
	if code != 1 || !strings.Contains(out, "frequency.capped") {
		t.Errorf("second check 7m later: exit %d, want 1 with frequency.capped\n%s\n%s", code, out, errs)
	}
}
