package policy_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/storage/boltstore"
)

// A Go dialer's whole path with dialgate embedded: open the durable
// embedded store and the signed audit log, build a Gate from the built-in
// cn profile (Assemble: Build that also returns the checks), keep the
// ledger and a consent (granted, then withdrawn) in the store, take an
// opt-out through the Gate's do-not-call check, ask before every dial,
// report what happened to a placed call, release a dial not placed, and
// close cleanly. A fleet does
// the same on shared stores (storage/redisstore, storage/pgstore; see
// docs/deploy.md).
func ExampleAssemble() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "dialgate-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	// A fixed clock makes the example repeatable; a dialer leaves the Gate
	// on the system clock (no WithClock).
	shanghai := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, shanghai) // Friday 10:00
	clock := dialgate.ClockFunc(func() time.Time { return now })

	// The embedded store: one file, one process (a second Open waits for
	// the lock, then fails with storage.ErrLocked).
	store, err := boltstore.Open(filepath.Join(dir, boltstore.DefaultFileName), boltstore.Options{})
	if err != nil {
		panic(err)
	}
	defer store.Close() // after the Gate's last use

	// The deployment's secret HMAC key (≥ 16 bytes) pseudonymises callee
	// numbers in the store and in the audit log: keep it secret and stable.
	hmacKey := []byte("example key, keep yours secret")
	deps, err := policy.StoreDeps(store, hmacKey)
	if err != nil {
		panic(err)
	}
	profile, err := policy.Builtin("cn")
	if err != nil {
		panic(err)
	}

	// The audit log is required (or WithoutAuditLog for a Gate that places
	// no call). Generate the key pair once, keep skey secret, give vkey to
	// the auditors (`dialgate audit keygen` does the same).
	skey, vkey, err := auditlog.GenerateKey(rand.Reader, "dialer.example.com")
	if err != nil {
		panic(err)
	}
	signer, err := auditlog.NewSigner(skey)
	if err != nil {
		panic(err)
	}
	// CheckpointInterval seals the records within a minute: left zero, a
	// checkpoint comes only every 4,096 records (and at Close), and records
	// after the last one could be edited without Verify noticing.
	alog, err := auditlog.Open(ctx, filepath.Join(dir, "audit"), auditlog.Options{
		HMACKey: hmacKey, HMACKeyID: "k2026a", Signer: signer, Profile: profile.Name,
		CheckpointInterval: auditlog.DefaultServeCheckpointInterval,
	})
	if err != nil {
		panic(err)
	}

	asm, err := policy.Assemble(profile, deps, dialgate.WithAuditLog(alog), dialgate.WithClock(clock))
	if err != nil {
		panic(err)
	}
	gate := asm.Gate
	dncCheck, ok := policy.CheckOf[*dnc.Check](asm.Checks)
	if !ok {
		panic("the profile has no dnc section")
	}

	// State the checks read, written into the store (before or while the
	// Gate runs: every Check that starts after a write returns sees it).
	// cn: caller IDs only from the tenant's ledger (CN-S2, CN-S7).
	callerID := dialgate.MustParseNumber("+861058001234")
	if err := store.PutLedger(ctx, callerid.Entry{
		Tenant: "acme", Number: callerID, Holder: "Acme Ltd",
		Purposes: []dialgate.Purpose{dialgate.PurposeService, dialgate.PurposeMarketing},
	}); err != nil {
		panic(err)
	}
	// cn: marketing needs the callee's consent in scope (CN-S3).
	consented := dialgate.MustParseNumber("+8613700137000")
	if err := store.AddConsent(ctx, consent.Record{
		ID: "consent-1", Number: consented, Scope: "industry:finance", Tenant: "acme",
		Method: consent.MethodRecordedVerbal, EvidenceURI: "recording://call-7",
		GrantedAt: now.Add(-24 * time.Hour),
	}); err != nil {
		panic(err)
	}
	// An opt-out taken during a call, through the dnc check: listed at once
	// for every dial, and held for at least the profile's minimum (cn: 12
	// months; store.AddDNC would be seen as well, but keeps only the
	// HoldUntil it is given).
	optedOut := dialgate.MustParseNumber("+8613900139000")
	if err := dncCheck.Add(ctx, dnc.Entry{
		Number: optedOut, Scope: dnc.GlobalScope, List: "opt_out", Source: "call", AddedAt: now,
	}); err != nil {
		panic(err)
	}
	if es, err := store.DNCEntries(ctx, optedOut); err == nil && len(es) == 1 {
		fmt.Println("opt-out held until", es[0].HoldUntil.In(shanghai).Format("2006-01-02"))
	}

	check := func(label string, d dialgate.Dial) dialgate.Decision {
		dec, err := gate.Check(ctx, d)
		switch {
		case err != nil: // no trustworthy decision: do not dial
			fmt.Printf("%s: error, do not dial: %v\n", label, err)
		case dec.Allowed:
			fmt.Printf("%s: allowed\n", label)
		default:
			fmt.Printf("%s: denied %v\n", label, dec.Codes())
			if next, ok := dec.NextAllowedAt(); ok {
				fmt.Printf("  retry at %s\n", next.In(shanghai).Format("Mon 15:04"))
			}
		}
		return dec
	}
	service := dialgate.Dial{
		To: dialgate.MustParseNumber("+8613800138000"), From: callerID,
		Purpose: dialgate.PurposeService, Tenant: "acme",
		LeadID: "crm-42", // where the number came from (no blind dialing, CN-S4b)
	}

	dec := check("service call", service)
	// ... the call is placed; report what happened.
	if err := gate.ReportOutcome(ctx, dialgate.Outcome{
		DecisionID: dec.ID, Dial: dec.Dial, Answered: true, RingDuration: 8 * time.Second,
	}); err != nil {
		panic(err)
	}
	check("same callee again", service)

	marketing := service
	marketing.To, marketing.Purpose, marketing.Industry = consented, dialgate.PurposeMarketing, "finance"
	dec = check("marketing with consent", marketing)
	// The agent was busy: the dial is not placed, its capacity given back.
	if err := gate.Release(ctx, dec); err != nil {
		panic(err)
	}
	check("marketing, after release", marketing)
	// The person withdraws the consent: in force for every Check that
	// starts after RevokeConsent returns (PIPL art. 15). Every failing rule
	// is reported: the allow above still holds the 5-minute slot.
	if _, err := store.RevokeConsent(ctx, "consent-1", now, "call"); err != nil {
		panic(err)
	}
	check("marketing, consent withdrawn", marketing)

	noConsent := marketing
	noConsent.To = dialgate.MustParseNumber("+8613700137001")
	check("marketing without consent", noConsent)

	listed := service
	listed.To = optedOut
	check("opted out", listed)

	foreignID := service
	foreignID.To, foreignID.From = dialgate.MustParseNumber("+8613800138001"), dialgate.MustParseNumber("+861058009999")
	check("caller ID not in ledger", foreignID)

	blind := service
	blind.To, blind.LeadID = dialgate.MustParseNumber("+8613800138002"), ""
	check("no lead provenance", blind)

	check("malformed dial", dialgate.Dial{Purpose: dialgate.PurposeService})

	now = time.Date(2026, 12, 4, 22, 30, 0, 0, shanghai) // Friday 22:30
	late := service
	late.To = dialgate.MustParseNumber("+8613800138003")
	check("late evening", late)

	// Close the log (it writes its final checkpoint) before the store; an
	// auditor then verifies it with the verifier key.
	if err := alog.Close(); err != nil {
		panic(err)
	}
	files, err := auditlog.LogFiles(alog.Dir())
	if err != nil {
		panic(err)
	}
	verifier, err := auditlog.NewVerifier(vkey)
	if err != nil {
		panic(err)
	}
	rep, err := auditlog.Verify(ctx, files, auditlog.VerifyOptions{Verifiers: note.VerifierList(verifier)})
	if err != nil {
		panic(err)
	}
	fmt.Printf("audit log: %d decisions, %d outcomes, %d unsealed\n", rep.Decisions, rep.Outcomes, rep.Unsealed)

	// Output:
	// opt-out held until 2027-12-04
	// service call: allowed
	// same callee again: denied [frequency.capped]
	//   retry at Fri 10:06
	// marketing with consent: allowed
	// marketing, after release: allowed
	// marketing, consent withdrawn: denied [consent.revoked frequency.capped]
	// marketing without consent: denied [consent.missing]
	// opted out: denied [dnc.listed]
	// caller ID not in ledger: denied [callerid.not_in_ledger]
	// no lead provenance: denied [sweep.no_provenance]
	// malformed dial: error, do not dial: to: missing callee number
	// late evening: denied [schedule.outside_window]
	//   retry at Sat 09:00
	// audit log: 11 decisions, 2 outcomes, 0 unsealed
}
