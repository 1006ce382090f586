package sidecar

import (
	"context"
	"errors"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage/boltstore"
)

// Backend is what the servers act on. Gate is required; every other field is
// optional: an AdminService method whose domain is nil answers Unimplemented,
// and a Backend without probes reports only the gate's health.
//
// The admin interfaces are small adapters over the domain packages (dnc,
// consent, callerid, complaint, recording); Open builds them. Their methods
// must be safe for concurrent use, and a write that must not be lost (an
// opt-out, a revocation, a hold) must be durable when they return nil. An error
// wrapping ErrNotFound becomes NotFound, a *dialgate.FieldError becomes
// InvalidArgument naming the field, anything else Unavailable ("not applied").
type Backend struct {
	// Gate decides dials. Required.
	Gate *dialgate.Gate
	// afterRelease, set by Open, passes the Gate's outcomes reported after
	// their decision was released (as the release guard in the store tells)
	// to the server's metric; nil for a Backend made otherwise.
	afterRelease *afterReleaseHook
	// Clock gives the default instant of admin writes without one (AddedAt,
	// RevokedAt); nil means dialgate.SystemClock.
	Clock dialgate.Clock

	// DNC serves AddDncEntry and RemoveDncEntry; nil answers Unimplemented.
	DNC DNCAdmin
	// Consents serves GrantConsent and RevokeConsent; nil answers
	// Unimplemented.
	Consents ConsentAdmin
	// Complaints serves FileComplaint, ForwardComplaint, ResolveComplaint,
	// AnswerComplaint and ListComplaints, and RepairComplaint when it is a
	// ComplaintRepairer; nil answers Unimplemented.
	Complaints ComplaintAdmin
	// Ledger serves AddLedgerEntry; nil answers Unimplemented.
	Ledger LedgerAdmin
	// Recordings serves RegisterRecording, EndRecording, HoldRecording and
	// ReleaseRecordingHold; nil answers Unimplemented.
	Recordings RecordingAdmin

	// Changes records every AdminService write in the audit log
	// (auditlog.ChangeRecord): who made it, when, and whether it was
	// applied. A write that may allow a dial (an opt-out removed, a consent
	// granted, a ledger entry added) or lose a record (a recording's end, a
	// hold lifted) is made only once its request is recorded; one that
	// only denies more or keeps more is made first, then recorded. nil
	// records nothing (a Backend built without an audit log); Open sets it
	// to the Gate's audit log.
	Changes ChangeRecorder

	// Unwired says, per admin domain ("dnc", "consent", "complaint",
	// "callerid", "recording"), why its adapter is nil (for example "profile
	// cn has no dnc section"); the Unimplemented status carries it. Optional.
	Unwired map[string]string

	// ReloadRegistries, if not nil, loads again the registry snapshot files
	// that changed on disk (all of them with force) and swaps the new copies
	// in; `dialgate serve` calls it every Config.RegistryReload and on SIGHUP.
	ReloadRegistries func(force bool) error
	// ReloadBlackouts, if not nil, looks at Config.BlackoutsFile again and
	// puts a changed copy in force, or denies every dial the schedule judges
	// while the file cannot be loaded; `dialgate serve` calls it every
	// Config.RegistryReload and on SIGHUP.
	ReloadBlackouts func(force bool) error
	// CheckRegistries, if not nil, checks that the file each loaded registry
	// copy is memory-mapped from was not written in place, withdraws a copy
	// whose file was (every dial of the profile denied, dnc.unavailable)
	// and loads its file again once it changed; `dialgate serve` calls it
	// every RegistryCheckInterval.
	CheckRegistries func() error
	// RegistriesRefused reports, per registry file, whether the copy on its
	// path is refused (it failed to load, is of another list, is older than
	// the loaded copy, shrank more than registry_max_shrink allows from
	// it or from the registry's high-water mark, lacks more than that
	// share of a sample of its numbers, or applies in another scope): 1
	// until a copy on the path loads, 0 otherwise; exported as the
	// dialgate_registry_copy_refused gauge. Optional.
	RegistriesRefused func() []RegistryRefused

	// Probes are the components reported by the health service
	// ("component/<name>"); a failing probe makes the server NOT_SERVING.
	Probes []Probe
	// SnapshotAges reports the age of each registry snapshot the gate uses,
	// exported as the dialgate_snapshot_age_seconds gauge. Optional.
	SnapshotAges func(now time.Time) []SnapshotAge
	// HolidayDataLeft reports, for each holiday calendar series of the
	// profile, how many days of holiday data are left, exported as the
	// dialgate_holiday_data_days_left gauge. Optional.
	HolidayDataLeft func(now time.Time) []HolidayDataLeft
	// CounterSize reports how many counter keys and held reservations the
	// embedded store keeps in memory, exported as the dialgate_counter_keys
	// and dialgate_counter_reservations gauges. Optional.
	CounterSize func() (keys, reservations int)
	// CounterJournal reports the embedded store's counter journal (its
	// size, and whether compaction fails), exported as the
	// dialgate_counter_journal_bytes and
	// dialgate_counter_journal_compaction_failing gauges. Optional.
	CounterJournal func() boltstore.JournalStats
	// CounterExpiry reports the periodic counter expiry (entries removed,
	// whether the last run failed, when one last succeeded), exported as the
	// dialgate_counter_expiry_removed_total, dialgate_counter_expiry_failing
	// and dialgate_counter_expiry_last_success_timestamp_seconds metrics.
	// Optional.
	CounterExpiry func() ExpiryStats

	// blackouts is the blackouts file's reloader (Open), counted in the
	// server's metrics once NewServer made them; nil without one.
	blackouts *declaredBlackouts

	// Close flushes the audit log and closes the stores; the Server calls it
	// once, after the gRPC server stopped. Optional.
	Close func(ctx context.Context) error
}

