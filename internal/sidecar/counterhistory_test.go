package sidecar

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
)

// windowProfile caps every callee at one call in the given window.
func windowProfile(window string) string {
	return `schema: dialgate.profile.v1
name: window-caps
frequency:
  caps:
    - {count: 1, window: ` + window + `, cite: {source: U, ref: "test: one call"}}
`
}

// openWithProfile opens a backend on data with the profile text, logging to
// log.
func openWithProfile(t *testing.T, data, profile string, log *bytes.Buffer) (*Backend, error) {
	t.Helper()
	prof := filepath.Join(t.TempDir(), "profile.yaml")
	if err := os.WriteFile(prof, []byte(profile), 0o600); err != nil {
		t.Fatal(err)
	}
	return Open(context.Background(), Config{Data: data, Profile: prof}, slog.New(slog.NewTextHandler(log, nil)))
}

// A profile whose cap window was lengthened (30 days to 60) keeps the calls
// counted before the restart: the callee called under the 30-day profile is
// still capped under the 60-day one, and the change is logged at Warn.
// The counter key names the window, so the new profile used to start from an
// empty counter and allow the call at once.
func TestCounterHistoryAcrossRestart(t *testing.T) {
	data := t.TempDir()
	d := dialgate.Dial{To: dialgate.MustParseNumber("+14055550123"), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"}
	var log bytes.Buffer
	be, err := openWithProfile(t, data, windowProfile("30d"), &log)
	if err != nil {
		t.Fatal(err)
	}
	if dec, err := be.Gate.Check(context.Background(), d); err != nil || !dec.Allowed {
		t.Fatalf("first dial: %v %+v", err, dec.Reasons)
	}
	if err := be.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(data, CounterHistoryFile)); err != nil {
		t.Fatalf("counter history not written: %v", err)
	}

	log.Reset()
	be, err = openWithProfile(t, data, windowProfile("60d"), &log)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close(context.Background())
	dec, err := be.Gate.Check(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if dec.Allowed || !dec.Has(dialgate.CodeFrequencyCapped) {
		t.Fatalf("after the window change: allowed %v %+v, want frequency.capped", dec.Allowed, dec.Reasons)
	}
	if s := log.String(); !strings.Contains(s, "level=WARN") || !strings.Contains(s, "earlier_key=|cap|callee||30d") {
		t.Errorf("the change is not logged at Warn:\n%s", s)
	}
}

// A damaged counter history file is refused, naming it, rather than
// silently carrying nothing.
func TestCounterHistoryDamagedFile(t *testing.T) {
	data := t.TempDir()
	var log bytes.Buffer
	be, err := openWithProfile(t, data, windowProfile("30d"), &log)
	if err != nil {
		t.Fatal(err)
	}
	be.Close(context.Background())
	path := filepath.Join(data, CounterHistoryFile)
	if err := os.WriteFile(path, []byte(`{"version":1,"keys":[{"suffix":"30d"`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = openWithProfile(t, data, windowProfile("60d"), &log)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open with a damaged %s: %v, want an error naming it", CounterHistoryFile, err)
	}
}

// carriedInto matches an earlier key with a key of the same kind, scope and
// purposes only.
func TestCarriedInto(t *testing.T) {
	keys := []schedule.CounterKey{{Suffix: "|cap|callee|marketing|60d"}, {Suffix: "|pause_abandoned|callee||4d"}}
	for suffix, want := range map[string]bool{
		"|cap|callee|marketing|30d":   true,
		"|cap|callee||30d":            false,
		"|cap|callee|marketing,x|30d": false,
		"|pause_abandoned|callee||3d": true,
		"|pause|callee||3d":           false,
	} {
		if got := carriedInto(suffix, keys); got != want {
			t.Errorf("carriedInto(%q) = %v, want %v", suffix, got, want)
		}
	}
}
