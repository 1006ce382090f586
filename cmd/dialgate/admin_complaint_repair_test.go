package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/internal/sidecar"
	"github.com/dialgate/dialgate/storage/boltstore"
)

// storedComplaint returns the stored bytes of complaint id in the
// embedded store of data (the sidecar stopped).
func storedComplaint(t *testing.T, data, id string) []byte {
	t.Helper()
	db, err := bolt.Open(filepath.Join(data, boltstore.DefaultFileName), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var raw []byte
	if err := db.View(func(tx *bolt.Tx) error {
		raw = bytes.Clone(tx.Bucket([]byte("complaints")).Get([]byte(id)))
		return nil
	}); err != nil || raw == nil {
		t.Fatalf("complaint %s: %q, %v", id, raw, err)
	}
	return raw
}

// TestAdminComplaintRepair: a complaint damaged in the store of a running
// sidecar (the local complaint repair cannot open it) fails admin
// complaint list; admin complaint repair ID --from-json FILE|- replaces it
// through the sidecar's RepairComplaint with the complaint FILE holds, in
// the local verb's format: a partial file or another id is bad input (exit
// 2, nothing sent), a sound complaint is refused (exit 1, not damaged);
// after the repair the listing works, and the audit log holds
// complaint.repair requested then applied with the file's SHA-256 and the
// token's name.
func TestAdminComplaintRepair(t *testing.T) {
	s := startAdminSidecar(t, sidecar.Config{})
	const num = "+8613900139631"
	if code, out, errs := s.admin(t, "complaint", "add", "--number", num, "--id", "cp-arep-1", "--tenant", "acme", "--channel", "web"); code != 0 {
		t.Fatalf("admin complaint add: %d %q %q", code, out, errs)
	}
	s.stop()
	whole := storedComplaint(t, s.data, "cp-arep-1")
	file := filepath.Join(t.TempDir(), "cp-arep-1.json")
	if err := os.WriteFile(file, whole, 0o600); err != nil {
		t.Fatal(err)
	}
	s = startAdminSidecar(t, sidecar.Config{Data: s.data})
	// A sound complaint is not repaired.
	if code, out, errs := s.admin(t, "complaint", "repair", "cp-arep-1", "--from-json", file); code != 1 || !strings.Contains(errs, "not damaged") {
		t.Fatalf("admin complaint repair of a sound complaint: %d %q %q; want exit 1: not damaged", code, out, errs)
	}
	s.stop()
	damageStored(t, s.data, "complaints", `"status":"open"`, `"status":"opne"`)
	damaged := storedComplaint(t, s.data, "cp-arep-1")
	s = startAdminSidecar(t, sidecar.Config{Data: s.data})
	if code, out, errs := s.admin(t, "complaint", "list"); code != 1 || !strings.Contains(errs, "cp-arep-1") {
		t.Fatalf("admin complaint list with a damaged complaint: %d %q %q; want exit 1 naming cp-arep-1", code, out, errs)
	}
	partial := filepath.Join(t.TempDir(), "partial.json")
	if err := os.WriteFile(partial, bytes.Replace(whole, []byte(`"dnc_listed":true`), []byte(`"dnc_listed":false`), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"cp-arep-1", "--from-json", partial}, {"cp-arep-2", "--from-json", file}, {"cp-arep-1"}} {
		if code, out, errs := s.admin(t, append([]string{"complaint", "repair"}, args...)...); code != 2 || !strings.Contains(errs, "--from-json") {
			t.Fatalf("admin complaint repair %v: %d %q %q; want exit 2 naming --from-json", args, code, out, errs)
		}
	}
	code, out, errs := runCLI(t, string(whole), "admin", "--addr", s.addr, "--token-file", s.adminFile, "complaint", "repair", "cp-arep-1", "--from-json", "-", "--json")
	var res adminResult
	fsum, dsum := sha256.Sum256(whole), sha256.Sum256(damaged)
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil {
		t.Fatalf("admin complaint repair: %d %q %q", code, out, errs)
	}
	if want := (adminResult{RPC: "RepairComplaint", ID: "cp-arep-1", SHA256: hex.EncodeToString(fsum[:]), ReplacedSHA256: hex.EncodeToString(dsum[:])}); res != want {
		t.Errorf("admin complaint repair --json: %+v, want %+v", res, want)
	}
	if code, out, errs := s.admin(t, "complaint", "list", "--status", "open"); code != 0 || !strings.Contains(out, "cp-arep-1") {
		t.Fatalf("admin complaint list after the repair: %d %q %q; want cp-arep-1 open", code, out, errs)
	}
	// The same repair again (the file given again: its answer or record was
	// lost) is a retry: exit 0, the same answer; another complaint on the
	// repaired, sound one is refused.
	code, again, errs := runCLI(t, "", "admin", "--addr", s.addr, "--token-file", s.adminFile, "complaint", "repair", "cp-arep-1", "--from-json", file, "--json")
	if code != 0 || again != out {
		t.Fatalf("admin complaint repair again: %d %q %q; want exit 0 and %q", code, again, errs, out)
	}
	other := filepath.Join(t.TempDir(), "other.json")
	if err := os.WriteFile(other, bytes.Replace(whole, []byte(`"tenant":"acme"`), []byte(`"tenant":"another"`), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := s.admin(t, "complaint", "repair", "cp-arep-1", "--from-json", other); code != 1 || !strings.Contains(errs, "not damaged") {
		t.Fatalf("admin complaint repair of the repaired complaint with another tenant: %d %q %q; want exit 1: not damaged", code, out, errs)
	}
	s.stop()
	var requested, applied, failed int
	for _, c := range cliChanges(t, s.data, num[1:]) {
		if c.Op != auditlog.OpComplaintRepair || c.Tenant == "another" {
			continue
		}
		if c.ID != "cp-arep-1" || c.SHA256 != hex.EncodeToString(fsum[:]) || c.Tenant != "acme" || c.Actor != "ops" {
			t.Errorf("repair record %+v; want cp-arep-1, acme, the file's SHA-256, by ops", c)
		}
		switch c.Result {
		case auditlog.ResultRequested:
			requested++
		case auditlog.ResultApplied:
			applied++
		case auditlog.ResultFailed:
			failed++
		}
	}
	// The repair of the sound complaint was requested and failed; the
	// repair and its retry were applied.
	if requested != 3 || applied != 2 || failed != 1 {
		t.Fatalf("complaint.repair records: %d requested, %d applied, %d failed; want 3, 2, 1", requested, applied, failed)
	}
}