// Errors admin adapters wrap to choose the RPC's status.
var (
	// ErrNotFound: an unknown consent, recording or decision id (NotFound).
	ErrNotFound = errors.New("sidecar: not found")
	// ErrFailedPrecondition: the write does not fit the current state and
	// will not succeed on retry (FailedPrecondition), e.g. a hold on a
	// recording whose retention ran out and that is being deleted.
	ErrFailedPrecondition = errors.New("sidecar: failed precondition")
	// ErrAlreadyExists: the id is taken by a different record
	// (AlreadyExists). Repeating an identical write is not an error.
	ErrAlreadyExists = errors.New("sidecar: already exists")
)

// Probe is one component of the health service.
type Probe struct {
	// Name is the component ("store", "audit", "dnc"), reported as the health
	// service name "component/<Name>".
	Name string
	// Check returns nil when the component is usable. It must return quickly.
	Check func(ctx context.Context) error
}

// SnapshotAge is how old one registry snapshot is.
type SnapshotAge struct {
	List string        // the registry's name (the dnc provider's Name), the gauge's "list" label
	Age  time.Duration // time since the snapshot's as-of instant; negative if it is dated in the future
	// Missing reports that no copy of the registry is in force: none given
	// or none loaded yet (every dial the dnc check judges is denied,
	// dnc.registry_stale), or the loaded one withdrawn because its file was
	// written in place (every dial of the profile denied, dnc.unavailable,
	// until a copy loads cleanly). The gauge is then +Inf, older than any
	// limit.
	Missing bool
}

// RegistryRefused is whether the copy on a registry file's path is refused.
type RegistryRefused struct {
	List  string  // the registry's name, the gauge's "list" label
	Value float64 // 1 while the copy on the path is refused (the loaded copy stays), 0 otherwise
}

// HolidayDataLeft is how far one holiday calendar series reaches.
type HolidayDataLeft struct {
	Series string // the calendar series ("fr" for fr-2026, fr-2027), the gauge's "series" label
	// Days counts the days from now's date to the last date with holiday
	// data: 0 on that date, negative after it (a profile whose holidays
	// forbid calls then denies every dial).
	Days int
}

// DNCEntry is a scoped do-not-call entry as AdminService receives it.
type DNCEntry struct {
	Number  dialgate.Number // the number to list; always valid
	Scope   string          // "global", "industry:<x>", "business:<x>", "tenant:<x>", "campaign:<x>"
	Source  string          // where the opt-out came from, an id-like string; empty means "admin"
	AddedAt time.Time       // never zero: the server fills in its clock
}

