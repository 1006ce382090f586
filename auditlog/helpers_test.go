package auditlog

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"golang.org/x/mod/sumdb/note"
)

var testKey = []byte("0123456789abcdef-test-only-key")

type testKeys struct {
	skey, vkey string
	signer     note.Signer
	verifiers  note.Verifiers
}

func newTestKeys(t testing.TB, name string) testKeys {
	t.Helper()
	skey, vkey, err := GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return testKeys{skey: skey, vkey: vkey, signer: s, verifiers: note.VerifierList(v)}
}

func testOptions(k testKeys) Options {
	return Options{HMACKey: testKey, HMACKeyID: "k-test", Signer: k.signer}
}

func openTest(t testing.TB, dir string, opts Options) *Log {
	t.Helper()
	l, err := Open(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

var t0 = time.Date(2026, 12, 5, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// sampleDecision returns a varied decision for dial i with callee
// +86139001390xx.
func sampleDecision(i int) dialgate.Decision {
	to := dialgate.MustParseNumber(fmt.Sprintf("+86139001390%02d", i%100))
	d := dialgate.Decision{
		ID:            fmt.Sprintf("dg-test-%d", i),
		At:            t0.Add(time.Duration(i) * time.Second),
		PolicyVersion: "cn@sha256:abc",
		Dial: dialgate.Dial{
			To: to, From: dialgate.MustParseNumber("+861058001234"),
			Purpose: dialgate.PurposeMarketing, Tenant: "acme", Industry: "finance",
			BusinessLine: "loans", Campaign: "winter", ConsentID: "c-1",
		},
		Evidence: []dialgate.Evidence{
			{Key: "dnc.list", Value: "national@2026-12-01"},
			{Key: "consent.id", Value: "c-1"},
			{Key: "consent.sha256", Value: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
			{Key: "schedule.zone", Value: "Asia/Shanghai"},
			{Key: "frequency.count_24h", Value: "1"},
		},
	}
	d.Dial.At = d.At
	switch i % 3 {
	case 0:
		d.Allowed = true
	case 1:
		d.Reasons = []dialgate.Reason{{Code: dialgate.CodeOutsideWindow, Check: "schedule", Message: "22:30 is outside 09:00–12:00, 14:00–21:00",
			NextAllowedAt: t0.Add(10 * time.Hour), Evidence: []dialgate.Evidence{{Key: "schedule.local_time", Value: "22:30"}}}}
	case 2:
		d.Reasons = []dialgate.Reason{{Code: dialgate.CodeDNCListed, Check: "dnc", Message: "listed <scope industry:finance> & \"quoted\""}}
	}
	return d
}

// outcomeLine is an outcome record line of a log and its parsed record.
type outcomeLine struct {
	line []byte
	rec  *OutcomeRecord
}

// outcomeLines returns the outcome records of the log files, in order.
func outcomeLines(t *testing.T, files []string) []outcomeLine {
	t.Helper()
	var out []outcomeLine
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
			pl, err := ParseLine(line)
			if err != nil {
				t.Fatal(err)
			}
			if pl.Outcome != nil {
				out = append(out, outcomeLine{line: line, rec: pl.Outcome})
			}
		}
	}
	return out
}

// appendToFile appends b to the file path, as a crash in the middle of a
// write leaves it.
func appendToFile(t testing.TB, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// preRefusedLog returns the log file of testdata/pre-refused (written by the
// code of commit d2a145f, before OutcomeRecord.Refused, log ids and
// checkpoint times) and the verifier of its checkpoints.
func preRefusedLog(t testing.TB) (file string, v note.Verifier) {
	t.Helper()
	vkey, err := os.ReadFile(filepath.Join("testdata", "pre-refused", "verifier.key"))
	if err != nil {
		t.Fatal(err)
	}
	v, err = NewVerifier(strings.TrimSpace(string(vkey)))
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join("testdata", "pre-refused", "audit-000001.jsonl"), v
}

// sealVerified signs a checkpoint over l, closes it, and verifies the log in
// dir with k's keys; it returns the log's files and the verification report.
func sealVerified(t *testing.T, l *Log, dir string, k testKeys) ([]string, *Report) {
	t.Helper()
	ctx := context.Background()
	if _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	files, err := LogFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(ctx, files, VerifyOptions{Verifiers: k.verifiers})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return files, rep
}

// logWithDecision opens a log in a new directory with keys named name and
// records sampleDecision(0) in it; it returns the log, its directory, the
// keys and the decision.
func logWithDecision(t *testing.T, name string) (*Log, string, testKeys, dialgate.Decision) {
	t.Helper()
	k := newTestKeys(t, name)
	dir := t.TempDir()
	l := openTest(t, dir, testOptions(k))
	d := sampleDecision(0)
	if err := l.RecordDecision(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	return l, dir, k, d
}
