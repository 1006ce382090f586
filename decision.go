package dialgate

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dialgate/dialgate/internal/textsafe"
)

// Code is a stable, machine-readable reason code such as "dnc.listed". The codes
// are a contract (DESIGN §3): changing one is a [compliance] change.
type Code string

// The reason codes of DESIGN §3. A check that cannot decide reports
// UnavailableCode(name), "<check>.unavailable".
const (
	CodeDialInvalid             Code = "dial.invalid"
	CodeDNCListed               Code = "dnc.listed"
	CodeDNCRegistryStale        Code = "dnc.registry_stale"
	CodeConsentMissing          Code = "consent.missing"
	CodeConsentRevoked          Code = "consent.revoked"
	CodeConsentExpired          Code = "consent.expired"
	CodeConsentScopeMismatch    Code = "consent.scope_mismatch"
	CodeOutsideWindow           Code = "schedule.outside_window"
	CodeHoliday                 Code = "schedule.holiday"
	CodeZoneUnknown             Code = "schedule.zone_unknown"
	CodeFrequencyCapped         Code = "frequency.capped"
	CodeCallerIDMissing         Code = "callerid.missing"
	CodeCallerIDInvalid         Code = "callerid.invalid"
	CodeCallerIDNotInLedger     Code = "callerid.not_in_ledger"
	CodeCallerIDSubscriber      Code = "callerid.subscriber_number"
	CodeCallerIDInboundOnly     Code = "callerid.inbound_only"
	CodeCallerIDPurposeMismatch Code = "callerid.purpose_mismatch"
	CodeCallerIDExpired         Code = "callerid.expired"
	CodeSweepNoProvenance       Code = "sweep.no_provenance"
	CodeSweepSequential         Code = "sweep.sequential"
	CodeSweepSegmentRate        Code = "sweep.segment_rate"
	CodeRecordingNotConfigured  Code = "recording.not_configured"
	// CodeAbandonRateExceeded: the campaign's abandoned-call rate over the
	// profile's window is above its cap and no agent is reserved for the
	// dial (Dial.AgentReserved); evidence campaign, answered, abandoned,
	// rate, max_rate, window.
	CodeAbandonRateExceeded Code = "abandon.rate_exceeded"
	CodeAuditUnavailable    Code = "audit.unavailable"
)

// KnownCodes returns every reason code of DESIGN §3 the Gate and the built-in
// checks report, besides the "<check>.unavailable" family (see
// UnavailableCode), in a fixed order.
func KnownCodes() []Code {
	return []Code{
		CodeDialInvalid, CodeDNCListed, CodeDNCRegistryStale,
		CodeConsentMissing, CodeConsentRevoked, CodeConsentExpired, CodeConsentScopeMismatch,
		CodeOutsideWindow, CodeHoliday, CodeZoneUnknown, CodeFrequencyCapped,
		CodeCallerIDMissing, CodeCallerIDInvalid, CodeCallerIDNotInLedger, CodeCallerIDSubscriber,
		CodeCallerIDInboundOnly, CodeCallerIDPurposeMismatch, CodeCallerIDExpired,
		CodeSweepNoProvenance, CodeSweepSequential, CodeSweepSegmentRate,
		CodeRecordingNotConfigured, CodeAbandonRateExceeded, CodeAuditUnavailable,
	}
}

// UnavailableCode returns "<check>.unavailable", the code of a check that could
// not decide (error, timeout or panic). It always denies.
func UnavailableCode(check string) Code { return Code(check + ".unavailable") }

// IsUnavailable reports whether c is a "<check>.unavailable" code.
func (c Code) IsUnavailable() bool { return strings.HasSuffix(string(c), ".unavailable") }

// Check returns the part of the code before the first dot ("dnc" for "dnc.listed").
func (c Code) Check() string {
	s := string(c)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return s[:i]
	}
	return s
}

// Evidence is one fact a decision relied on, as a key and a value: the consent id
// and its disclosure hash, the registry snapshot version, the callee's zone and
// local time. Keys are namespaced by check ("consent.id", "schedule.zone").
type Evidence struct {
	// Key names the fact, namespaced by the check that reports it
	// ("consent.id", "dnc.registry").
	Key string `json:"key"`
	// Value is the fact as text (an id, a version, a zone name, a count).
	Value string `json:"value"`
}

// Reason is why a dial is denied: one failing rule of one check.
type Reason struct {
	// Code is the stable reason code.
	Code Code `json:"code"`
	// Check is the name of the check that reported it. The Gate fills it in.
	Check string `json:"check"`
	// Message says in plain words what failed.
	Message string `json:"message,omitempty"`
	// NextAllowedAt is the earliest instant at which this rule would allow the
	// dial again, when the rule can tell (calling windows, caps); zero otherwise.
	NextAllowedAt time.Time `json:"next_allowed_at,omitzero"`
	// Evidence lists the facts behind the reason (list, scope, zone, count, …).
	Evidence []Evidence `json:"evidence,omitempty"`
}