// DNCAdmin adds and removes scoped do-not-call entries.
type DNCAdmin interface {
	// AddDNC lists e.Number in e.Scope; the entry is in force for the next
	// Check when it returns nil.
	AddDNC(ctx context.Context, e DNCEntry) error
	// RemoveDNC removes number n's entry in scope as of at (the hold is
	// checked against it); removing an entry that is not there is not an
	// error but wraps auditlog.ErrUnchanged (recorded as a request that
	// changed nothing, not as an opt-out removed), an entry still held
	// wraps ErrFailedPrecondition.
	RemoveDNC(ctx context.Context, n dialgate.Number, scope string, at time.Time) error
}

// ConsentGrant is a consent record as AdminService receives it. Fields are
// validated by the consent package (consent.Record.ValidateNew).
type ConsentGrant struct {
	ID             string          // the consent record's id; required
	Number         dialgate.Number // the consenting number; always valid
	Scope          string          // "industry:<x>", "business:<x>", "campaign:<x>", "tenant:<x>"
	Tenant         string          // the seller consented to (consent.Record.Tenant); empty: covers every tenant's dials in the scope
	Method         string          // "web_form", "ivr_keypress", "recorded_verbal", "written", "in_app"
	GrantedAt      time.Time       // when consent was given; never zero
	ExpiresAt      time.Time       // zero: does not lapse by time
	EvidenceSHA256 string          // SHA-256 of the disclosure text, lower-case hex
	EvidenceURI    string          // where the evidence (form, recording) is kept; may be empty, at most 2048 bytes
	Channel        string          // the channel consent was collected through, free text; may be empty, at most 64 bytes
}

// ConsentAdmin grants and revokes consents. A revocation must be in force for
// every Check that starts after RevokeConsent returns nil.
type ConsentAdmin interface {
	// GrantConsent stores c; repeating an identical grant is not an error
	// (unchanged reports it: nothing was stored), the same id with other
	// fields wraps ErrAlreadyExists.
	GrantConsent(ctx context.Context, c ConsentGrant) (unchanged bool, err error)
	// RevokeConsent revokes consent id as of at, through channel (free
	// text, may be empty), and returns, for its audit record, the number
	// of the consent revoked (the zero Number when not known) and the
	// instant its withdrawal is dated as stored (zero when not known); an
	// unknown id wraps ErrNotFound. at before the consent's granted_at is
	// no error: it is revoked as of its grant (revokedAt is granted_at). A
	// consent revoked already stays revoked as of its first withdrawal
	// (revokedAt is that one's, and unchanged reports it, so that the
	// retry's audit record does not count as another revocation).
	RevokeConsent(ctx context.Context, id string, at time.Time, channel string) (n dialgate.Number, revokedAt time.Time, unchanged bool, err error)
}

// Complaint is a complaint as AdminService receives it.
type Complaint struct {
	ID             string          // empty: the adapter picks one
	Number         dialgate.Number // the complainant's number; always valid
	Scope          string          // "global" when not given
	CallDecisionID string          // the decision of the call complained about; empty when not known
	Tenant         string          // the call centre complained about; empty when not known
	Note           string          // the complainant's account in free text, at most 4096 bytes; may be empty
	Channel        string          // "phone" when not given
	At             time.Time       // its receipt (the request's received_at, or the server's clock); the deadlines count from it
}

// ComplaintStep is a handling step of a complaint.
type ComplaintStep string

// The handling steps (complaint.Desk Forward, Resolve and Answer).
const (
	StepForward ComplaintStep = "forward"
	StepResolve ComplaintStep = "resolve"
	StepAnswer  ComplaintStep = "answer"
)

// ComplaintAdmin files complaints and records their handling steps.
type ComplaintAdmin interface {
	// FileComplaint lists the number, holds the callee's recordings and
	// stores the complaint, returning its id and its receipt as stored (the
	// deadlines run from it); a retry with the same id and number returns
	// them again, the receipt the first filing's. An error returned once the number is
	// listed (the id another callee's complaint holds, a hold or the store
	// failing) wraps complaint.ErrListed as well: the opt-out is in force,
	// and the server records it (dnc.add, source "complaint").
	FileComplaint(ctx context.Context, c Complaint) (id string, received time.Time, err error)
	// ComplaintTenant returns the tenant of complaint id ("" when it was
	// filed without one); an unknown id wraps ErrNotFound.
	ComplaintTenant(ctx context.Context, id string) (string, error)
	// StepComplaint makes step of complaint id at t (resolution: the
	// resolve step's text) and returns the step's instant as stored: t,
	// or, when the complaint already had that step (with the same
	// resolution), the instant first recorded, nothing changed. An unknown
	// id wraps ErrNotFound; a step the complaint's status does not allow,
	// or t before the step it follows, wraps ErrFailedPrecondition.
	StepComplaint(ctx context.Context, id string, step ComplaintStep, t time.Time, resolution string) (time.Time, error)
	// ListComplaints returns a page of the complaints of f (ordered by
	// receipt, then id): the first limit after the Position after (the
	// zero Position: from the first), each with the deadlines it has
	// missed at t.
	ListComplaints(ctx context.Context, t time.Time, f complaint.Filter, after complaint.Position, limit int) ([]complaint.Listed, error)
}

