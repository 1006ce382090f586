package sidecar

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/storage"
)

// ledgerAdmin adapts a callerid.Store to LedgerAdmin. After a durable write
// it reloads the profile's callerid check (when the profile has one), so the
// next Check sees the entry at once instead of after the check's poll
// interval.
type ledgerAdmin struct {
	store callerid.Store
	check *callerid.Check // nil: the profile has no callerid section
	// mu serialises the read, compare and write of AddLedgerEntry within
	// this sidecar, so that two concurrent requests for one number cannot
	// both find it absent and the second replace the first unnoticed.
	// Writers outside it (the other sidecars of a fleet, the CLI) are kept
	// out by the conditional write (callerid.PutLedgerChecked).
	mu sync.Mutex
}

// wireLedger sets be.Ledger when the store keeps a ledger. The ledger is
// written even when the profile has no callerid section: it is the tenant's
// record of its numbering resources (CN-S7) whatever the profile checks.
func wireLedger(be *Backend, checks []dialgate.Checker, store callerid.Store) {
	if store == nil {
		be.unwired("callerid", "the store keeps no caller-ID ledger")
		return
	}
	a := &ledgerAdmin{store: store}
	a.check, _ = policy.CheckOf[*callerid.Check](checks)
	be.Ledger = a
}

// AddLedgerEntry implements LedgerAdmin: it normalizes e, compares it with
// the entry the ledger holds for the number (a different one is refused,
// ErrAlreadyExists, unless e.Replace; the same one is not written again;
// with e.Prior, what it would replace must be e.Prior), stores it, then
// reloads the profile's callerid check so that the next Check sees it
// (when the reload fails, the check drops its ledger: the next Check reads
// it or is callerid.unavailable). The same entry again wraps
// auditlog.ErrUnchanged (no error: a retry, recorded as changing nothing).
//
// The entry is stored only while the ledger still holds what was read and
// compared: a store that implements callerid.ConditionalStore (memstore,
// boltstore, pgstore) checks that in the transaction of the write, so a
// writer sharing the store (another sidecar of a fleet) cannot come
// between; with another store the check is a read just before the write
// (two steps, callerid.PutLedgerChecked). An entry another writer changed,
// added, deleted or damaged in between is refused with
// ErrFailedPrecondition, naming the number, and nothing is stored.
func (a *ledgerAdmin) AddLedgerEntry(ctx context.Context, e LedgerEntry) error {
	ent, err := ledgerEntryOf(e)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	p, write, diff, err := a.prior(ctx, ent, e)
	if err != nil {
		return err
	}
	if p.Replaces != nil && !e.Replace {
		return fmt.Errorf("%s is in the ledger of tenant %q with another %s; set replace to replace the entry (the ledger keeps no history): %w",
			ent.Number, ent.Tenant, strings.Join(diff, ", "), ErrAlreadyExists)
	}
	if e.Prior != nil && !e.Prior.same(p) {
		return fmt.Errorf("the ledger entry of %s for tenant %q is not the one this request was recorded as replacing (another write came between, or it could not be read then): nothing changed; retry: %w",
			ent.Number, ent.Tenant, ErrFailedPrecondition)
	}
	if write {
		x := callerid.ExpectNone(ent.Tenant, ent.Number)
		switch {
		case p.Replaces != nil:
			x = callerid.ExpectSame(*p.Replaces)
		case p.Unreadable:
			x = callerid.ExpectDamaged(ent.Tenant, ent.Number)
		}
		err := callerid.PutLedgerChecked(ctx, a.store, []callerid.Expect{x}, ent)
		if ce := (*callerid.ConflictError)(nil); errors.As(err, &ce) {
			return fmt.Errorf("%w; nothing changed; retry: %w", ce, ErrFailedPrecondition)
		}
		if errors.Is(err, callerid.ErrInvalidEntry) {
			return ledgerFieldError(err)
		}
		if err != nil {
			return err
		}
	}
	if a.check != nil {
		// The entry is durable; reload now so that the next Check sees it.
		// A reload that fails does not undo the write, so it is no
		// failure of the write (reported as one, the RPC said "not
		// applied" and its change record "failed" of an entry in the
		// store): Refresh then drops the check's ledger, and the next
		// Check reads the ledger, the entry with it, or is
		// callerid.unavailable while it cannot.
		_ = a.check.Refresh(ctx)
	}
	if !write {
		// The ledger holds this entry already (a retry): recorded as a
		// request that changed nothing, not as another entry added.
		return fmt.Errorf("%w: the ledger holds this entry of %s already", auditlog.ErrUnchanged, ent.Number)
	}
	return nil
}

