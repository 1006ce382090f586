package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/complaint"
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
	out0 := out
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
	// The same repair again (its record failed, the message says to rerun)
	// is a retry: exit 0, the same answer, recorded; another complaint on
	// the repaired, sound one is refused.
	if code, out, errs := runCLI(t, "", "--data", data, "complaint", "repair", "cp-1", "--from-json", file); code != 0 || out != rout {
		t.Fatalf("the same repair again: %d %q %q; want exit 0 and %q", code, out, errs, rout)
	}
	other := filepath.Join(t.TempDir(), "other.json")
	var oc complaint.Complaint
	if err := json.Unmarshal([]byte(out0), &oc); err != nil {
		t.Fatal(err)
	}
	oc.Tenant = "another"
	ob, err := json.Marshal(oc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, ob, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runCLI(t, "", "--data", data, "complaint", "repair", "cp-1", "--from-json", other); code != 1 || !strings.Contains(errs, "not damaged") {
		t.Fatalf("another repair of the repaired complaint: %d %q %q; want exit 1: not damaged", code, out, errs)
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
		if c.Op != auditlog.OpComplaintRepair || c.Tenant == "another" {
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
	if reqs != 3 || applied != 2 {
		// The sound complaint's repair was requested and failed (the
		// other complaint's is not counted).
		t.Fatalf("%d requested and %d applied complaint.repair records; want 3 and 2", reqs, applied)
	}
}

// TestFleetCLIComplaintRepair: with --config naming PostgreSQL, a complaint
// row damaged in the fleet's database is repaired from any host, and the
// damaged JSON stays in the row.
func TestFleetCLIComplaintRepair(t *testing.T) {
	dir, cfg, _ := pgFleet(t, "")
	raw, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var schema string
	for _, l := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(l, "postgres_schema: "); ok {
			schema = strings.Trim(v, `"`)
		}
	}
	on := func(data string, args ...string) (int, string, string) {
		t.Helper()
		args = append([]string{args[0], "--config", cfg}, args[1:]...)
		return runCLI(t, "", append([]string{"--data", data}, args...)...)
	}
	hostA, hostB := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	code, out, errs := on(hostA, "complaint", "add", "--number", "+8613900139041", "--id", "cp-fleet", "--at", "2026-11-03T10:00:00+08:00", "--json")
	if code != 0 {
		t.Fatalf("add: %d %s %s", code, out, errs)
	}
	file := filepath.Join(t.TempDir(), "cp-fleet.json")
	if err := os.WriteFile(file, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, os.Getenv("DIALGATE_TEST_POSTGRES"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `UPDATE `+pgx.Identifier{schema, "complaints"}.Sanitize()+` SET complaint = complaint || '{"status":"opne"}' WHERE id = 'cp-fleet'`); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := on(hostB, "complaint", "list"); code != 1 || !strings.Contains(errs, "cp-fleet") {
		t.Fatalf("list of the damaged complaint: %d %q %q; want exit 1 naming it", code, out, errs)
	}
	if code, out, errs := on(hostB, "complaint", "repair", "cp-fleet", "--from-json", file); code != 0 {
		t.Fatalf("repair on host b: %d %q %q", code, out, errs)
	}
	if code, out, errs := on(hostA, "complaint", "list", "--status", "open"); code != 0 || !strings.Contains(out, "cp-fleet") {
		t.Fatalf("list on host a after the repair: %d %q %q", code, out, errs)
	}
	var kept string
	if err := conn.QueryRow(ctx, `SELECT complaint->'replaced'->>'status' FROM `+pgx.Identifier{schema, "complaints"}.Sanitize()+` WHERE id = 'cp-fleet'`).Scan(&kept); err != nil || kept != "opne" {
		t.Fatalf("the damaged JSON kept in the row has status %q, %v; want opne", kept, err)
	}
}
