package recording

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage"
)

// MinRetention is the floor on how long a recording is kept: 30 days
// (337号 CN-S6, 原则上不少于30日). No configuration can lower it.
const MinRetention = 30 * 24 * time.Hour

// Errors. Scenario and wire error names are given in brackets.
// SweepMargin is how long past a recording's RetainUntil a sweep waits
// before deleting it: storage.PruneMargin (an hour), the margin the
// counters keep for clocks behind. A fleet's hosts do not read one clock:
// a sweep on a host whose clock runs ahead of the one that registered the
// recording — or that registered it while its own clock was behind — would
// delete it early by the skew, and the rule is "kept at least N days, never
// less". The margin only ever keeps a recording longer.
const SweepMargin = storage.PruneMargin

var (
	// ErrRetentionTooShort: a retention below MinRetention was configured [policy.retention_too_short].
	ErrRetentionTooShort = errors.New("recording: retention shorter than the 30-day floor")
	// ErrRetentionLocked: the recording's retention period is not over [recording.retention_locked].
	ErrRetentionLocked = errors.New("recording: retention period not over")
	// ErrHeld: the recording is under a legal hold [recording.held].
	ErrHeld = errors.New("recording: under legal hold")
	// ErrNotFound: no recording with that id [recording.not_found].
	// It wraps storage.ErrNotFound.
	ErrNotFound = fmt.Errorf("recording: not found: %w", storage.ErrNotFound)
	// ErrExists: a recording with that id is already registered. It wraps storage.ErrConflict.
	ErrExists = fmt.Errorf("recording: already registered: %w", storage.ErrConflict)
	// ErrInvalid: a malformed recording, hold or configuration.
	ErrInvalid = errors.New("recording: invalid")
	// ErrDeleting: the recording is being deleted by the sweeper; it can no longer be held.
	ErrDeleting = errors.New("recording: being deleted")
	// ErrHoldProtected: the hold's owner does not let it go yet (a complaint
	// not yet answered, see Manager.GuardHolds).
	ErrHoldProtected = errors.New("recording: hold may not be released yet")
)

// State is where a recording is in its life.
type State string

// The states. A recording is Active until the sweeper marks it Deleting, just
// before deleting its media; the metadata is removed after the media.
const (
	StateActive   State = "active"
	StateDeleting State = "deleting"
)

// Hold is a legal hold: while a recording has one, nothing deletes it.
type Hold struct {
	// ID names the hold ("complaint:cp-12", "litigation-2026-04"). Required, unique per recording.
	ID string `json:"id"`
	// Reason says why, in plain words.
	Reason string `json:"reason,omitempty"`
	// PlacedAt is when the hold was placed.
	PlacedAt time.Time `json:"placed_at"`
}

// Recording is the metadata of one call recording. The media itself lives in a
// Blob store under MediaURI.
type Recording struct {
	// ID identifies the recording (the dialer's or recorder's id). Required.
	ID string `json:"id"`
	// DecisionID links the decision that allowed the call, when known.
	DecisionID string `json:"decision_id,omitempty"`
	// Tenant is the call centre that made the call.
	Tenant string `json:"tenant,omitempty"`
	// Callee is the keyed hash of the callee number (never the raw number).
	Callee string `json:"callee"`
	// CalleeAlias is the keyed hash of the callee's other spelling, for a
	// French overseas line (+596 596 12 34 56, +33 596 12 34 56) or a
	// Mexican line (+52 55 …, +52 1 55 …; numbering.LineAlias), so that a sweep finds the complaints filed
	// under either (Manager.HoldNew); empty for other numbers and for
	// records stored before it existed until the number is next known
	// (Manager.HoldCallee, or a registration with media under either
	// spelling, gives it).
	CalleeAlias string `json:"callee_alias,omitempty"`
	// StartedAt is when the recording started. Required.
	StartedAt time.Time `json:"started_at"`
	// StartEstimated reports that StartedAt is not the recording's start
	// but the instant dialgate first heard of it: an outcome named the
	// recording before it was registered (Manager.Link). The real start is
	// at or before StartedAt, so End accepts an end before it (and moves
	// StartedAt back to that end).
	StartEstimated bool `json:"start_estimated,omitempty"`
	// EndedAt is when the call (and its recording) ended, when the
	// registration said so; zero when it did not. Never before StartedAt.
	// Records stored before dialgate knew of it have none.
	EndedAt time.Time `json:"ended_at,omitzero"`
	// RetainUntil is the earliest instant the recording may be deleted: the
	// end of the call plus the retention in force when it was registered,
	// where the end is EndedAt, or, when the registration gave none, the
	// later of StartedAt and the instant it was registered (see
	// Manager.Register). Records registered before EndedAt existed counted
	// from StartedAt and keep the RetainUntil they were stored with. A hold
	// can only extend it, never shorten it.
	RetainUntil time.Time `json:"retain_until"`
	// MediaURI locates the media in the Blob store; empty when the media is not
	// managed by dialgate (metadata only).
	MediaURI string `json:"media_uri,omitempty"`
	// Holds are the legal holds in force.
	Holds []Hold `json:"holds,omitempty"`
	// State is active or deleting.
	State State `json:"state"`
	// DeleteToken names the sweep attempt that marked the recording deleting
	// or took its deletion over; empty while active. A failed attempt puts
	// the recording back to active only if it marked the recording itself
	// and its token is still the stored one: never while another sweep is
	// finishing the deletion, nor after taking over one that may still be.
	DeleteToken string `json:"delete_token,omitempty"`
}

