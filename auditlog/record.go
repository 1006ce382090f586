package auditlog

import (
	"time"

	"github.com/dialgate/dialgate"
)

// Schema is the value of the "schema" field of every line of a log.
const Schema = "dialgate.audit.v1"

// Kind says what a line holds.
type Kind string

// The kinds of line.
const (
	KindDecision   Kind = "decision"   // a Gate decision: DecisionRecord
	KindOutcome    Kind = "outcome"    // what happened to a call: OutcomeRecord
	KindRepair     Kind = "repair"     // a torn tail was cut off after a crash: RepairRecord
	KindCheckpoint Kind = "checkpoint" // a signed tree head; not a record
)

// Line is one line of a log as parsed by ParseLine: a record (decision,
// outcome or repair) or a checkpoint. Exactly one of Decision, Outcome, Repair
// and Note is set, according to Kind.
type Line struct {
	// Schema is always "dialgate.audit.v1".
	Schema string `json:"schema"`
	// Seq is the record's position in the log, from 0; nil for a checkpoint.
	Seq *int64 `json:"seq,omitempty"`
	// Prev is the tlog hash (base64) of the previous record's line; empty for
	// seq 0 and for checkpoints.
	Prev string `json:"prev,omitempty"`
	// Kind says which of the following is set.
	Kind     Kind            `json:"kind"`
	Decision *DecisionRecord `json:"decision,omitempty"`
	Outcome  *OutcomeRecord  `json:"outcome,omitempty"`
	Repair   *RepairRecord   `json:"repair,omitempty"`
	// Note is a checkpoint's signed note: tlog.FormatTree text and signatures.
	Note string `json:"note,omitempty"`
}

// Callee identifies the called number without revealing it.
type Callee struct {
	// HMAC is hex(HMAC-SHA256(key, E.164 text such as "+8613800138000")); see CalleeHMAC.
	HMAC string `json:"hmac"`
	// KeyID names the HMAC key, so that keys can be rotated.
	KeyID string `json:"key_id"`
	// CountryCode is the country calling code (86).
	CountryCode int `json:"country_code"`
	// Segment is the number's segment (号段): for a Chinese mobile number the
	// first 7 national digits. Empty when not known.
	Segment string `json:"segment,omitempty"`
}

// Consent is the consent a decision relied on.
type Consent struct {
	// ID is the consent record's id (Dial.ConsentID, or evidence "consent.id").
	ID string `json:"id,omitempty"`
	// EvidenceSHA256 is the hash of the consent evidence (evidence "consent.sha256").
	EvidenceSHA256 string `json:"evidence_sha256,omitempty"`
}

// Evidence is one fact a decision relied on; it is dialgate.Evidence.
type Evidence = dialgate.Evidence

// ReasonRecord is one dialgate.Reason as recorded.
type ReasonRecord struct {
	Code          string     `json:"code"`
	Check         string     `json:"check"`
	Message       string     `json:"message,omitempty"`
	NextAllowedAt time.Time  `json:"next_allowed_at,omitzero"`
	Evidence      []Evidence `json:"evidence,omitempty"`
}

// The values of DecisionRecord.Window.
const (
	WindowInside      = "inside"      // the schedule check passed
	WindowOutside     = "outside"     // the schedule check reported a reason (outside_window, holiday, zone_unknown)
	WindowUnavailable = "unavailable" // the schedule check could not decide
	WindowNotChecked  = "not_checked" // the Gate has no schedule check, or it reported no evidence
)

// DecisionRecord is the record of one Gate decision (REQUIREMENTS.md §5).
//
// Decision.Evidence is sorted into fields by key: "consent.id" and
// "consent.disclosure_sha256" (or "consent.sha256") go to Consent,
// "schedule.zone" to Zone (comma-separated when several), keys beginning
// "dnc." to Lists (list names, snapshot versions and ages), "frequency." and
// "sweep." to Counters, "callerid." to CallerIDLedger, and every other key to
// Evidence. Reasons keep their own evidence.
type DecisionRecord struct {
	ID           string    `json:"id"`
	At           time.Time `json:"at"`
	Tenant       string    `json:"tenant"`
	Campaign     string    `json:"campaign,omitempty"`
	Purpose      string    `json:"purpose,omitempty"`
	Industry     string    `json:"industry,omitempty"`
	BusinessLine string    `json:"business_line,omitempty"`
	LeadID       string    `json:"lead_id,omitempty"`
	TriggerAt    time.Time `json:"trigger_at,omitzero"`
	Route        string    `json:"route,omitempty"`
	// Callee is nil only for a decision on a dial without a valid callee (dial.invalid).
	Callee         *Callee    `json:"callee,omitempty"`
	CallerID       string     `json:"caller_id,omitempty"`
	CallerIDLedger []Evidence `json:"caller_id_ledger,omitempty"`
	Consent        *Consent   `json:"consent,omitempty"`
	Zone           string     `json:"zone,omitempty"`
	// Window is one of WindowInside, WindowOutside, WindowUnavailable, WindowNotChecked.
	Window        string         `json:"window"`
	Lists         []Evidence     `json:"lists,omitempty"`
	Counters      []Evidence     `json:"counters,omitempty"`
	Evidence      []Evidence     `json:"evidence,omitempty"`
	Profile       string         `json:"profile,omitempty"`
	PolicyVersion string         `json:"policy_version,omitempty"`
	Allowed       bool           `json:"allowed"`
	Shadow        bool           `json:"shadow,omitempty"`
	Reasons       []ReasonRecord `json:"reasons,omitempty"`
	// Redacted lists what was left out or replaced, as field paths with a note
	// ("callee: raw number replaced by callee.hmac and callee.segment").
	Redacted []string `json:"redacted"`
}

// OutcomeRecord is the record of what happened to a call, linked to its
// decision by DecisionID. The callee is not repeated.
type OutcomeRecord struct {
	DecisionID   string    `json:"decision_id"`
	At           time.Time `json:"at"`
	Released     bool      `json:"released,omitempty"`
	Answered     bool      `json:"answered,omitempty"`
	Conversation bool      `json:"conversation,omitempty"`
	Abandoned    bool      `json:"abandoned,omitempty"`
	// RingMillis is the ring duration in milliseconds.
	RingMillis  int64    `json:"ring_ms,omitempty"`
	Disposition string   `json:"disposition,omitempty"`
	RecordingID string   `json:"recording_id,omitempty"`
	Redacted    []string `json:"redacted,omitempty"`
}

// RepairRecord says what Repair cut from a torn file after a crash.
type RepairRecord struct {
	// File is the base name of the file that was cut.
	File string `json:"file"`
	// Offset is the byte offset at which it was cut (its new length).
	Offset int64 `json:"offset"`
	// CutBytes is how many bytes were cut.
	CutBytes int64 `json:"cut_bytes"`
	// CutSHA256 is the hex SHA-256 of the bytes cut.
	CutSHA256 string `json:"cut_sha256"`
	// SavedAs is the base name of the file the cut bytes were saved to.
	SavedAs string `json:"saved_as"`
}
