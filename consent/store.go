package consent

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/textsafe"
)

// EventType says what happened to a consent record.
type EventType string

// The event types of a consent history.
const (
	EventGranted EventType = "granted" // AddConsent stored a new record
	EventRevoked EventType = "revoked" // RevokeConsent withdrew a record
)

// Event is one entry of the consent history: a grant or a revocation. Events
// are numbered by Seq, the store's consent revision after the write; Seq is
// unique and increasing across all numbers of a store.
type Event struct {
	// Seq is the store's consent revision this event produced (≥ 1).
	Seq uint64 `json:"seq"`
	// Type is granted or revoked.
	Type EventType `json:"type"`
	// ConsentID is the record the event concerns.
	ConsentID string `json:"consent_id"`
	// Number is the record's number.
	Number dialgate.Number `json:"number"`
	// At is the record's GrantedAt (granted) or RevokedAt (revoked).
	At time.Time `json:"at"`
	// Channel is the record's Channel (granted) or RevocationChannel (revoked).
	Channel string `json:"channel,omitempty"`
	// RequestedAt is set only on a revocation that was asked for at an
	// instant before the record's GrantedAt (clock skew between the dialer
	// and the system that captured the consent, a grant recorded with a wrong
	// zone offset): it is that instant, and At is GrantedAt, the instant the
	// record was revoked as of. Zero otherwise.
	RequestedAt time.Time `json:"requested_at,omitzero"`
}

// ValidateStored reports what makes e, read back from a store as the event
// stored under Seq seq (0: not compared) and, when n is valid, in number n's
// history, unfit for the check's cache, which drops the cached records of
// the number each event names: a missing or mismatched seq or number, an
// unknown type, a missing consent id or instant. Stores call it on every
// event they read and return its error wrapped in a storage.RecordError
// (storage.ErrCorrupt). Events written by older builds load: the one field
// added since the first release (requested_at) is optional.
func (e *Event) ValidateStored(seq uint64, n dialgate.Number) error {
	switch {
	case e.Seq == 0:
		return fieldErr("seq", "missing")
	case seq != 0 && e.Seq != seq:
		return fieldErr("seq", "%d differs from the key it is stored under (%d)", e.Seq, seq)
	case e.Type != EventGranted && e.Type != EventRevoked:
		return fieldErr("type", "unknown event type %q (want granted or revoked)", clip(string(e.Type)))
	case e.ConsentID == "":
		return fieldErr("consent_id", "missing")
	case !e.Number.IsValid():
		return fieldErr("number", "missing")
	case n.IsValid() && e.Number != n:
		return fieldErr("number", "differs from the number whose history holds it")
	case e.At.IsZero():
		return fieldErr("at", "missing")
	}
	return nil
}

// RevokedRecord returns r withdrawn at instant at through channel, and the
// revocation Event to append (its Seq left zero), exactly as
// Store.RevokeConsent must store them. It is for Store implementations, which
// call it on the record as stored, inside the write; it changes nothing
// itself.
//
// A withdrawal is never refused for its instant: when at is before
// r.GrantedAt, the record is revoked as of r.GrantedAt (it never took effect)
// and the event's RequestedAt keeps at. A record already revoked is returned
// unchanged with the zero Event: the first withdrawal stands and no event is
// appended. A zero at, an at no store can keep as given (a year outside
// 0000–9999, a zone offset with seconds: see keepableTime) or a malformed
// channel (control characters, bidirectional formatting characters or line
// separators: textsafe; more than 64 bytes; not valid UTF-8) is an
// error wrapping ErrInvalid, the same from every store. What is wrong with
// the record itself (one written by a newer build, or damaged, that this
// build's Validate refuses) never is: a withdrawal is what stops such a
// record from allowing dials.
func RevokedRecord(r Record, at time.Time, channel string) (Record, Event, error) {
	if r.Revoked() {
		return r, Event{}, nil
	}
	if at.IsZero() {
		return Record{}, Event{}, fieldErr("revoked_at", "missing")
	}
	if err := keepableTime("revoked_at", at); err != nil {
		return Record{}, Event{}, err
	}
	if err := validateText("revocation_channel", channel, 64); err != nil {
		return Record{}, Event{}, err
	}
	if p := textsafe.Problem(channel, textsafe.Line); p != "" {
		return Record{}, Event{}, fieldErr("revocation_channel", "%s", p)
	}
	if !utf8.ValidString(channel) {
		return Record{}, Event{}, fieldErr("revocation_channel", "not valid UTF-8 (a store would keep another text)")
	}
	var requested time.Time
	if at.Before(r.GrantedAt) {
		at, requested = r.GrantedAt, at
	}
	r.RevokedAt, r.RevocationChannel = at, channel
	return r, Event{Type: EventRevoked, ConsentID: r.ID, Number: r.Number, At: at, Channel: channel, RequestedAt: requested}, nil
}

