package dnc

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage"
)

// Errors of the do-not-call store and lists.
var (
	// ErrNotListed is returned (wrapped) by RemoveDNC when the number is not
	// listed in that scope.
	// It wraps storage.ErrNotFound.
	ErrNotListed = fmt.Errorf("dnc: not listed: %w", storage.ErrNotFound)
	// ErrHeld is returned (wrapped) by RemoveDNC before the entry's hold ends.
	ErrHeld = errors.New("dnc: entry still held")
	// ErrInvalidEntry is wrapped by errors for malformed entries.
	ErrInvalidEntry = errors.New("dnc: invalid entry")
	// ErrChanged is returned (wrapped) by RemoveDNCIf when the stored entry
	// is not one its RemoveCondition allows removing (an entry removed and
	// added again since the caller read it); nothing is removed. It wraps
	// ErrHeld: a caller that does not read the entry again treats it as
	// still held.
	ErrChanged = fmt.Errorf("dnc: entry changed since it was read: %w", ErrHeld)
)

// RemoveCondition is what RemoveDNCIf requires of the stored entry, checked
// atomically with its removal. The zero RemoveCondition requires nothing.
type RemoveCondition struct {
	// AddedNotAfter, when not zero, keeps an entry whose AddedAt is after
	// it. A caller that decides on an entry it read (the profile's hold from
	// its AddedAt has passed) passes that entry's AddedAt: an entry removed
	// and added again in between — a new refusal, whose hold has not begun
	// to run — is then kept, while the entry read (or one added earlier,
	// whose hold ends no later) is removed.
	AddedNotAfter time.Time
}

// Allows reports whether c allows removing the stored entry e.
func (c RemoveCondition) Allows(e Entry) bool {
	return c.AddedNotAfter.IsZero() || !e.AddedAt.After(c.AddedNotAfter)
}

// Entry is one number on a store-backed do-not-call list: a refusal taken
// during a call, a complaint, an admin addition, an imported company list.
type Entry struct {
	// Number is the listed callee. Required.
	Number dialgate.Number `json:"number"`
	// Scope says which dials the entry blocks. Required.
	Scope Scope `json:"scope"`
	// List names the list ("opt_out", "complaints", "internal", an import name).
	// Required.
	List string `json:"list"`
	// Source says how the entry came: "call", "complaint", "admin", "import:<file>".
	Source string `json:"source,omitempty"`
	// AddedAt is when the refusal was made. Required.
	AddedAt time.Time `json:"added_at"`
	// HoldUntil is the earliest instant the entry may be removed (cn: a refusal
	// is never released before 12 months). Zero means it may be removed at once.
	HoldUntil time.Time `json:"hold_until,omitzero"`
	// Evidence references the proof of the refusal (decision id, recording id,
	// a SHA-256 of the request); never the raw number.
	Evidence string `json:"evidence,omitempty"`
}

// Validate reports the first malformed field of e, wrapping ErrInvalidEntry.
func (e Entry) Validate() error {
	switch {
	case !e.Number.IsValid():
		return fmt.Errorf("%w: number: missing", ErrInvalidEntry)
	case !e.Scope.IsValid():
		return fmt.Errorf("%w: scope: %q is not a valid scope", ErrInvalidEntry, e.Scope.String())
	case e.List == "" || len(e.List) > 128:
		return fmt.Errorf("%w: list: must be 1 to 128 bytes", ErrInvalidEntry)
	case e.AddedAt.IsZero():
		return fmt.Errorf("%w: added_at: missing", ErrInvalidEntry)
	case !e.HoldUntil.IsZero() && e.HoldUntil.Before(e.AddedAt):
		return fmt.Errorf("%w: hold_until: before added_at", ErrInvalidEntry)
	}
	// Stored as JSON, an instant of a year outside 0000–9999 does not
	// encode, and one whose zone offset has seconds reads back as another
	// (RFC 3339 drops them: a hold ending up to 59 s early). Refused alike
	// by every store, whatever it keeps.
	for _, f := range [...]struct {
		name string
		t    time.Time
	}{{"added_at", e.AddedAt}, {"hold_until", e.HoldUntil}} {
		switch unkeptInstant(f.t) {
		case unkeptYear:
			return fmt.Errorf("%w: %s: %s cannot be stored: year outside 0000–9999", ErrInvalidEntry, f.name, f.t.Format(time.RFC3339Nano))
		case unkeptOffset:
			return fmt.Errorf("%w: %s: %s cannot be stored as the same instant (a zone offset with seconds, or of 24 hours or more: give it in UTC or another offset)", ErrInvalidEntry, f.name, f.t.Format(time.RFC3339Nano))
		}
	}
	// Stored as JSON, text that is not UTF-8 reads back with U+FFFD in
	// place of each bad byte: another list, source or evidence than the
	// one written.
	for _, f := range [...]struct{ name, v string }{{"list", e.List}, {"source", e.Source}, {"evidence", e.Evidence}} {
		if !utf8.ValidString(f.v) {
			return fmt.Errorf("%w: %s: not valid UTF-8", ErrInvalidEntry, f.name)
		}
	}
	return nil
}

// What makes an instant one a store keeping JSON cannot keep as given
// (unkeptInstant).
const (
	keptInstant  = iota
	unkeptYear   // time.Time's MarshalJSON refuses it
	unkeptOffset // seconds dropped by RFC 3339, or 24 hours or more (refused)
)

