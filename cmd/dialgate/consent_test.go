package main

import (
	"crypto/rand"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
)

const cliHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func TestConsentCommands(t *testing.T) {
	data := t.TempDir()
	run := func(stdin string, args ...string) (int, string, string) {
		t.Helper()
		return runCheckAt(t, stdin, append([]string{"--data", data}, args...)...)
	}
	code, out, errs := run("", "consent", "add", "--id", "c-1", "--number", "+8613900139000", "--scope", "industry:finance",
		"--method", "web_form", "--disclosure-sha256", cliHash, "--granted-at", "2026-11-01T10:00:00+08:00", "--channel", "website")
	if code != 0 || !strings.Contains(out, "added consent c-1") {
		t.Fatalf("add: %d %q %q", code, out, errs)
	}
	// Bad input names the flag and writes nothing.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--id", "c-2", "--number", "+8613900139000", "--scope", "industry:finance", "--method", "web_form", "--disclosure-sha256", cliHash,
			"--granted-at", "2026-11-01T10:00:00+08:00", "--expires-at", "2026-10-01T10:00:00+08:00"}, "--expires-at: "},
		{[]string{"--id", "c-2", "--number", "+8613900139000", "--scope", "industry:finance", "--method", "fax", "--granted-at", "2026-11-01T10:00:00+08:00"}, `--method: unknown method "fax"`},
		{[]string{"--id", "c-2", "--number", "+8613900139000", "--scope", "industry:finance", "--method", "in_app", "--granted-at", "2026-11-01T10:00:00+08:00"}, "--disclosure-sha256: missing"},
		{[]string{"--id", "c-2", "--number", "+8613900139000", "--scope", "global", "--method", "written", "--evidence-uri", "s3://b/k", "--granted-at", "2026-11-01T10:00:00+08:00"}, `--scope: "global": consent is never global; it is given for one industry, business line, campaign or tenant (want industry:<name>`},
		{[]string{"--id", "c-2", "--number", "+8613900139000", "--scope", "finance", "--method", "written", "--evidence-uri", "s3://b/k", "--granted-at", "2026-11-01T10:00:00+08:00"}, `--scope: "finance" is not <kind>:<name>`},
		{[]string{"--id", "c-2", "--number", "12", "--scope", "tenant:a"}, "--number:"},
		{[]string{"--id", "c-2", "--number", "+8613900139000", "--scope", "industry:finance", "--method", "written", "--evidence-uri", "s3://b/k",
			"--granted-at", time.Now().Add(8 * time.Hour).UTC().Format(time.RFC3339)}, "--granted-at: "},
	} {
		code, _, errs := run("", append([]string{"consent", "add"}, tc.args...)...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("add %v: %d %q, want exit 2 and %q", tc.args, code, errs, tc.want)
		}
	}
	// Re-consent with the same id is refused: a new record needs a new id.
	code, _, errs = run("", "consent", "add", "--id", "c-1", "--number", "+8613900139000", "--scope", "industry:finance",
		"--method", "web_form", "--disclosure-sha256", cliHash, "--granted-at", "2026-11-02T10:00:00+08:00")
	if code != 1 || !strings.Contains(errs, "already exists") {
		t.Errorf("duplicate id: %d %q", code, errs)
	}
	// From JSON on stdin.
	js := `{"id":"c-2","number":"+8613900139000","scope":"business:loans","method":"recorded_verbal","evidence_uri":"https://evidence.example/calls/2","granted_at":"2026-11-03T10:00:00+08:00"}`
	if code, out, errs := run(js, "consent", "add", "--from-json", "-"); code != 0 || !strings.Contains(out, "added consent c-2") {
		t.Fatalf("add --from-json: %d %q %q", code, out, errs)
	}
	if code, _, errs := run(`{"id":"c-3","colour":"red"}`, "consent", "add", "--from-json", "-"); code != 2 || !strings.Contains(errs, "colour: unknown key") {
		t.Errorf("add --from-json with an unknown key: %d %q", code, errs)
	}
	if code, _, errs := run(js, "consent", "add", "--from-json", "-", "--id", "x"); code != 2 || !strings.Contains(errs, "not both") {
		t.Errorf("add with JSON and flags: %d %q", code, errs)
	}

	// Marketing dial relies on it.
	checkArgs := []string{"check", "--to", "+8613900139000", "--purpose", "marketing", "--industry", "finance", "--consent-id", "c-1",
		"--at", "2026-12-05T10:00:00+08:00", "--profile", "testdata/cn-no-callerid.yaml"}
	code, out, errs = run("", checkArgs...)
	if code != 0 || !strings.Contains(out, cliHash) {
		t.Fatalf("check with consent: %d %q %q", code, out, errs)
	}

	// Revoke: unknown id is a clear not-found and exit 1.
	if code, _, errs := run("", "consent", "revoke", "c-404", "--at", "2026-12-05T10:05:00+08:00"); code != 1 || !strings.Contains(errs, "consent c-404 not found") {
		t.Errorf("revoke unknown: %d %q", code, errs)
	}
	if code, out, errs := run("", "consent", "revoke", "c-1", "--at", "2026-12-05T10:05:00+08:00", "--channel", "sms"); code != 0 || !strings.Contains(out, "revoked consent c-1") {
		t.Fatalf("revoke: %d %q %q", code, out, errs)
	}
	checkArgs[len(checkArgs)-3] = "2026-12-05T10:10:00+08:00"
	code, out, _ = run("", checkArgs...)
	if code != 1 || !strings.Contains(out, "consent.revoked") {
		t.Fatalf("check after revoke: %d %q", code, out)
	}

	code, out, _ = run("", "consent", "show", "+8613900139000")
	if code != 0 || !strings.Contains(out, "c-1") || !strings.Contains(out, "(sms)") || !strings.Contains(out, "c-2") ||
		!strings.Contains(out, "TENANT") || !strings.Contains(out, "(any)") {
		t.Errorf("show: %d %q", code, out)
	}
	if code, _, _ := run("", "consent", "show", "+8613900139999"); code != 1 {
		t.Errorf("show of a number without records: exit %d, want 1", code)
	}

	code, out, errs = run("", "consent", "export", "+8613900139000")
	var b struct {
		Schema    string
		Records   []map[string]any
		History   []map[string]any
		Decisions []map[string]any
		AuditLog  string `json:"audit_log"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &b) != nil {
		t.Fatalf("export: %d %q %q", code, out, errs)
	}
	if b.Schema != "dialgate.consent-export.v1" || len(b.Records) != 2 || len(b.History) != 3 || b.History[2]["type"] != "revoked" {
		t.Errorf("export bundle: %+v", b)
	}
	// The checks above were recorded in --data/audit (dialgate check records
	// what it decides against the store): the allow under c-1, and the deny
	// after its revocation.
	if len(b.Decisions) != 2 || b.Decisions[0]["allowed"] != true || b.Decisions[1]["allowed"] != false || !strings.Contains(b.AuditLog, "audit") {
		t.Errorf("export: decisions %v, audit_log %q", b.Decisions, b.AuditLog)
	}
	// --audit names the logs to search (a fleet's, one per sidecar); an
	// empty one adds nothing.
	empty := t.TempDir()
	code, out, errs = run("", "consent", "export", "+8613900139000", "--audit", filepath.Join(data, "audit"), "--audit", empty)
	b.Decisions = nil
	if code != 0 || json.Unmarshal([]byte(out), &b) != nil || len(b.Decisions) != 2 {
		t.Errorf("export --audit: %d %d decisions %q", code, len(b.Decisions), errs)
	}
}

// TestConsentTenant: consent add --tenant ties the record to a seller;
// show prints it (text and --json), and a dial of another tenant is not
// allowed by it while one of its own tenant is.
func TestConsentTenant(t *testing.T) {
	data := t.TempDir()
	run := func(stdin string, args ...string) (int, string, string) {
		t.Helper()
		return runCheckAt(t, stdin, append([]string{"--data", data}, args...)...)
	}
	const num = "+8613900139030"
	code, out, errs := run("", "consent", "add", "--id", "c-acme", "--number", num, "--scope", "industry:finance", "--tenant", "acme",
		"--method", "web_form", "--disclosure-sha256", cliHash, "--granted-at", "2026-11-01T10:00:00+08:00")
	if code != 0 || !strings.Contains(out, "added consent c-acme (industry:finance, tenant acme, web_form)") {
		t.Fatalf("add --tenant: %d %q %q", code, out, errs)
	}
	code, out, errs = run("", "consent", "add", "--json", "--id", "c-any", "--number", num, "--scope", "industry:insurance",
		"--method", "web_form", "--disclosure-sha256", cliHash, "--granted-at", "2026-11-01T11:00:00+08:00")
	if code != 0 || strings.Contains(out, "tenant") {
		t.Fatalf("add --json without --tenant: %d %q %q", code, out, errs)
	}
	js := `{"id":"c-js","number":"` + num + `","scope":"campaign:winter","tenant":"beta","method":"recorded_verbal","evidence_uri":"https://evidence.example/calls/3","granted_at":"2026-11-03T10:00:00+08:00"}`
	code, out, errs = run(js, "consent", "add", "--json", "--from-json", "-")
	var added consentAdded
	decodeJSON(t, out, &added)
	if code != 0 || added.Tenant != "beta" {
		t.Fatalf("add --from-json with a tenant: %d %+v %q", code, added, errs)
	}
	if code, _, errs := run(strings.NewReplacer(`"tenant":"beta"`, `"tenant":""`, `"c-js"`, `"c-empty"`).Replace(js), "consent", "add", "--from-json", "-"); code != 2 || !strings.Contains(errs, "tenant: empty") {
		t.Errorf("add --from-json with an empty tenant: %d %q, want exit 2 naming tenant", code, errs)
	}
	if code, _, errs := run(js, "consent", "add", "--from-json", "-", "--tenant", "acme"); code != 2 || !strings.Contains(errs, "not both") {
		t.Errorf("add with JSON and --tenant: %d %q", code, errs)
	}
	for _, bad := range []string{"ac\x01me", " acme", strings.Repeat("t", 257), ""} {
		code, out, errs := run("", "consent", "add", "--id", "c-bad", "--number", num, "--scope", "industry:finance", "--tenant", bad,
			"--method", "web_form", "--disclosure-sha256", cliHash, "--granted-at", "2026-11-01T10:00:00+08:00")
		if code != 2 || out != "" || !strings.Contains(errs, "--tenant: ") {
			t.Errorf("add --tenant %.20q: %d %q %q, want exit 2 naming --tenant", bad, code, out, errs)
		}
	}
	code, out, errs = run("", "consent", "add", "--id", "c-bad", "--number", num, "--scope", "tenant:beta", "--tenant", "acme",
		"--method", "web_form", "--disclosure-sha256", cliHash, "--granted-at", "2026-11-01T10:00:00+08:00")
	if code != 2 || !strings.Contains(errs, "--tenant: ") {
		t.Errorf("add --tenant acme in scope tenant:beta: %d %q %q, want exit 2 naming --tenant", code, out, errs)
	}

	code, out, _ = run("", "consent", "show", num)
	lines := strings.Split(out, "\n")
	if code != 0 || len(lines) < 4 || !strings.Contains(lines[0], "TENANT") {
		t.Fatalf("show: %d %q", code, out)
	}
	for _, want := range []struct{ id, tenant string }{{"c-acme", "acme"}, {"c-any", "(any)"}, {"c-js", "beta"}} {
		found := false
		for _, l := range lines {
			if f := strings.Fields(l); len(f) > 2 && f[0] == want.id {
				found = f[2] == want.tenant
			}
		}
		if !found {
			t.Errorf("show: %s's TENANT is not %s:\n%s", want.id, want.tenant, out)
		}
	}
	code, out, _ = run("", "consent", "show", "--json", num)
	var recs []map[string]any
	decodeJSON(t, out, &recs)
	if code != 0 || len(recs) != 3 {
		t.Fatalf("show --json: %d %s", code, out)
	}
	for _, r := range recs {
		want := map[string]any{"c-acme": "acme", "c-any": nil, "c-js": "beta"}[r["id"].(string)]
		if r["tenant"] != want {
			t.Errorf("show --json: %s has tenant %v, want %v", r["id"], r["tenant"], want)
		}
	}

	check := func(tenant string) (int, string) {
		t.Helper()
		code, out, _ := run("", "check", "--to", num, "--purpose", "marketing", "--industry", "finance", "--tenant", tenant, "--lead-id", "l-1",
			"--at", "2026-12-05T10:00:00+08:00", "--profile", "testdata/cn-no-callerid.yaml")
		return code, out
	}
	if code, out := check("acme"); code != 0 || !strings.Contains(out, "c-acme") {
		t.Errorf("check of tenant acme: %d %q, want allowed on c-acme", code, out)
	}
	if code, out := check("beta"); code != 1 || !strings.Contains(out, "consent.scope_mismatch") {
		t.Errorf("check of tenant beta: %d %q, want consent.scope_mismatch", code, out)
	}
}

func TestConsentExportReadsAuditLog(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	skey, _, err := auditlog.GenerateKey(rand.Reader, "audit.example")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auditlog.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	l, err := auditlog.Open(ctx, dir, auditlog.Options{HMACKey: []byte("a test key of 16+ bytes"), HMACKeyID: "k1", Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	to := dialgate.MustParseNumber("+8613900139000")
	decs := []dialgate.Decision{
		{ID: "d-1", At: at, Allowed: true, Dial: dialgate.Dial{To: to, Purpose: "marketing", At: at, ConsentID: "c-1"},
			Evidence: []dialgate.Evidence{{Key: "consent.id", Value: "c-1"}, {Key: "consent.disclosure_sha256", Value: cliHash}}},
		{ID: "d-2", At: at, Dial: dialgate.Dial{To: to, Purpose: "marketing", At: at, LeadID: "l"},
			Reasons: []dialgate.Reason{{Code: "consent.revoked", Check: "consent", Evidence: []dialgate.Evidence{{Key: "consent.id", Value: "c-1"}}}}},
		{ID: "d-3", At: at, Allowed: true, Dial: dialgate.Dial{To: to, Purpose: "service", At: at, LeadID: "l"}},
		{ID: "d-4", At: at, Allowed: true, Dial: dialgate.Dial{To: to, Purpose: "marketing", At: at, ConsentID: "c-9"}},
	}
	for _, d := range decs {
		if err := l.RecordDecision(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	got, note, err := decisionsNaming(dir, []string{"c-1", "c-2"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range got {
		ids = append(ids, d.ID)
	}
	if strings.Join(ids, ",") != "d-1,d-2" || !strings.Contains(note, dir) {
		t.Fatalf("decisions %v (%s), want d-1,d-2", ids, note)
	}
	if got[0].Consent == nil || got[0].Consent.EvidenceSHA256 != cliHash {
		t.Errorf("decision d-1 consent = %+v, want the disclosure hash", got[0].Consent)
	}
	if b, _ := json.Marshal(got); strings.Contains(string(b), to.Digits()) {
		t.Errorf("exported decisions carry the raw callee number")
	}
}

// TestConsentRevokeBeforeGrant: `consent revoke --at` before the grant (clock
// skew, a grant recorded with a wrong zone offset) exits 0 and revokes the
// consent as of its grant, saying so; the next check is denied.
func TestConsentRevokeBeforeGrant(t *testing.T) {
	data := t.TempDir()
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return runCheckAt(t, "", append([]string{"--data", data}, args...)...)
	}
	for _, id := range []string{"c-1", "c-2"} {
		if code, out, errs := run("consent", "add", "--id", id, "--number", "+8613900139000", "--scope", "industry:finance",
			"--method", "web_form", "--disclosure-sha256", cliHash, "--granted-at", "2026-11-01T10:00:00+08:00"); code != 0 {
			t.Fatalf("add %s: %d %q %q", id, code, out, errs)
		}
	}
	checkArgs := []string{"check", "--to", "+8613900139000", "--purpose", "marketing", "--industry", "finance", "--consent-id", "c-1",
		"--at", "2026-12-05T10:00:00+08:00", "--profile", "testdata/cn-no-callerid.yaml"}
	if code, out, errs := run(checkArgs...); code != 0 {
		t.Fatalf("check before the revocation: %d %q %q", code, out, errs)
	}
	// 10:00 in Beijing written with a UTC offset by mistake: eight hours
	// before the grant.
	code, out, errs := run("consent", "revoke", "c-1", "--at", "2026-11-01T02:00:00+08:00", "--channel", "sms")
	if code != 0 || !strings.Contains(out, "revoked consent c-1 as of its grant 2026-11-01T10:00:00+08:00") ||
		!strings.Contains(out, "2026-11-01T02:00:00+08:00 is before granted_at") {
		t.Fatalf("revoke --at before the grant: %d %q %q; want exit 0, revoked as of the grant", code, out, errs)
	}
	if code, out, _ := run(checkArgs...); code != 1 || !strings.Contains(out, "consent.revoked") {
		t.Fatalf("check after the revocation: %d %q, want exit 1 and consent.revoked", code, out)
	}
	code, out, errs = run("consent", "revoke", "c-2", "--at", "2026-10-31T10:00:00Z", "--json")
	var got struct {
		ID          string    `json:"id"`
		RevokedAt   time.Time `json:"revoked_at"`
		RequestedAt time.Time `json:"requested_at"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.ID != "c-2" ||
		!got.RevokedAt.Equal(time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)) || !got.RequestedAt.Equal(time.Date(2026, 10, 31, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("revoke --json --at before the grant: %d %q %q; want revoked_at = granted_at and requested_at = --at", code, out, errs)
	}
	checkArgs[len(checkArgs)-5] = "c-2"
	if code, out, _ := run(checkArgs...); code != 1 || !strings.Contains(out, "consent.revoked") {
		t.Fatalf("check of c-2 after the revocation: %d %q, want exit 1 and consent.revoked", code, out)
	}
}