// Store keeps consent records. It is owned by this package and implemented by
// storage/memstore, storage/boltstore and other back-ends; storage/storetest
// checks any implementation against this contract.
//
// Method names carry the domain ("AddConsent", not "Add") because one store
// type implements the interfaces of every domain.
//
// Contract, for every method:
//   - Safe for concurrent use by many goroutines.
//   - ctx bounds the call; a cancelled ctx returns its error.
//   - Errors wrap the storage sentinels (storage.ErrNotFound,
//     storage.ErrConflict, storage.ErrClosed, …) or ErrInvalid; anything else is
//     a back-end failure. The consent check turns every error other than
//     not-found into consent.unavailable (a deny).
//   - A record or event read back that fails Record.ValidateStored or
//     Event.ValidateStored is an error wrapping storage.ErrCorrupt (a
//     storage.RecordError naming it and the field), on every read but
//     RevokeConsent's; a listing fails rather than leave it out.
//   - Records returned are copies: the caller may keep and modify them.
//   - A write is atomic: when it returns an error, nothing of it was stored
//     (no record, no event, no revision change).
//   - A write is durable before it returns (fsync or a replicated commit), and
//     visible to every process that shares the store as soon as it returns.
//
// Revision and events (what makes the check's cache safe):
//   - Every successful AddConsent and every RevokeConsent that changes a record
//     appends exactly one Event and increases the revision by exactly one; the
//     Event's Seq is the new revision.
//   - Events become visible in Seq order without gaps: once ConsentRevision
//     returns r, ConsentEventsSince can return every event with Seq ≤ r.
//   - ConsentRevision must be cheap (the check calls it once per dial): an
//     atomic load for in-process stores, one single-key read for shared ones.
//   - A store that can lose acknowledged writes (a shared one) should also
//     implement RevisionStamper, which the check then reads instead of
//     ConsentRevision; without it, a lost write followed by other writes up
//     to the same revision goes unseen by the caches (see RevisionStamper).
type Store interface {
	// AddConsent stores a new record. The record must pass ValidateNew (else an
	// error wrapping ErrInvalid). A record whose ID already exists is an error
	// wrapping storage.ErrConflict, even if identical: consent given again is a
	// new record with a new ID, never an edit of an old one.
	AddConsent(ctx context.Context, r Record) error

	// Consent returns the record with the given id, or an error wrapping
	// storage.ErrNotFound.
	Consent(ctx context.Context, id string) (Record, error)

	// ConsentsByNumber returns every record of number n (revoked and expired
	// ones included) ordered by GrantedAt, then ID; none is an empty slice and
	// a nil error.
	ConsentsByNumber(ctx context.Context, n dialgate.Number) ([]Record, error)

	// RevokeConsent withdraws the record with the given id at instant at,
	// noting how the withdrawal arrived (channel, may be empty), and returns the
	// record as stored. An unknown id is an error wrapping storage.ErrNotFound
	// and writes nothing. Revoking an already revoked record changes nothing
	// (the first withdrawal stands, no event is added) and returns the record
	// with a nil error. The revocation is durable, and the revision raised,
	// before it returns.
	//
	// A withdrawal is never refused for its instant: at before the record's
	// GrantedAt (clock skew between the dialer and the system that captured
	// the consent, a grant recorded with a wrong zone offset) revokes the
	// record as of its grant — RevokedAt = GrantedAt: it never took effect —
	// and the revocation Event has At = GrantedAt and RequestedAt = at; the
	// record then denies at any instant. Implementations get this, and the
	// event, from RevokedRecord. A zero at, an at no store can keep as given
	// (a year outside 0000–9999, a zone offset with seconds), or a channel
	// that does not pass Record.Validate or is not valid UTF-8, is an error
	// wrapping ErrInvalid, and writes nothing; a stored record that does not
	// pass Validate is revoked all the same.
	RevokeConsent(ctx context.Context, id string, at time.Time, channel string) (Record, error)

	// ConsentHistory returns the events of number n in Seq order.
	ConsentHistory(ctx context.Context, n dialgate.Number) ([]Event, error)

	// ConsentRevision returns the store's consent revision: the Seq of the last
	// event, 0 for an empty store.
	ConsentRevision(ctx context.Context) (uint64, error)

	// ConsentEventsSince returns up to limit events with Seq > since, in Seq
	// order. limit must be positive. A store may keep only recent events for
	// this call; when events after since are no longer available it returns an
	// error wrapping ErrHistoryTruncated (the check then empties its cache).
	ConsentEventsSince(ctx context.Context, since uint64, limit int) ([]Event, error)
}

