package sidecar

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
)

// blackoutsYAML declares one blackout over every +86 callee from an hour ago
// to an hour from now, or none.
func blackoutsYAML(on bool) string {
	if !on {
		return "schema: dialgate.blackouts.v1\nblackouts: []\n"
	}
	now := time.Now().UTC().Truncate(time.Second)
	return fmt.Sprintf(`schema: dialgate.blackouts.v1
blackouts:
  - from: %s
    until: %s
    prefixes: ["+86"]
    reason: Typhoon Test, notice 1
    cite: {source: U, ref: test}
`, now.Add(-time.Hour).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))
}

func writeFileAtomic(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path+".tmp", []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
}

// scheduleVerdict decides a marketing dial to a +86 callee and says what the
// schedule made of it: "blackout", "unavailable" or "" (neither).
func scheduleVerdict(t *testing.T, be *Backend) string {
	t.Helper()
	dec, err := be.Gate.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber("+8613800138000"),
		Purpose: dialgate.PurposeMarketing, LeadID: "l"})
	if err != nil {
		t.Fatal(err)
	}
	if dec.Allowed {
		t.Fatalf("a dial with a blackout file was allowed: %+v", dec)
	}
	for _, r := range dec.Reasons {
		switch {
		case r.Code == "schedule.unavailable":
			return "unavailable"
		case r.Code == dialgate.CodeOutsideWindow && strings.Contains(r.Message, "Typhoon Test"):
			return "blackout"
		}
	}
	return ""
}

func probe(be *Backend, name string) error {
	for _, p := range be.Probes {
		if p.Name == name {
			return p.Check(context.Background())
		}
	}
	return errors.New("no probe " + name)
}

func TestBlackoutsFileReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "blackouts.yaml")
	writeFileAtomic(t, path, blackoutsYAML(true))
	be, err := Open(context.Background(), Config{Data: t.TempDir(), BlackoutsFile: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close(context.Background()) })
	if be.ReloadBlackouts == nil {
		t.Fatal("no ReloadBlackouts")
	}
	if v := scheduleVerdict(t, be); v != "blackout" {
		t.Fatalf("declared at start: %q", v)
	}
	// Lifted without a restart.
	writeFileAtomic(t, path, blackoutsYAML(false))
	if err := be.ReloadBlackouts(false); err != nil {
		t.Fatal(err)
	}
	if v := scheduleVerdict(t, be); v != "" {
		t.Fatalf("lifted: %q", v)
	}
	// Declared again without a restart.
	writeFileAtomic(t, path, blackoutsYAML(true))
	if err := be.ReloadBlackouts(true); err != nil {
		t.Fatal(err)
	}
	if v := scheduleVerdict(t, be); v != "blackout" {
		t.Fatalf("declared again: %q", v)
	}
	if err := probe(be, "blackouts"); err != nil {
		t.Fatalf("probe: %v", err)
	}
	// A mistyped copy denies every dial the schedule judges, and the probe fails.
	writeFileAtomic(t, path, strings.Replace(blackoutsYAML(false), "blackouts:", "blackout:", 1))
	if err := be.ReloadBlackouts(false); err == nil {
		t.Fatal("a bad copy was accepted")
	}
	if v := scheduleVerdict(t, be); v != "unavailable" {
		t.Fatalf("bad copy: %q", v)
	}
	if err := probe(be, "blackouts"); err == nil || !strings.Contains(err.Error(), "blackout") {
		t.Fatalf("probe with a bad copy: %v", err)
	}
	// The copy in force before the mistake, back: in force again.
	writeFileAtomic(t, path, blackoutsYAML(true))
	if err := be.ReloadBlackouts(false); err != nil {
		t.Fatal(err)
	}
	if v := scheduleVerdict(t, be); v != "blackout" {
		t.Fatalf("good copy back: %q", v)
	}
	if err := probe(be, "blackouts"); err != nil {
		t.Fatalf("probe after recovery: %v", err)
	}
	// A deleted file is no "no emergency".
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := be.ReloadBlackouts(false); err == nil {
		t.Fatal("a deleted file was accepted")
	}
	if v := scheduleVerdict(t, be); v != "unavailable" {
		t.Fatalf("deleted file: %q", v)
	}
	// Restored with the very content in force before it went: in force again.
	writeFileAtomic(t, path, blackoutsYAML(false))
	if err := be.ReloadBlackouts(false); err != nil {
		t.Fatal(err)
	}
	if v := scheduleVerdict(t, be); v != "" {
		t.Fatalf("restored: %q", v)
	}
}

func TestBlackoutsFileAtStart(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	writeFileAtomic(t, bad, "schema: dialgate.blackouts.v1\nblackouts:\n  - from: 2026-01-01T00:00:00Z\n")
	for name, cfg := range map[string]Config{
		"missing file": {BlackoutsFile: filepath.Join(dir, "none.yaml")},
		"bad file":     {BlackoutsFile: bad},
	} {
		t.Run(name, func(t *testing.T) {
			cfg.Data = filepath.Join(t.TempDir(), "data")
			if err := CheckFiles(cfg); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "blackouts_file") {
				t.Fatalf("CheckFiles: %v", err)
			}
			if _, err := Open(context.Background(), cfg, nil); !errors.Is(err, ErrConfig) {
				t.Fatalf("Open: %v", err)
			}
			if _, err := os.Stat(cfg.Data); !os.IsNotExist(err) {
				t.Fatalf("the data directory was made: %v", err)
			}
		})
	}
	t.Run("profile without a schedule", func(t *testing.T) {
		prof := filepath.Join(dir, "bare.yaml")
		writeFileAtomic(t, prof, "schema: dialgate.profile.v1\nname: bare\nextends: cn\nschedule: null\n")
		good := filepath.Join(dir, "good.yaml")
		writeFileAtomic(t, good, blackoutsYAML(false))
		_, err := Open(context.Background(), Config{Data: t.TempDir(), Profile: prof, BlackoutsFile: good}, nil)
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "no schedule section") {
			t.Fatalf("Open: %v", err)
		}
	})
}

func TestBlackoutsEvidence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "blackouts.yaml")
	writeFileAtomic(t, path, blackoutsYAML(false))
	be, err := Open(context.Background(), Config{Data: t.TempDir(), BlackoutsFile: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close(context.Background()) })
	dec, err := be.Gate.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber("+8613800138000"),
		Purpose: dialgate.PurposeMarketing, LeadID: "l"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := schedule.ParseDeclarations(path, []byte(blackoutsYAML(false)))
	if err != nil {
		t.Fatal(err)
	}
	// On the decision's evidence when the schedule passed the dial, on its
	// schedule reason's when it did not (at night in Shanghai).
	evs := dec.Evidence
	for _, r := range dec.Reasons {
		evs = append(evs, r.Evidence...)
	}
	found := false
	for _, e := range evs {
		found = found || (e.Key == schedule.EvidenceDeclarations && e.Value == d.Version())
	}
	if !found {
		t.Fatalf("evidence %+v lacks %s=%s", dec.Evidence, schedule.EvidenceDeclarations, d.Version())
	}
}
