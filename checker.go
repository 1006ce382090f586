package dialgate

import (
	"context"
	"time"
)

// A Checker is one rule set the Gate consults for every dial: calling windows,
// do-not-call lists, consent, caps. Check returns the reasons the dial fails the
// rules (nil when it passes) and a non-nil error only when it could not decide;
// the Gate turns such an error, a timeout, or a panic into the reason
// "<Name()>.unavailable" and denies.
//
// Name must be a short lower-case identifier ("schedule", "dnc"), unique within a
// Gate; it prefixes the check's reason codes. A reason code is two lower-case
// identifiers ([a-z][a-z0-9_]*) joined by a dot, at most 64 bytes, and not
// one of the Gate's own (dial.*, audit.*): a reason without such a code
// makes the Gate deny with "<Name()>.unavailable" instead. Check must honour ctx (the Gate
// gives it a deadline), must not modify d, and must be safe for concurrent use.
type Checker interface {
	// Name returns the check's short lower-case name ("schedule", "dnc").
	Name() string
	// Check returns the reasons d fails the rules, nil when it passes, and a
	// non-nil error only when the check could not decide.
	Check(ctx context.Context, d Dial) ([]Reason, error)
}

// CheckerFunc adapts a function to a Checker with the given name.
//
//	late := dialgate.CheckerFunc("lunch", func(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, error) { … })
func CheckerFunc(name string, f func(ctx context.Context, d Dial) ([]Reason, error)) Checker {
	return checkerFunc{name: name, f: f}
}

type checkerFunc struct {
	name string
	f    func(ctx context.Context, d Dial) ([]Reason, error)
}

// Name returns the name given to CheckerFunc.
func (c checkerFunc) Name() string { return c.name }

// Check calls the function given to CheckerFunc.
func (c checkerFunc) Check(ctx context.Context, d Dial) ([]Reason, error) {
	return c.f(ctx, d)
}

// An Attester is a Checker that also reports the evidence a passing dial relied
// on: the consent record and its disclosure hash, the registry snapshot version,
// the callee's zone. When a Checker implements Attester the Gate calls Attest
// instead of Check and puts the evidence in Decision.Evidence.
type Attester interface {
	Checker
	// Attest is Check that also returns the evidence the dial relied on
	// (nil when none); the Gate records the evidence whether or not the
	// dial passed.
	Attest(ctx context.Context, d Dial) ([]Reason, []Evidence, error)
}

// An Expirer is a Checker whose verdict that a dial passes holds only until
// an instant it can tell: the end of the calling window the dial is inside,
// the expiry of the consent it relied on, the end of its caller ID's ledger
// validity. When a Checker implements Expirer the Gate calls AttestUntil
// instead of Attest or Check, and caps the allow's Decision.ValidUntil at the
// earliest such instant of its checks.
//
// For a passing dial (no reasons, nil error) until is the first instant at
// which the rule might no longer pass it — after d.At, since the rule passes
// d at d.At (a rule whose last passing instant is d.At itself returns d.At
// plus 1 ns) —, or zero when the rule can tell no end. An instant that is
// not after d.At is a broken contract: the Gate turns it into
// "<Name()>.unavailable" and denies. An earlier instant than the true end is
// safe (the dialer checks again sooner); a later one is a wrong allow. For a
// failing dial until is ignored.
type Expirer interface {
	Checker
	// AttestUntil is Attest that also returns, for a passing dial, the
	// instant its pass ends (zero: no end the rule can tell).
	AttestUntil(ctx context.Context, d Dial) (rs []Reason, ev []Evidence, until time.Time, err error)
}

// A Committer is a Checker that holds capacity (frequency caps, segment rates).
// The Gate calls Commit only when every check of the decision passed; when a
// Gate has several Committers it calls them concurrently, so that their
// latencies overlap. Commit must atomically re-check and reserve, so that two
// concurrent decisions can never both take the last slot, and must be
// idempotent by decisionID. If any Committer of a decision returns reasons or
// an error, the Gate calls Release on every Committer of the decision (a
// failed Commit too, in case it reserved before failing).
//
// Release gives back what Commit reserved for decisionID; releasing an unknown
// or already released id is not an error.
type Committer interface {
	Checker
	// Commit re-checks d and reserves its capacity under decisionID,
	// returning reasons (nothing reserved) when the capacity is gone.
	Commit(ctx context.Context, d Dial, decisionID string) ([]Reason, error)
	// Release gives back what Commit reserved for decisionID.
	Release(ctx context.Context, decisionID string) error
}

// A Recounter is a Committer that can count a call placed after its
// decision was released (Gate.ReportOutcome counts it again). Recount
// reserves d's capacity under id whatever is left of it — over a full cap,
// during a pause — since the call was placed and counts for its whole
// window; it is idempotent by id. A Committer that is not a Recounter is
// asked to Commit instead, and a refusal leaves the call uncounted.
type Recounter interface {
	Committer
	// Recount reserves d under id unconditionally.
	Recount(ctx context.Context, d Dial, id string) error
}

// A LifetimeCounter is a Checker that counts dials at their decision
// instant (Dial.At) — frequency caps — and so must count as if each allowed
// dial were placed up to AllowLifetimeCounted after it: a dialer may place
// the call any time before the allow's Decision.ValidUntil. New refuses a
// Gate whose allow lifetime (WithAllowLifetime) is longer than what any of
// its LifetimeCounters counts, since calls placed late could then fall
// closer together than a cap allows.
type LifetimeCounter interface {
	Checker
	// AllowLifetimeCounted returns the longest time after its decision an
	// allow may be dialled that the check's counting covers.
	AllowLifetimeCounted() time.Duration
}

// An OutcomeObserver is a Checker that wants to see call outcomes (a
// conversation that starts a no-call pause, a recording to link). The Gate calls
// ObserveOutcome from ReportOutcome.
type OutcomeObserver interface {
	Checker
	// ObserveOutcome is told the outcome o of a decided dial.
	ObserveOutcome(ctx context.Context, o Outcome) error
}

// AuditLog records every decision and outcome. RecordDecision must make the
// record durable (or hand it to a durable group commit) before it returns; if it
// returns an error the Gate denies the dial with audit.unavailable. It must be
// safe for concurrent use. The Decision holds the raw callee number: the log is
// responsible for redacting it (see package auditlog).
type AuditLog interface {
	// RecordDecision durably records decision d before it returns.
	RecordDecision(ctx context.Context, d Decision) error
	// RecordOutcome records outcome o, linked to its decision by o.DecisionID.
	RecordOutcome(ctx context.Context, o Outcome) error
}
