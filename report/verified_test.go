package report_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/report"
	"golang.org/x/mod/sumdb/note"
)

// verifiedLog writes a log of n decisions (a checkpoint every 4 records,
// and at Close), verifies it, and returns its directory, files and the
// verification as dialgate report quarterly --key makes it.
func verifiedLog(t *testing.T, n int, sealed bool) (string, []string, *report.Verification, *auditlog.Report) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	skey, vkey, err := auditlog.GenerateKey(rand.Reader, "test-log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auditlog.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := auditlog.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	log, err := auditlog.Open(ctx, dir, auditlog.Options{HMACKey: []byte("0123456789abcdef"), HMACKeyID: "k1", Signer: signer, CheckpointEvery: 4})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	g := clockGate(t, log, &now)
	for i := range n {
		callWith(t, g, "+86139001390"+string(rune('0'+i%10))+"0", "winter")
	}
	files := closedFiles(t, log, dir)
	rep, err := auditlog.Verify(ctx, files, auditlog.VerifyOptions{Verifiers: note.VerifierList(verifier), RequireSealed: sealed})
	if err != nil {
		t.Fatal(err)
	}
	return dir, files, &report.Verification{Keys: []string{"test-log"}, Sealed: sealed, Logs: []report.VerifiedLog{
		{Dir: dir, Records: rep.Records, TreeSize: rep.Tree.N, TreeHash: rep.Tree.Hash.String(), Unsealed: rep.Unsealed},
	}}, rep
}

// Given the verification made before it (Sources.Verification), Build
// counts a log only when the records it reads are the tree verified: a
// record edited in place afterwards (same length, last record, so that no
// prev shows it), or a tree hash that is not the one read, fails with
// ErrNotVerified; the untouched log is counted and the report carries the
// verification.
func TestBuildChecksVerifiedTree(t *testing.T) {
	ctx := context.Background()
	q4 := report.Quarter{Year: 2026, Q: 4}
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, cst)
	for _, sealed := range []bool{false, true} {
		dir, files, v, rep := verifiedLog(t, 7, sealed)
		r, err := report.Build(ctx, q4, cst, at, report.Sources{AuditFiles: files, Verification: v})
		if err != nil {
			t.Fatalf("sealed %v: Build of the verified log: %v", sealed, err)
		}
		if r.Verification != v || r.Decisions.Total != 7 {
			t.Fatalf("sealed %v: report verification %v, decisions %d; want the verification given and 7", sealed, r.Verification, r.Decisions.Total)
		}

		bad := *v
		bad.Logs = []report.VerifiedLog{v.Logs[0]}
		bad.Logs[0].TreeHash = strings.Repeat("A", 43) + "="
		if _, err := report.Build(ctx, q4, cst, at, report.Sources{AuditFiles: files, Verification: &bad}); !errors.Is(err, report.ErrNotVerified) {
			t.Errorf("sealed %v: Build with another tree hash verified: %v, want ErrNotVerified", sealed, err)
		}
		// A verification of the first 4 records (3 more written since,
		// unsealed) counts the 7 when not sealed, and refuses them when
		// sealed.
		h4, err := rep.TreeHash(4)
		if err != nil {
			t.Fatal(err)
		}
		early := *v
		early.Logs = []report.VerifiedLog{{Dir: dir, Records: 4, TreeSize: 4, TreeHash: h4.String()}}
		r, err = report.Build(ctx, q4, cst, at, report.Sources{AuditFiles: files, Verification: &early})
		if sealed != errors.Is(err, report.ErrNotVerified) || (!sealed && r.Decisions.Total != 7) {
			t.Errorf("sealed %v: Build of 7 records verified when there were 4: %v; want ErrNotVerified only when sealed", sealed, err)
		}
		other := *v
		other.Logs = []report.VerifiedLog{{Dir: t.TempDir()}}
		if _, err := report.Build(ctx, q4, cst, at, report.Sources{AuditFiles: files, Verification: &other}); !errors.Is(err, report.ErrNotVerified) || !strings.Contains(err.Error(), dir) {
			t.Errorf("sealed %v: Build of a directory not verified: %v, want ErrNotVerified naming %s", sealed, err, dir)
		}

		data, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		lines := bytes.SplitAfter(data, []byte("\n"))
		last := -1 // the last record (a checkpoint follows it: no prev carries its hash)
		for k, l := range lines {
			if bytes.Contains(l, []byte(`"kind":"decision"`)) {
				last = k
			}
		}
		lines[last] = bytes.Replace(lines[last], []byte(`"campaign":"winter"`), []byte(`"campaign":"summer"`), 1)
		if err := os.WriteFile(files[0], bytes.Join(lines, nil), 0o600); err != nil {
			t.Fatal(err)
		}
		if r, err := report.Build(ctx, q4, cst, at, report.Sources{AuditFiles: files}); err != nil || r.Decisions.Total != 7 {
			t.Fatalf("sealed %v: the edit is not one the chain alone shows (%v): the test would not test the tree", sealed, err)
		}
		if r, err := report.Build(ctx, q4, cst, at, report.Sources{AuditFiles: files, Verification: v}); !errors.Is(err, report.ErrNotVerified) || !strings.Contains(err.Error(), dir) {
			t.Errorf("sealed %v: Build of a log edited after its verification: %+v, %v; want ErrNotVerified naming %s", sealed, r, err, dir)
		}
	}
}
