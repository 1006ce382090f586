package policy_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"go/scanner"
	"go/token"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/storage/memstore"
)

// readmeEmbedded is the README's "Embedded, in a few lines" snippet, token for
// token (TestREADMEEmbeddedSnippet compares them), so that it compiles with
// the names and signatures it shows.
func readmeEmbedded(ctx context.Context, hmacKey []byte, signingKey string, log interface{ Printf(string, ...any) }) error {
	// README begin
	store := memstore.New()                       // storage/boltstore for state that survives restarts
	deps, err := policy.StoreDeps(store, hmacKey) // hmacKey: your secret, ≥ 16 bytes
	if err != nil {
		return err
	}
	profile, err := policy.Builtin("cn")
	if err != nil {
		return err
	}
	signer, err := auditlog.NewSigner(signingKey) // signingKey: auditlog.GenerateKey / dialgate audit keygen
	if err != nil {
		return err
	}
	alog, err := auditlog.Open(ctx, "audit", auditlog.Options{HMACKey: hmacKey, HMACKeyID: "k2026a", Signer: signer, Profile: profile.Name,
		CheckpointInterval: auditlog.DefaultServeCheckpointInterval}) // sealed within a minute; zero: every 4,096 records and at Close
	if err != nil {
		return err
	}
	defer alog.Close()
	gate, err := policy.Build(profile, deps, dialgate.WithAuditLog(alog)) // required (or WithoutAuditLog)
	if err != nil {
		return err
	}
	// cn allows only caller IDs from the tenant's ledger of numbering resources (CN-S2, CN-S7).
	if err := store.PutLedger(ctx, callerid.Entry{Number: dialgate.MustParseNumber("+861058001234"),
		Type: callerid.TypeFixed, Holder: "Acme Ltd", Purposes: []dialgate.Purpose{dialgate.PurposeService}}); err != nil {
		return err
	}

	dec, err := gate.Check(ctx, dialgate.Dial{
		To:      dialgate.MustParseNumber("+8613800138000"),
		From:    dialgate.MustParseNumber("+861058001234"), // from the ledger
		Purpose: dialgate.PurposeService,
		LeadID:  "crm-42", // where the number came from (no blind dialing, CN-S4b)
	})
	if err != nil || !dec.DialableAt(time.Now()) { // any error, a deny, or an allow already past ValidUntil: do not dial
		log.Printf("not dialing: %v %v", dec.Codes(), err)
		return nil
	}
	// ... place the call before dec.ValidUntil (60 s, or the callee's calling window's end if sooner;
	// after it, Check again), then report what happened, with the decided dial, and retry it on an error
	// (cn lists a callee who refused only from an outcome that carries the dial, the opt-out is lost otherwise):
	// err = gate.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Refused: true, ...})
	// README end
	return nil
}

// goTokens returns the tokens of Go source src, comments included and
// semicolons left out (gofmt's line breaks move the implicit ones).
func goTokens(t *testing.T, src string) []string {
	t.Helper()
	fset := token.NewFileSet()
	f := fset.AddFile("src", -1, len(src))
	var s scanner.Scanner
	s.Init(f, []byte(src), func(pos token.Position, msg string) { t.Errorf("scan %s: %s", pos, msg) }, scanner.ScanComments)
	var out []string
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			return out
		}
		if tok == token.SEMICOLON {
			continue
		}
		if lit == "" {
			lit = tok.String()
		}
		out = append(out, lit)
	}
}

// section returns the lines of path from the line after the first one
// containing begin up to the line before the next one containing end.
func section(t *testing.T, path, begin, end string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	in, done := false, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case !in && strings.Contains(line, begin):
			in = true
		case in && strings.Contains(line, end):
			in, done = false, true
		case in:
			b.WriteString(line + "\n")
		}
		if done {
			break
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if !done {
		t.Fatalf("%s: no section between %q and %q", path, begin, end)
	}
	return b.String()
}

type logf struct {
	t     *testing.T
	lines []string
}

func (l *logf) Printf(format string, args ...any) {
	l.t.Logf(format, args...)
	l.lines = append(l.lines, format)
}

// TestREADMEEmbeddedSnippet: the README's embedding snippet is readmeEmbedded
// token for token, so it compiles; run, it decides one dial and records it
// in its audit log — allowed, or (at an hour or on a day cn forbids, as the
// test runs on the system clock) denied by the schedule only.
func TestREADMEEmbeddedSnippet(t *testing.T) {
	readme := section(t, "../README.md", "## Embedded, in a few lines", "## ")
	i := strings.Index(readme, "```go\n")
	if i < 0 {
		t.Fatal("README: no Go block in the Embedded section")
	}
	readme = readme[i+len("```go\n"):]
	readme = readme[:strings.Index(readme, "```")]
	code := section(t, "readme_test.go", "// README begin", "// README end")
	got, want := goTokens(t, readme), goTokens(t, code)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Fatalf("README snippet differs from readmeEmbedded at token %d: README %q, test %q", i, got[i], want[i])
			}
		}
		t.Fatalf("README snippet has %d tokens, readmeEmbedded %d", len(got), len(want))
	}

	ctx := context.Background()
	t.Chdir(t.TempDir())
	skey, vkey, err := auditlog.GenerateKey(rand.Reader, "readme")
	if err != nil {
		t.Fatal(err)
	}
	l := &logf{t: t}
	if err := readmeEmbedded(ctx, []byte("0123456789abcdef0123"), skey, l); err != nil {
		t.Fatalf("the README snippet failed: %v", err)
	}
	files, err := auditlog.LogFiles("audit")
	if err != nil {
		t.Fatal(err)
	}
	v, err := auditlog.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := auditlog.Verify(ctx, files, auditlog.VerifyOptions{Verifiers: note.VerifierList(v), RequireSealed: true})
	if err != nil {
		t.Fatalf("the snippet's audit log does not verify: %v", err)
	}
	if rep.Decisions != 1 {
		t.Errorf("the snippet's audit log holds %d decisions, want 1", rep.Decisions)
	}
	decisions := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			line, err := auditlog.ParseLine([]byte(raw))
			if err != nil {
				t.Fatal(err)
			}
			if line.Decision == nil {
				continue
			}
			decisions++
			for _, r := range line.Decision.Reasons {
				// The snippet runs on the system clock: the hour, a
				// holiday or a year without a cn calendar may deny it.
				if !strings.HasPrefix(r.Code, "schedule.") {
					t.Errorf("the snippet's dial was denied %s: only the date and hour may deny it", r.Code)
				}
			}
			if line.Decision.Allowed == (len(line.Decision.Reasons) > 0) {
				t.Errorf("decision record: allowed %v with reasons %v", line.Decision.Allowed, line.Decision.Reasons)
			}
		}
	}
	if decisions != 1 {
		t.Errorf("%d decision records, want 1", decisions)
	}
}
