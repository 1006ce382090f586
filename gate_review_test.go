package dialgate_test

import (
	"context"
	"errors"
	"testing"

	"github.com/dialgate/dialgate"
)

// nilPtrErr is an error type whose Error method dereferences its receiver,
// as most do: a nil *nilPtrErr in an error interface is a non-nil error
// (the classic typed-nil mistake) whose Error panics.
type nilPtrErr struct{ msg string }

func (e *nilPtrErr) Error() string { return e.msg }

// typedNil returns a nil *nilPtrErr as a non-nil error.
func typedNil() error {
	var e *nilPtrErr
	return e
}

// typedNilCommitter is a Committer whose Commit fails with a typed nil.
type typedNilCommitter struct{ dialgate.Checker }

func (typedNilCommitter) Commit(context.Context, dialgate.Dial, string) ([]dialgate.Reason, error) {
	return nil, typedNil()
}
func (typedNilCommitter) Release(context.Context, string) error { return nil }

// A check (or a Committer) that returns a typed nil error — a non-nil
// error whose Error method panics — could not decide: the Gate denies with
// "<check>.unavailable" like for any other error, and must not panic while
// writing the reason's message (a panic there is outside the recover that
// guards the check, and would crash the dialer or the sidecar).
func TestTypedNilErrorDeniesWithoutPanic(t *testing.T) {
	for _, tc := range []struct {
		name   string
		checks []dialgate.Checker
		want   string
	}{
		{"check", []dialgate.Checker{dialgate.CheckerFunc("store", func(context.Context, dialgate.Dial) ([]dialgate.Reason, error) {
			return nil, typedNil()
		})}, "store.unavailable"},
		{"one committer", []dialgate.Checker{typedNilCommitter{pass("frequency")}}, "frequency.unavailable"},
		{"two committers", []dialgate.Checker{newCapacity("sweep", 5), typedNilCommitter{pass("frequency")}}, "frequency.unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := &memLog{}
			g := mustGate(t, tc.checks, dialgate.WithAuditLog(log))
			var (
				dec dialgate.Decision
				err error
			)
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("Check panicked on a typed nil error: %v", p)
					}
				}()
				dec, err = g.Check(context.Background(), serviceDial())
			}()
			if err != nil {
				t.Fatalf("a failing check must deny, not error: %v", err)
			}
			if dec.Allowed || codes(dec) != tc.want {
				t.Fatalf("decision %s allowed=%v, want a deny with %s", codes(dec), dec.Allowed, tc.want)
			}
			if len(log.decisions) != 1 || log.decisions[0].Allowed {
				t.Fatalf("audit log holds %d decisions, want the deny", len(log.decisions))
			}
		})
	}
}

// typedNilLog is an AuditLog whose RecordDecision fails with a typed nil.
type typedNilLog struct{ memLog }

func (*typedNilLog) RecordDecision(context.Context, dialgate.Decision) error { return typedNil() }

func TestTypedNilAuditErrorDenies(t *testing.T) {
	g := mustGate(t, []dialgate.Checker{pass("a")}, dialgate.WithAuditLog(&typedNilLog{}))
	dec, err := g.Check(context.Background(), serviceDial())
	if !errors.Is(err, dialgate.ErrAuditUnavailable) || dec.Allowed || !dec.Has(dialgate.CodeAuditUnavailable) {
		t.Fatalf("decision %s allowed=%v err=%v", codes(dec), dec.Allowed, err)
	}
}
