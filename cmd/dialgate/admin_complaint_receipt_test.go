package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/internal/sidecar"
)

// TestAdminComplaintAddAt: `dialgate admin complaint add --at` gives the
// sidecar the complaint's receipt (FileComplaint's received_at), as the
// local `complaint add --at` does: a phone complaint entered days later
// has its deadlines, and its complaint.file record's effective_at, from
// when it was received, not from when it was typed in. A retry with
// another --at keeps the receipt first stored; an --at in the future is
// bad input (exit 2) naming --at, and nothing is filed.
func TestAdminComplaintAddAt(t *testing.T) {
	s := startAdminSidecar(t, sidecar.Config{})
	const num = "+8613900139631"
	recv := time.Now().Add(-72 * time.Hour).UTC().Truncate(time.Second)
	for run, at := range []time.Time{recv, recv.Add(5 * time.Hour)} {
		code, out, errs := s.admin(t, "complaint", "add", "--number", num, "--id", "cp-admin-at", "--at", at.Format(time.RFC3339), "--json")
		var got adminResult
		if code != 0 || json.Unmarshal([]byte(out), &got) != nil {
			t.Fatalf("run %d: exit %d, stdout %q, stderr %q", run, code, out, errs)
		}
		if got.ID != "cp-admin-at" || !got.ReceivedAt.Equal(recv) {
			t.Errorf("run %d: %+v, want cp-admin-at received at %s", run, got, recv)
		}
	}
	if code, out, errs := s.admin(t, "complaint", "add", "--number", num, "--id", "cp-admin-fut",
		"--at", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)); code != 2 || !strings.Contains(errs, "dialgate: --at: ") {
		t.Errorf("--at in the future: exit %d, stdout %q, stderr %q; want 2 naming --at", code, out, errs)
	}
	n := 0
	for _, c := range cliChanges(t, s.data, "13900139631") {
		if c.Op != auditlog.OpComplaintFile {
			continue
		}
		n++
		if c.ID != "cp-admin-at" || !c.EffectiveAt.Equal(recv) {
			t.Errorf("complaint.file record %d: %s effective_at %s, want cp-admin-at effective_at %s", n, c.ID, c.EffectiveAt, recv)
		}
	}
	if n != 2 {
		t.Errorf("%d complaint.file records, want 2 (the filing and its retry)", n)
	}
}