// A French overseas line's consents are listed, and exported, under either
// spelling: the operator withdrawing a consent for +33 596 … sees the record
// kept under +596 596 … too.
func TestConsentShowOverseasSpellings(t *testing.T) {
	data := t.TempDir()
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, "", append([]string{"--data", data}, args...)...)
	}
	if code, out, errs := run("consent", "add", "--id", "c-dom", "--number", "+596596000101", "--scope", "industry:finance",
		"--method", "web_form", "--disclosure-sha256", cliHash, "--granted-at", "2026-11-01T10:00:00-04:00"); code != 0 {
		t.Fatalf("add: %d %q %q", code, out, errs)
	}
	code, out, errs := run("consent", "show", "+33596000101")
	if code != 0 || !strings.Contains(out, "c-dom") || !strings.Contains(errs, "+596596000101") {
		t.Fatalf("show under the +33 spelling: %d %q %q", code, out, errs)
	}
	code, out, _ = run("consent", "export", "+33596000101")
	if code != 0 || !strings.Contains(out, `"c-dom"`) {
		t.Fatalf("export under the +33 spelling: %d %q", code, out)
	}
	var b struct{ History []map[string]any }
	if err := json.Unmarshal([]byte(out), &b); err != nil || len(b.History) != 1 {
		t.Errorf("export history %+v, want the grant under the other spelling", b.History)
	}
}

