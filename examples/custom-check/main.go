// Command custom-check adds a check of your own to the checks of a profile: a
// dialgate.CheckerFunc that denies dials of paused campaigns. Its reasons are
// reported beside the profile's, it fails closed like every check (an error or
// a panic denies with campaigns.unavailable), and it is recorded the same way.
//
// policy.Checks gives the profile's checks only: what policy.Build adds to
// them — the policy version and the release guard over the counters
// (package placedguard) — is given to dialgate.New here by hand.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/placedguard"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/storage/memstore"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "custom-check:", err)
		os.Exit(1)
	}
}

// pausedCampaigns is the state the custom check reads; it must be safe for
// concurrent use because the Gate is.
type pausedCampaigns struct {
	mu     sync.RWMutex
	paused map[string]bool
}

func (p *pausedCampaigns) pause(c string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused[c] = true
}

func (p *pausedCampaigns) check(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.paused[d.Campaign] {
		return []dialgate.Reason{{
			Code:     "campaigns.paused",
			Message:  "campaign " + d.Campaign + " is paused",
			Evidence: []dialgate.Evidence{{Key: "campaigns.campaign", Value: d.Campaign}},
		}}, nil
	}
	return nil, nil
}

func run(w io.Writer) error {
	ctx := context.Background()
	at := time.Date(2026, 12, 4, 22, 30, 0, 0, time.FixedZone("CST", 8*3600))
	gate, campaigns, err := newGate(ctx, dialgate.ClockFunc(func() time.Time { return at }))
	if err != nil {
		return err
	}

	dial := dialgate.Dial{
		To:       dialgate.MustParseNumber("+8613900139000"),
		From:     dialgate.MustParseNumber("+861058001234"),
		Purpose:  dialgate.PurposeService,
		Campaign: "winter",
		LeadID:   "crm-7",
	}
	campaigns.pause("winter")
	for _, t := range []time.Time{at, at.Add(12 * time.Hour)} {
		at = t
		dec, err := gate.Check(ctx, dial)
		if err != nil {
			return fmt.Errorf("no decision; do not dial: %w", err)
		}
		fmt.Fprintf(w, "%s allowed=%v", t.Format("Mon 15:04"), dec.Allowed)
		for _, r := range dec.Reasons {
			fmt.Fprintf(w, " %s(%s)", r.Code, r.Check)
		}
		fmt.Fprintln(w)
	}
	return nil
}

// newGate builds the cn profile's checks on an in-memory store, adds the
// campaigns check after them, and makes the Gate with clock.
func newGate(ctx context.Context, clock dialgate.Clock) (*dialgate.Gate, *pausedCampaigns, error) {
	profile, err := policy.Builtin("cn")
	if err != nil {
		return nil, nil, err
	}
	store := memstore.New()
	deps, err := policy.StoreDeps(store, []byte("example key, keep yours secret"))
	if err != nil {
		return nil, nil, err
	}
	// cn allows only caller IDs from the tenant's ledger (CN-S2, CN-S7).
	if err := store.PutLedger(ctx, callerid.Entry{
		Number: dialgate.MustParseNumber("+861058001234"), Type: callerid.TypeFixed,
		Holder: "Acme Ltd", Purposes: []dialgate.Purpose{dialgate.PurposeMarketing, dialgate.PurposeService},
	}); err != nil {
		return nil, nil, err
	}
	checks, err := policy.Checks(profile, deps)
	if err != nil {
		return nil, nil, err
	}
	campaigns := &pausedCampaigns{paused: map[string]bool{}}
	checks = append(checks, dialgate.CheckerFunc("campaigns", campaigns.check))

	// dialgate.New adds nothing of the profile's: give it what policy.Build
	// would. The release guard refuses the Release of a decision whose call
	// was placed (its outcome reported), which would give back a slot of a
	// cap the call counts against; it lives in the counters, for the
	// profile's longest window.
	guard, err := placedguard.New(deps.Counters, policy.GuardWindow(profile))
	if err != nil {
		return nil, nil, err
	}
	// WithoutAuditLog: this example places no call. A Gate in front of a
	// dialer records every decision (WithAuditLog; see examples/embedded).
	gate, err := dialgate.New(checks, dialgate.WithoutAuditLog(),
		dialgate.WithClock(clock),
		dialgate.WithPlacedGuard(guard),
		dialgate.WithPolicyVersion(profile.Version()+"+campaigns"))
	if err != nil {
		return nil, nil, err
	}
	return gate, campaigns, nil
}