// RevisionStamper is implemented by a Store whose revision read also names
// the write that made the revision. The check's cache uses it when the
// store implements it (every store of this module does); a Store without it
// still works.
//
// Why: a shared store that loses acknowledged writes (Redis with
// appendfsync everysec crashing, a failover to a lagging replica or
// standby) can come back below a cache's revision and, through other
// processes' writes, reach that revision again with other events under the
// same Seqs — a revocation of a number the cache holds among them. Its
// revision then equals the cache's, and the revision alone tells the cache
// nothing happened. The stamp does: the cache purges when the stamp at its
// revision is not the one it read there.
//
// Contract, beyond Store's:
//   - Every write that raises the revision replaces the stamp, in the same
//     atomic write, with a value no other write of the store, in any history
//     it may come to hold, gives (a random value of 128 bits, or the event at
//     the revision carrying one); a write that does not raise the revision
//     leaves it as it is.
//   - ConsentRevisionStamp reads the revision and the stamp in one atomic
//     read, as cheap as ConsentRevision's (one key or row read, an extra
//     field of it); its revision is the one ConsentRevision would return.
//   - The stamp is "" when the write at the revision left none (revision 0,
//     or a write by a build before stamps). Data written by such builds
//     loads; an unstamped revision that equals the cache's cannot be told
//     apart from another unstamped one, but a write by this build always
//     stamps, so the new history of a store that lost writes shows as soon
//     as this build writes to it.
type RevisionStamper interface {
	// ConsentRevisionStamp returns the store's consent revision, as
	// ConsentRevision does, and the stamp of the write that made it.
	ConsentRevisionStamp(ctx context.Context) (rev uint64, stamp string, err error)
}

// NewRevisionStamp returns a random stamp for a write that raises a store's
// revision (see RevisionStamper): at least 128 random bits
// (crypto/rand.Text). Stores call it for every such write.
func NewRevisionStamp() string {
	return rand.Text()
}

// ErrHistoryTruncated is wrapped by ConsentEventsSince when the events asked
// for are no longer kept.
var ErrHistoryTruncated = errors.New("consent: event history truncated")

// SortRecords orders rs as Store.ConsentsByNumber returns them: by
// GrantedAt, then ID. Stores call it on what they read.
func SortRecords(rs []Record) {
	slices.SortFunc(rs, func(a, b Record) int {
		return cmp.Or(a.GrantedAt.Compare(b.GrantedAt), cmp.Compare(a.ID, b.ID))
	})
}
