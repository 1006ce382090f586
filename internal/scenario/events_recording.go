package scenario

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/recording"
)

// scenarioHoldID is the legal hold that hold_recording places and release_hold
// releases.
const scenarioHoldID = "scenario-hold"

// recordingErrorName maps recording errors to the error names of DESIGN §4.
func recordingErrorName(err error) (Result, error) {
	for _, m := range []struct {
		err  error
		name string
	}{
		{recording.ErrRetentionTooShort, "policy.retention_too_short"},
		{recording.ErrHeld, "recording.held"},
		{recording.ErrRetentionLocked, "recording.retention_locked"},
		{recording.ErrNotFound, "recording.not_found"},
		{recording.ErrExists, "recording.exists"},
		{recording.ErrInvalid, "recording.invalid"},
		{recording.ErrDeleting, "recording.deleting"},
	} {
		if errors.Is(err, m.err) {
			return Result{Error: m.name, Message: err.Error()}, nil
		}
	}
	return Result{}, err
}

// manager returns the run's recording Manager: the one the Gate's recording
// check links outcomes through, or one over the run's store with the
// profile's retention (or the 30-day floor) when the profile has no recording
// section.
func (env *Env) manager() (*recording.Manager, error) {
	if c, ok := FindCheck[*recording.Check](env); ok && c.Manager() != nil {
		return c.Manager(), nil
	}
	env.mu.Lock()
	defer env.mu.Unlock()
	if env.recordings == nil {
		m, err := policy.NewRecordingManager(env.Profile, env.Deps)
		if err != nil {
			return nil, err
		}
		env.recordings = m
	}
	return env.recordings, nil
}

// maxRetentionDays bounds retention_days: 100 years, the longest duration
// dialgate reads anywhere (dialgate.ParseDuration).
const maxRetentionDays = 36600

type recordingArgs struct {
	ID            string `json:"id"`
	Number        string `json:"number"`
	StartedAt     string `json:"started_at"`
	EndedAt       string `json:"ended_at,omitempty"` // the call's end; empty: the step's at stands for it
	RetentionDays *int   `json:"retention_days,omitempty"`
}

func recordingEvent() *eventSpec {
	return event(false, func(a *recordingArgs) error {
		if a.ID == "" {
			return errors.New("id: missing")
		}
		if _, err := dialgate.ParseNumber(a.Number); err != nil {
			return fmt.Errorf("number: %w", err)
		}
		if _, err := time.Parse(time.RFC3339, a.StartedAt); err != nil {
			return fmt.Errorf("started_at: want RFC 3339 with offset: %w", err)
		}
		if a.EndedAt != "" {
			if _, err := time.Parse(time.RFC3339, a.EndedAt); err != nil {
				return fmt.Errorf("ended_at: want RFC 3339 with offset: %w", err)
			}
		}
		// In nanoseconds a larger count overflows (213535 days read as 31).
		if a.RetentionDays != nil && *a.RetentionDays > maxRetentionDays {
			return fmt.Errorf("retention_days: %d is more than %d (100 years)", *a.RetentionDays, maxRetentionDays)
		}
		return nil
	}, func(ctx context.Context, env *Env, a *recordingArgs, _ *dialgate.Decision) (Result, error) {
		m, err := env.manager()
		if err != nil {
			return Result{}, err
		}
		n, _ := dialgate.ParseNumber(a.Number)
		started, _ := time.Parse(time.RFC3339, a.StartedAt)
		reg := recording.Registration{ID: a.ID, Callee: n, StartedAt: started, Tenant: env.Tenant}
		if a.EndedAt != "" {
			// Before started_at or after the step's at: recording.invalid.
			reg.EndedAt, _ = time.Parse(time.RFC3339, a.EndedAt)
		}
		if a.RetentionDays != nil {
			reg.Retention = dialgate.Duration(time.Duration(*a.RetentionDays) * 24 * time.Hour)
			if *a.RetentionDays <= 0 {
				// A non-positive retention is refused, never read as "the
				// default"; the message names what the file said.
				return recordingErrorName(fmt.Errorf("retention_days: %d is below the 30-day floor: %w", *a.RetentionDays, recording.ErrRetentionTooShort))
			}
		}
		_, err = m.Register(ctx, env.Clock.Now(), reg)
		if err != nil {
			return recordingErrorName(err)
		}
		return Result{}, nil
	})
}

type recordingIDArgs struct {
	ID string `json:"id"`
}

func validateRecordingID(a *recordingIDArgs) error {
	if a.ID == "" {
		return errors.New("id: missing")
	}
	return nil
}

func recordingIDEvent(run func(ctx context.Context, env *Env, m *recording.Manager, id string) error) *eventSpec {
	return event(false, validateRecordingID, func(ctx context.Context, env *Env, a *recordingIDArgs, _ *dialgate.Decision) (Result, error) {
		m, err := env.manager()
		if err != nil {
			return Result{}, err
		}
		if err := run(ctx, env, m, a.ID); err != nil {
			return recordingErrorName(err)
		}
		return Result{}, nil
	})
}

