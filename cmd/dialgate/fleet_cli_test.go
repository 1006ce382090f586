package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/internal/sidecar"
)

// pgFleet writes, in a new directory, a fleet's HMAC key and a `dialgate
// serve` config naming DIALGATE_TEST_POSTGRES (in a schema of its own,
// dropped at the end) plus the extra config lines, and returns the
// directory and both paths. It skips the test without PostgreSQL.
func pgFleet(t *testing.T, extra string) (dir, cfg, keyFile string) {
	t.Helper()
	purl := os.Getenv("DIALGATE_TEST_POSTGRES")
	if purl == "" {
		t.Skip("DIALGATE_TEST_POSTGRES is not set; run with DIALGATE_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' go test -run Fleet ./cmd/dialgate")
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "dgfleetcli_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx := context.Background()
		if c, err := pgx.Connect(ctx, purl); err == nil {
			c.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
			c.Close(ctx)
		}
	})
	dir = t.TempDir()
	keyFile = filepath.Join(dir, "fleet-hmac.key")
	if err := os.WriteFile(keyFile, []byte("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg = filepath.Join(dir, "sidecar.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("%spostgres: %q\npostgres_schema: %q\nhmac_key_file: %q\n", extra, purl, schema, keyFile)), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, cfg, keyFile
}