// TestConsentShowExportOneLine: `consent show` and `consent export` list a
// French overseas line's records — kept under both its spellings, granted
// in turns — the same, in the same order (granted_at, then id), whichever
// spelling they are given, as the check reads them (consent.LineRecords);
// export's history is the line's events in order. Each command used to
// merge the two spellings with code of its own.
func TestConsentShowExportOneLine(t *testing.T) {
	data := t.TempDir()
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, "", append([]string{"--data", data}, args...)...)
	}
	for _, g := range []struct{ id, number, at string }{
		{"c-3", "+33596000101", "2026-11-01T12:00:00Z"},
		{"c-2", "+596596000101", "2026-11-01T11:00:00Z"},
		{"c-1", "+33596000101", "2026-11-01T10:00:00Z"},
		{"c-0", "+596596000101", "2026-11-01T12:00:00Z"},
		{"c-other", "+33596000102", "2026-11-01T10:30:00Z"},
	} {
		if code, out, errs := run("consent", "add", "--id", g.id, "--number", g.number, "--scope", "industry:finance",
			"--method", "web_form", "--disclosure-sha256", cliHash, "--granted-at", g.at); code != 0 {
			t.Fatalf("add %s: %d %q %q", g.id, code, out, errs)
		}
	}
	if code, out, errs := run("consent", "revoke", "c-2", "--at", "2026-11-02T10:00:00Z"); code != 0 {
		t.Fatalf("revoke: %d %q %q", code, out, errs)
	}
	want := []string{"c-1", "c-2", "c-0", "c-3"}
	ids := func(recs []struct{ ID string }) []string {
		var out []string
		for _, r := range recs {
			out = append(out, r.ID)
		}
		return out
	}
	for _, n := range []string{"+596596000101", "+33596000101"} {
		code, out, errs := run("consent", "show", "--json", n)
		var shown []struct{ ID string }
		if err := json.Unmarshal([]byte(out), &shown); code != 0 || err != nil || !slices.Equal(ids(shown), want) {
			t.Errorf("consent show --json %s: exit %d %v, ids %v, want %v\n%s%s", n, code, err, ids(shown), want, out, errs)
		}
		if other := map[string]string{"+596596000101": "+33596000101", "+33596000101": "+596596000101"}[n]; !strings.Contains(errs, "the records of "+other+", the line's other spelling, are listed too") {
			t.Errorf("consent show %s: stderr %q does not name the other spelling", n, errs)
		}
		code, out, errs = run("consent", "export", n)
		var b struct {
			Records []struct{ ID string }
			History []struct {
				Seq       uint64 `json:"seq"`
				ConsentID string `json:"consent_id"`
			}
		}
		if err := json.Unmarshal([]byte(out), &b); code != 0 || err != nil || !slices.Equal(ids(b.Records), want) {
			t.Errorf("consent export %s: exit %d %v, ids %v, want %v\n%s%s", n, code, err, ids(b.Records), want, out, errs)
		}
		var hist []string
		for i, e := range b.History {
			hist = append(hist, e.ConsentID)
			if i > 0 && e.Seq <= b.History[i-1].Seq {
				t.Errorf("consent export %s: history out of order: %+v", n, b.History)
			}
		}
		if wantHist := []string{"c-3", "c-2", "c-1", "c-0", "c-2"}; !slices.Equal(hist, wantHist) {
			t.Errorf("consent export %s: history %v, want %v (grants in the order given, then the revocation)", n, hist, wantHist)
		}
	}
}

// TestConsentAddEmptyExpiresAt: an empty --expires-at (an unset shell
// variable: --expires-at "$EXPIRY") is bad input naming the flag, as an
// empty --tenant is. It was read as the flag left out: the consent was
// stored as never lapsing, allowing dials for good where the person agreed
// to a limited time.
func TestConsentAddEmptyExpiresAt(t *testing.T) {
	data := t.TempDir()
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return runCheckAt(t, "", append([]string{"--data", data}, args...)...)
	}
	const num = "+8613900139031"
	code, out, errs := run("consent", "add", "--id", "c-exp", "--number", num, "--scope", "industry:finance",
		"--method", "web_form", "--disclosure-sha256", cliHash, "--granted-at", "2026-11-01T10:00:00+08:00", "--expires-at", "")
	if code != 2 || out != "" || !strings.Contains(errs, "--expires-at: ") {
		t.Errorf("add --expires-at \"\": %d %q %q, want exit 2 naming --expires-at", code, out, errs)
	}
	// Nothing was written: no store was even created in --data.
	if code, out, _ := run("consent", "show", num); code == 0 || strings.Contains(out, "c-exp") {
		t.Errorf("show after a refused add: %d %q, want no record", code, out)
	}
}
