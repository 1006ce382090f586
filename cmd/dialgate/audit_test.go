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
)

// auditFixture makes keys with `audit keygen`, writes a 30-record log signed
// with them, and returns the log directory and the public key file.
func auditFixture(t *testing.T) (dir, pub string) {
	t.Helper()
	dir, prefix := writeAuditLog(t, 30, auditlog.Options{CheckpointEvery: 10})
	if info, err := os.Stat(prefix + ".key"); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("private key file: %v %v", info, err)
	}
	return dir, prefix + ".pub"
}

// writeAuditLog makes keys with `audit keygen` and writes a log of n
// decisions signed with them, with opts (keys filled in); it returns the log
// directory and the key files' prefix (PREFIX.key, PREFIX.pub).
func writeAuditLog(t *testing.T, n int, opts auditlog.Options) (dir, prefix string) {
	t.Helper()
	tmp := t.TempDir()
	prefix = filepath.Join(tmp, "k")
	code, out, errs := runCLI(t, "", "audit", "keygen", "--name", "audit.example.com", "--out", prefix)
	if code != 0 || !strings.Contains(out, "audit.example.com+") {
		t.Fatalf("keygen: %d %q %q", code, out, errs)
	}
	skey, _ := os.ReadFile(prefix + ".key")
	signer, err := auditlog.NewSigner(strings.TrimSpace(string(skey)))
	if err != nil {
		t.Fatal(err)
	}
	dir = filepath.Join(tmp, "audit")
	opts.HMACKey, opts.HMACKeyID, opts.Signer = []byte("0123456789abcdef0123"), "k1", signer
	l, err := auditlog.Open(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		d := dialgate.Decision{ID: fmt.Sprintf("d-%d", i), At: time.Date(2026, 12, 5, 10, 0, i, 0, time.UTC), Allowed: true,
			Dial: dialgate.Dial{To: dialgate.MustParseNumber(fmt.Sprintf("+86139001390%02d", i)), Purpose: dialgate.PurposeService}}
		if err := l.RecordDecision(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, prefix
}

func TestAuditVerify(t *testing.T) {
	dir, pub := auditFixture(t)
	file := filepath.Join(dir, "audit-000001.jsonl")
	code, out, errs := runCLI(t, "", "audit", "verify", dir, "--key", pub)
	if code != 0 || !strings.Contains(out, "OK   30 records") || !strings.Contains(out, "trusted checkpoint") {
		t.Fatalf("verify: %d\n%s%s", code, out, errs)
	}
	pubText, _ := os.ReadFile(pub)
	code, out, _ = runCLI(t, "", "audit", "verify", file, "--key", strings.TrimSpace(string(pubText)), "--json")
	var res verifyResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || !res.OK || res.Records != 30 || res.TreeSize != 30 {
		t.Fatalf("verify --json: %d %v\n%s", code, err, out)
	}

	// Tampering: delete record 12 (keeping the checkpoint file) and truncate.
	data, _ := os.ReadFile(file)
	lines := strings.SplitAfter(string(data), "\n")
	var kept []string
	for _, l := range lines {
		if !strings.Contains(l, `"seq":12,`) {
			kept = append(kept, l)
		}
	}
	os.WriteFile(file, []byte(strings.Join(kept, "")), 0o600)
	code, out, _ = runCLI(t, "", "audit", "verify", dir, "--key", pub)
	if code != 1 || !strings.Contains(out, "FAIL") || !strings.Contains(out, "record 12: deleted") {
		t.Fatalf("verify after deleting a record: %d\n%s", code, out)
	}
	os.WriteFile(file, []byte(strings.Join(lines[:15], "")), 0o600)
	code, out, _ = runCLI(t, "", "audit", "verify", dir, "--key", pub, "--json")
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 1 || res.OK || res.Problem == nil || res.Problem.Problem != auditlog.ProblemTruncated {
		t.Fatalf("verify after truncation: %d %v\n%s", code, err, out)
	}
	code, _, _ = runCLI(t, "", "audit", "verify", dir, "--key", pub, "--no-checkpoint")
	if code != 0 {
		t.Fatalf("a log truncated at a record boundary verifies without the trusted checkpoint: exit %d, want 0", code)
	}
}

func TestAuditVerifyBadInput(t *testing.T) {
	dir, pub := auditFixture(t)
	other := filepath.Join(t.TempDir(), "o")
	runCLI(t, "", "audit", "keygen", "--out", other)
	for _, tc := range []struct {
		args   []string
		code   int
		output string
	}{
		// The key a sidecar made for itself is named, where a newcomer
		// verifying its log finds it.
		{[]string{"audit", "verify", dir}, 2, "--key: missing (the log's public key: the .pub file of audit keygen, or DATA/keys/audit-signer.pub of the dialgate serve that wrote it)"},
		{[]string{"audit", "verify", dir, "--key", "nonsense"}, 2, "--key:"},
		{[]string{"audit", "verify", filepath.Join(dir, "nope.jsonl"), "--key", pub}, 2, "no such file"},
		{[]string{"audit", "verify", dir, "--key", other + ".pub"}, 1, "bad signature"},
		{[]string{"audit", "keygen", "--out", strings.TrimSuffix(pub, ".pub")}, 2, "exists"},
		{[]string{"audit", "keygen", "--name", "a b"}, 2, "--name"},
		// A directory that does not exist is bad input naming --out (it
		// exited 1 with the bare open error).
		{[]string{"audit", "keygen", "--out", filepath.Join(dir, "no-such-dir", "k")}, 2, "--out: directory " + filepath.Join(dir, "no-such-dir") + ": no such file or directory"},
		{[]string{"audit", "keygen", "--out", pub + "/k"}, 2, "--out: " + pub + " is not a directory"},
		{[]string{"audit", "keygen", "--out", dir + "/"}, 2, "is not a path prefix"},
	} {
		code, out, errs := runCLI(t, "", tc.args...)
		if code != tc.code || !strings.Contains(out+errs, tc.output) {
			t.Errorf("%v: exit %d, %q %q; want %d and %q", tc.args, code, out, errs, tc.code, tc.output)
		}
	}
}

// TestAuditVerifyCountsOnlyGoodRecords: after "FAIL …: record 5: edited"
// verify printed "6 records verified before it", counting the record it had
// just named as edited (and, for a record only its checkpoint caught, every
// record that checkpoint was to seal). It counts the records before the
// first one in doubt, in agreeing number.
func TestAuditVerifyCountsOnlyGoodRecords(t *testing.T) {
	for _, tc := range []struct {
		name  string
		every int
		seq   int
		want  string
	}{
		{"the next record's link catches it", 10, 5, "     5 records verified before it\n"},
		{"the checkpoint catches it", 1, 1, "     1 record verified before it\n"},
		{"the first record", 1, 0, "     no record verified before it\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, prefix := writeAuditLog(t, 8, auditlog.Options{CheckpointEvery: tc.every})
			file := filepath.Join(dir, "audit-000001.jsonl")
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			seq := fmt.Sprintf(`"seq":%d,`, tc.seq)
			if !strings.Contains(string(data), seq) {
				t.Fatalf("no record %d in the log", tc.seq)
			}
			if err := os.WriteFile(file, []byte(strings.Replace(string(data), seq, seq+" ", 1)), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, errs := runCLI(t, "", "audit", "verify", dir, "--key", prefix+".pub")
			if code != 1 || !strings.Contains(out, fmt.Sprintf("record %d: edited", tc.seq)) || !strings.HasSuffix(out, tc.want) {
				t.Errorf("verify: exit %d\n%s%s\nwant record %d named as edited, then %q", code, out, errs, tc.seq, tc.want)
			}
		})
	}
}