// ComplaintRepairer is a ComplaintAdmin whose store can replace a damaged
// complaint whole (complaint.Repairer): the server serves RepairComplaint
// only through one (Unimplemented otherwise).
type ComplaintRepairer interface {
	// RepairComplaint replaces the damaged complaint c.ID with c (which
	// passed complaint.DecodeRepair) and returns the bytes replaced. An
	// unknown id wraps ErrNotFound; a complaint the store reads as sound,
	// or c naming another callee than the one the store still files the
	// damaged complaint under, wraps ErrFailedPrecondition.
	RepairComplaint(ctx context.Context, c complaint.Complaint) (replaced []byte, err error)
}

// LedgerEntry is a caller ID of a tenant's number ledger.
//
// The fields are those of callerid.Entry, which validates them.
type LedgerEntry struct {
	Tenant        string             // the tenant holding the number; empty is a tenant of its own
	Number        dialgate.Number    // the caller ID; always valid
	Type          string             // "95", "96", "400", "800", "fixed", "mobile_business"
	Holder        string             // the legal entity the number is allocated to (使用主体); required
	Access        string             // how the number is connected (接入信息); may be empty
	Qualification string             // the holder's licence or qualification (用户资质); may be empty
	Purposes      []dialgate.Purpose // the purposes the number may be used for; at least one
	ValidFrom     time.Time          // first instant of use; the server fills in its clock when not given
	ValidUntil    time.Time          // zero: open-ended
	OfficeUseOnly bool               // the number may not be the caller ID of any outbound business call
	// ValidFromNow says ValidFrom is the server's clock, the request having
	// none: a retry of the request then matches the entry the first one
	// stored (whose valid_from is not later).
	ValidFromNow bool
	// Replace replaces the tenant's entry for the number when it differs;
	// without it a different entry is refused (ErrAlreadyExists).
	Replace bool
	// Prior, when not nil, is what the change record of e says it
	// replaces (LedgerAdmin.LedgerPrior, read before the record was
	// written): AddLedgerEntry stores e only while the ledger still holds
	// that, and otherwise refuses it (ErrFailedPrecondition: another write
	// came between, and the record would name facts other than those
	// replaced). Nil: not compared.
	Prior *LedgerPrior
}

// LedgerPrior is what storing a LedgerEntry would replace.
type LedgerPrior struct {
	// Replaces is the entry the ledger holds for the tenant's number with
	// other facts, as stored; nil when there is none (a number the ledger
	// does not hold, or holds with the same facts) or it is unreadable.
	Replaces *callerid.Entry
	// Unreadable reports that the ledger holds an entry for the number
	// that it cannot read (damaged: storage.ErrCorrupt), which only a
	// request with Replace replaces.
	Unreadable bool
}

// same reports whether p and o name the same prior: both nothing, both
// unreadable, or entries with the same facts (callerid.Entry.ChangedFields).
func (p LedgerPrior) same(o LedgerPrior) bool {
	if p.Unreadable != o.Unreadable || (p.Replaces == nil) != (o.Replaces == nil) {
		return false
	}
	return p.Replaces == nil || p.Replaces.ChangedFields(*o.Replaces) == nil
}

