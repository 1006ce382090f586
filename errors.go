package dialgate

import (
	"errors"
	"fmt"
)

// Sentinel errors returned (wrapped) by the Gate. Check them with errors.Is.
var (
	// ErrInvalidDial is wrapped by the error Gate.Check returns for a malformed
	// Dial; the Decision returned with it denies with reason dial.invalid.
	ErrInvalidDial = errors.New("dialgate: invalid dial")
	// ErrAuditUnavailable is wrapped by the error Gate.Check returns when the
	// decision could not be recorded; the Decision denies with audit.unavailable.
	ErrAuditUnavailable = errors.New("dialgate: audit log unavailable")
	// ErrInvalidOutcome is wrapped by the error Gate.ReportOutcome returns for a
	// malformed Outcome.
	ErrInvalidOutcome = errors.New("dialgate: invalid outcome")
	// ErrInvalidConfig is wrapped by the error New returns for bad checks or options.
	ErrInvalidConfig = errors.New("dialgate: invalid configuration")
	// ErrPlaced is wrapped by the error Gate.Release (and Gate.ReportOutcome
	// with Released) returns for a decision an outcome of a placed call was
	// reported for, as recorded by the Gate's PlacedGuard (WithPlacedGuard):
	// a placed call counts against its caps, so its capacity is not given
	// back. Retrying does not help.
	ErrPlaced = errors.New("dialgate: the decision's call was placed (an outcome was reported); Release is only for a dial that was not placed")
)

// FieldError reports a bad field of a Dial or Outcome. It wraps ErrInvalidDial or
// ErrInvalidOutcome.
type FieldError struct {
	Field   string // the field's wire name, e.g. "to", "purpose", "trigger_at"
	Problem string // what is wrong with it
	Err     error  // ErrInvalidDial or ErrInvalidOutcome; may wrap a cause
}

// Error returns "<field>: <problem>".
func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: %s", e.Field, e.Problem)
}

// Unwrap returns the sentinel (and cause) the error wraps.
func (e *FieldError) Unwrap() error { return e.Err }

func dialFieldErr(field, problem string) error {
	return &FieldError{Field: field, Problem: problem, Err: ErrInvalidDial}
}
