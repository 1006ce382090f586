package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/auditlog"
)

// A complaint damaged in the store (here its status) fails every
// listing; `complaint repair ID --from-json F` replaces it whole with the
// complaint F holds (as `complaint add --json` printed it), recorded as
// requested before and applied after, naming the file's SHA-256; a partial
// file, another id, or a sound complaint is refused and changes nothing.
func TestCLIComplaintRepair(t *testing.T) {
	data := t.TempDir()
	recv := time.Now().Add(-3 * time.Hour).UTC().Truncate(time.Second)
	code, out, errs := runCLI(t, "", "--data", data, "complaint", "add", "--id", "cp-1", "--number", "+8613900139000",
		"--tenant", "acme", "--at", recv.Format(time.RFC3339), "--json")
	if code != 0 {
		t.Fatalf("add: %d %s%s", code, out, errs)
	}
	file := filepath.Join(t.TempDir(), "cp-1.json")
	if err := os.WriteFile(file, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	// A sound complaint is not repaired.
	if code, out, errs := runCLI(t, "", "--data", data, "complaint", "repair", "cp-1", "--from-json", file); code == 0 || !strings.Contains(errs, "not damaged") {
		t.Fatalf("repair of a sound complaint: %d %q %q; want refused: not damaged", code, out, errs)
	}
	damageStored(t, data, "complaints", `"status":"open"`, `"status":"opne"`)
	if code, out, errs := runCLI(t, "", "--data", data, "complaint", "list"); code != 1 || !strings.Contains(errs, "cp-1") {
		t.Fatalf("list of a damaged complaint: %d %q %q; want exit 1 naming cp-1", code, out, errs)
	}
	partial := filepath.Join(t.TempDir(), "partial.json")
	if err := os.WriteFile(partial, []byte(strings.Replace(out, `"answer_by"`, `"answer_by_"`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"cp-1", "--from-json", partial}, {"cp-2", "--from-json", file}, {"cp-1"}} {
		if code, out, errs := runCLI(t, "", append([]string{"--data", data, "complaint", "repair"}, args...)...); code != 2 {
			t.Fatalf("repair %v: %d %q %q; want exit 2", args, code, out, errs)
		}
	}
	if code, _, _ := runCLI(t, "", "--data", data, "complaint", "list"); code != 1 {
		t.Fatalf("list after the refused repairs: %d; want 1 (still damaged)", code)
	}
	code, rout, rerrs := runCLI(t, "", "--data", data, "complaint", "repair", "cp-1", "--from-json", file)
	if code != 0 || !strings.Contains(rout, "complaint cp-1 repaired") {
		t.Fatalf("repair: %d %q %q", code, rout, rerrs)
	}
	if code, out, errs := runCLI(t, "", "--data", data, "complaint", "list", "--status", "open"); code != 0 || !strings.Contains(out, "cp-1") {
		t.Fatalf("list after the repair: %d %q %q; want cp-1 open", code, out, errs)
	}
	if code, out, errs := runCLI(t, "", "--data", data, "complaint", "forward", "cp-1"); code != 0 {
		t.Fatalf("forward after the repair: %d %q %q", code, out, errs)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	fsum := sha256.Sum256(raw)
	var reqs, applied int
	for _, c := range cliChanges(t, data, "13900139000") {
		if c.Op != auditlog.OpComplaintRepair {
			continue
		}
		if c.ID != "cp-1" || c.SHA256 != hex.EncodeToString(fsum[:]) || c.Tenant != "acme" {
			t.Fatalf("repair record %+v; want cp-1, acme, the file's SHA-256", c)
		}
		switch c.Result {
		case auditlog.ResultRequested:
			reqs++
		case auditlog.ResultApplied:
			applied++
		}
	}
	if reqs != 2 || applied != 1 {
		// The sound complaint's repair was requested and failed.
		t.Fatalf("%d requested and %d applied complaint.repair records; want 2 and 1", reqs, applied)
	}
}