// LedgerAdmin adds caller IDs to the ledger.
type LedgerAdmin interface {
	// AddLedgerEntry stores e. When the ledger holds the tenant's number
	// with other facts it returns an error wrapping ErrAlreadyExists, naming
	// the fields, and changes nothing, unless e.Replace; the same entry
	// again is not an error and changes nothing. With e.Prior set, it
	// changes nothing and returns an error wrapping ErrFailedPrecondition
	// when what it would replace is not e.Prior. It stores e only while the
	// ledger holds what it compared e with (checked in the write's
	// transaction when the store can): an entry another writer of the
	// store changed, added or deleted in between is an error wrapping
	// ErrFailedPrecondition naming the number, and nothing changes. The
	// entry is in force for the next Check when it returns nil (a Check
	// that cannot read the ledger then is callerid.unavailable; it never
	// decides on the ledger read before the write). The entry the ledger
	// holds already is not written again and wraps auditlog.ErrUnchanged
	// (no error: recorded as a request that changed nothing).
	AddLedgerEntry(ctx context.Context, e LedgerEntry) error
	// LedgerPrior returns what storing e (with e.Replace) would replace
	// now, for its change record; a malformed e is an error as for
	// AddLedgerEntry, as is a store that cannot be read (other than an
	// unreadable entry, LedgerPrior.Unreadable).
	LedgerPrior(ctx context.Context, e LedgerEntry) (LedgerPrior, error)
}

// ReplacedLedgerEntry returns the facts of e, a ledger entry a change
// replaces, as its change record carries them (auditlog.ChangeRecord
// .Replaced); nil for nil.
func ReplacedLedgerEntry(e *callerid.Entry) *auditlog.LedgerEntry {
	if e == nil {
		return nil
	}
	ps := make([]string, len(e.Purposes))
	for i, p := range e.Purposes {
		ps[i] = string(p)
	}
	return &auditlog.LedgerEntry{Type: string(e.Type), Holder: e.Holder, Access: e.Access, Qualification: e.Qualification,
		Purposes: ps, ValidFrom: e.ValidFrom, ValidUntil: e.ValidUntil, OfficeUseOnly: e.OfficeUseOnly}
}

// Recording is a call recording as AdminService receives it.
type Recording struct {
	ID            string          // the recording's id; required
	Number        dialgate.Number // the callee; always valid, stored only as its keyed hash
	StartedAt     time.Time       // when the recording started; never zero
	EndedAt       time.Time       // when the call ended (retention counts from it); zero when not given
	RetentionDays int             // 0: the profile's
	DecisionID    string          // the decision that allowed the call; empty when not known
	Tenant        string          // the call centre that made the call; may be empty
	At            time.Time       // when the server received it (its clock)
}

// DefaultHoldID names the hold HoldRecording places and ReleaseRecordingHold
// lifts when the request names none.
const DefaultHoldID = "admin"

// RecordingAdmin registers recordings and places and lifts holds. An unknown
// recording is an error wrapping ErrNotFound; a step the recording's state
// forbids (a hold on a recording being deleted, a release that leaves other
// holds in force) wraps ErrFailedPrecondition.
type RecordingAdmin interface {
	// RegisterRecording stores r's metadata and returns the recording on
	// record: r, or, for a retry (a registration repeated, which is not an
	// error), the one stored, whose tenant and decision r may leave out;
	// another recording under the same id wraps ErrAlreadyExists.
	RegisterRecording(ctx context.Context, r Recording) (Recording, error)
	// HoldRecording places hold holdID (with reason, placed at at) on
	// recording id; placing a hold it already has is not an error.
	HoldRecording(ctx context.Context, id, holdID, reason string, at time.Time) error
	// ReleaseRecordingHold lifts hold holdID from recording id at at;
	// releasing a hold already gone from an unheld recording is not an
	// error but wraps auditlog.ErrUnchanged (recorded as changing nothing).
	ReleaseRecordingHold(ctx context.Context, id, holdID string, at time.Time) error
	// EndRecording records at at that recording id's call ended at ended;
	// the retention only ever lengthens (recording.Manager.End).
	EndRecording(ctx context.Context, id string, ended, at time.Time) error
	// RecordingTenant returns the tenant of recording id ("" when it was
	// registered without one); an unknown id wraps ErrNotFound.
	RecordingTenant(ctx context.Context, id string) (string, error)
	// DueRecordings returns the recordings whose retention was over
	// recording.SweepMargin before at, held or not: those a sweep at at
	// considers (recording.Manager.Due).
	DueRecordings(ctx context.Context, at time.Time) ([]recording.Recording, error)
	// SweepDueRecordings deletes those of due that are deletable at at,
	// each checked again by the Manager as it is deleted
	// (recording.Manager.SweepDue): never any other.
	SweepDueRecordings(ctx context.Context, at time.Time, due []recording.Recording) (recording.SweepReport, error)
}
