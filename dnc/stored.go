package dnc

import (
	"encoding/json"
	"time"
)

// What a store does when it writes over an entry it holds: AddDNC of an
// entry whose (number, scope) is already stored.

// Merge returns the entry a store keeps when e is added over old, the sound
// entry (ValidateStored passed) it holds under e's key: old, its HoldUntil
// extended to e's when that is later; changed reports whether it differs
// from old (false: nothing to write).
func Merge(old, e Entry) (keep Entry, changed bool) {
	if !e.HoldUntil.After(old.HoldUntil) {
		return old, false
	}
	old.HoldUntil = e.HoldUntil
	return old, true
}

// ReplaceDamaged returns the entry a store keeps when e is added over a
// damaged entry it holds under e's key (one that does not decode or fails
// ValidateStored): e, which is sound, with its HoldUntil extended to the
// latest of holds (the damaged entry's hold_until, when it can be read: see
// StoredHoldUntil; a store may pass another copy it keeps, such as an index
// column) when that is later, and then no earlier than e.AddedAt, so a hold
// is never shortened and the entry stays valid. Adding an opt-out is never
// refused for what is wrong with the entry stored.
func ReplaceDamaged(e Entry, holds ...time.Time) Entry {
	for _, h := range holds {
		if h.After(e.HoldUntil) {
			e.HoldUntil = h
		}
	}
	if !e.HoldUntil.IsZero() && e.HoldUntil.Before(e.AddedAt) {
		e.HoldUntil = e.AddedAt
	}
	return e
}

// StoredHoldUntil reads only the hold_until of a stored entry's JSON, which
// may be damaged otherwise (a field missing, another of the wrong type); it
// returns the zero time when raw is not a JSON object or its hold_until is
// absent or unreadable.
func StoredHoldUntil(raw []byte) time.Time {
	var v struct {
		HoldUntil time.Time `json:"hold_until"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return time.Time{}
	}
	return v.HoldUntil
}