// Decision is the Gate's answer for one Dial.
//
// The zero Decision denies: Allowed is false. A Decision returned with a non-nil
// error from Gate.Check also denies.
type Decision struct {
	// ID identifies the decision in the audit log and in Release and
	// ReportOutcome. Empty only for the zero Decision.
	ID string `json:"id"`
	// At is the decision instant, read once from the Gate's Clock.
	At time.Time `json:"at"`
	// Allowed reports whether the dialer may place the call. In shadow mode it is
	// true whatever the Reasons say, except for a malformed dial or an audit failure.
	Allowed bool `json:"allowed"`
	// Shadow reports that the Gate runs in shadow mode: rules were evaluated and
	// recorded but not enforced.
	Shadow bool `json:"shadow,omitempty"`
	// Reasons lists every failing rule, in check order. Empty when every check passed.
	Reasons []Reason `json:"reasons,omitempty"`
	// Evidence lists the facts the passing checks relied on (the consent used,
	// the snapshot consulted), in check order. It also carries instructions
	// to the dialer that no check enforces: under a profile with a minimum
	// ring time (cn, us) every decision has "ring.min_seconds" ("15"), how
	// long the dialer must let the call ring before it gives up on an
	// unanswered call (package schedule, RingCheck).
	Evidence []Evidence `json:"evidence,omitempty"`
	// PolicyVersion is the policy version the Gate was configured with.
	PolicyVersion string `json:"policy_version,omitempty"`
	// ValidUntil is, for an allow, the instant from which the dialer must
	// not place the call on this decision: dial only before it (At ≤ now <
	// ValidUntil); at or after it, Check again. It is the decision instant
	// plus the Gate's allow lifetime (WithAllowLifetime, default
	// DefaultAllowLifetime), capped by the earliest end a passing check can
	// tell (an Expirer): the end of the calling window in the callee's
	// local time, a consent's expiry, a caller ID's ledger validity, a
	// registry copy reaching its maximum age. It is
	// zero on a deny (and on the zero Decision). In shadow mode an allow the
	// rules would have denied has one too, capped by the passing checks
	// only: a failing check tells no end, and shadow mode enforces nothing. It is not in the audit
	// record; see docs/auditors.md for how to recompute it.
	ValidUntil time.Time `json:"valid_until,omitzero"`
	// Dial is the dial decided, with At set to the decision instant.
	Dial Dial `json:"-"`
}

// DialableAt reports whether the dialer may place the call of d at now: d
// allows it and now is before d.ValidUntil. Pass the dialer's clock reading
// right before placing the call (time.Now()). An allow without ValidUntil
// (built by hand, or from an older sidecar that does not send it) is not
// dialable; Check again. Nor is any allow at a now that is zero (a
// time.Time never set) or before 2000 (a clock reset), which the Gate
// refuses as a clock reading too: such a now is before every ValidUntil
// and would keep the allow dialable for ever.
func (d Decision) DialableAt(now time.Time) bool {
	return d.Allowed && !now.Before(minClock) && now.Before(d.ValidUntil)
}

// Compliant reports whether every rule passed (no Reasons), whatever the mode.
// In shadow mode Allowed may be true while Compliant is false.
func (d Decision) Compliant() bool { return d.ID != "" && len(d.Reasons) == 0 }

// Codes returns the reason codes in order.
func (d Decision) Codes() []Code {
	codes := make([]Code, len(d.Reasons))
	for i, r := range d.Reasons {
		codes[i] = r.Code
	}
	return codes
}

// Has reports whether the decision carries reason code c.
func (d Decision) Has(c Code) bool {
	for _, r := range d.Reasons {
		if r.Code == c {
			return true
		}
	}
	return false
}

// NextAllowedAt returns the earliest instant at which every reason that names
// one would allow the dial (the latest of their NextAllowedAt), and false when a
// reason has no such instant (a listed number waits for no clock) or there are
// no reasons.
func (d Decision) NextAllowedAt() (time.Time, bool) {
	if len(d.Reasons) == 0 {
		return time.Time{}, false
	}
	var t time.Time
	for _, r := range d.Reasons {
		if r.NextAllowedAt.IsZero() {
			return time.Time{}, false
		}
		if r.NextAllowedAt.After(t) {
			t = r.NextAllowedAt
		}
	}
	return t, true
}

