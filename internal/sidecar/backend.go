package sidecar

import (
	"context"
	"errors"
	"time"

	"github.com/dialgate/dialgate"
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
	// Clock gives the default instant of admin writes without one (AddedAt,
	// RevokedAt); nil means dialgate.SystemClock.
	Clock dialgate.Clock

	DNC        DNCAdmin
	Consents   ConsentAdmin
	Complaints ComplaintAdmin
	Ledger     LedgerAdmin
	Recordings RecordingAdmin

	// Unwired says, per admin domain ("dnc", "consent", "complaint",
	// "callerid", "recording"), why its adapter is nil (for example "profile
	// cn has no dnc section"); the Unimplemented status carries it. Optional.
	Unwired map[string]string

	// Probes are the components reported by the health service
	// ("component/<name>"); a failing probe makes the server NOT_SERVING.
	Probes []Probe
	// SnapshotAges reports the age of each registry snapshot the gate uses,
	// exported as the dialgate_snapshot_age_seconds gauge. Optional.
	SnapshotAges func(now time.Time) []SnapshotAge
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
	List string
	Age  time.Duration
}

// DNCEntry is a scoped do-not-call entry as AdminService receives it.
type DNCEntry struct {
	Number  dialgate.Number
	Scope   string // "global", "industry:<x>", "business:<x>", "tenant:<x>", "campaign:<x>"
	Source  string
	AddedAt time.Time // never zero: the server fills in its clock
}

// DNCAdmin adds and removes scoped do-not-call entries.
type DNCAdmin interface {
	AddDNC(ctx context.Context, e DNCEntry) error
	RemoveDNC(ctx context.Context, n dialgate.Number, scope string) error
}

// ConsentGrant is a consent record as AdminService receives it. Fields are
// validated by the consent package (consent.Record.ValidateNew).
type ConsentGrant struct {
	ID             string
	Number         dialgate.Number
	Scope          string // "industry:<x>", "business:<x>", "campaign:<x>", "tenant:<x>"
	Method         string // "web_form", "ivr_keypress", "recorded_verbal", "written", "in_app"
	GrantedAt      time.Time
	ExpiresAt      time.Time // zero: does not lapse by time
	EvidenceSHA256 string    // SHA-256 of the disclosure text, lower-case hex
	EvidenceURI    string
	Channel        string
}

// ConsentAdmin grants and revokes consents. A revocation must be in force for
// every Check that starts after RevokeConsent returns nil.
type ConsentAdmin interface {
	GrantConsent(ctx context.Context, c ConsentGrant) error
	RevokeConsent(ctx context.Context, id string, at time.Time, channel string) error
}

// Complaint is a complaint as AdminService receives it.
type Complaint struct {
	ID             string // empty: the adapter picks one
	Number         dialgate.Number
	Scope          string // "global" when not given
	CallDecisionID string
	Tenant         string
	Note           string
	Channel        string // "phone" when not given
	At             time.Time
}

// ComplaintAdmin files complaints and returns the complaint id.
type ComplaintAdmin interface {
	FileComplaint(ctx context.Context, c Complaint) (string, error)
}

// LedgerEntry is a caller ID of a tenant's number ledger.
type LedgerEntry struct {
	Tenant        string
	Number        dialgate.Number
	Type          string // "95", "96", "400", "800", "fixed", "mobile_business"
	Holder        string
	Access        string
	Qualification string
	Purposes      []dialgate.Purpose
	ValidFrom     time.Time
	ValidUntil    time.Time // zero: open-ended
	OfficeUseOnly bool
}

// LedgerAdmin adds caller IDs to the ledger.
type LedgerAdmin interface {
	AddLedgerEntry(ctx context.Context, e LedgerEntry) error
}

// Recording is a call recording as AdminService receives it.
type Recording struct {
	ID            string
	Number        dialgate.Number
	StartedAt     time.Time
	RetentionDays int // 0: the profile's
	DecisionID    string
	Tenant        string
	At            time.Time // when the server received it (its clock)
}

// DefaultHoldID names the hold HoldRecording places and ReleaseRecordingHold
// lifts when the request names none.
const DefaultHoldID = "admin"

// RecordingAdmin registers recordings and places and lifts holds. An unknown
// recording is an error wrapping ErrNotFound; a step the recording's state
// forbids (a hold on a recording being deleted, a release that leaves other
// holds in force) wraps ErrFailedPrecondition.
type RecordingAdmin interface {
	RegisterRecording(ctx context.Context, r Recording) error
	HoldRecording(ctx context.Context, id, holdID, reason string, at time.Time) error
	ReleaseRecordingHold(ctx context.Context, id, holdID string, at time.Time) error
}
