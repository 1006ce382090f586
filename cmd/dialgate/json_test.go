package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// decodeJSON decodes stdout of a command run with --json into v: exactly one
// JSON value, with no unknown keys, and nothing after it.
func decodeJSON(t *testing.T, stdout string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("stdout is not the expected JSON: %v\n%s", err, stdout)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err != io.EOF {
		t.Fatalf("stdout has more after the JSON value (%v): %s", err, stdout)
	}
}

func TestPolicyListJSON(t *testing.T) {
	code, out, errs := runCLI(t, "", "policy", "list", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got []listedProfile
	decodeJSON(t, out, &got)
	names := map[string]listedProfile{}
	for _, p := range got {
		names[p.Name] = p
	}
	cn, ok := names["cn"]
	if !ok || !strings.HasPrefix(cn.Version, "cn@") || cn.Description == "" || len(got) < 13 {
		t.Errorf("policy list --json: %+v", got)
	}
	// The text lists the same profiles.
	_, text, _ := runCLI(t, "", "policy", "list")
	if n := strings.Count(text, "\n"); n != len(got) {
		t.Errorf("text lists %d profiles, JSON %d", n, len(got))
	}
}

func TestPolicyLintJSON(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("schema: dialgate.profile.v1\nname: bad\nextends: cn\n\ndescripton: typo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "", "policy", "lint", "--json", "--at", "2026-12-04T10:00:00+08:00", "cn", bad)
	var res lintResult
	decodeJSON(t, out, &res)
	if code != 1 || !strings.Contains(errs, "1 of 2 profiles invalid") || res.OK || len(res.Profiles) != 2 {
		t.Fatalf("exit %d, %+v, stderr %q", code, res, errs)
	}
	cn, b := res.Profiles[0], res.Profiles[1]
	if cn.Profile != "cn" || !cn.Valid || !strings.HasPrefix(cn.Version, "cn@") || cn.Citations == 0 ||
		len(cn.Warnings) != 1 || cn.Warnings[0].Path != "schedule.holidays.calendars" || !strings.Contains(cn.Warnings[0].Message, "2026-12-31") {
		t.Errorf("cn: %+v", cn)
	}
	if b.Profile != bad || b.Valid || len(b.Problems) == 0 || !strings.Contains(strings.Join(b.Problems, "\n"), `descripton: unknown key "descripton"`) {
		t.Errorf("bad: %+v", b)
	}
	// Valid: exit 0, ok, and an empty (not null) warnings list.
	code, out, _ = runCLI(t, "", "policy", "lint", "--json", "--at", "2026-06-01T10:00:00+08:00", "cn")
	res = lintResult{}
	decodeJSON(t, out, &res)
	if code != 0 || !res.OK || !strings.Contains(out, `"warnings": []`) {
		t.Errorf("valid: exit %d\n%s", code, out)
	}
	// Bad input keeps exit 2 and prints no JSON.
	if code, out, _ := runCLI(t, "", "policy", "lint", "--json", "--at", "tomorrow", "cn"); code != 2 || out != "" {
		t.Errorf("bad --at: exit %d, stdout %q", code, out)
	}
}

func TestLedgerWriteJSON(t *testing.T) {
	data := t.TempDir()
	code, out, errs := runCLI(t, "", "--data", data, "ledger", "add", "--json", "--tenant", "acme", "--number", "+861058001234",
		"--holder", "Acme Ltd", "--purposes", "marketing,service")
	var added ledgerAdded
	decodeJSON(t, out, &added)
	if code != 0 || added != (ledgerAdded{Tenant: "acme", Number: "+861058001234", Type: "fixed"}) {
		t.Fatalf("add --json: exit %d %+v %q", code, added, errs)
	}
	file := filepath.Join(t.TempDir(), "ledger.csv")
	if err := os.WriteFile(file, []byte("number,holder,purposes,type\n+8695566,Acme Ltd,service;collections,95\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCLI(t, "", "--data", data, "ledger", "import", "--json", file, "--tenant", "acme")
	var imp ledgerImported
	decodeJSON(t, out, &imp)
	if code != 0 || imp != (ledgerImported{Tenant: "acme", File: file, Imported: 1, New: 1}) {
		t.Fatalf("import --json: exit %d %+v %q", code, imp, errs)
	}
	// The text says "entry" for one.
	if _, out, _ := runCLI(t, "", "--data", data, "ledger", "import", file, "--tenant", "acme"); !strings.Contains(out, "imported 1 ledger entry for") {
		t.Errorf("import text: %q", out)
	}
	// Bad input keeps exit 2, with nothing on stdout.
	if code, out, _ := runCLI(t, "", "--data", data, "ledger", "add", "--json", "--tenant", "acme", "--number", "+86abc"); code != 2 || out != "" {
		t.Errorf("add --json, bad number: exit %d, stdout %q", code, out)
	}
}

func TestConsentWriteJSON(t *testing.T) {
	data := t.TempDir()
	code, out, errs := runCLI(t, "", "--data", data, "consent", "add", "--json", "--id", "c-1", "--number", "+8613900139000",
		"--scope", "industry:finance", "--method", "web_form", "--disclosure-sha256", cliHash, "--granted-at", "2026-11-01T10:00:00+08:00")
	var added consentAdded
	decodeJSON(t, out, &added)
	if code != 0 || added != (consentAdded{ID: "c-1", Number: "+8613900139000", Scope: "industry:finance", Method: "web_form"}) {
		t.Fatalf("add --json: exit %d %+v %q", code, added, errs)
	}
	code, out, errs = runCLI(t, "", "--data", data, "consent", "revoke", "--json", "c-1", "--at", "2026-12-05T10:05:00+08:00", "--channel", "sms")
	var rev consentRevoked
	decodeJSON(t, out, &rev)
	if code != 0 || rev.ID != "c-1" || rev.Channel != "sms" || !rev.RevokedAt.Equal(mustTime(t, "2026-12-05T10:05:00+08:00")) {
		t.Fatalf("revoke --json: exit %d %+v %q", code, rev, errs)
	}
	// Refusals keep exit 1 and print no JSON.
	if code, out, errs := runCLI(t, "", "--data", data, "consent", "revoke", "--json", "c-404"); code != 1 || out != "" || !strings.Contains(errs, "not found") {
		t.Errorf("revoke --json unknown: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	// show --json: the records; with none, [] and exit 1.
	code, out, _ = runCLI(t, "", "--data", data, "consent", "show", "--json", "+8613900139000")
	var recs []map[string]any
	decodeJSON(t, out, &recs)
	if code != 0 || len(recs) != 1 || recs[0]["id"] != "c-1" {
		t.Errorf("show --json: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "", "--data", data, "consent", "show", "--json", "+8613900139999")
	recs = nil
	decodeJSON(t, out, &recs)
	if code != 1 || recs == nil || len(recs) != 0 {
		t.Errorf("show --json, no records: exit %d\n%s", code, out)
	}
	// export is JSON with or without --json.
	code, out, _ = runCLI(t, "", "--data", data, "consent", "export", "--json", "+8613900139000")
	var b map[string]any
	decodeJSON(t, out, &b)
	if code != 0 || b["schema"] != consentExportSchema {
		t.Errorf("export --json: exit %d\n%s", code, out)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestRecordingsWriteJSON(t *testing.T) {
	data := t.TempDir()
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, "", append([]string{"--data", data}, args...)...)
	}
	now := time.Now().Truncate(time.Second)
	started := now.AddDate(0, 0, -1)
	ended := started.Add(2 * time.Hour)
	code, out, errs := run("recordings", "register", "--json", "--id", "r-1", "--number", "+8613900139000",
		"--started-at", started.Format(time.RFC3339), "--ended-at", ended.Format(time.RFC3339), "--at", now.Format(time.RFC3339))
	var reg recRegistered
	decodeJSON(t, out, &reg)
	if code != 0 || reg.ID != "r-1" || !reg.StartedAt.Equal(started) || !reg.EndedAt.Equal(ended) || !reg.RetainUntil.Equal(ended.AddDate(0, 0, 30)) {
		t.Fatalf("register --json: exit %d %+v %q", code, reg, errs)
	}
	// The callee is stored only as a keyed hash, and not printed.
	if strings.Contains(out, "13900139000") {
		t.Errorf("register --json prints the callee: %s", out)
	}
	code, out, errs = run("recordings", "hold", "--json", "r-1", "--hold", "lit-1", "--at", now.Format(time.RFC3339))
	var held recHoldChanged
	decodeJSON(t, out, &held)
	if code != 0 || held.ID != "r-1" || held.Hold != "lit-1" || !held.PlacedAt.Equal(now) || held.Released {
		t.Fatalf("hold --json: exit %d %+v %q", code, held, errs)
	}
	code, out, errs = run("recordings", "release", "--json", "r-1", "--hold", "lit-1")
	var rel recHoldChanged
	decodeJSON(t, out, &rel)
	if code != 0 || rel != (recHoldChanged{ID: "r-1", Hold: "lit-1", Released: true}) {
		t.Fatalf("release --json: exit %d %+v %q", code, rel, errs)
	}
	// Errors keep their exit codes and print no JSON.
	if code, out, _ := run("recordings", "hold", "--json", "r-9", "--hold", "x"); code != 1 || out != "" {
		t.Errorf("hold --json unknown: exit %d, stdout %q", code, out)
	}
	if code, out, _ := run("recordings", "register", "--json", "--id", "r-2", "--number", "+86abc", "--started-at", started.Format(time.RFC3339)); code != 2 || out != "" {
		t.Errorf("register --json bad number: exit %d, stdout %q", code, out)
	}
	// A sweep that deletes nothing says so without a dangling colon.
	if code, out, _ := run("recordings", "sweep"); code != 0 || !strings.HasPrefix(out, "deleted 0\n") {
		t.Errorf("sweep: exit %d, stdout %q", code, out)
	}
}

func TestComplaintStepsJSON(t *testing.T) {
	data := t.TempDir()
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, "", append([]string{"--data", data}, args...)...)
	}
	if code, _, errs := run("complaint", "add", "--number", "+8613900139000", "--id", "cp-1", "--at", "2026-11-03T10:00:00+08:00"); code != 0 {
		t.Fatalf("complaint add: exit %d %s", code, errs)
	}
	for _, s := range []struct {
		args []string
		want complaintStep
	}{
		{[]string{"forward", "cp-1", "--at", "2026-11-04T10:00:00+08:00"}, complaintStep{ID: "cp-1", Step: "forward", At: mustTime(t, "2026-11-04T10:00:00+08:00")}},
		{[]string{"resolve", "cp-1", "--at", "2026-11-05T10:00:00+08:00", "--resolution", "kept on the list"},
			complaintStep{ID: "cp-1", Step: "resolve", At: mustTime(t, "2026-11-05T10:00:00+08:00"), Resolution: "kept on the list"}},
		{[]string{"answer", "cp-1", "--at", "2026-11-06T10:00:00+08:00"}, complaintStep{ID: "cp-1", Step: "answer", At: mustTime(t, "2026-11-06T10:00:00+08:00")}},
	} {
		code, out, errs := run(append(append([]string{"complaint"}, s.args...), "--json")...)
		var got complaintStep
		decodeJSON(t, out, &got)
		if code != 0 || got.ID != s.want.ID || got.Step != s.want.Step || !got.At.Equal(s.want.At) || got.Resolution != s.want.Resolution {
			t.Errorf("complaint %v --json: exit %d %+v %q", s.args, code, got, errs)
		}
	}
	// A step out of order keeps exit 1; a missing --resolution exit 2. A
	// step repeated is a retry: exit 0, at the instant stored.
	if code, out, _ := run("complaint", "forward", "--json", "cp-1"); code != 1 || out != "" {
		t.Errorf("forward after the answer: exit %d, stdout %q", code, out)
	}
	code, out, errs := run("complaint", "answer", "--json", "cp-1")
	var again complaintStep
	decodeJSON(t, out, &again)
	if code != 0 || !again.At.Equal(mustTime(t, "2026-11-06T10:00:00+08:00")) {
		t.Errorf("answer twice: exit %d %+v %q, want the first answer's instant", code, again, errs)
	}
	if code, out, _ := run("complaint", "resolve", "--json", "cp-1"); code != 2 || out != "" {
		t.Errorf("resolve without --resolution: exit %d, stdout %q", code, out)
	}
}

func TestAuditKeygenJSON(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "k")
	code, out, errs := runCLI(t, "", "audit", "keygen", "--json", "--name", "audit.example.com", "--out", prefix)
	var res keygenResult
	decodeJSON(t, out, &res)
	if code != 0 || res.PrivateKeyFile != prefix+".key" || res.PublicKeyFile != prefix+".pub" || !strings.HasPrefix(res.PublicKey, "audit.example.com+") {
		t.Fatalf("keygen --json: exit %d %+v %q", code, res, errs)
	}
	pub, _ := os.ReadFile(res.PublicKeyFile)
	if strings.TrimSpace(string(pub)) != res.PublicKey {
		t.Errorf("public key %q, file holds %q", res.PublicKey, pub)
	}
	// Never the private key.
	priv, _ := os.ReadFile(res.PrivateKeyFile)
	// A note signer key is "PRIVATE+KEY+<name>+<hash>+<base64 key>", and the
	// base64 may itself hold "+": the key is everything after the fourth.
	parts := strings.SplitN(strings.TrimSpace(string(priv)), "+", 5)
	if len(parts) != 5 || len(parts[4]) < 20 || strings.Contains(out, parts[4]) {
		t.Errorf("keygen --json prints the private key:\n%s", out)
	}
	// Existing files: exit 2, no JSON.
	if code, out, _ := runCLI(t, "", "audit", "keygen", "--json", "--out", prefix); code != 2 || out != "" {
		t.Errorf("keygen --json over existing files: exit %d, stdout %q", code, out)
	}
}

func TestDNCImportOneNumber(t *testing.T) {
	list := filepath.Join(t.TempDir(), "one.txt")
	if err := os.WriteFile(list, []byte("+8613800138000\nnot-a-number\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "", "dnc", "import", "--skip-bad", "--scope", "global", "--list", "opt_out", "--at", "2026-01-01T00:00:00+08:00", list)
	if code != 0 || !strings.Contains(out, "imported 1 number from 1 file into list opt_out") || !strings.Contains(out, ", 1 malformed line skipped)") {
		t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
}

// TestJSONEverywhere: every command that prints a result takes --json (DESIGN
// §5). serve prints no result (its logs go to stderr).
func TestJSONEverywhere(t *testing.T) {
	noResult := map[string]bool{"dialgate serve": true}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.HasSubCommands() {
			for _, sub := range c.Commands() {
				walk(sub)
			}
			return
		}
		if noResult[c.CommandPath()] {
			return
		}
		f := c.Flags().Lookup("json")
		if f == nil || f.Value.Type() != "bool" {
			t.Errorf("%s has no --json", c.CommandPath())
		}
	}
	walk(newApp(nil, nil, nil).root())
}
