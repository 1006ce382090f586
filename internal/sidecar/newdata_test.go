package sidecar

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenWarnsOfANewDataDirectory: data (default ./dialgate-data) is
// relative to the working directory, so a sidecar restarted from another
// directory (a systemd unit, a shell elsewhere) silently started on a new,
// empty store — every opt-out, revocation and ledger entry taken through
// the old one out of force — with nothing but an Info line about counter
// history. A start that creates the store says so at Warn, naming the
// directory by its absolute path; a start on an existing store does not.
func TestOpenWarnsOfANewDataDirectory(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	var log bytes.Buffer
	openProfile(t, "dialgate-data", "cn", &log)
	abs := filepath.Join(dir, "dialgate-data")
	var warned bool
	for _, l := range strings.Split(log.String(), "\n") {
		if strings.Contains(l, "level=WARN") && strings.Contains(l, "new data directory") && strings.Contains(l, abs) {
			warned = true
		}
	}
	if !warned {
		t.Errorf("a new store is not announced at Warn with its absolute path %s:\n%s", abs, log.String())
	}
	log.Reset()
	openProfile(t, "dialgate-data", "cn", &log)
	if strings.Contains(log.String(), "new data directory") {
		t.Errorf("a start on an existing store warns of a new one:\n%s", log.String())
	}
}
