package auditlog

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// recordLines returns the lines of data that are records (not checkpoints),
// in order; ok is false when a line does not parse.
func recordLines(data []byte) (out [][]byte, ok bool) {
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		l, err := ParseLine(bytes.TrimSuffix(line, []byte("\n")))
		if err != nil {
			return nil, false
		}
		if l.Kind != KindCheckpoint {
			out = append(out, line)
		}
	}
	return out, true
}

// FuzzVerifyTamper changes a sealed log in arbitrary ways and verifies it
// against its last checkpoint, held outside the log: whatever Verify
// accepts must hold the very bytes of every record that checkpoint signs,
// in order. No re-encoding, duplicated key, changed field, reordering or
// cut passes.
func FuzzVerifyTamper(f *testing.F) {
	k, good, trusted := fuzzSealedLog(f)
	want, _ := recordLines(good)
	f.Add(good)
	f.Add(bytes.Replace(good, []byte(`"allowed":false`), []byte(`"allowed":true`), 1))
	f.Add(bytes.Replace(good, []byte(`"tenant":"acme"`), []byte(`"tenant":"acme","tenant":"acme"`), 1))
	f.Add(bytes.Replace(good, []byte(`,"kind"`), []byte(` ,"kind"`), 1))
	f.Add(bytes.Replace(good, []byte(`"op":"dnc.remove"`), []byte(`"op":"dnc.add"`), 1))
	f.Add(bytes.Replace(good, []byte(`"holder":"Example Ltd"`), []byte(`"holder":"Other Ltd"`), 1))
	f.Add(bytes.Replace(good, []byte(`"actor":"mtls:ops-admin"`), []byte(`"actor":"ops-desk"`), 1))
	verify := verifyBytes(f, VerifyOptions{Verifiers: k.verifiers, Trusted: trusted})
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := verify(t, data)
		if err != nil {
			return
		}
		got, ok := recordLines(data)
		if !ok || len(got) < len(want) {
			t.Fatalf("Verify accepted (%+v) a log whose records do not parse or are fewer than the %d the trusted checkpoint signs", rep, len(want))
		}
		for i := range want {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("Verify accepted a log whose record %d changed:\n%s\nwant\n%s", i, got[i], want[i])
			}
		}
	})
}

// fuzzSealedLog writes a closed log of 7 decisions, a checkpoint every 3
// records, and returns its keys, its file's bytes and its checkpoint file.
func fuzzSealedLog(f *testing.F) (k testKeys, good, trusted []byte) {
	k = newTestKeys(f, "fuzz-log")
	dir := f.TempDir()
	opts := testOptions(k)
	opts.CheckpointEvery = 3
	l := openTest(f, dir, opts)
	for i := range 7 {
		if err := l.RecordDecision(context.Background(), sampleDecision(i)); err != nil {
			f.Fatal(err)
		}
		if i == 4 { // a change record among the decisions
			c := Change{Op: OpDNCRemove, Result: ResultRequested, ChangeID: "chg-1", Actor: "ops", Scope: "global",
				Number: sampleDecision(i).Dial.To, At: sampleDecision(i).At}
			if err := l.RecordChange(context.Background(), c); err != nil {
				f.Fatal(err)
			}
		}
		if i == 5 { // a ledger replacement by a client certificate
			c := Change{Op: OpLedgerAdd, Result: ResultApplied, ChangeID: "chg-2", Actor: "mtls:ops-admin",
				ActorCert: &ClientCert{Subject: "CN=ops-admin", Issuer: "CN=ca", Serial: "1f", SHA256: strings.Repeat("a1", 32)},
				Tenant:    "acme", CallerID: "+861058001234", Replace: true, At: sampleDecision(i).At,
				Replaced: &LedgerEntry{Type: "fixed", Holder: "Example Ltd", Purposes: []string{"service"}}}
			if err := l.RecordChange(context.Background(), c); err != nil {
				f.Fatal(err)
			}
		}
	}
	if err := l.Close(); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(dir, fileName(1)))
	if err != nil {
		f.Fatal(err)
	}
	trusted, err = os.ReadFile(filepath.Join(dir, CheckpointFile))
	if err != nil {
		f.Fatal(err)
	}
	return k, good, trusted
}

// verifyBytes returns a function that writes data as a log file in a
// scratch directory of f and verifies it with opts.
func verifyBytes(f *testing.F, opts VerifyOptions) func(t *testing.T, data []byte) (*Report, error) {
	scratch := f.TempDir()
	opts.noLiveWait = true // no writer: a torn last line is reported at once
	var n atomic.Int64
	return func(t *testing.T, data []byte) (*Report, error) {
		name := filepath.Join(scratch, fmt.Sprintf("audit-%d.jsonl", n.Add(1)))
		defer os.Remove(name)
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return Verify(context.Background(), []string{name}, opts)
	}
}
