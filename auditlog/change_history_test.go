package auditlog

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// testCert is a ClientCert as the sidecar names a verified client
// certificate.
func testCert() *ClientCert {
	return &ClientCert{Subject: "CN=ops-admin,O=Example Call Centre", Issuer: "CN=Example Admin CA",
		Serial: "1f3a", SHA256: strings.Repeat("a1", 32), URI: "spiffe://example.test/ops-admin"}
}

// testReplaced is a ledger entry a ledger.add replaced, with a licence
// number of 8 digits in a row (which the anyNumber rule would redact).
func testReplaced() *LedgerEntry {
	return &LedgerEntry{Type: "fixed", Holder: "Example Ltd", Access: "carrier trunk 7", Qualification: "B2-20250001",
		Purposes: []string{"service", "callback"}, ValidFrom: time.Date(2026, 1, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600)),
		ValidUntil: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), OfficeUseOnly: true}
}

// TestRecordChangeActorCertAndReplaced: a ledger.add replacing an entry
// records the client certificate it came with and the replaced entry's
// facts as the ledger held them (instants in UTC, nothing redacted), the
// log verifies, and the records read back as written.
func TestRecordChangeActorCertAndReplaced(t *testing.T) {
	ctx := context.Background()
	l, dir, k, _ := logWithDecision(t, "change-history")
	at := t0.Add(time.Hour)
	c := Change{Op: OpLedgerAdd, Result: ResultRequested, ChangeID: "chg-7", Actor: "mtls:ops-admin", ActorCert: testCert(),
		Tenant: "acme", CallerID: "+861058001234", Replace: true, Replaced: testReplaced(), At: at}
	if err := l.RecordChange(ctx, c); err != nil {
		t.Fatal(err)
	}
	d := Change{Op: OpLedgerAdd, Result: ResultApplied, ChangeID: "chg-8", Actor: "ops-desk", Tenant: "acme",
		CallerID: "+861058001234", Replace: true, ReplacedUnreadable: true, At: at}
	if err := l.RecordChange(ctx, d); err != nil {
		t.Fatal(err)
	}
	files, rep := sealVerified(t, l, dir, k)
	if rep.Changes != 2 {
		t.Fatalf("%d change records, want 2", rep.Changes)
	}
	got := changeLines(t, files)
	if len(got) != 2 {
		t.Fatalf("%d change records, want 2", len(got))
	}
	want := *testReplaced()
	want.ValidFrom = want.ValidFrom.UTC()
	g := got[0]
	if g.Actor != "mtls:ops-admin" || g.ActorCert == nil || *g.ActorCert != *testCert() || !g.Replace || g.ReplacedUnreadable || len(g.Redacted) != 0 {
		t.Fatalf("record: %+v (cert %+v)", g, g.ActorCert)
	}
	if g.Replaced == nil || !reflect.DeepEqual(*g.Replaced, want) || g.Replaced.ValidFrom.Location() != time.UTC {
		t.Fatalf("replaced: %+v, want %+v", g.Replaced, want)
	}
	if g := got[1]; g.Replaced != nil || !g.ReplacedUnreadable || g.ActorCert != nil || g.Actor != "ops-desk" {
		t.Fatalf("unreadable record: %+v", g)
	}
}

// TestRedactorChangeActorCertScrubbed: a certificate's names are free
// text to the redactor (a change naming no number loses one that may hold
// a phone number), its fingerprint and serial are not.
func TestRedactorChangeActorCertScrubbed(t *testing.T) {
	red, err := NewRedactor(testKey, "k-test", "")
	if err != nil {
		t.Fatal(err)
	}
	cert := testCert()
	cert.Subject = "CN=desk 139 0013 9001"
	rec, err := red.Change(Change{Op: OpRecordingHold, Result: ResultApplied, Actor: "mtls:desk", ActorCert: cert, At: t0, ID: "rec-1"})
	if err != nil {
		t.Fatal(err)
	}
	if rec.ActorCert.Subject != redactedMark || rec.ActorCert.SHA256 != cert.SHA256 || rec.ActorCert.Serial != cert.Serial ||
		rec.ActorCert.Issuer != cert.Issuer || len(rec.Redacted) != 1 || !strings.HasPrefix(rec.Redacted[0], "actor_cert.subject: ") {
		t.Fatalf("record: %+v (cert %+v)", rec, rec.ActorCert)
	}
}

