package sidecar

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/policy"
)

// dncAdmin adapts the profile's *dnc.Check to DNCAdmin: additions go through
// the check (so its in-memory filter sees them before the RPC returns) and
// are durable in the store.
type dncAdmin struct{ c *dnc.Check }

func wireDNC(be *Backend, prof string, checks []dialgate.Checker) {
	dc, ok := policy.CheckOf[*dnc.Check](checks)
	if !ok || dc.Lists() == nil {
		be.unwired("dnc", "profile "+prof+" has no dnc section with store-backed lists")
		return
	}
	be.DNC = dncAdmin{c: dc}
	be.SnapshotAges = func(now time.Time) []SnapshotAge {
		var out []SnapshotAge
		for _, p := range dc.Providers() {
			if st, ok := p.Status(); ok {
				out = append(out, SnapshotAge{List: p.Name(), Age: now.Sub(st.AsOf)})
			} else {
				out = append(out, SnapshotAge{List: p.Name(), Missing: true})
			}
		}
		return out
	}
}

// unwired notes why the admin domain has no adapter.
func (be *Backend) unwired(domain, why string) {
	if be.Unwired == nil {
		be.Unwired = map[string]string{}
	}
	be.Unwired[domain] = why
}

func dncScope(s string) (dnc.Scope, error) {
	sc, err := dnc.ParseScope(s)
	if err != nil {
		return dnc.Scope{}, &dialgate.FieldError{Field: "scope", Problem: err.Error(), Err: dialgate.ErrInvalidDial}
	}
	return sc, nil
}

// AddDNC implements DNCAdmin: it adds e to the "opt_out" list through the
// check, with source "admin" when e.Source is empty.
func (a dncAdmin) AddDNC(ctx context.Context, e DNCEntry) error {
	sc, err := dncScope(e.Scope)
	if err != nil {
		return err
	}
	src := e.Source
	if src == "" {
		src = "admin"
	}
	return a.c.Add(ctx, dnc.Entry{Number: e.Number, Scope: sc, List: "opt_out", Source: src, AddedAt: e.AddedAt})
}

// RemoveDNC implements DNCAdmin: an entry not listed is not an error but
// wraps auditlog.ErrUnchanged (a retry, or a number never listed in that
// scope: the removal is recorded as changing nothing, not as an opt-out
// removed); one still held at at (the Backend's clock, as for AddDncEntry's added_at) by
// its own hold_until or by the profile's hold from its added_at
// (dnc.Check.Remove) wraps ErrFailedPrecondition and names "number" and
// the end of the hold: the request is sound, the state refuses it, and a
// retry will not succeed before the hold ends.
func (a dncAdmin) RemoveDNC(ctx context.Context, n dialgate.Number, scope string, at time.Time) error {
	sc, err := dncScope(scope)
	if err != nil {
		return err
	}
	err = a.c.Remove(ctx, n, sc, at)
	switch {
	case errors.Is(err, dnc.ErrNotListed):
		return fmt.Errorf("%w: %w", auditlog.ErrUnchanged, err)
	case errors.Is(err, dnc.ErrHeld):
		return fmt.Errorf("%w: number: the entry is still held (a refusal may not be released yet): %w", ErrFailedPrecondition, err)
	}
	return err
}
