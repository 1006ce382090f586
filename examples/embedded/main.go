// Command embedded shows dialgate embedded in a Go dialer: a Gate built from
// the built-in cn profile decides three dials: one in the evening rest hours,
// one the next morning, and one 30 seconds before that evening's rest hours.
//
// Every dial the dialer places must first get an allowed Decision, and be
// placed before the Decision's ValidUntil (the allow lifetime, 60 s, or the
// end of the calling window if sooner); a denied Decision, an expired allow,
// or any error, means the call must not be placed.
package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/storage/memstore"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "embedded:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	dir, err := os.MkdirTemp("", "dialgate-embedded-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	return runIn(w, dir)
}

// runIn runs the example with its audit log in dir.
func runIn(w io.Writer, dir string) error {
	ctx := context.Background()
	profile, err := policy.Builtin("cn")
	if err != nil {
		return err
	}

	// A fixed clock makes the example repeatable; a real dialer leaves the
	// Gate on the system clock.
	shanghai := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 12, 4, 22, 30, 0, 0, shanghai)
	clock := dialgate.ClockFunc(func() time.Time { return now })

	store := memstore.New() // use storage/boltstore for state that survives restarts
	defer store.Close()
	// The HMAC key pseudonymises callee numbers in counters and records; keep
	// a real one secret (dialgate serve generates one on first start).
	hmacKey := []byte("example key, keep yours secret")
	deps, err := policy.StoreDeps(store, hmacKey)
	if err != nil {
		return err
	}
	// Every decision is recorded in a hash-chained, signed audit log: New
	// refuses a Gate without one unless told WithoutAuditLog. Keep the
	// signing key secret and publish its verifier key to your auditors
	// (dialgate audit verify DIR --key VKEY).
	skey, _, err := auditlog.GenerateKey(rand.Reader, "dialer.example.com")
	if err != nil {
		return err
	}
	signer, err := auditlog.NewSigner(skey)
	if err != nil {
		return err
	}
	// CheckpointInterval seals the records within a minute: left zero, a
	// checkpoint comes only every 4,096 records (and at Close), and records
	// after the last one could be edited without Verify noticing.
	alog, err := auditlog.Open(ctx, dir, auditlog.Options{HMACKey: hmacKey, HMACKeyID: "example", Signer: signer, Profile: profile.Name,
		CheckpointInterval: auditlog.DefaultServeCheckpointInterval})
	if err != nil {
		return err
	}
	defer alog.Close()
	// cn allows only caller IDs from the tenant's ledger of numbering resources (CN-S2, CN-S7).
	if err := store.PutLedger(ctx, callerid.Entry{
		Number: dialgate.MustParseNumber("+861058001234"), Type: callerid.TypeFixed,
		Holder: "Acme Ltd", Purposes: []dialgate.Purpose{dialgate.PurposeService},
	}); err != nil {
		return err
	}
	gate, err := policy.Build(profile, deps, dialgate.WithAuditLog(alog), dialgate.WithClock(clock))
	if err != nil {
		return err
	}

	dial := dialgate.Dial{
		To:      dialgate.MustParseNumber("+8613800138000"),
		From:    dialgate.MustParseNumber("+861058001234"),
		Purpose: dialgate.PurposeService,
		LeadID:  "crm-42", // where the number came from
	}
	for _, at := range []time.Time{now, time.Date(2026, 12, 5, 10, 0, 0, 0, shanghai), time.Date(2026, 12, 5, 20, 59, 30, 0, shanghai)} {
		now = at
		dec, err := gate.Check(ctx, dial)
		if err != nil {
			return fmt.Errorf("no decision; do not dial: %w", err)
		}
		if !dec.Allowed {
			next, _ := dec.NextAllowedAt()
			fmt.Fprintf(w, "%s: denied %v, retry at %s\n", at.Format("Mon 15:04"), dec.Codes(), next.In(shanghai).Format("Mon 15:04"))
			continue
		}
		// Dial only before dec.ValidUntil (dec.DialableAt(time.Now()) right
		// before placing the call); after it, Check again. It is 60 s after
		// the decision, or the end of the calling window if sooner.
		fmt.Fprintf(w, "%s: allowed, dial before %s\n", at.Format("Mon 15:04:05"), dec.ValidUntil.In(shanghai).Format("15:04:05"))
		// ... place the call, then report what happened:
		if err := gate.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Answered: true, RingDuration: 8 * time.Second}); err != nil {
			return err
		}
	}
	return nil
}