// TestRecordChangeRejectsIdentityAndHistory: a change without an actor, with
// a malformed certificate fingerprint or serial, or with replaced facts
// that do not fit is refused (ErrInvalidRecord) and nothing is written.
func TestRecordChangeRejectsIdentityAndHistory(t *testing.T) {
	base := func() Change {
		return Change{Op: OpLedgerAdd, Result: ResultRequested, Actor: "ops", Tenant: "acme", CallerID: "+861058001234", Replace: true, At: t0}
	}
	refusesChanges(t, "change-rejects-history", base, map[string]func(*Change){
		"no actor":              func(c *Change) { c.Actor = "" },
		"blank actor":           func(c *Change) { c.Actor = " \t" },
		"cert sha256 short":     func(c *Change) { c.ActorCert = testCert(); c.ActorCert.SHA256 = "a1" },
		"cert sha256 upper":     func(c *Change) { c.ActorCert = testCert(); c.ActorCert.SHA256 = strings.Repeat("A1", 32) },
		"cert serial missing":   func(c *Change) { c.ActorCert = testCert(); c.ActorCert.Serial = "" },
		"cert serial not hex":   func(c *Change) { c.ActorCert = testCert(); c.ActorCert.Serial = "0x1f" },
		"replaced no replace":   func(c *Change) { c.Replace = false; c.Replaced = testReplaced() },
		"unreadable no replace": func(c *Change) { c.Replace = false; c.ReplacedUnreadable = true },
		"replaced and unreadable": func(c *Change) {
			c.Replaced, c.ReplacedUnreadable = testReplaced(), true
		},
		"replaced no holder":   func(c *Change) { c.Replaced = testReplaced(); c.Replaced.Holder = "" },
		"replaced no purposes": func(c *Change) { c.Replaced = testReplaced(); c.Replaced.Purposes = nil },
		"replaced until 10000": func(c *Change) {
			c.Replaced = testReplaced()
			c.Replaced.ValidUntil = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
		},
	})
}

// TestParseLineChangeHistory: the verifier reads change lines with the new
// fields and without them (logs written before they existed: no actor, no
// actor_cert, replace without replaced), and refuses a malformed
// fingerprint or a replaced entry said to be unreadable too.
func TestParseLineChangeHistory(t *testing.T) {
	const head = `{"schema":"dialgate.audit.v1","seq":0,"kind":"change","change":{"op":"ledger.add","at":"2026-12-05T01:00:00Z","result":"applied"`
	for _, ok := range []string{
		head + `,"tenant":"acme","caller_id":"+861058001234","replace":true}}`,
		head + `,"actor":"ops","tenant":"acme","caller_id":"+861058001234","replace":true}}`,
		head + `,"actor":"mtls:ops-admin","actor_cert":{"subject":"CN=ops-admin","issuer":"CN=ca","serial":"1f","sha256":"` + strings.Repeat("a1", 32) + `"},"caller_id":"+861058001234","replace":true,` +
			`"replaced":{"type":"fixed","holder":"Example Ltd","purposes":["service"],"valid_from":"2026-01-01T00:00:00Z"}}}`,
		head + `,"actor":"ops","caller_id":"+861058001234","replace":true,"replaced_unreadable":true}}`,
	} {
		if _, err := ParseLine([]byte(ok)); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []struct{ line, want string }{
		{head + `,"actor_cert":{"subject":"CN=x","issuer":"CN=ca","serial":"1f","sha256":"xyz"}}}`, "change.actor_cert.sha256"},
		{head + `,"replace":true,"replaced":{"type":"fixed","holder":"h","purposes":["service"]},"replaced_unreadable":true}}`, "change.replaced_unreadable"},
		{head + `,"replaced":{"type":"fixed","holder":"h","purposes":["service"],"number":"+861058001234"}}}`, "unknown field"},
	} {
		_, err := ParseLine([]byte(bad.line))
		if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: err %v, want one naming %q", bad.line, err, bad.want)
		}
	}
}

// A log written before actor_cert and replaced existed, and before an
// actor was required (testdata/pre-actor, written by the code of commit
// a59db21: an opt-out removed with no actor, a ledger entry replaced
// without the entry replaced) still verifies, parses, and re-encodes byte
// for byte.
func TestPreActorLogVerifies(t *testing.T) {
	dir := filepath.Join("testdata", "pre-actor")
	vkey, err := os.ReadFile(filepath.Join(dir, "verifier.key"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(strings.TrimSpace(string(vkey)))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "audit-000001.jsonl")
	rep, err := Verify(context.Background(), []string{file}, VerifyOptions{Verifiers: note.VerifierList(v)})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if rep.Changes != 4 || rep.Checkpoints != 1 {
		t.Fatalf("report: %d changes, %d checkpoints", rep.Changes, rep.Checkpoints)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var changes []*ChangeRecord
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		l, err := ParseLine(line)
		if err != nil {
			t.Fatal(err)
		}
		if l.Kind == KindCheckpoint {
			continue
		}
		changes = append(changes, l.Change)
		again, err := encodeLine(l)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, line) {
			t.Errorf("re-encoded differently:\n got %s\nwant %s", again, line)
		}
	}
	if c := changes[0]; c.Actor != "" || c.ActorCert != nil {
		t.Errorf("old removal: %+v", c)
	}
	if c := changes[3]; c.Op != OpLedgerAdd || !c.Replace || c.Replaced != nil || c.ReplacedUnreadable {
		t.Errorf("old replacement: %+v", c)
	}
}

// refusesChanges records base() changed by each of muts in a new log (keys
// named name): each is refused (ErrInvalidRecord), and the log, sealed and
// verified, holds no record.
func refusesChanges(t *testing.T, name string, base func() Change, muts map[string]func(*Change)) {
	t.Helper()
	ctx := context.Background()
	k := newTestKeys(t, name)
	dir := t.TempDir()
	l := openTest(t, dir, testOptions(k))
	for what, mut := range muts {
		c := base()
		mut(&c)
		if err := l.RecordChange(ctx, c); !errors.Is(err, ErrInvalidRecord) {
			t.Errorf("%s: err %v, want ErrInvalidRecord", what, err)
		}
	}
	_, rep := sealVerified(t, l, dir, k)
	if rep.Records != 0 {
		t.Fatalf("%d records written", rep.Records)
	}
}
