package sidecar

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A token bound to tenants asking to release another tenant's decision
// was told FailedPrecondition "an outcome of this decision's call was
// reported" when that decision was placed, and PermissionDenied when it
// was not: the answer told one tenant's dialer whether another tenant's
// call was placed. The tenant is checked first: PermissionDenied either
// way; the token's own placed decision is still FailedPrecondition.
func TestReleaseForeignPlacedDecisionTellsNothing(t *testing.T) {
	o := newDecisionOwners()
	ctx := context.WithValue(context.Background(), tokenKey{}, &tokenEntry{name: "acme", tenants: map[string]bool{"acme": true}})
	o.note(ctx, "dec-globex-placed", "globex", true)
	o.notePlaced("dec-globex-placed")
	o.note(ctx, "dec-globex", "globex", true)
	o.note(ctx, "dec-acme-placed", "acme", true)
	o.notePlaced("dec-acme-placed")
	for id, want := range map[string]codes.Code{
		"dec-globex-placed": codes.PermissionDenied,
		"dec-globex":        codes.PermissionDenied,
		"dec-acme-placed":   codes.FailedPrecondition,
	} {
		if got := status.Code(o.mayRelease(ctx, id)); got != want {
			t.Errorf("release of %s by a token bound to acme: %v, want %v", id, got, want)
		}
	}
	// An unbound token is told a placed decision is placed.
	if got := status.Code(o.mayRelease(context.Background(), "dec-globex-placed")); got != codes.FailedPrecondition {
		t.Errorf("release of a placed decision by an unbound token: %v, want FailedPrecondition", got)
	}
}