// Held reports whether the recording is under at least one hold.
func (r Recording) Held() bool { return len(r.Holds) > 0 }

// Validate reports the first malformed field. The 30-day floor is measured
// from the end of the call: RetainUntil must be at least MinRetention after
// EndedAt, or after StartedAt when EndedAt is zero (the only instant such a
// record is sure of; Register counts those from a later instant still).
func (r Recording) Validate() error {
	return r.validate(nil)
}

// ValidateUpdate is Validate for r, an update of old as stored: a NUL byte
// is accepted in text that old already held in the same field (a hold's id
// or reason: that of one of old's holds). Builds before Validate refused NUL
// stored it (memstore, boltstore): such a record can still be held, have a
// hold released and be deleted, and no update adds a NUL.
func (r Recording) ValidateUpdate(old Recording) error {
	return r.validate(func(field, v string) bool {
		switch {
		case strings.HasSuffix(field, "].id"):
			return slices.ContainsFunc(old.Holds, func(h Hold) bool { return h.ID == v })
		case strings.HasSuffix(field, "].reason"):
			return slices.ContainsFunc(old.Holds, func(h Hold) bool { return h.Reason == v })
		}
		return old.text(field) == v
	})
}

// text returns r's text field named as Validate names it ("" for another).
func (r Recording) text(field string) string {
	switch field {
	case "id":
		return r.ID
	case "decision_id":
		return r.DecisionID
	case "tenant":
		return r.Tenant
	case "callee":
		return r.Callee
	case "callee_alias":
		return r.CalleeAlias
	case "media_uri":
		return r.MediaURI
	case "delete_token":
		return r.DeleteToken
	}
	return ""
}

// validate is Validate, but a NUL byte is accepted in text for which
// nulOK (when set) reports true.
func (r Recording) validate(nulOK func(field, v string) bool) error {
	switch {
	case strings.TrimSpace(r.ID) == "":
		return fmt.Errorf("%w: id: missing", ErrInvalid)
	case len(r.ID) > 256:
		return fmt.Errorf("%w: id: longer than 256 bytes", ErrInvalid)
	case r.Callee == "":
		return fmt.Errorf("%w: callee: missing", ErrInvalid)
	case r.StartedAt.IsZero():
		return fmt.Errorf("%w: started_at: missing", ErrInvalid)
	case !r.EndedAt.IsZero() && r.EndedAt.Before(r.StartedAt):
		return fmt.Errorf("%w: ended_at: %s is before started_at %s", ErrInvalid,
			r.EndedAt.Format(time.RFC3339), r.StartedAt.Format(time.RFC3339))
	case r.EndedAt.IsZero() && r.RetainUntil.Sub(r.StartedAt) < MinRetention:
		return fmt.Errorf("%w: retain_until: %s is less than 30 days after started_at %s: %w", ErrInvalid,
			r.RetainUntil.Format(time.RFC3339), r.StartedAt.Format(time.RFC3339), ErrRetentionTooShort)
	case !r.EndedAt.IsZero() && r.RetainUntil.Sub(r.EndedAt) < MinRetention:
		return fmt.Errorf("%w: retain_until: %s is less than 30 days after ended_at %s: %w", ErrInvalid,
			r.RetainUntil.Format(time.RFC3339), r.EndedAt.Format(time.RFC3339), ErrRetentionTooShort)
	case r.State != StateActive && r.State != StateDeleting:
		return fmt.Errorf("%w: state: unknown state %q", ErrInvalid, r.State)
	}
	// Text that is not UTF-8 would be stored with U+FFFD in its place: a
	// record its key does not name (every read and listing of it failing),
	// a hold id no release names, a media URI other than the file's.
	// A NUL byte, valid UTF-8, cannot be stored by PostgreSQL (text or
	// jsonb): refused here, naming the field, by every store alike rather
	// than reported by one as an outage.
	for _, f := range [...]struct{ name, v string }{
		{"id", r.ID}, {"decision_id", r.DecisionID}, {"tenant", r.Tenant}, {"callee", r.Callee},
		{"callee_alias", r.CalleeAlias}, {"media_uri", r.MediaURI}, {"delete_token", r.DeleteToken},
	} {
		if err := checkText(f.name, f.v, nulOK); err != nil {
			return err
		}
	}
	for i, h := range r.Holds {
		if strings.TrimSpace(h.ID) == "" {
			return fmt.Errorf("%w: holds[%d].id: missing", ErrInvalid, i)
		}
		if err := checkText(fmt.Sprintf("holds[%d].id", i), h.ID, nulOK); err != nil {
			return err
		}
		if err := checkText(fmt.Sprintf("holds[%d].reason", i), h.Reason, nulOK); err != nil {
			return err
		}
	}
	return nil
}

