package callerid

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage"
)

// ConditionalStore is a Store that can write entries on a condition checked
// in the same transaction as the write. memstore.Store, boltstore.Store and
// pgstore.Store implement it; storetest.TestCallerID checks it on every
// store that does.
//
// A writer that must say what a write replaces (the CLI's ledger add and
// import with --replace, the AdminService's AddLedgerEntry, whose change
// records name the entry replaced) reads the entry, records the change,
// then writes with PutLedgerIf: a write another writer got ahead of is
// refused instead of overwriting what the record does not name. A Store
// without it can only be read and then written in two steps, with that
// window open on a store several processes share; callers fall back to the
// two steps and say so.
type ConditionalStore interface {
	Store
	// PutLedgerIf stores entries as PutLedger does (all or none, each after
	// Normalize, one (Tenant, Number) at most once, the ledger version
	// changed) if, and only if, the ledger holds for each of them what its
	// Expect says, checked in the same transaction (or under the same lock)
	// as the write: two concurrent calls expecting the same state cannot
	// both succeed. expect must give exactly one Expect for the
	// (Tenant, Number) of each entry and none for another key (otherwise an
	// error wrapping storage.ErrInvalid, nothing written); entries that fail
	// Validate are refused as by PutLedger (ErrInvalidEntry).
	//
	// When one entry's stored state differs from its Expect nothing is
	// written and the error is a *ConflictError (wrapping
	// storage.ErrConflict) naming the first such (Tenant, Number) in the
	// order of entries. A store error (storage.ErrUnavailable,
	// storage.ErrClosed…) also writes nothing.
	PutLedgerIf(ctx context.Context, expect []Expect, entries ...Entry) error
}

// ExpectState is the stored state an Expect asks for.
type ExpectState int

const (
	// ExpectAbsent: the ledger holds no entry for the key. The zero
	// ExpectState is not a state: an Expect without one is refused
	// (storage.ErrInvalid), not taken as "absent".
	ExpectAbsent ExpectState = iota + 1
	// ExpectEntry: the ledger holds, for the key, an entry with the facts
	// of Expect.Entry (Entry.ChangedFields reports none).
	ExpectEntry
	// ExpectUnreadable: the ledger holds an entry for the key that cannot
	// be read (damaged: the store's read of it fails with storage.ErrCorrupt).
	ExpectUnreadable
)

// String returns "absent", "entry", "unreadable", or "ExpectState(n)".
func (s ExpectState) String() string {
	switch s {
	case ExpectAbsent:
		return "absent"
	case ExpectEntry:
		return "entry"
	case ExpectUnreadable:
		return "unreadable"
	}
	return fmt.Sprintf("ExpectState(%d)", int(s))
}

// Expect is what a conditional write (ConditionalStore.PutLedgerIf)
// expects the ledger to hold for one (Tenant, Number) when it writes. Make
// one with ExpectNone, ExpectSame or ExpectDamaged; the zero Expect is
// refused.
type Expect struct {
	Tenant string          // the key's tenant
	Number dialgate.Number // the key's number
	State  ExpectState     // what the ledger must hold for the key
	// Entry is, with ExpectEntry, the entry expected, as LedgerEntry
	// returned it (its Tenant and Number are those of the key).
	Entry Entry
}

// ExpectNone expects the ledger to hold no entry for tenant and n.
func ExpectNone(tenant string, n dialgate.Number) Expect {
	return Expect{Tenant: tenant, Number: n, State: ExpectAbsent}
}

// ExpectSame expects the ledger to hold e (as read: the same facts) for
// e's tenant and number.
func ExpectSame(e Entry) Expect {
	return Expect{Tenant: e.Tenant, Number: e.Number, State: ExpectEntry, Entry: e}
}

// ExpectDamaged expects the ledger to hold an entry for tenant and n that
// it cannot read (storage.ErrCorrupt).
func ExpectDamaged(tenant string, n dialgate.Number) Expect {
	return Expect{Tenant: tenant, Number: n, State: ExpectUnreadable}
}

// ConflictError is the error of a conditional write (PutLedgerIf) refused
// because the ledger does not hold, for Tenant and Number, what the
// writer expected: another writer changed, added or deleted the entry
// since it was read. It wraps storage.ErrConflict.
type ConflictError struct {
	Tenant string          // the key's tenant
	Number dialgate.Number // the key's number
	Want   ExpectState     // what the writer expected
	Found  ExpectState     // what the ledger holds: ExpectEntry also when it holds other facts than expected
	// Changed names, when both are entries, the fields in which the
	// stored entry differs from the one expected (Entry.ChangedFields).
	Changed []string
}

// Error names the number, the tenant and what was expected and found.
func (e *ConflictError) Error() string {
	var found string
	switch {
	case e.Found == ExpectAbsent:
		found = "holds none"
	case e.Found == ExpectUnreadable:
		found = "holds one that cannot be read"
	case e.Want == ExpectEntry && len(e.Changed) > 0:
		found = "holds one with another " + strings.Join(e.Changed, ", ")
	default:
		found = "holds one"
	}
	var want string
	switch e.Want {
	case ExpectAbsent:
		want = "none"
	case ExpectUnreadable:
		want = "an unreadable one"
	default:
		want = "the one read before"
	}
	return fmt.Sprintf("ledger entry %s of tenant %q: another writer changed it: the ledger %s, expected %s: %v", e.Number, e.Tenant, found, want, storage.ErrConflict)
}

