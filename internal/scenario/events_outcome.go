package scenario

import (
	"context"
	"errors"
	"fmt"

	"github.com/dialgate/dialgate"
)

// maxRingSeconds bounds ring_seconds: a day.
const maxRingSeconds = 86400

// outcomeArgs are the keys of an outcome event: what happened to the call of
// the referenced dial step.
type outcomeArgs struct {
	To           string `json:"to,omitempty"`
	Answered     bool   `json:"answered,omitempty"`
	Conversation bool   `json:"conversation,omitempty"`
	RingSeconds  *int   `json:"ring_seconds,omitempty"`
	Abandoned    bool   `json:"abandoned,omitempty"`
	// AbandonMessage: a recorded message was played to the person who
	// answered the abandoned call (only with abandoned; otherwise the step's
	// error is outcome.invalid).
	AbandonMessage bool   `json:"abandon_message,omitempty"`
	Refused        bool   `json:"refused,omitempty"`
	Disposition    string `json:"disposition,omitempty"`
	RecordingID    string `json:"recording_id,omitempty"`
}

// outcomeEvent reports the outcome of an earlier decision to the Gate
// (Gate.ReportOutcome), for the checks that observe outcomes. Its error name
// is outcome.invalid for an outcome the Gate rejects.
func outcomeEvent() *eventSpec {
	return event(true, func(a *outcomeArgs) error {
		if a.RingSeconds != nil && *a.RingSeconds < 0 {
			return fmt.Errorf("ring_seconds: %d is negative", *a.RingSeconds)
		}
		// In nanoseconds a larger count overflows (18446744074 s read as
		// 0.29 s, a one-ring call); no call rings for a day.
		if a.RingSeconds != nil && *a.RingSeconds > maxRingSeconds {
			return fmt.Errorf("ring_seconds: %d is more than %d (a day)", *a.RingSeconds, maxRingSeconds)
		}
		if a.To != "" {
			if _, err := dialgate.ParseNumber(a.To); err != nil {
				return fmt.Errorf("to: %w", err)
			}
		}
		return nil
	}, func(ctx context.Context, env *Env, a *outcomeArgs, ref *dialgate.Decision) (Result, error) {
		if a.To != "" {
			if n, _ := dialgate.ParseNumber(a.To); n != ref.Dial.To {
				return Result{Error: "outcome.invalid", Message: "to is not the callee of the referenced decision"}, nil
			}
		}
		o := dialgate.Outcome{
			DecisionID:     ref.ID,
			Dial:           ref.Dial,
			Answered:       a.Answered,
			Conversation:   a.Conversation,
			Abandoned:      a.Abandoned,
			AbandonMessage: a.AbandonMessage,
			Refused:        a.Refused,
			Disposition:    a.Disposition,
			RecordingID:    a.RecordingID,
		}
		if a.RingSeconds != nil {
			o.RingDuration = secondsDuration(*a.RingSeconds)
		}
		if err := env.Gate.ReportOutcome(ctx, o); err != nil {
			if errors.Is(err, dialgate.ErrInvalidOutcome) {
				return Result{Error: "outcome.invalid", Message: err.Error()}, nil
			}
			return Result{}, err
		}
		return Result{}, nil
	})
}
