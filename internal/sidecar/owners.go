package sidecar

import (
	"context"

	"github.com/dialgate/dialgate"
	lru "github.com/hashicorp/golang-lru/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// maxDecisionOwners bounds how many allowed decisions the server remembers
// the tenant of, for Release and ReportOutcome under tenant-bound tokens, and
// maxDeniedOwners how many denied ones (kept apart, so that a flood of
// denies, cheap to get, cannot push the allowed decisions out).
const (
	maxDecisionOwners = 1 << 18
	maxDeniedOwners   = 1 << 16
)

// decisionOwners remembers the tenant of each decision (allowed or denied)
// made under a token, bound to tenants or not, so that a tenant-bound token
// can Release only decisions of its own tenants and report outcomes of no
// other tenant's decision. The Gate's default ids are unpredictable (the
// encryption of a counter under a random key), so a dialer cannot derive
// another tenant's ids from its own; but a custom id source (WithDecisionIDs)
// may be predictable, and ids travel in logs and reports. Releasing those
// would give back that tenant's cap and segment-rate reservations (a wrong
// allow); reporting outcomes under them would write into that tenant's
// quarterly report, which links outcomes to decisions by id (an abandoned
// call "with its recorded message", a ring time, an answered call of a
// denied decision). Decisions of tokens without tenants are remembered too:
// in a fleet where some dialers hold a token of every tenant, their
// decisions are as exposed as the others'.
//
// A decision the server no longer remembers (evicted, or decided before a
// restart) cannot be released by a tenant-bound token: its capacity stays
// reserved until its window passes, the safe side. Tokens without tenants
// release any decision, as before. Safe for concurrent use.
//
// It also remembers the decisions an outcome was reported for (placed): a
// placed call counts against its caps, so Release of such a decision is
// refused (FailedPrecondition) whatever the token — a dialer that releases
// every decision at hang-up would otherwise give back the capacity of calls
// it made. This memory is per server and forgets with a restart or eviction:
// it is only a fast path. The guard that decides is the Gate's (a Backend
// from Open: dialgate.WithPlacedGuard over the counters the fleet shares),
// which holds on every sidecar of a fleet and across restarts; a Release it
// refuses (dialgate.ErrPlaced) is remembered here too.
//
// And it remembers the decisions released: an outcome of a placed call
// reported after its decision was released means the dialer placed a call
// whose capacity it had given back (with the Gate's guard in the store the
// Gate counts that call again, dialgate.Gate.ReportOutcome; without it the
// caps undercount it). The
// outcome is recorded all the same — it may start a pause, and it is the
// truth — and the server logs it at Warn and counts it
// (dialgate_outcomes_after_release_total). With the Gate's guard in the
// store it is the Gate that tells (whichever sidecar the release went
// through); without it, per server as above.
type decisionOwners struct {
	allowed  *lru.Cache[string, string]
	denied   *lru.Cache[string, string]
	placed   *lru.Cache[string, struct{}]
	released *lru.Cache[string, struct{}]
}

func newDecisionOwners() *decisionOwners {
	placed, err := lru.New[string, struct{}](maxDecisionOwners)
	if err != nil {
		panic(err) // constant positive size
	}
	released, err := lru.New[string, struct{}](maxDecisionOwners)
	if err != nil {
		panic(err) // constant positive size
	}
	return &decisionOwners{allowed: newOwnerCache(maxDecisionOwners), denied: newOwnerCache(maxDeniedOwners), placed: placed, released: released}
}

// noteReleased records that decision id was released.
func (o *decisionOwners) noteReleased(id string) {
	if o != nil {
		o.released.Add(id, struct{}{})
	}
}

// wasReleased reports whether decision id was released through this server
// (as far as it remembers).
func (o *decisionOwners) wasReleased(id string) bool {
	return o != nil && o.released.Contains(id)
}

// notePlaced records that an outcome of decision id's call was reported:
// the call was placed. first reports that this server did not remember it
// placed before (a retried report is not first), so that an outcome after a
// release is counted once per decision.
func (o *decisionOwners) notePlaced(id string) (first bool) {
	if o == nil {
		return false
	}
	had, _ := o.placed.ContainsOrAdd(id, struct{}{})
	return !had
}

// placedError is the status of a Release refused because an outcome of the
// decision's call was reported (in this server's memory, or in the store's
// release guard).
func placedError() error {
	return status.Errorf(codes.FailedPrecondition, "decision_id: an outcome of this decision's call was reported, so the call was placed and counts against its caps; Release is only for a dial that was not placed (the capacity stays reserved)")
}

// newOwnerCache returns an LRU of size decision ids and their tenants.
func newOwnerCache(size int) *lru.Cache[string, string] {
	c, err := lru.New[string, string](size)
	if err != nil {
		panic(err) // constant positive size
	}
	return c
}

// note records the tenant of a decision made under a token (bound to
// tenants or not). Without a token (a server without a tokens file) no token
// is bound, and nothing is recorded.
func (o *decisionOwners) note(ctx context.Context, id, tenant string, allowed bool) {
	if o == nil {
		return
	}
	if e, _ := ctx.Value(tokenKey{}).(*tokenEntry); e != nil {
		if allowed {
			o.allowed.Add(id, tenant)
		} else {
			o.denied.Add(id, tenant)
		}
	}
}

// tenant returns the tenant of remembered decision id.
func (o *decisionOwners) tenant(id string) (string, bool) {
	if t, ok := o.allowed.Get(id); ok {
		return t, true
	}
	return o.denied.Get(id)
}

// mayRelease reports PermissionDenied when ctx's token is bound to tenants
// and decision id is not a remembered decision of one of them (a denied
// decision of its own reserved nothing; releasing it is harmless), and
// otherwise FailedPrecondition for a decision an outcome was reported for
// (its call was placed). The tenant is checked first, so a bound token is
// not told whether another tenant's call was placed.
func (o *decisionOwners) mayRelease(ctx context.Context, id string) error {
	placed := o != nil && o.placed.Contains(id)
	e, _ := ctx.Value(tokenKey{}).(*tokenEntry)
	if e == nil || e.tenants == nil {
		if placed {
			return placedError()
		}
		return nil
	}
	// The tenant first: whether another tenant's call was placed is not
	// this token's to learn.
	if o != nil {
		if tenant, ok := o.tenant(id); ok && e.tenants[tenant] {
			if placed {
				return placedError()
			}
			return nil
		}
	}
	return status.Errorf(codes.PermissionDenied, "decision_id: token %q may release only decisions of its tenants that this server made (and still remembers); the capacity stays reserved", e.name)
}

// mayReport reports PermissionDenied when ctx's token is bound to tenants
// and decision id is a remembered decision of another tenant: such a token
// must not attach outcomes (a recording, a conversation) to another
// tenant's decisions. A decision it does not remember is accepted — the
// outcome's dial, if any, is checked against the token's tenants, and
// refusing a conversation report would drop the pause it starts.
//
// dial is the outcome's dial, nil when it carries none. For a remembered
// decision its tenant must be the decision's (InvalidArgument otherwise):
// the pauses an outcome starts go to its dial's tenant, so a token bound to
// several tenants could otherwise report one tenant's conversation, refusal
// or abandoned call into another's counters and leave the first unpaused.
func (o *decisionOwners) mayReport(ctx context.Context, id string, dial *dialgate.Dial) error {
	e := boundToken(ctx)
	if e == nil || o == nil {
		return nil
	}
	tenant, ok := o.tenant(id)
	if !ok {
		return nil
	}
	if !e.tenants[tenant] {
		return status.Errorf(codes.PermissionDenied, "decision_id: token %q may not report outcomes of another tenant's decision", e.name)
	}
	if dial != nil && dial.Tenant != tenant {
		return invalid("dial.tenant", "%q, but decision %s was made for tenant %q: an outcome's dial must be its decision's", dial.Tenant, id, tenant)
	}
	return nil
}
