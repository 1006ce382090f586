package dnc

import (
	"encoding/json"
	"time"
)

// What a store does when it writes over an entry it holds: AddDNC of an
// entry whose (number, scope) is already stored.

// Merge returns the entry a store keeps when e is added over old, the sound
// entry (ValidateStored passed) it holds under e's key: the stricter of the
// two. That is old (its list, source and evidence), dated by the later
// AddedAt of the two and held until the later HoldUntil, so that neither a
// hold nor the entry's life is ever shortened: a new refusal added over an
// old entry (Lists.Add, which sets no hold) is a refusal whose hold has just
// begun, and a profile's hold counts from AddedAt (Check.Remove). Dated
// again, a hold that then ends before AddedAt is AddedAt (a valid entry).
// An older add changes nothing it would shorten; the same add again (a
// retry: the same AddedAt and HoldUntil) changes nothing. changed reports
// whether keep differs from old (false: nothing to write).
//
// Merge has no clock: an AddedAt after the caller's clock (a skewed host)
// dates the entry from then, holding it longer, never shorter, as the same
// entry added afresh would be. The entry points that take an AddedAt from
// outside bound it by their clock (see Lists.Add).
func Merge(old, e Entry) (keep Entry, changed bool) {
	keep = old
	if e.AddedAt.After(keep.AddedAt) {
		keep.AddedAt, changed = e.AddedAt, true
	}
	if e.HoldUntil.After(keep.HoldUntil) {
		keep.HoldUntil, changed = e.HoldUntil, true
	}
	if !keep.HoldUntil.IsZero() && keep.HoldUntil.Before(keep.AddedAt) {
		keep.HoldUntil = keep.AddedAt // only when dated again: changed
	}
	return keep, changed
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