type endRecordingArgs struct {
	ID      string `json:"id"`
	EndedAt string `json:"ended_at"` // the call's end (recording.Manager.End)
}

// endRecordingEvent gives a recording registered without its end the end
// of its call (recording.Manager.End, gRPC EndRecording) at the step's at.
func endRecordingEvent() *eventSpec {
	return event(false, func(a *endRecordingArgs) error {
		if a.ID == "" {
			return errors.New("id: missing")
		}
		if _, err := time.Parse(time.RFC3339, a.EndedAt); err != nil {
			return fmt.Errorf("ended_at: want RFC 3339 with offset: %w", err)
		}
		return nil
	}, func(ctx context.Context, env *Env, a *endRecordingArgs, _ *dialgate.Decision) (Result, error) {
		m, err := env.manager()
		if err != nil {
			return Result{}, err
		}
		ended, _ := time.Parse(time.RFC3339, a.EndedAt)
		// Before started_at or after the step's at: recording.invalid.
		if _, err := m.End(ctx, env.Clock.Now(), a.ID, ended); err != nil {
			return recordingErrorName(err)
		}
		return Result{}, nil
	})
}

func holdRecordingEvent() *eventSpec {
	return recordingIDEvent(func(ctx context.Context, env *Env, m *recording.Manager, id string) error {
		return m.Hold(ctx, id, recording.Hold{ID: scenarioHoldID, Reason: "scenario hold_recording", PlacedAt: env.Clock.Now()})
	})
}

func releaseHoldEvent() *eventSpec {
	return recordingIDEvent(func(ctx context.Context, _ *Env, m *recording.Manager, id string) error {
		return m.ReleaseHold(ctx, id, scenarioHoldID)
	})
}

func deleteRecordingEvent() *eventSpec {
	return recordingIDEvent(func(ctx context.Context, env *Env, m *recording.Manager, id string) error {
		return m.Delete(ctx, id, env.Clock.Now())
	})
}

type sweepArgs struct{}

func sweepRecordingsEvent() *eventSpec {
	return event(false, nil, func(ctx context.Context, env *Env, _ *sweepArgs, _ *dialgate.Decision) (Result, error) {
		m, err := env.manager()
		if err != nil {
			return Result{}, err
		}
		rep, err := m.Sweep(ctx, env.Clock.Now())
		if err != nil {
			return Result{}, err
		}
		n := len(rep.Deleted)
		return Result{Deleted: &n}, nil
	})
}

type complaintArgs struct {
	Number         string `json:"number"`
	Scope          string `json:"scope,omitempty"`
	CallDecisionID string `json:"call_decision_id,omitempty"`
	Channel        string `json:"channel,omitempty"`
}

// complaintEvent files a complaint: the number goes on the do-not-call list
// through the Gate's own dnc check (so the next dial is denied), the callee's
// recordings are held, and the handling clock starts.
func complaintEvent() *eventSpec {
	spec := event(false, func(a *complaintArgs) error {
		if _, err := dialgate.ParseNumber(a.Number); err != nil {
			return fmt.Errorf("number: %w", err)
		}
		if a.Scope != "" {
			if _, err := dnc.ParseScope(a.Scope); err != nil {
				return fmt.Errorf("scope: %w", err)
			}
		}
		return nil
	}, func(ctx context.Context, env *Env, a *complaintArgs, ref *dialgate.Decision) (Result, error) {
		lists, ok := FindCheck[*dnc.Check](env)
		if !ok {
			return Result{}, errors.New("complaint: the profile has no dnc section, so a complaint cannot list the number")
		}
		m, err := env.manager()
		if err != nil {
			return Result{}, err
		}
		desk, err := policy.NewComplaintDesk(env.Profile, env.Stores.Complaints, lists, m, env.Deps.CalleeHasher)
		if err != nil {
			return Result{}, err
		}
		n, _ := dialgate.ParseNumber(a.Number)
		f := complaint.Filing{Number: n, Tenant: env.Tenant, Channel: complaint.ChannelPhone, DecisionID: a.CallDecisionID}
		if a.Channel != "" {
			f.Channel = complaint.Channel(a.Channel)
		}
		if ref != nil {
			f.DecisionID = ref.ID
		}
		if a.Scope != "" {
			f.Scope, _ = dnc.ParseScope(a.Scope)
		}
		env.mu.Lock()
		env.complaints++
		f.ID = "cp-" + strconv.Itoa(env.complaints)
		env.mu.Unlock()
		if _, err := desk.File(ctx, env.Clock.Now(), f); err != nil {
			if errors.Is(err, complaint.ErrInvalid) {
				return Result{Error: "complaint.invalid", Message: err.Error()}, nil
			}
			return Result{}, err
		}
		return Result{}, nil
	})
	spec.decisionKey = "call_decision_id"
	return spec
}
