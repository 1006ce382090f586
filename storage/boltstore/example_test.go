package boltstore_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/boltstore"
)

// The embedded store behind a Gate built from the cn profile: an opt-out
// written into it is seen by the next Check, and is still there after the
// store is closed and opened again (a restart).
func ExampleOpen() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "dialgate-bolt-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, boltstore.DefaultFileName)
	shanghai := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, shanghai)
	dial := dialgate.Dial{
		To: dialgate.MustParseNumber("+8613800138000"), From: dialgate.MustParseNumber("+861058001234"),
		Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-42",
	}

	// start opens the store and builds a Gate on it; stop closes both.
	start := func() (store *boltstore.Store, gate *dialgate.Gate, stop func()) {
		store, err := boltstore.Open(path, boltstore.Options{})
		if err != nil {
			log.Fatal(err)
		}
		// The deployment's secret HMAC key (≥ 16 bytes) pseudonymises
		// callee numbers in the store.
		deps, err := policy.StoreDeps(store, []byte("example key, keep yours secret"))
		if err != nil {
			log.Fatal(err)
		}
		profile, err := policy.Builtin("cn")
		if err != nil {
			log.Fatal(err)
		}
		asm, err := policy.Assemble(profile, deps, dialgate.WithoutAuditLog(),
			dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return now })))
		if err != nil {
			log.Fatal(err)
		}
		return store, asm.Gate, func() {
			// The do-not-call lists follow the store's change feed:
			// close them, then the store, after the Gate's last use.
			if c, ok := policy.CheckOf[*dnc.Check](asm.Checks); ok {
				c.Lists().Close()
			}
			if err := store.Close(); err != nil {
				log.Fatal(err)
			}
		}
	}
	check := func(label string, gate *dialgate.Gate) dialgate.Decision {
		dec, err := gate.Check(ctx, dial)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(label, dec.Allowed, dec.Codes())
		return dec
	}

	store, gate, stop := start()
	// Only one process may hold the file: another Open waits LockTimeout
	// for the lock, then fails.
	_, err = boltstore.Open(path, boltstore.Options{LockTimeout: 50 * time.Millisecond})
	fmt.Println("second Open locked out:", errors.Is(err, storage.ErrLocked))
	if err := store.PutLedger(ctx, callerid.Entry{
		Tenant: "acme", Number: dial.From, Holder: "Acme Ltd", Purposes: []dialgate.Purpose{dialgate.PurposeService},
	}); err != nil {
		log.Fatal(err)
	}
	dec := check("before the opt-out:", gate)
	// Not placed (the agent was busy): its reservation of the frequency
	// cap is given back.
	if err := gate.Release(ctx, dec); err != nil {
		log.Fatal(err)
	}
	if err := store.AddDNC(ctx, dnc.Entry{
		Number: dial.To, Scope: dnc.GlobalScope, List: "opt_out", Source: "call", AddedAt: now,
	}); err != nil {
		log.Fatal(err)
	}
	check("after the opt-out: ", gate)
	stop()

	// A restart: what a write returned for was on disk.
	store, gate, stop = start()
	defer stop()
	check("after a restart:   ", gate)
	entries, err := store.DNCEntries(ctx, dial.To)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range entries {
		fmt.Println(e.List, e.Source, e.AddedAt.In(shanghai).Format(time.DateTime))
	}
	// Output:
	// second Open locked out: true
	// before the opt-out: true []
	// after the opt-out:  false [dnc.listed]
	// after a restart:    false [dnc.listed]
	// opt_out call 2026-12-04 10:00:00
}
