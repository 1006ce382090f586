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
	KindChange     Kind = "change"     // a change to the state decisions depend on: ChangeRecord
	KindCheckpoint Kind = "checkpoint" // a signed tree head; not a record
)

// Line is one line of a log as parsed by ParseLine: a record (decision,
// outcome, repair or change) or a checkpoint. Exactly one of Decision,
// Outcome, Repair, Change and Note is set, according to Kind.
type Line struct {
	// Schema is always "dialgate.audit.v1".
	Schema string `json:"schema"`
	// Seq is the record's position in the log, from 0; nil for a checkpoint.
	Seq *int64 `json:"seq,omitempty"`
	// Prev is the tlog hash (base64) of the previous record's line; empty for
	// seq 0 and for checkpoints.
	Prev string `json:"prev,omitempty"`
	// Kind says which of the following is set.
	Kind Kind `json:"kind"`
	// Decision is the record of a KindDecision line; nil for other kinds.
	Decision *DecisionRecord `json:"decision,omitempty"`
	// Outcome is the record of a KindOutcome line; nil for other kinds.
	Outcome *OutcomeRecord `json:"outcome,omitempty"`
	// Repair is the record of a KindRepair line; nil for other kinds.
	Repair *RepairRecord `json:"repair,omitempty"`
	// Change is the record of a KindChange line; nil for other kinds.
	Change *ChangeRecord `json:"change,omitempty"`
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
//
// Like every string of a record, each field is replaced by
// "[redacted: callee number]" when it contains the callee's national digits.
type ReasonRecord struct {
	// Code is the reason code (dialgate.Reason.Code), such as "dnc.listed".
	Code string `json:"code"`
	// Check is the name of the check that reported the reason ("dnc").
	Check string `json:"check"`
	// Message is the reason's plain-words explanation; empty when the check
	// gave none.
	Message string `json:"message,omitempty"`
	// NextAllowedAt is the earliest instant (UTC) at which the rule would
	// allow the dial again; zero (and omitted) when the rule cannot tell.
	NextAllowedAt time.Time `json:"next_allowed_at,omitzero"`
	// Evidence is the reason's own evidence (list, scope, zone, count, …), in
	// the check's order; nil when it had none.
	Evidence []Evidence `json:"evidence,omitempty"`
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
//
// Every string field taken from the dial or the decision is replaced by
// "[redacted: callee number]" when it contains the callee's national digits,
// and the replacement is noted in Redacted.
type DecisionRecord struct {
	// ID is the decision's id (dialgate.Decision.ID); never empty.
	ID string `json:"id"`
	// At is the decision instant (Dial.At), in UTC.
	At time.Time `json:"at"`
	// Tenant is the dial's tenant; empty for the empty tenant.
	Tenant string `json:"tenant"`
	// Campaign is the dial's campaign; empty when the dial named none.
	Campaign string `json:"campaign,omitempty"`
	// Purpose is the dial's purpose ("marketing", "service", …); empty or
	// unknown only for a malformed dial (dial.invalid).
	Purpose string `json:"purpose,omitempty"`
	// Industry is the dial's industry category; empty when not given.
	Industry string `json:"industry,omitempty"`
	// BusinessLine is the dial's business line within the industry; empty
	// when not given.
	BusinessLine string `json:"business_line,omitempty"`
	// LeadID is the CRM or list record the number came from (Dial.LeadID);
	// empty when not given.
	LeadID string `json:"lead_id,omitempty"`
	// TriggerAt is when the contact triggering an instant callback happened
	// (Dial.TriggerAt), in UTC; zero (and omitted) when not given.
	TriggerAt time.Time `json:"trigger_at,omitzero"`
	// Route is the dial's route as given: "" (domestic), "domestic" or
	// "international"; an invalid route is kept but scrubbed like any string.
	Route string `json:"route,omitempty"`
	// CalleeZone is the zone of the callee's known location the dial named
	// (Dial.CalleeZone); empty when not given.
	CalleeZone string `json:"callee_zone,omitempty"`
	// AgentReserved reports that the dial said an agent was reserved for the
	// call before it was placed (Dial.AgentReserved): it cannot be
	// abandoned, so an abandoned-call rate cap does not deny it. Absent
	// (false) when not said.
	AgentReserved bool `json:"agent_reserved,omitempty"`
	// Callee is nil only for a decision on a dial without a valid callee (dial.invalid).
	Callee *Callee `json:"callee,omitempty"`
	// CallerID is the caller ID presented (Dial.From) in E.164 text; empty
	// when the dial gave none.
	CallerID string `json:"caller_id,omitempty"`
	// CallerIDLedger is the decision evidence whose key begins "callerid."
	// (the ledger entry the caller ID was checked against), in order; nil
	// when there was none.
	CallerIDLedger []Evidence `json:"caller_id_ledger,omitempty"`
	// Consent is the consent the decision relied on (Dial.ConsentID and the
	// "consent.*" evidence); nil when neither named one.
	Consent *Consent `json:"consent,omitempty"`
	// Zone is the callee's time zone from the "schedule.zone" evidence (of the
	// decision, else of its reasons), comma-separated when the number was
	// checked in several zones; empty when the schedule check reported none.
	Zone string `json:"zone,omitempty"`
	// Window is one of WindowInside, WindowOutside, WindowUnavailable, WindowNotChecked.
	Window string `json:"window"`
	// Lists is the decision evidence whose key begins "dnc." (lists
	// consulted, snapshot versions and ages), in order; nil when none.
	Lists []Evidence `json:"lists,omitempty"`
	// Counters is the decision evidence whose key begins "frequency." or
	// "sweep." (cap and rate counts), in order; nil when none.
	Counters []Evidence `json:"counters,omitempty"`
	// Evidence is every other decision evidence, in order, including a
	// "consent.id" that differs from Consent.ID; nil when none.
	Evidence []Evidence `json:"evidence,omitempty"`
	// Profile is the policy profile: the Redactor's profile when set, else the
	// part of PolicyVersion before its first "@"; empty when neither gives one.
	Profile string `json:"profile,omitempty"`
	// PolicyVersion is the policy version the Gate was configured with;
	// empty when it had none.
	PolicyVersion string `json:"policy_version,omitempty"`
	// Allowed reports whether the dialer was allowed to place the call
	// (dialgate.Decision.Allowed).
	Allowed bool `json:"allowed"`
	// Shadow reports that the Gate ran in shadow mode: Reasons were recorded
	// but not enforced.
	Shadow bool `json:"shadow,omitempty"`
	// Reasons are the decision's reasons in check order; nil when every check
	// passed.
	Reasons []ReasonRecord `json:"reasons,omitempty"`
	// Redacted lists what was left out or replaced, as field paths with a note
	// ("callee: raw number replaced by callee.hmac and callee.segment").
	Redacted []string `json:"redacted"`
}

// OutcomeRecord is the record of what happened to a call, linked to its
// decision by DecisionID. The callee is not repeated.
type OutcomeRecord struct {
	// DecisionID is the id of the decision that allowed the call; never empty.
	DecisionID string `json:"decision_id"`
	// At is when the outcome was reported, in UTC.
	At time.Time `json:"at"`
	// Released reports that the dial was not placed and its capacity given back.
	Released bool `json:"released,omitempty"`
	// Answered reports that a person answered.
	Answered bool `json:"answered,omitempty"`
	// Conversation reports that a conversation with the callee took place.
	Conversation bool `json:"conversation,omitempty"`
	// Abandoned reports that a person answered and no agent took the call
	// (not a call no one answered, however short its ring).
	Abandoned bool `json:"abandoned,omitempty"`
	// AbandonMessage reports that a recorded message (the seller's name and
	// telephone number, US TSR 16 CFR 310.4(b)(4)(iii)) was played to the
	// person who answered the abandoned call; only with Abandoned. Absent
	// from records written before the field existed, which verify unchanged.
	AbandonMessage bool `json:"abandon_message,omitempty"`
	// Refused reports that the callee refused the offer (it starts a pause
	// after a refusal). Absent from records written before the field existed,
	// which verify unchanged.
	Refused bool `json:"refused,omitempty"`
	// RingMillis is the ring duration in milliseconds.
	RingMillis int64 `json:"ring_ms,omitempty"`
	// Disposition is the dialer's free-text disposition code; empty when none.
	Disposition string `json:"disposition,omitempty"`
	// RecordingID links the call's recording; empty when there is none.
	RecordingID string `json:"recording_id,omitempty"`
	// Redacted lists the fields replaced because they contained the callee
	// number, as field paths with a note; nil when nothing was.
	Redacted []string `json:"redacted,omitempty"`
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

// The operations a ChangeRecord names (ChangeRecord.Op). Verify accepts any
// lower-case dotted name ("domain.action"), so that a log written by a later
// build with more operations still verifies.
const (
	OpDNCAdd               = "dnc.add"                // an opt-out added (AdminService.AddDncEntry)
	OpDNCRemove            = "dnc.remove"             // an opt-out removed (AdminService.RemoveDncEntry)
	OpConsentGrant         = "consent.grant"          // a consent granted (AdminService.GrantConsent)
	OpConsentRevoke        = "consent.revoke"         // a consent revoked (AdminService.RevokeConsent)
	OpLedgerAdd            = "ledger.add"             // a caller-ID ledger entry added or replaced (AdminService.AddLedgerEntry)
	OpComplaintFile        = "complaint.file"         // a complaint filed (AdminService.FileComplaint)
	OpRecordingRegister    = "recording.register"     // a recording registered (AdminService.RegisterRecording)
	OpRecordingEnd         = "recording.end"          // a recording's end recorded (AdminService.EndRecording)
	OpRecordingHold        = "recording.hold"         // a hold placed on a recording (AdminService.HoldRecording)
	OpRecordingReleaseHold = "recording.release_hold" // a hold lifted (AdminService.ReleaseRecordingHold)
	// OpDNCImport is a list file's opt-outs added at once (dialgate dnc
	// import): one record for the whole import, naming no number, with the
	// count of entries written and the SHA-256 of the list files.
	OpDNCImport = "dnc.import"
	// OpLedgerImport is a ledger file's caller-ID entries added or
	// replaced at once (dialgate ledger import): one record with the
	// tenant, the count of entries stored, the file's SHA-256 and, for
	// every entry it replaces, its caller ID and the entry replaced
	// (ChangeRecord.ReplacedEntries).
	OpLedgerImport = "ledger.import"
	// OpComplaintForward, OpComplaintResolve and OpComplaintAnswer are a
	// complaint's handling steps (dialgate complaint forward|resolve|
	// answer): ID is the complaint, EffectiveAt the step's time; applied,
	// then recorded (they only record progress).
	OpComplaintForward = "complaint.forward"
	OpComplaintResolve = "complaint.resolve"
	OpComplaintAnswer  = "complaint.answer"
	// OpComplaintRepair is a damaged complaint replaced whole (dialgate
	// complaint repair): ID is the complaint, Tenant, Scope, DecisionID
	// and Source (its channel) the repaired complaint's, SHA256 the hex
	// SHA-256 of the file that gave it. Recorded as requested, then
	// applied or failed: a repair ends the refusals the damage caused.
	// The damaged bytes are kept by the store (docs/deploy.md).
	OpComplaintRepair = "complaint.repair"
	// OpRecordingSweep is a sweep deleting the recordings whose retention
	// is over (dialgate recordings sweep), EffectiveAt its --at: recorded
	// as requested with the count of recordings it is about to delete and
	// the SHA-256 of their ids, sorted, each followed by "\n"; then as
	// applied (or failed) with the count and SHA-256 of the ids it deleted.
	OpRecordingSweep = "recording.sweep"
)

// The values of ChangeRecord.Result.
const (
	// ResultApplied: the change was applied, then recorded. A change that
	// denies more dials or keeps more data (an opt-out added, a consent
	// revoked, a complaint filed, a hold placed) is applied first: it must
	// never be refused because the log cannot be written. A change that
	// allows more or keeps less (ResultRequested) is recorded applied in a
	// second record, with the same ChangeID, once it was.
	ResultApplied = "applied"
	// ResultRequested: the change was recorded before it was applied, and
	// is applied only once this record is durable (an opt-out removed, a
	// consent granted, a ledger entry added, a recording's end set, a hold
	// lifted): a change that may allow a dial is refused when it cannot be
	// recorded. A record with the same ChangeID says what came of it
	// (ResultApplied or ResultFailed); without one (the server stopped,
	// or the log failed, in between) the change may have been applied.
	ResultRequested = "requested"
	// ResultFailed: the request of a change recorded as requested failed;
	// ErrorCode is its status code. A refusal (InvalidArgument,
	// FailedPrecondition, NotFound, AlreadyExists, PermissionDenied)
	// changed nothing; a failure a retry may cure (Unavailable) may have
	// left the change applied in part.
	ResultFailed = "failed"
)

// ChangeRecord is the record of a change to the state decisions depend on
// (do-not-call entries, consents, the caller-ID ledger, complaints,
// recordings), made through the sidecar's AdminService. Like a decision it
// names the number only by its keyed hash and segment (Callee), and every
// string field that contains the number's national digits is replaced by
// "[redacted: callee number]" and noted in Redacted.
type ChangeRecord struct {
	// Op is the operation, such as OpDNCRemove ("dnc.remove").
	Op string `json:"op"`
	// At is when the server received the change, in UTC.
	At time.Time `json:"at"`
	// Result is ResultApplied, ResultRequested or ResultFailed.
	Result string `json:"result"`
	// Unchanged reports, on a ResultApplied record, that the request
	// succeeded but changed nothing: what it asked for was so already (a
	// retried GrantConsent of the same record, a RevokeConsent of a
	// consent revoked before: the first withdrawal stands). The request is
	// recorded all the same, so that an auditor sees the retry; the
	// quarterly report does not count it as a change made (report
	// Changes: "<op> (unchanged)"). False (and omitted) otherwise, and in
	// records written before the field existed (2026-12-06), which verify
	// unchanged.
	Unchanged bool `json:"unchanged,omitempty"`
	// ChangeID links a ResultRequested record to the record of its
	// result; empty only when a writer gave none.
	ChangeID string `json:"change_id,omitempty"`
	// Actor names who made the change: for the sidecar's AdminService the
	// name of the bearer token (the tokens file's name, never the token);
	// without a token, "mtls:" and the name of the verified client
	// certificate (ActorCert: its subject's common name, else its first
	// URI, DNS or e-mail SAN, else its whole subject, else "sha256:" and
	// its fingerprint); without either, "unauthenticated:" and how the
	// client reached the server ("unix", "loopback", "network", "unknown":
	// ActorUnauthenticated). For a CLI command, the OS user who ran it. A
	// token's name cannot hold ':', so the forms do not overlap. Empty
	// only in records written before it was required (Redactor.Change
	// refuses an empty one).
	Actor string `json:"actor,omitempty"`
	// ActorCert is the verified client certificate (mTLS) the change came
	// with, with a token or without one; nil when none was presented
	// (and in records written before the field existed).
	ActorCert *ClientCert `json:"actor_cert,omitempty"`
	// Tenant is the change's tenant; empty when it named none.
	Tenant string `json:"tenant,omitempty"`
	// Scope is the scope of a do-not-call entry, consent or complaint
	// ("global", "tenant:acme", …); empty for other operations.
	Scope string `json:"scope,omitempty"`
	// Callee is the number the change is about (the entry's, consent's,
	// complaint's or recording's); nil when the operation names no number
	// (a hold by recording id).
	Callee *Callee `json:"callee,omitempty"`
	// ID is the consent, complaint or recording id, or the do-not-call
	// list's name (dnc.import); empty for other operations.
	ID string `json:"id,omitempty"`
	// HoldID is the hold of a recording.hold or recording.release_hold.
	HoldID string `json:"hold_id,omitempty"`
	// DecisionID is the decision a complaint or recording names.
	DecisionID string `json:"decision_id,omitempty"`
	// Source is the do-not-call entry's source or the consent's,
	// revocation's or complaint's channel; empty when none was given.
	Source string `json:"source,omitempty"`
	// CallerID is the number of a caller-ID ledger entry (ledger.add) in
	// E.164 text, in the clear as a decision records the caller ID
	// presented; empty for other operations.
	CallerID string `json:"caller_id,omitempty"`
	// Replace reports that a ledger.add request allowed replacing an entry
	// the tenant's ledger held for the number with other facts
	// (AddLedgerEntryRequest.replace); the ledger keeps no history, so
	// this record is the trace of who replaced an entry, and when. False
	// (and omitted) otherwise.
	Replace bool `json:"replace,omitempty"`
	// Replaced is the entry a ledger.add replaced, as the ledger stored it
	// (the key, Tenant and CallerID, is the record's): with the change's
	// own facts in the next replacement's Replaced (or the ledger as it is
	// now), an auditor can rebuild the entry's history. Nil when the
	// change replaced no entry (a number the ledger did not hold, or held
	// with the same facts) and in records written before the field existed.
	Replaced *LedgerEntry `json:"replaced,omitempty"`
	// ReplacedUnreadable reports that a ledger.add with Replace replaced an
	// entry the ledger held but could not read (damaged): its facts are
	// lost. False (and omitted) otherwise.
	ReplacedUnreadable bool `json:"replaced_unreadable,omitempty"`
	// ReplacedEntries are the entries a bulk ledger change (ledger.import
	// with Replace) replaced, one per caller ID, in the order of its
	// file: each the caller ID (the key, with the record's Tenant) and the
	// entry as the ledger stored it, or that it could not be read — what
	// Replaced and ReplacedUnreadable are to a ledger.add. Nil when the
	// change replaced no entry, and in records written before the field
	// existed (2026-12-05), which verify unchanged.
	ReplacedEntries []LedgerReplacement `json:"replaced_entries,omitempty"`
	// EffectiveAt is the instant the change is dated as stored (added_at,
	// granted_at, revoked_at, ended_at, valid_from; a complaint's receipt
	// when `dialgate complaint add` files it), in UTC; zero (and omitted)
	// for an operation without one.
	EffectiveAt time.Time `json:"effective_at,omitzero"`
	// ErrorCode is the gRPC status code name of a ResultFailed change
	// ("FailedPrecondition", "Unavailable"); empty otherwise.
	ErrorCode string `json:"error_code,omitempty"`
	// Count is how many entries a bulk change (dnc.import, ledger.import)
	// wrote; zero
	// (and omitted) for other operations. Absent from records written
	// before the field existed, which verify unchanged.
	Count int64 `json:"count,omitempty"`
	// SHA256 is the hex SHA-256 of a bulk change's input (dnc.import: its
	// list files, concatenated in the order given; ledger.import: its
	// file) or of a complaint.repair's complaint file, naming it without
	// its numbers; empty for other operations.
	SHA256 string `json:"sha256,omitempty"`
	// Redacted lists the fields replaced because they contained the
	// number, as field paths with a note; nil when nothing was.
	Redacted []string `json:"redacted,omitempty"`
}

// Change is a change to the state decisions depend on, as Log.RecordChange
// and Redactor.Change take it: the number in the clear, which the record
// replaces by its keyed hash and segment. See ChangeRecord for the fields.
type Change struct {
	Op, Result, ChangeID, Actor, Tenant, Scope string
	At                                         time.Time
	// Number is the number the change is about; the zero Number for none.
	Number                                              dialgate.Number
	ID, HoldID, DecisionID, Source, CallerID, ErrorCode string
	EffectiveAt                                         time.Time
	// Count and SHA256 describe a bulk change (see ChangeRecord); SHA256
	// must be 64 lower-case hex digits when set, Count not negative.
	Count  int64
	SHA256 string
	// Replace: see ChangeRecord.Replace.
	Replace bool
	// Unchanged: see ChangeRecord.Unchanged; only with ResultApplied.
	// ApplyThenRecord and RecordThenApply set it when apply returns an
	// error wrapping ErrUnchanged.
	Unchanged bool
	// ActorCert: see ChangeRecord.ActorCert. SHA256 must be 64 lower-case
	// hex digits, Serial lower-case hex.
	ActorCert *ClientCert
	// Replaced and ReplacedUnreadable: see ChangeRecord. Either needs
	// Replace; they exclude each other.
	Replaced           *LedgerEntry
	ReplacedUnreadable bool
	// ReplacedEntries: see ChangeRecord.ReplacedEntries. It needs
	// Replace; each item needs its CallerID (each caller ID once) and
	// exactly one of Replaced and ReplacedUnreadable.
	ReplacedEntries []LedgerReplacement
}

// ActorUnauthenticated starts the Actor of a change made through the
// sidecar without a token or a client certificate (a server on loopback or
// a Unix socket without a tokens file or mTLS, or one run insecure): the
// client is not known, only how it reached the server.
const ActorUnauthenticated = "unauthenticated:"

// ClientCert names a verified client certificate (mTLS) in a change
// record. SHA256 identifies it uniquely; Issuer and Serial name it as a
// CA's revocation list does.
type ClientCert struct {
	// Subject is the certificate's subject, as an RFC 2253 distinguished
	// name ("CN=ops-admin,O=Acme").
	Subject string `json:"subject"`
	// Issuer is the issuing CA's subject, formatted as Subject.
	Issuer string `json:"issuer"`
	// Serial is the certificate's serial number in lower-case hex.
	Serial string `json:"serial"`
	// SHA256 is the hex SHA-256 of the certificate (DER): its fingerprint,
	// as `openssl x509 -noout -fingerprint -sha256` prints it (without
	// the colons, in lower case).
	SHA256 string `json:"sha256"`
	// URI is the certificate's first URI subject alternative name (a
	// SPIFFE ID); empty when it has none.
	URI string `json:"uri,omitempty"`
}

// LedgerEntry is a caller-ID ledger entry's facts as a ledger.add change
// record carries the entry it replaced (ChangeRecord.Replaced), with the
// names and forms of the ledger file and of `dialgate ledger show --json`;
// its tenant and number are the record's Tenant and CallerID. Instants are
// in UTC.
type LedgerEntry struct {
	// Type is the resource type ("95", "96", "400", "800", "fixed",
	// "mobile_business").
	Type string `json:"type"`
	// Holder is the legal entity the number is allocated to.
	Holder string `json:"holder"`
	// Access is how the number is connected; empty when none was given.
	Access string `json:"access,omitempty"`
	// Qualification is the holder's licence or qualification; empty when
	// none was given.
	Qualification string `json:"qualification,omitempty"`
	// Purposes are the purposes the number could be used for.
	Purposes []string `json:"purposes"`
	// ValidFrom is the entry's first instant of use; zero (and omitted)
	// for none.
	ValidFrom time.Time `json:"valid_from,omitzero"`
	// ValidUntil is the instant it stopped being usable; zero (and
	// omitted) for an open-ended entry.
	ValidUntil time.Time `json:"valid_until,omitzero"`
	// OfficeUseOnly: the number was for office use only.
	OfficeUseOnly bool `json:"office_use_only,omitempty"`
}

// LedgerReplacement is one entry a bulk ledger change replaced
// (ChangeRecord.ReplacedEntries): its caller ID and what a ledger.add
// record says of the entry it replaced, with the same names, so that one
// query reads both.
type LedgerReplacement struct {
	// CallerID is the entry's number in E.164 text, in the clear as a
	// ledger.add record's CallerID; its tenant is the record's Tenant.
	CallerID string `json:"caller_id"`
	// Replaced is the entry as the ledger stored it before the change;
	// nil when it could not be read (ReplacedUnreadable).
	Replaced *LedgerEntry `json:"replaced,omitempty"`
	// ReplacedUnreadable reports that the ledger held an entry for the
	// caller ID that it could not read (damaged): its facts are lost.
	ReplacedUnreadable bool `json:"replaced_unreadable,omitempty"`
}