// checkText reports text a store cannot keep as given: not UTF-8, or with
// a NUL byte (unless nulOK, when set, accepts it). The error wraps
// ErrInvalid and names field.
func checkText(field, v string, nulOK func(field, v string) bool) error {
	if !utf8.ValidString(v) {
		return fmt.Errorf("%w: %s: not valid UTF-8", ErrInvalid, field)
	}
	if i := strings.IndexByte(v, 0); i >= 0 && (nulOK == nil || !nulOK(field, v)) {
		return fmt.Errorf("%w: %s: NUL byte at byte %d", ErrInvalid, field, i)
	}
	return nil
}

// ValidateStored reports what makes r, read back from a store under the id
// key, unfit to be handed out: a field Validate refuses (an unknown state, a
// zero started_at, a retention under the floor…), or an id other than the
// key. Stores call it on every recording they read and return its error
// wrapped in a storage.RecordError (storage.ErrCorrupt). Recordings written
// by older builds load: the fields added since the first release
// (delete_token, ended_at) are optional, and a record without ended_at has
// its floor measured from started_at, as it was stored.
func (r Recording) ValidateStored(key string) error {
	// A NUL byte, refused on writes since, was stored by earlier builds
	// (memstore, boltstore): the record still loads.
	if err := r.validate(func(string, string) bool { return true }); err != nil {
		return err
	}
	if r.ID != key {
		return fmt.Errorf("%w: id: %q differs from the key it is stored under", ErrInvalid, r.ID)
	}
	return nil
}

// Config is the retention policy of a profile or deployment. The zero Config
// keeps recordings MinRetention (30 days) and does not require every call to be
// recorded.
type Config struct {
	// Required makes the gate deny dials (recording.not_configured) unless a
	// Manager with a valid retention policy is configured.
	Required bool `json:"required,omitempty"`
	// Retention is how long recordings are kept; zero means MinRetention. Less
	// than 30 days is an error (ErrRetentionTooShort), never silently raised.
	Retention dialgate.Duration `json:"retention,omitempty"`
	// Cite is where the rule comes from.
	Cite dialgate.Citation `json:"cite"`
}

// Validate rejects a retention below the floor, naming the field.
func (c Config) Validate() error {
	if c.Retention < 0 {
		return fmt.Errorf("recording.retention: %s is negative: %w", c.Retention, ErrRetentionTooShort)
	}
	if c.Retention != 0 && c.Retention.Std() < MinRetention {
		return fmt.Errorf("recording.retention: %s is below the 30-day floor (337号 CN-S6): %w", c.Retention, ErrRetentionTooShort)
	}
	if c.Cite != (dialgate.Citation{}) {
		if err := c.Cite.Validate("recording.cite"); err != nil {
			return err
		}
	}
	return nil
}

