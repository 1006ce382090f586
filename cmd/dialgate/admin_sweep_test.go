package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/internal/sidecar"
	"github.com/dialgate/dialgate/recording"
)

// TestAdminRecordingsSweep: dialgate admin recordings sweep sweeps a running
// sidecar's recordings at its clock: the one past retention is deleted, the
// one ended 29 days ago and the held one are kept; --json prints the local
// sweep's report, and the text its lines; a gate token is refused (exit 1)
// and deletes nothing; the sidecar's audit log, with the sweep's records,
// verifies; and the local commands on its --data see what was deleted.
func TestAdminRecordingsSweep(t *testing.T) {
	s := startAdminSidecar(t, sidecar.Config{})
	day := 24 * time.Hour
	now := time.Now().UTC().Truncate(time.Second)
	for _, r := range []struct {
		id, num string
		ago     time.Duration
	}{
		{"rec-sw-old", "+8613900139731", 31 * day},
		{"rec-sw-29d", "+8613900139732", 29 * day},
		{"rec-sw-held", "+8613900139733", 40 * day},
	} {
		end := now.Add(-r.ago)
		code, out, errs := s.admin(t, "recordings", "register", "--id", r.id, "--number", r.num,
			"--started-at", end.Add(-5*time.Minute).Format(time.RFC3339), "--ended-at", end.Format(time.RFC3339))
		if code != 0 {
			t.Fatalf("register %s: exit %d, stdout %q, stderr %q", r.id, code, out, errs)
		}
	}
	if code, out, errs := s.admin(t, "recordings", "hold", "rec-sw-held", "--hold", "litigation-3"); code != 0 {
		t.Fatalf("hold: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs := runCLI(t, "", "admin", "--addr", s.addr, "--token-file", s.gateFile, "recordings", "sweep")
	if code != 1 || !strings.Contains(errs, `lacks the "admin" scope`) {
		t.Fatalf("a gate token: exit %d, stdout %q, stderr %q; want exit 1, permission denied", code, out, errs)
	}
	code, out, errs = s.admin(t, "recordings", "sweep", "--json")
	var rep recording.SweepReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("sweep --json: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if !slices.Equal(rep.Deleted, []string{"rec-sw-old"}) || !slices.Equal(rep.Skipped, []recording.Skip{{ID: "rec-sw-held", Reason: "held"}}) || len(rep.Failed) != 0 {
		t.Fatalf("sweep --json: %+v", rep)
	}
	// Again: nothing more to delete; the held one is still skipped, in the
	// local sweep's words.
	code, out, errs = s.admin(t, "recordings", "sweep")
	if code != 0 || out != "deleted 0\nskipped rec-sw-held: held\n" {
		t.Fatalf("sweep again: exit %d, stdout %q, stderr %q", code, out, errs)
	}

	s.stop()
	code, out, errs = runCLI(t, "", "audit", "verify", filepath.Join(s.data, sidecar.AuditDir),
		"--key", filepath.Join(s.data, sidecar.KeysDir, sidecar.SignerPubFile), "--json")
	var vr verifyResult
	// Three registrations, a hold, and two sweeps of two records each.
	if code != 0 || json.Unmarshal([]byte(out), &vr) != nil || !vr.OK || vr.Changes != 8 {
		t.Fatalf("audit verify: exit %d, stdout %q, stderr %q; want OK with 8 changes", code, out, errs)
	}
	data := []string{"--data", s.data}
	if code, out, errs := runCLI(t, "", append(data, "recordings", "show", "rec-sw-old")...); code != 1 {
		t.Errorf("show the swept recording: exit %d, stdout %q, stderr %q; want exit 1 (not found)", code, out, errs)
	}
	for _, id := range []string{"rec-sw-29d", "rec-sw-held"} {
		if code, out, errs := runCLI(t, "", append(data, "recordings", "show", id)...); code != 0 || !strings.Contains(out, id) {
			t.Errorf("show %s: exit %d, stdout %q, stderr %q", id, code, out, errs)
		}
	}
}
