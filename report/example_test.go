package report_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/report"
	"github.com/dialgate/dialgate/storage/memstore"
)

// The quarterly report of a small audit log: a Gate with the do-not-call
// check decides three dials in November 2026 and writes them to a signed
// audit log; Build reads the log and the store and counts them.
func ExampleBuild() {
	ctx := context.Background()
	shanghai := time.FixedZone("CST", 8*3600)
	dir, err := os.MkdirTemp("", "dialgate-report-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	skey, _, err := auditlog.GenerateKey(rand.Reader, "dialer.example.com")
	if err != nil {
		log.Fatal(err)
	}
	signer, err := auditlog.NewSigner(skey)
	if err != nil {
		log.Fatal(err)
	}
	alog, err := auditlog.Open(ctx, dir, auditlog.Options{
		HMACKey: []byte("example key, keep yours secret"), HMACKeyID: "k2026a", Signer: signer,
	})
	if err != nil {
		log.Fatal(err)
	}

	store := memstore.New()
	defer store.Close()
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, shanghai)
	optedOut := dialgate.MustParseNumber("+8613900139000")
	if err := store.AddDNC(ctx, dnc.Entry{
		Number: optedOut, Scope: dnc.GlobalScope, List: "opt_out", Source: "call", AddedAt: now.Add(-time.Hour),
	}); err != nil {
		log.Fatal(err)
	}
	lists, err := dnc.NewLists(ctx, store, dnc.ListsOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer lists.Close()
	dncCheck, err := dnc.New(dnc.Config{}, lists)
	if err != nil {
		log.Fatal(err)
	}
	gate, err := dialgate.New([]dialgate.Checker{dncCheck}, dialgate.WithAuditLog(alog),
		dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return now })), dialgate.WithPolicyVersion("cn@example"))
	if err != nil {
		log.Fatal(err)
	}
	for _, to := range []string{"+8613800138000", "+8613800138001", optedOut.String()} {
		dec, err := gate.Check(ctx, dialgate.Dial{To: dialgate.MustParseNumber(to), Purpose: dialgate.PurposeService, LeadID: "crm-42", Tenant: "acme"})
		if err != nil {
			log.Fatal(err)
		}
		if dec.Allowed && to == "+8613800138001" { // the agent was busy: not placed
			if err := gate.Release(ctx, dec); err != nil {
				log.Fatal(err)
			}
		}
	}
	if err := alog.Close(); err != nil {
		log.Fatal(err)
	}

	files, err := auditlog.LogFiles(dir)
	if err != nil {
		log.Fatal(err)
	}
	q, err := report.ParseQuarter("2026Q4")
	if err != nil {
		log.Fatal(err)
	}
	asOf := time.Date(2027, 1, 5, 9, 0, 0, 0, shanghai)
	rep, err := report.Build(ctx, q, shanghai, asOf, report.Sources{AuditFiles: files, DNC: store, Complaints: store})
	if err != nil {
		log.Fatal(err)
	}
	d := rep.Decisions
	fmt.Println(rep.Quarter, "from", rep.From.Format(time.DateOnly), "to", rep.To.Format(time.DateOnly))
	fmt.Println("decisions:", d.Total, "allowed:", d.Allowed, "denied:", d.Denied, "released:", d.Released)
	fmt.Println("denied by reason:", d.ByReason)
	fmt.Println("do-not-call additions:", rep.DNCAdditions.Total, rep.DNCAdditions.ByList)
	fmt.Println("complaints received:", rep.Complaints.Received)
	fmt.Println("policy:", rep.PolicyVersions[0].Version, rep.PolicyVersions[0].Decisions)
	fmt.Println("not reported on:", rep.Missing)
	// Output:
	// 2026Q4 from 2026-10-01 to 2027-01-01
	// decisions: 3 allowed: 2 denied: 1 released: 1
	// denied by reason: [{dnc.listed 1}]
	// do-not-call additions: 1 [{opt_out 1}]
	// complaints received: 0
	// policy: cn@example 3
	// not reported on: [recordings]
}