// Unwrap returns storage.ErrConflict.
func (e *ConflictError) Unwrap() error { return storage.ErrConflict }

// Match returns nil when the ledger's state for x's key is what x expects,
// and otherwise a *ConflictError. found is the stored entry (nil: the
// ledger holds none for the key); damaged reports that the ledger holds
// one that cannot be read (found is then ignored). Stores implementing
// PutLedgerIf call it under the write's lock or transaction.
func (x Expect) Match(found *Entry, damaged bool) error {
	got := ExpectAbsent
	switch {
	case damaged:
		got = ExpectUnreadable
	case found != nil:
		got = ExpectEntry
	}
	if got == x.State {
		if got != ExpectEntry {
			return nil
		}
		changed := x.Entry.ChangedFields(*found)
		if changed == nil {
			return nil
		}
		return &ConflictError{Tenant: x.Tenant, Number: x.Number, Want: x.State, Found: got, Changed: changed}
	}
	return &ConflictError{Tenant: x.Tenant, Number: x.Number, Want: x.State, Found: got}
}

// PairExpects normalizes entries (NormalizeEntries: errors wrap
// ErrInvalidEntry) and returns them with, for each, its Expect from
// expect. An Expect that is malformed (no state, an ExpectEntry whose
// entry is of another key), that names a key twice or a key no entry has,
// or an entry without an Expect is an error wrapping storage.ErrInvalid
// naming it. Stores implementing PutLedgerIf call it before their
// transaction.
func PairExpects(expect []Expect, entries []Entry) ([]Entry, []Expect, error) {
	norm, err := NormalizeEntries(entries)
	if err != nil {
		return nil, nil, err
	}
	byKey := make(map[key]int, len(expect))
	for i, x := range expect {
		switch x.State {
		case ExpectAbsent, ExpectUnreadable:
		case ExpectEntry:
			if x.Entry.Tenant != x.Tenant || x.Entry.Number != x.Number {
				return nil, nil, fmt.Errorf("expect[%d]: entry: %s of tenant %q, not the key's %s of tenant %q: %w",
					i, x.Entry.Number, x.Entry.Tenant, x.Number, x.Tenant, storage.ErrInvalid)
			}
		default:
			return nil, nil, fmt.Errorf("expect[%d]: state: %v is not a state (use ExpectNone, ExpectSame or ExpectDamaged): %w", i, x.State, storage.ErrInvalid)
		}
		k := key{x.Tenant, x.Number}
		if j, dup := byKey[k]; dup {
			return nil, nil, fmt.Errorf("expect[%d]: %s of tenant %q already given as expect[%d]: %w", i, x.Number, x.Tenant, j, storage.ErrInvalid)
		}
		byKey[k] = i
	}
	out := make([]Expect, len(norm))
	for i, e := range norm {
		j, ok := byKey[key{e.Tenant, e.Number}]
		if !ok {
			return nil, nil, fmt.Errorf("entries[%d]: %s of tenant %q: no expect for it: %w", i, e.Number, e.Tenant, storage.ErrInvalid)
		}
		out[i] = expect[j]
		delete(byKey, key{e.Tenant, e.Number})
	}
	for _, j := range byKey {
		x := expect[j]
		return nil, nil, fmt.Errorf("expect[%d]: %s of tenant %q: no entry to write for it: %w", j, x.Number, x.Tenant, storage.ErrInvalid)
	}
	return norm, out, nil
}

// PutLedgerChecked stores entries in s with PutLedgerIf when s is a
// ConditionalStore. Otherwise it checks each entry's Expect with a read
// (LedgerEntry) and then calls PutLedger: two steps, between which a
// write by another process sharing the store is not seen (only a store
// used by one process, such as a locked boltstore file, closes that
// window). Errors are as for PutLedgerIf.
func PutLedgerChecked(ctx context.Context, s Store, expect []Expect, entries ...Entry) error {
	if cs, ok := s.(ConditionalStore); ok {
		return cs.PutLedgerIf(ctx, expect, entries...)
	}
	norm, xs, err := PairExpects(expect, entries)
	if err != nil {
		return err
	}
	for i, x := range xs {
		e, err := s.LedgerEntry(ctx, x.Tenant, x.Number)
		var merr error
		switch {
		case errors.Is(err, storage.ErrNotFound):
			merr = x.Match(nil, false)
		case errors.Is(err, storage.ErrCorrupt):
			merr = x.Match(nil, true)
		case err != nil:
			return fmt.Errorf("entries[%d]: %w", i, err)
		default:
			merr = x.Match(&e, false)
		}
		if merr != nil {
			return merr
		}
	}
	return s.PutLedger(ctx, norm...)
}