// Outcome is what happened to an allowed dial, reported through
// Gate.ReportOutcome and linked to its decision by DecisionID.
type Outcome struct {
	// DecisionID is the ID of the Decision that allowed the call. Required.
	DecisionID string `json:"decision_id"`
	// Dial is the decided dial (Decision.Dial); observers use its callee,
	// tenant, purpose and subject (pass Decision.Dial whole). Optional for the
	// audit log, required by observers that need it: a pause limited to
	// purposes refuses an outcome whose dial has none.
	Dial Dial `json:"-"`
	// At is when the outcome was reported; ReportOutcome sets it from the Clock.
	At time.Time `json:"at"`
	// Released reports that the dial was not placed and its capacity given
	// back. Gate.Release sets it (and so does Check, for an allow it could not
	// confirm in the audit log); given to ReportOutcome it gives the capacity
	// back too, and may not be combined with anything of a placed call.
	Released bool `json:"released,omitempty"`
	// Answered reports that a person answered.
	Answered bool `json:"answered,omitempty"`
	// Conversation reports that a conversation with the callee took place
	// (for rules such as "no call within 7 days after a conversation").
	Conversation bool `json:"conversation,omitempty"`
	// Abandoned reports that a person answered and no agent took the call
	// (the US TSR and Ofcom abandoned call: not connected to an agent within
	// two seconds of the greeting). A call no one answered is not abandoned,
	// however soon the dialer hung up: report it with Answered false and its
	// RingDuration (a ring shorter than the profile's minimum is a one-ring
	// call, which the quarterly report counts).
	Abandoned bool `json:"abandoned,omitempty"`
	// AbandonMessage reports that a recorded message was played to the
	// person who answered an abandoned call (the US TSR safe harbor, 16 CFR
	// 310.4(b)(4)(iii): when no sales representative is available within two
	// seconds after the completed greeting, promptly play a recorded message
	// stating the seller's name and telephone number). dialgate cannot play
	// it; the quarterly report counts abandoned calls reported without it.
	// Only valid with Abandoned: without it the outcome is invalid
	// (ErrInvalidOutcome naming "abandon_message").
	AbandonMessage bool `json:"abandon_message,omitempty"`
	// Refused reports that the callee refused the offer (for rules such as
	// "no call within 60 days after a refusal"; a profile with
	// dnc.list_refusals, such as cn, lists the callee at once). For an
	// explicit request never to be called again in another scope add a
	// do-not-call entry.
	Refused bool `json:"refused,omitempty"`
	// RingDuration is how long the call rang; zero when the dialer does not
	// report it. For a call no one answered (Answered, Abandoned,
	// Conversation and Refused all false) the quarterly report compares it
	// with the decision's "ring.min_seconds": a shorter ring is a one-ring
	// call. An unanswered call reported without a ring time is not judged.
	// Negative or more than MaxRingDuration (a day) is malformed.
	RingDuration time.Duration `json:"ring_duration,omitempty"`
	// Disposition is the dialer's free-text disposition code. The audit log
	// records it (and RecordingID) without the callee's digits, and, when
	// Dial.To is not set, without anything like a phone number (7 or more
	// digits in a row, separators allowed; see docs/auditors.md).
	Disposition string `json:"disposition,omitempty"`
	// RecordingID links the call's recording.
	RecordingID string `json:"recording_id,omitempty"`
}

// MaxDecisionIDLen is the longest decision id, in bytes, a Gate issues and
// takes back: 128, the limit of the gRPC sidecar's decision_id fields,
// well under what every store keys by it (storage.MaxKeyLen, with the
// prefixes and keys the checks add; PostgreSQL's index entries). A
// decision id is 1 to MaxDecisionIDLen bytes of UTF-8 text without control
// characters, line or paragraph separators or bidirectional formatting
// characters. An id source (WithDecisionIDs) giving another, or one ending
// in "#placed" (the suffix of a recount's reservation, which Release
// refuses), makes Check deny (audit.unavailable, an error wrapping
// ErrInvalidConfig); Release, ReportOutcome and MarkPlaced refuse one with
// an error naming decision_id (ErrInvalidOutcome).
const MaxDecisionIDLen = 128

// decisionIDProblem describes what makes id no decision id (see
// MaxDecisionIDLen), or returns "" when it is one.
func decisionIDProblem(id string) string {
	switch {
	case id == "":
		return "missing"
	case len(id) > MaxDecisionIDLen:
		return fmt.Sprintf("%d bytes, longer than %d bytes", len(id), MaxDecisionIDLen)
	case !utf8.ValidString(id):
		return "not valid UTF-8"
	}
	return textsafe.Problem(id, textsafe.Line)
}

// decisionIDError is decisionIDProblem as an error naming decision_id,
// wrapping ErrInvalidOutcome, or nil.
func decisionIDError(id string) error {
	if p := decisionIDProblem(id); p != "" {
		return &FieldError{Field: "decision_id", Problem: p, Err: ErrInvalidOutcome}
	}
	return nil
}
