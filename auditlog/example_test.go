package auditlog_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"golang.org/x/mod/sumdb/note"
)

// A Gate writing to a durable audit log, and an auditor verifying it.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "audit")
	defer os.RemoveAll(dir)

	// Once: a key pair for checkpoints. Keep skey secret; give vkey to auditors.
	skey, vkey, _ := auditlog.GenerateKey(rand.Reader, "audit.example.com")
	signer, _ := auditlog.NewSigner(skey)

	log, err := auditlog.Open(ctx, dir, auditlog.Options{
		HMACKey:   []byte("a secret of at least 16 bytes"),
		HMACKeyID: "k2026a",
		Signer:    signer,
	})
	if err != nil {
		panic(err)
	}
	clock := dialgate.ClockFunc(func() time.Time { return time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC) })
	gate, _ := dialgate.New(nil, dialgate.WithAuditLog(log), dialgate.WithClock(clock))
	dec, err := gate.Check(ctx, dialgate.Dial{
		To: dialgate.MustParseNumber("+8613900139000"), Purpose: dialgate.PurposeService, LeadID: "crm-42",
	})
	fmt.Println("allowed:", dec.Allowed, err)
	log.Close() // writes the final checkpoint

	files, _ := auditlog.LogFiles(dir)
	v, _ := auditlog.NewVerifier(vkey)
	trusted, _ := os.ReadFile(filepath.Join(dir, auditlog.CheckpointFile))
	rep, err := auditlog.Verify(ctx, files, auditlog.VerifyOptions{Verifiers: note.VerifierList(v), Trusted: trusted})
	fmt.Println("records:", rep.Records, "sealed by checkpoint of", rep.Tree.N, "unsealed:", rep.Unsealed, err)
	// Output:
	// allowed: true <nil>
	// records: 1 sealed by checkpoint of 1 unsealed: 0 <nil>
}
