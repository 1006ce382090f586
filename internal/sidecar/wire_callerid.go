package sidecar

import (
	"context"
	"errors"
	"fmt"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/policy"
)

// ledgerAdmin adapts a callerid.Store to LedgerAdmin. After a durable write
// it reloads the profile's callerid check (when the profile has one), so the
// next Check sees the entry at once instead of after the check's poll
// interval.
type ledgerAdmin struct {
	store callerid.Store
	check *callerid.Check // nil: the profile has no callerid section
}

// wireLedger sets be.Ledger when the store keeps a ledger. The ledger is
// written even when the profile has no callerid section: it is the tenant's
// record of its numbering resources (CN-S7) whatever the profile checks.
func wireLedger(be *Backend, checks []dialgate.Checker, store callerid.Store) {
	if store == nil {
		be.unwired("callerid", "the store keeps no caller-ID ledger")
		return
	}
	a := ledgerAdmin{store: store}
	a.check, _ = policy.CheckOf[*callerid.Check](checks)
	be.Ledger = a
}

// AddLedgerEntry implements LedgerAdmin: it normalizes and stores e, then
// reloads the profile's callerid check so that the next Check sees it.
func (a ledgerAdmin) AddLedgerEntry(ctx context.Context, e LedgerEntry) error {
	ent := callerid.Entry{
		Tenant: e.Tenant, Number: e.Number, Type: callerid.ResourceType(e.Type),
		Holder: e.Holder, Access: e.Access, Qualification: e.Qualification,
		Purposes: e.Purposes, ValidFrom: e.ValidFrom, ValidUntil: e.ValidUntil,
		OfficeUseOnly: e.OfficeUseOnly,
	}
	ent, err := ent.Normalize()
	if err != nil {
		return ledgerFieldError(err)
	}
	if err := a.store.PutLedger(ctx, ent); err != nil {
		if errors.Is(err, callerid.ErrInvalidEntry) {
			return ledgerFieldError(err)
		}
		return err
	}
	if a.check != nil {
		// The entry is durable; reload now so that the next Check sees it.
		// A failed reload is reported (the client retries; PutLedger
		// replaces the entry, so the retry is harmless).
		if err := a.check.Refresh(ctx); err != nil {
			return fmt.Errorf("ledger entry stored, check not reloaded: %w", err)
		}
	}
	return nil
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