// RetentionPeriod returns the retention in force: Retention, or MinRetention when zero.
func (c Config) RetentionPeriod() time.Duration {
	if c.Retention == 0 {
		return MinRetention
	}
	return c.Retention.Std()
}

// CalleeHasher turns a callee number into the keyed hash stored with recordings
// (see package auditlog). It must be deterministic for a given key.
type CalleeHasher interface {
	// HashCallee returns the keyed hash of n.
	HashCallee(n dialgate.Number) string
}

// Filter selects recordings in Store.ListRecordings. Zero fields match all.
type Filter struct {
	Callee     string    // keyed callee hash
	DueBy      time.Time // RetainUntil at or before this instant
	DecisionID string    // only the recordings of this decision
}

// Store keeps recording metadata. Implementations must be safe for concurrent
// use; every write must be durable before it returns. A recording read back
// (Get, Update, Delete, List) that fails Recording.ValidateStored is an error
// wrapping storage.ErrCorrupt (a storage.RecordError naming it and the
// field); a list fails rather than leave it out.
type Store interface {
	// CreateRecording stores a new recording; an existing id is an error
	// wrapping ErrExists.
	CreateRecording(ctx context.Context, r Recording) error
	// GetRecording returns the recording or an error wrapping ErrNotFound.
	GetRecording(ctx context.Context, id string) (Recording, error)
	// UpdateRecording atomically reads the recording, applies fn, and writes
	// the result unless fn returns an error (which UpdateRecording returns).
	// A missing id is an error wrapping ErrNotFound.
	UpdateRecording(ctx context.Context, id string, fn func(*Recording) error) error
	// DeleteRecording removes the metadata of a recording the sweeper has marked
	// StateDeleting and leaves a Tombstone deleted at t in its place, in one
	// atomic step. A recording in any other state is not removed (an error
	// wrapping ErrRetentionLocked), so no code path can drop an active record;
	// a missing id is an error wrapping ErrNotFound.
	DeleteRecording(ctx context.Context, id string, t time.Time) error
	// ListTombstones returns the deletions with DeletedAt in [from, to),
	// ordered by DeletedAt then id. Zero bounds are open.
	ListTombstones(ctx context.Context, from, to time.Time) ([]Tombstone, error)
	// ListRecordings returns the recordings that match f, ordered by id.
	ListRecordings(ctx context.Context, f Filter) ([]Recording, error)
}

// Matches reports whether r passes the filter. Stores may use it.
func (f Filter) Matches(r Recording) bool {
	if f.Callee != "" && r.Callee != f.Callee {
		return false
	}
	if !f.DueBy.IsZero() && r.RetainUntil.After(f.DueBy) {
		return false
	}
	if f.DecisionID != "" && r.DecisionID != f.DecisionID {
		return false
	}
	return true
}

// Tombstone records that a recording was deleted, for the quarterly report
// and for audits: what was deleted, when, and what its retention was. It holds
// no callee information.
type Tombstone struct {
	ID          string    `json:"id"`                    // the deleted recording's id
	Tenant      string    `json:"tenant,omitempty"`      // its tenant; empty when it had none
	DecisionID  string    `json:"decision_id,omitempty"` // its decision; empty when it had none
	StartedAt   time.Time `json:"started_at"`            // when it started
	EndedAt     time.Time `json:"ended_at,omitzero"`     // when it ended, when its registration said so
	RetainUntil time.Time `json:"retain_until"`          // the end of its retention when it was deleted
	DeletedAt   time.Time `json:"deleted_at"`            // when its metadata was deleted (the sweep's t)
}

// TombstoneOf returns the tombstone of r deleted at t.
func TombstoneOf(r Recording, t time.Time) Tombstone {
	return Tombstone{ID: r.ID, Tenant: r.Tenant, DecisionID: r.DecisionID, StartedAt: r.StartedAt, EndedAt: r.EndedAt, RetainUntil: r.RetainUntil, DeletedAt: t}
}

// InRange reports whether the tombstone's DeletedAt is in [from, to); zero bounds are open.
func (ts Tombstone) InRange(from, to time.Time) bool {
	return (from.IsZero() || !ts.DeletedAt.Before(from)) && (to.IsZero() || ts.DeletedAt.Before(to))
}

// SortTombstones orders tombstones by DeletedAt then id.
func SortTombstones(ts []Tombstone) {
	slices.SortFunc(ts, func(a, b Tombstone) int {
		if c := a.DeletedAt.Compare(b.DeletedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}
