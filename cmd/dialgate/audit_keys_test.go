package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"golang.org/x/mod/sumdb/note"
)

// TestAuditVerifyKeysAndIdentity: after a key rotation, verify says which
// key signed which checkpoints (so a retired key that keeps signing shows),
// --require-key makes that a failure, and the log identity is reported and
// can be required.
func TestAuditVerifyKeysAndIdentity(t *testing.T) {
	tmp := t.TempDir()
	keygen := func(name string) (signer, pub, id string) {
		prefix := filepath.Join(tmp, name)
		if code, out, errs := runCLI(t, "", "audit", "keygen", "--name", name, "--out", prefix); code != 0 {
			t.Fatalf("keygen: %d %s %s", code, out, errs)
		}
		b, _ := os.ReadFile(prefix + ".pub")
		parts := strings.Split(strings.TrimSpace(string(b)), "+")
		return prefix + ".key", prefix + ".pub", parts[0] + "+" + parts[1]
	}
	key1, pub1, id1 := keygen("audit-2025")
	key2, pub2, id2 := keygen("audit-2026")
	dir := filepath.Join(tmp, "audit")
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	write := func(keyFile string, from, to int) {
		skey, _ := os.ReadFile(keyFile)
		signer, err := auditlog.NewSigner(strings.TrimSpace(string(skey)))
		if err != nil {
			t.Fatal(err)
		}
		now := at
		// Open trusts the log's checkpoints of the other key (the
		// rotation's retired key) only when it is listed.
		var trusted []note.Verifier
		for _, pub := range []string{pub1, pub2} {
			b, _ := os.ReadFile(pub)
			v, err := auditlog.NewVerifier(strings.TrimSpace(string(b)))
			if err != nil {
				t.Fatal(err)
			}
			trusted = append(trusted, v)
		}
		l, err := auditlog.Open(context.Background(), dir, auditlog.Options{
			HMACKey: []byte("0123456789abcdef0123"), HMACKeyID: "k1", Signer: signer, Verifiers: trusted, CheckpointEvery: 5,
			LogID: "sidecar-a", Now: func() time.Time { return now },
		})
		if err != nil {
			t.Fatal(err)
		}
		for i := from; i < to; i++ {
			d := dialgate.Decision{ID: fmt.Sprintf("d-%d", i), At: at, Allowed: true,
				Dial: dialgate.Dial{To: dialgate.MustParseNumber(fmt.Sprintf("+86139001390%02d", i)), Purpose: dialgate.PurposeService}}
			if err := l.RecordDecision(context.Background(), d); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	write(key1, 0, 10)
	at = at.Add(24 * time.Hour) // the rotation
	write(key2, 10, 20)

	// (A key given twice, as a file and as text, is one key: it made every
	// checkpoint fail as ambiguous.)
	pubText, _ := os.ReadFile(pub2)
	code, out, errs := runCLI(t, "", "audit", "verify", dir, "--key", pub1, "--key", pub2, "--key", strings.TrimSpace(string(pubText)))
	for _, want := range []string{
		"log id sidecar-a\n",
		"checkpoints dated 2026-12-05T10:00:00Z to 2026-12-06T10:00:00Z\n",
		"key " + id1 + " signed 2 checkpoint(s) sealing records 0 to 9, dated 2026-12-05T10:00:00Z to 2026-12-05T10:00:00Z\n",
		"key " + id2 + " signed 2 checkpoint(s) sealing records 10 to 19, dated 2026-12-06T10:00:00Z to 2026-12-06T10:00:00Z\n",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("verify: %d, want %q in\n%s%s", code, want, out, errs)
		}
	}
	rule := []string{"--require-key", pub2 + "@10", "--require-key", id2 + "@2026-12-06"}
	if code, out, errs := runCLI(t, "", append([]string{"audit", "verify", dir, "--key", pub1, "--log-id", "sidecar-a"}, rule...)...); code != 0 || !strings.Contains(out, "checked: checkpoints sealing record 10 or later must be signed by "+id2) {
		t.Fatalf("verify with rules before the retired key signs again: %d\n%s%s", code, out, errs)
	}

	// The retired key signs again: verify still passes without a rule (as
	// before) but shows it; with a rule it fails.
	at = at.Add(time.Hour)
	write(key1, 20, 23)
	code, out, _ = runCLI(t, "", "audit", "verify", dir, "--key", pub1, "--key", pub2, "--json")
	var res verifyResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || len(res.Signers) != 2 ||
		res.Signers[0].Key != id1 || res.Signers[0].Checkpoints != 3 || res.Signers[0].LastSeq != 22 || res.LogID != "sidecar-a" ||
		!res.LastCheckpointTime.Equal(at) {
		t.Fatalf("verify --json: %d %v\n%s", code, err, out)
	}
	for _, r := range [][]string{rule[:2], rule[2:]} {
		code, out, errs := runCLI(t, "", append([]string{"audit", "verify", dir, "--key", pub1, "--key", pub2}, r...)...)
		if code != 1 || !strings.Contains(out, "bad signature") || !strings.Contains(out, "signed by "+id1+", but checkpoints") {
			t.Fatalf("verify %v after the retired key signed again: %d\n%s%s", r, code, out, errs)
		}
	}
	code, out, _ = runCLI(t, "", "audit", "verify", dir, "--key", pub1, "--key", pub2, "--log-id", "sidecar-b", "--json")
	res = verifyResult{}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 1 || res.Problem == nil || res.Problem.Problem != auditlog.ProblemWrongLog {
		t.Fatalf("verify --log-id of another log: %d %v\n%s", code, err, out)
	}
	for _, bad := range []string{pub2, "nosuch+12345678@10", pub2 + "@yesterday", pub2 + "@-1"} {
		if code, out, errs := runCLI(t, "", "audit", "verify", dir, "--key", pub1, "--require-key", bad); code != 2 || !strings.Contains(errs, "--require-key") {
			t.Errorf("--require-key %s: exit %d, %s%s; want 2", bad, code, out, errs)
		}
	}
}
