package sidecar

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
)

// Since Open verifies every checkpoint of the audit log (session 20), a
// sidecar whose signing key was rotated (audit-signer.key replaced) refused
// the log its old key signed, with no way to say the old key is still
// trusted. The retired public keys, one a line, in
// keys/audit-signer-retired.pub are now trusted for the log's checkpoints;
// the refusal names that file.
func TestAuditLogRetiredSignerKeys(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	l, _, err := OpenAuditLog(ctx, data, "", "cn")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil { // a checkpoint only when records were added
		t.Fatal(err)
	}
	keys, err := LoadKeys(data)
	if err != nil {
		t.Fatal(err)
	}
	l, err = auditlog.Open(ctx, filepath.Join(data, AuditDir), auditlog.Options{HMACKey: keys.HMAC, HMACKeyID: keys.HMACKeyID, Signer: keys.Signer, NoNewLogID: true})
	if err != nil {
		t.Fatal(err)
	}
	d := dialgate.Decision{ID: "d-1", At: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC), Allowed: true,
		Dial: dialgate.Dial{To: dialgate.MustParseNumber("+8613900139000"), Purpose: dialgate.PurposeService}}
	if err := l.RecordDecision(ctx, d); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil { // signed by the old key
		t.Fatal(err)
	}
	oldPub, err := os.ReadFile(filepath.Join(data, KeysDir, SignerPubFile))
	if err != nil {
		t.Fatal(err)
	}
	// The rotation: a new key pair in place of the old.
	skey, vkey, err := auditlog.GenerateKey(rand.Reader, "dialgate-sidecar-2027")
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{SignerKeyFile: skey, SignerPubFile: vkey} {
		if err := os.WriteFile(filepath.Join(data, KeysDir, name), []byte(text+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err = OpenAuditLog(ctx, data, "", "cn")
	var ce *auditlog.CheckpointError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), RetiredSignerPubFile) {
		t.Fatalf("OpenAuditLog after a rotation: %v, want a *CheckpointError naming %s", err, RetiredSignerPubFile)
	}
	retired := filepath.Join(data, KeysDir, RetiredSignerPubFile)
	if err := os.WriteFile(retired, []byte("# retired 2027-01-01\n"+string(oldPub)), 0o644); err != nil {
		t.Fatal(err)
	}
	l, _, err = OpenAuditLog(ctx, data, "", "cn")
	if err != nil {
		t.Fatalf("OpenAuditLog with the retired key listed: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// A line that is not a public key is refused, naming the file and line.
	if err := os.WriteFile(retired, []byte(string(oldPub)+"not a key\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeys(data); err == nil || !strings.Contains(err.Error(), retired+":2") {
		t.Fatalf("LoadKeys with a bad retired key line: %v, want an error naming %s:2", err, retired)
	}
}