// unkeptInstant reports whether t (zero: kept) can be stored as JSON and
// read back as the same instant: its year, in its own zone, within
// 0000–9999 and its zone offset whole minutes under 24 hours, as
// time.Time's MarshalJSON and RFC 3339 require. A comparison, not an
// encoding: stores call Validate on every entry they read (a look-up of a
// listed callee, each entry as the lists load).
func unkeptInstant(t time.Time) int {
	if t.IsZero() {
		return keptInstant
	}
	if y := t.Year(); y < 0 || y > 9999 {
		return unkeptYear
	}
	if _, off := t.Zone(); off%60 != 0 || off <= -24*3600 || off >= 24*3600 {
		return unkeptOffset
	}
	return keptInstant
}

// ValidateStored reports what makes e, read back from a store under the key
// (n, scope), unfit to be handed to the check: a field Validate refuses, or
// a number or scope other than the key's (zero n or scope: not compared).
// Stores call it on every entry they read and return its error wrapped in a
// storage.RecordError (storage.ErrCorrupt). Entries written by older builds
// load: no field has been added since the first release.
func (e Entry) ValidateStored(n dialgate.Number, scope Scope) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if n.IsValid() && e.Number != n {
		// Neither number in full: errors reach logs and audit records.
		return fmt.Errorf("%w: number: %s differs from the key's", ErrInvalidEntry, maskNumber(e.Number))
	}
	if scope != (Scope{}) && e.Scope != scope {
		return fmt.Errorf("%w: scope: %q differs from the key's %q", ErrInvalidEntry, e.Scope.String(), scope.String())
	}
	return nil
}

// StoredKey names the entry of n in scope, as stores name it in the
// errors about a stored entry (storage.RecordError): the number masked
// ("+86139…00 industry:finance"), since those errors reach logs and, as a
// check's reason, audit records, where a callee number never appears whole.
func StoredKey(n dialgate.Number, scope string) string {
	return maskNumber(n) + " " + scope
}

// maskNumber returns n with all but its country code, first three and last
// two national digits elided, or "(no number)".
func maskNumber(n dialgate.Number) string {
	if !n.IsValid() {
		return "(no number)"
	}
	cc := strconv.Itoa(n.CountryCode())
	nat := n.National()
	if len(nat) <= 5 {
		return "+" + cc + "…"
	}
	return "+" + cc + nat[:3] + "…" + nat[len(nat)-2:]
}

// Store keeps the store-backed do-not-call entries. An entry is keyed by
// (Number, Scope). Implementations must be safe for concurrent use;
// storage/memstore, boltstore, pgstore and redisstore implement it, and storage/storetest
// checks the contract. Every read (DNCEntries, ScanDNC) fails with an error
// wrapping storage.ErrCorrupt (a storage.RecordError naming the entry and
// field) on an entry that does not pass Entry.ValidateStored, rather than
// return or skip it. The writes judge the entry stored under their key the
// same way: AddDNC replaces a damaged one (an opt-out is never refused for
// what is wrong with it), RemoveDNC and RemoveDNCIf refuse to remove it.
//
// The bundled stores also implement ChangeFeed, so that a Lists built on one
// sees entries written straight into it. A Store without a ChangeFeed must
// be written only through the Lists (Lists.Add, Check.Add) once a Lists is
// built on it: the Lists' Bloom filter answers "not listed" for a number
// added behind its back.
type Store interface {
	// AddDNC records entries atomically: all or none, each validated first
	// (an invalid one fails the whole call with ErrInvalidEntry). It returns
	// only after the entries are durable. Adding an existing (number, scope)
	// keeps the stricter of the two (Merge): the stored entry, dated by the
	// later AddedAt and held until the later HoldUntil, so that a new
	// refusal added over an old entry restarts a hold counted from AddedAt
	// (Check.Remove) and no hold or entry's life is ever shortened; the same
	// add again (a retry) changes nothing. The store has no clock: the
	// caller bounds AddedAt by its own (see Lists.Add). A stored entry that
	// does not decode or fails
	// Entry.ValidateStored never fails the call: it is replaced by the entry
	// added, whose HoldUntil is extended to the damaged entry's hold_until
	// when that can still be read and is later (ReplaceDamaged,
	// StoredHoldUntil), so a hold is never shortened. A store should keep
	// the damaged bytes it replaces as evidence where it can, never in a log
	// (they hold the number).
	AddDNC(ctx context.Context, entries ...Entry) error
	// DNCEntries returns every entry of n, in any scope, ordered by scope text;
	// nil and no error when there is none.
	DNCEntries(ctx context.Context, n dialgate.Number) ([]Entry, error)
	// RemoveDNC removes the entry (n, scope) at instant t. It fails with
	// ErrNotListed when there is none and with ErrHeld when t is before the
	// entry's HoldUntil; removal is durable before it returns. A stored
	// entry that does not decode or fails Entry.ValidateStored is not
	// removed (its hold and AddedAt cannot be trusted): the call fails with
	// its storage.RecordError (storage.ErrCorrupt), checked in the same
	// atomic step as the hold and the removal.
	RemoveDNC(ctx context.Context, n dialgate.Number, scope Scope, t time.Time) error
	// RemoveDNCIf is RemoveDNC with a condition on the stored entry, checked
	// in the same atomic step as the hold and the removal: when cond does
	// not allow removing the entry stored (RemoveCondition.Allows), it fails
	// with ErrChanged and removes nothing. RemoveDNC is RemoveDNCIf with the
	// zero RemoveCondition.
	RemoveDNCIf(ctx context.Context, n dialgate.Number, scope Scope, t time.Time, cond RemoveCondition) error
	// ScanDNC calls fn for every entry, in number then scope order, until fn
	// returns an error, which ScanDNC returns.
	ScanDNC(ctx context.Context, fn func(Entry) error) error
}
