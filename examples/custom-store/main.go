// Command custom-store plugs a do-not-call store of your own into dialgate.
//
// FileStore (filestore.go) implements dnc.Store over an append-only,
// fsynced JSON-lines file; main_test.go proves it with the conformance suite
// (storetest.TestDNC with WithReopen). run wires it into a Gate built from the
// cn profile: every other domain stays in memstore, only the do-not-call lists
// live in the file. A callee refuses further calls during a call, the opt-out
// goes through the Gate's own dnc check, and the next dial to that callee is
// denied dnc.listed — also after a restart, because the file is durable.
//
// Any store is plugged in the same way: implement the domain's interface
// (consent.Store, callerid.Store, recording.Store, storage.Counters, ...),
// run its storetest suite, and set the matching policy.Deps field.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/storage/memstore"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "custom-store:", err)
		os.Exit(1)
	}
}

// Synthetic numbers. Callee numbers never go into output or logs; the example
// prints labels instead.
var (
	callerID = dialgate.MustParseNumber("+861058001234")
	calleeA  = dialgate.MustParseNumber("+8613800138000")
	calleeB  = dialgate.MustParseNumber("+8613800138001")
)

func run(w io.Writer) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "custom-store-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "dnc.jsonl") // a real dialer keeps this on durable disk

	// A fixed clock makes the example repeatable; a real dialer leaves the
	// Gate on the system clock.
	shanghai := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, shanghai)
	clock := dialgate.ClockFunc(func() time.Time { return now })

	// Everything but the do-not-call lists stays in memstore.
	mem := memstore.New()
	defer mem.Close()
	// cn allows only caller IDs from the tenant's ledger (CN-S2, CN-S7).
	if err := mem.PutLedger(ctx, callerid.Entry{
		Number: callerID, Type: callerid.TypeFixed,
		Holder: "Acme Ltd", Purposes: []dialgate.Purpose{dialgate.PurposeService},
	}); err != nil {
		return err
	}

	files, err := OpenFileStore(path)
	if err != nil {
		return err
	}
	defer func() { files.Close() }() // files is replaced on restart below
	gate, dncCheck, err := newGate(mem, files, clock)
	if err != nil {
		return err
	}

	check := func(label string, to dialgate.Number) (dialgate.Decision, error) {
		dec, err := gate.Check(ctx, dialgate.Dial{To: to, From: callerID, Purpose: dialgate.PurposeService, LeadID: "crm-42"})
		if err != nil {
			return dec, fmt.Errorf("no decision; do not dial: %w", err)
		}
		fmt.Fprintf(w, "%s %s: ", now.Format("15:04"), label)
		if dec.Allowed {
			fmt.Fprintln(w, "allowed")
			return dec, nil
		}
		fmt.Fprint(w, "denied ", dec.Codes())
		for _, r := range dec.Reasons {
			if r.Code == dialgate.CodeDNCListed {
				for _, e := range r.Evidence { // list, scope, added_at, source: never the number
					fmt.Fprintf(w, " %s=%s", e.Key, e.Value)
				}
			}
		}
		fmt.Fprintln(w)
		return dec, nil
	}

	dec, err := check("callee A", calleeA)
	if err != nil {
		return err
	}
	// ... the call is placed and the callee says "never call me again".
	// Record the refusal through the Gate's dnc check, not the store: Add
	// writes through to FileStore (durable when it returns) and also puts the
	// number into the check's in-memory Bloom filter. A write straight to the
	// store would be missed by a Gate that already built its filter.
	// The check extends HoldUntil to the profile's hold (cn: 12 months).
	if err := dncCheck.Add(ctx, dnc.Entry{
		Number: calleeA, Scope: dnc.GlobalScope, List: "opt_out", Source: "call",
		AddedAt: now, Evidence: "decision:" + dec.ID,
	}); err != nil {
		return err
	}
	fmt.Fprintln(w, "callee A opted out")

	now = now.Add(30 * time.Minute)
	if _, err := check("callee A", calleeA); err != nil {
		return err
	}
	if _, err := check("callee B", calleeB); err != nil {
		return err
	}

	// Restart: reopen the file and build a new Gate. NewLists scans the store
	// to fill the Bloom filter, so the opt-out still holds.
	if err := files.Close(); err != nil {
		return err
	}
	if files, err = OpenFileStore(path); err != nil {
		return err
	}
	if gate, _, err = newGate(mem, files, clock); err != nil {
		return err
	}
	fmt.Fprintln(w, "restarted")
	now = now.Add(30 * time.Minute)
	_, err = check("callee A", calleeA)
	return err
}

// newGate builds the cn profile's Gate with store as its do-not-call store and
// returns the Gate's own dnc check. It is policy.Build spelled out:
// policy.Checks plus dialgate.New, so that the dnc check the Gate runs is at
// hand (a second policy.Checks call would build a second, separate overlay).
func newGate(mem *memstore.Store, store dnc.Store, clock dialgate.Clock) (*dialgate.Gate, *dnc.Check, error) {
	profile, err := policy.Builtin("cn")
	if err != nil {
		return nil, nil, err
	}
	// The HMAC key pseudonymises callee numbers in counters and records; keep
	// a real one secret (dialgate serve generates one on first start).
	deps, err := policy.StoreDeps(mem, []byte("example key, keep yours secret"))
	if err != nil {
		return nil, nil, err
	}
	deps.DNC = store // the one line that plugs in the custom store
	// Assemble (not Build) keeps the checks, so that opt-outs go through the
	// Gate's own do-not-call check and its in-memory overlay sees them at once.
	// WithoutAuditLog: this example places no call. A Gate in front of a
	// dialer records every decision (WithAuditLog; see examples/embedded).
	asm, err := policy.Assemble(profile, deps, dialgate.WithoutAuditLog(), dialgate.WithClock(clock))
	if err != nil {
		return nil, nil, err
	}
	dncCheck, ok := policy.CheckOf[*dnc.Check](asm.Checks)
	if !ok {
		return nil, nil, fmt.Errorf("profile %s has no dnc section", profile.Name)
	}
	return asm.Gate, dncCheck, nil
}
