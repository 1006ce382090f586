package dialgate

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestNilContextFailsClosed: a nil context (a dialer's forgotten field, a
// nil request context) given to Check, Release, ReportOutcome or MarkPlaced
// is refused with an error naming ctx and wrapping ErrInvalidConfig — Check's
// Decision denying — instead of a nil pointer panic in the dialer's goroutine.
func TestNilContextFailsClosed(t *testing.T) {
	ran := false
	check := CheckerFunc("probe", func(ctx context.Context, d Dial) ([]Reason, error) {
		ran = true
		return nil, ctx.Err()
	})
	g, err := New([]Checker{check}, WithoutAuditLog())
	if err != nil {
		t.Fatal(err)
	}
	var nilCtx context.Context
	d := Dial{To: MustParseNumber("+8613800138000"), Purpose: PurposeService, LeadID: "x"}
	wantErr := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "ctx") {
			t.Errorf("%s(nil ctx) = %v; want an error naming ctx, wrapping ErrInvalidConfig", what, err)
		}
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("Check(nil ctx) panicked: %v", r)
			}
		}()
		dec, err := g.Check(nilCtx, d)
		if dec.Allowed || len(dec.Reasons) == 0 {
			t.Errorf("Check(nil ctx) = allowed %v, reasons %v; want a deny naming why", dec.Allowed, dec.Reasons)
		}
		wantErr("Check", err)
	}()
	if ran {
		t.Error("a check ran with a nil context")
	}
	for name, f := range map[string]func() error{
		"Release":       func() error { return g.Release(nilCtx, Decision{ID: "dg-x", Dial: d}) },
		"ReportOutcome": func() error { return g.ReportOutcome(nilCtx, Outcome{DecisionID: "dg-x", Dial: d, Answered: true}) },
		"MarkPlaced":    func() error { return g.MarkPlaced(nilCtx, "dg-x") },
	} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("%s(nil ctx) panicked: %v", name, r)
				}
			}()
			wantErr(name, f())
		}()
	}
}