// TestFleetCLI: with dialgate serve's --config naming PostgreSQL, the
// recordings, complaint and report commands of two hosts (two --data
// directories) work on the fleet's shared records: a recording registered
// on one host is shown and held on the other, a complaint filed on one is
// listed on the other, and a report on the other counts it, reading the
// first host's audit log (--audit); opt-outs imported on one are listed on
// the other, and so are consents (a revocation on one host is seen on the
// other) and the caller-ID ledger. Without --config each host sees only its
// own store.
func TestFleetCLI(t *testing.T) {
	dir, cfg, keyFile := pgFleet(t, "")
	hostA, hostB := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	on := func(data string, fleet bool) func(args ...string) (int, string, string) {
		return func(args ...string) (int, string, string) {
			t.Helper()
			pre := []string{"--data", data}
			if fleet {
				// --config belongs to the command group: after its name.
				args = append([]string{args[0], "--config", cfg}, args[1:]...)
			}
			return runCLI(t, "", append(pre, args...)...)
		}
	}
	a, bb, bLocal := on(hostA, true), on(hostB, true), on(hostB, false)

	started := time.Now().Add(-time.Hour).Format(time.RFC3339)
	if code, out, errs := a("recordings", "register", "--id", "r-fleet", "--number", "+8613900139040", "--started-at", started); code != 0 {
		t.Fatalf("register on host a: %d %s %s", code, out, errs)
	}
	if code, out, errs := bb("recordings", "show", "r-fleet"); code != 0 || !strings.Contains(out, "r-fleet") {
		t.Fatalf("show on host b: %d %s %s", code, out, errs)
	}
	if code, out, errs := bb("recordings", "hold", "r-fleet", "--hold", "lit-1"); code != 0 {
		t.Fatalf("hold on host b: %d %s %s", code, out, errs)
	}
	if code, _, _ := bLocal("recordings", "show", "r-fleet"); code != 1 {
		t.Fatalf("host b's own store has the fleet's recording: exit %d", code)
	}
	if code, out, errs := a("complaint", "add", "--number", "+8613900139040", "--id", "cp-fleet", "--at", "2026-11-03T10:00:00+08:00"); code != 0 {
		t.Fatalf("complaint on host a: %d %s %s", code, out, errs)
	}
	if code, out, errs := bb("complaint", "list"); code != 0 || !strings.Contains(out, "cp-fleet") {
		t.Fatalf("complaint list on host b: %d %s %s", code, out, errs)
	}

	// Opt-outs imported on host a go where every sidecar reads them.
	list := filepath.Join(dir, "optouts.txt")
	if err := os.WriteFile(list, []byte("+8613900139042\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := a("dnc", "import", "--scope", "global", "--list", "opt_out", list); code != 0 {
		t.Fatalf("dnc import on host a: %d %s %s", code, out, errs)
	}
	if code, out, errs := bb("dnc", "lookup", "+8613900139042"); code != 0 || !strings.Contains(out, "opt_out") {
		t.Fatalf("dnc lookup on host b: %d %s %s", code, out, errs)
	}
	if code, _, _ := bLocal("dnc", "lookup", "+8613900139042"); code != 1 {
		t.Fatalf("host b's own store lists the fleet's opt-out: exit %d", code)
	}

	// A consent granted on host a and revoked on host b is revoked where the
	// sidecars read it; host b's own store never saw it.
	if code, out, errs := a("consent", "add", "--id", "c-fleet", "--number", "+8613900139043", "--scope", "industry:finance",
		"--method", "web_form", "--disclosure-sha256", cliHash, "--granted-at", "2026-11-01T10:00:00+08:00"); code != 0 {
		t.Fatalf("consent add on host a: %d %s %s", code, out, errs)
	}
	if code, out, errs := bb("consent", "revoke", "c-fleet", "--channel", "sms"); code != 0 {
		t.Fatalf("consent revoke on host b: %d %s %s", code, out, errs)
	}
	if code, out, errs := a("consent", "show", "+8613900139043"); code != 0 || !strings.Contains(out, "(sms)") {
		t.Fatalf("consent show on host a: %d %s %s", code, out, errs)
	}
	// The caller-ID ledger likewise.
	if code, out, errs := a("ledger", "add", "--tenant", "acme", "--number", "+861058001234", "--holder", "Acme Ltd", "--purposes", "service"); code != 0 {
		t.Fatalf("ledger add on host a: %d %s %s", code, out, errs)
	}
	if code, out, errs := bb("ledger", "show", "--tenant", "acme", "+861058001234"); code != 0 || !strings.Contains(out, "Acme Ltd") {
		t.Fatalf("ledger show on host b: %d %s %s", code, out, errs)
	}

	// check --config decides against the fleet's lists: host b, which has no
	// store of its own, sees the opt-out imported on host a.
	dial := `{"to":"+8613900139042","from":"+861058001234","purpose":"service","lead_id":"crm-1","tenant":"acme"}`
	code, out, errs := runCheckAt(t, dial, "--data", hostB, "check", "--config", cfg, "--json", "--at", "2026-12-04T10:00:00+08:00")
	if code != 1 || !strings.Contains(out, "dnc.listed") {
		t.Fatalf("check --config on host b: exit %d\n%s\n%s", code, out, errs)
	}
	if _, _, errs := runCLI(t, dial, "--data", hostB, "check", "--config", cfg, "--profile", "us", "--json"); !strings.Contains(errs, "--profile") {
		t.Fatalf("check --config with another --profile: %s", errs)
	}

	// A decision in host a's audit log, as its sidecar writes them.
	ctx := context.Background()
	keys, err := sidecar.LoadKeysFile(hostA, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	log, err := auditlog.Open(ctx, filepath.Join(hostA, sidecar.AuditDir), auditlog.Options{HMACKey: keys.HMAC, HMACKeyID: keys.HMACKeyID, Signer: keys.Signer})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	g, err := dialgate.New(nil, dialgate.WithAuditLog(log), dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return at })))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Check(ctx, dialgate.Dial{To: dialgate.MustParseNumber("+8613900139041"), Purpose: dialgate.PurposeService, LeadID: "l"}); err != nil {
		t.Fatal(err)
	}
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	code, out, errs = bb("report", "quarterly", "--quarter", "2026Q4", "--audit", filepath.Join(hostA, sidecar.AuditDir), "--at", "2027-01-10T00:00:00+08:00")
	if code != 0 {
		t.Fatalf("report on host b: %d %s", code, errs)
	}
	var r struct {
		Decisions struct {
			Total int `json:"total"`
		} `json:"decisions"`
		Complaints struct {
			Received int `json:"received"`
		} `json:"complaints"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("report JSON: %v\n%s", err, out)
	}
	if r.Decisions.Total != 1 || r.Complaints.Received != 1 {
		t.Fatalf("fleet report %+v\n%s", r, out)
	}
	if code, _, errs := bb("report", "quarterly", "--quarter", "2026Q4", "--audit", filepath.Join(dir, "nowhere")); code == 0 || !strings.Contains(errs, "--audit") {
		t.Fatalf("report with a missing --audit directory: %d %s", code, errs)
	}
	// A config with Redis alone keeps no recordings or complaints: refused,
	// not silently written to the host's own store.
	redisOnly := filepath.Join(dir, "redis-only.yaml")
	if err := os.WriteFile(redisOnly, []byte(fmt.Sprintf("redis: \"redis://127.0.0.1:6379/15\"\nredis_require_aof: false\nhmac_key_file: %q\n", keyFile)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"complaint", "--config", redisOnly, "list"}, {"recordings", "--config", redisOnly, "show", "r-fleet"}} {
		if code, _, errs := runCLI(t, "", append([]string{"--data", hostB}, args...)...); code != 2 || !strings.Contains(errs, "names no postgres") {
			t.Errorf("%v: exit %d, %s", args, code, errs)
		}
	}
}