// LedgerPrior implements LedgerAdmin.
func (a *ledgerAdmin) LedgerPrior(ctx context.Context, e LedgerEntry) (LedgerPrior, error) {
	ent, err := ledgerEntryOf(e)
	if err != nil {
		return LedgerPrior{}, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	p, _, _, err := a.prior(ctx, ent, e)
	return p, err
}

// ledgerEntryOf returns e as a normalized ledger entry, or an error naming
// the field.
func ledgerEntryOf(e LedgerEntry) (callerid.Entry, error) {
	ent := callerid.Entry{
		Tenant: e.Tenant, Number: e.Number, Type: callerid.ResourceType(e.Type),
		Holder: e.Holder, Access: e.Access, Qualification: e.Qualification,
		Purposes: e.Purposes, ValidFrom: e.ValidFrom, ValidUntil: e.ValidUntil,
		OfficeUseOnly: e.OfficeUseOnly,
	}
	ent, err := ent.Normalize()
	if err != nil {
		return ent, ledgerFieldError(err)
	}
	return ent, nil
}

// prior reads the entry the ledger holds for ent's tenant and number and
// tells what storing ent (from request e) would replace, whether it must
// be written (not when the ledger holds the same entry) and, for an entry
// held with other facts, the fields that differ. An unreadable entry is an
// error unless e.Replace. Called with a.mu held.
func (a *ledgerAdmin) prior(ctx context.Context, ent callerid.Entry, e LedgerEntry) (p LedgerPrior, write bool, diff []string, err error) {
	prev, err := a.store.LedgerEntry(ctx, ent.Tenant, ent.Number)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return LedgerPrior{}, true, nil, nil
	case err != nil && e.Replace && errors.Is(err, storage.ErrCorrupt):
		// A damaged entry is replaced only on request (deploy.md).
		return LedgerPrior{Unreadable: true}, true, nil, nil
	case err != nil:
		return LedgerPrior{}, false, nil, err
	}
	cmp := ent
	if e.ValidFromNow && (prev.ValidFrom.IsZero() || !prev.ValidFrom.After(ent.ValidFrom)) {
		// valid_from was left to the server's clock: a retry of the
		// request that stored prev (earlier) is the same entry.
		cmp.ValidFrom = prev.ValidFrom
	}
	if diff = prev.ChangedFields(cmp); diff == nil {
		return LedgerPrior{}, false, nil, nil
	}
	return LedgerPrior{Replaces: &prev}, true, diff, nil
}

// ledgerFieldError turns a callerid.ErrInvalidEntry error ("holder: missing:
// callerid: invalid ledger entry") into a FieldError naming the field.
func ledgerFieldError(err error) error {
	msg := err.Error()
	if i := len(msg) - len(": "+callerid.ErrInvalidEntry.Error()); i > 0 && msg[i:] == ": "+callerid.ErrInvalidEntry.Error() {
		msg = msg[:i]
	}
	field, problem, ok := cutField(msg)
	if !ok {
		field, problem = "entry", msg
	}
	return &dialgate.FieldError{Field: field, Problem: problem, Err: err}
}

// cutField splits "field: problem" where field is a lower-case identifier
// (with optional [i] index), as the domain packages write their errors.
func cutField(msg string) (field, problem string, ok bool) {
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_', c == '[', c == ']', c == '.':
		case c == ':' && i > 0 && i+1 < len(msg) && msg[i+1] == ' ':
			return msg[:i], msg[i+2:], true
		default:
			return "", "", false
		}
	}
	return "", "", false
}
