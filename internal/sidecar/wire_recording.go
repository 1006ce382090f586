package sidecar

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/recording"
)

// recordingAdmin adapts the recording check's *recording.Manager (the one
// that links outcomes and holds a complainant's recordings) to
// RecordingAdmin.
type recordingAdmin struct {
	m *recording.Manager
}

// wireRecordings sets be.Recordings when the store keeps recordings, over the
// recording check's Manager (the one that links outcomes); when the profile
// has no recording section, over a Manager with the 30-day floor, as the CLI
// does (policy.NewRecordingManager). It returns the Manager, or nil.
func wireRecordings(be *Backend, prof *policy.Profile, checks []dialgate.Checker, deps policy.Deps) (*recording.Manager, error) {
	if deps.Recordings == nil {
		be.unwired("recording", "the store keeps no recordings")
		return nil, nil
	}
	var m *recording.Manager
	if rc, ok := policy.CheckOf[*recording.Check](checks); ok {
		m = rc.Manager()
	}
	if m == nil {
		var err error
		if m, err = policy.NewRecordingManager(prof, deps); err != nil {
			return nil, fmt.Errorf("recording: %w", err)
		}
	}
	be.Recordings = recordingAdmin{m: m}
	return m, nil
}

// recordingError maps the recording package's errors to the adapter's.
func recordingError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, recording.ErrRetentionTooShort):
		return &dialgate.FieldError{Field: "retention_days", Problem: "below the 30-day retention floor", Err: err}
	case errors.Is(err, recording.ErrNotFound):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case errors.Is(err, recording.ErrHeld), errors.Is(err, recording.ErrRetentionLocked), errors.Is(err, recording.ErrDeleting),
		errors.Is(err, recording.ErrHoldProtected):
		return fmt.Errorf("%w: %w", ErrFailedPrecondition, err)
	case errors.Is(err, recording.ErrInvalid):
		// "recording: invalid: started_at: ... is in the future"
		msg := strings.TrimPrefix(err.Error(), recording.ErrInvalid.Error()+": ")
		if field, problem, ok := cutField(msg); ok {
			if field == "retention" {
				field = "retention_days"
			}
			return &dialgate.FieldError{Field: field, Problem: problem, Err: err}
		}
		return &dialgate.FieldError{Field: "recording", Problem: msg, Err: err}
	}
	return err
}

// RegisterRecording implements RecordingAdmin through the Manager; a retry
// with the same callee, start, end (or none again), retention and decision,
// and the same tenant or none, is a success, returning the recording on
// record's tenant and decision.
func (a recordingAdmin) RegisterRecording(ctx context.Context, r Recording) (Recording, error) {
	reg := recording.Registration{
		ID: r.ID, DecisionID: r.DecisionID, Tenant: r.Tenant, Callee: r.Number, StartedAt: r.StartedAt, EndedAt: r.EndedAt,
		Retention: dialgate.Duration(time.Duration(r.RetentionDays) * 24 * time.Hour),
	}
	_, err := a.m.Register(ctx, r.At, reg)
	if !errors.Is(err, recording.ErrExists) {
		return r, recordingError(err)
	}
	// A retry of the same registration is a success; another recording
	// under the same id is a conflict.
	old, err := a.m.Get(ctx, r.ID)
	if err != nil {
		return r, recordingError(err)
	}
	// A registration naming a tenant is a retry only of one of that tenant
	// (recording.Manager.IsRetry): acknowledging another's would tell the
	// caller its recording is on record for its tenant (ids are chosen by
	// clients, and a token bound to one tenant may hit another tenant's id;
	// the message names nothing of the recording on record).
	if a.m.IsRetry(old, reg) {
		// Recorded as the recording on record: a retry leaving out the
		// tenant or the decision is still the registration of that
		// tenant's recording, under that decision.
		r.Tenant, r.DecisionID = old.Tenant, old.DecisionID
		return r, nil
	}
	return r, fmt.Errorf("%w: recording %s is registered with another callee, start, end, retention, decision or tenant (a ReportOutcome naming it as recording_id registers it, starting at the report's instant: give its end with EndRecording, dialgate admin recordings end, rather than registering it again; another recording needs another id)", ErrAlreadyExists, r.ID)
}

// EndRecording implements RecordingAdmin through Manager.End.
func (a recordingAdmin) EndRecording(ctx context.Context, id string, ended, at time.Time) error {
	_, err := a.m.End(ctx, at, id, ended)
	return recordingError(err)
}

// RecordingTenant implements RecordingAdmin through Manager.Get.
func (a recordingAdmin) RecordingTenant(ctx context.Context, id string) (string, error) {
	r, err := a.m.Get(ctx, id)
	if err != nil {
		return "", recordingError(err)
	}
	return r.Tenant, nil
}

// HoldRecording implements RecordingAdmin through Manager.Hold.
func (a recordingAdmin) HoldRecording(ctx context.Context, id, holdID, reason string, at time.Time) error {
	return recordingError(a.m.Hold(ctx, id, recording.Hold{ID: holdID, Reason: reason, PlacedAt: at}))
}

// ReleaseRecordingHold implements RecordingAdmin through Manager.ReleaseHold
// (the instant is not used); a recording with other holds but not holdID
// wraps ErrFailedPrecondition, an unheld one auditlog.ErrUnchanged.
func (a recordingAdmin) ReleaseRecordingHold(ctx context.Context, id, holdID string, _ time.Time) error {
	err := a.m.ReleaseHold(ctx, id, holdID)
	if !errors.Is(err, recording.ErrNotFound) {
		return recordingError(err)
	}
	// Either the recording or the hold is unknown.
	r, gerr := a.m.Get(ctx, id)
	if gerr != nil {
		return recordingError(gerr)
	}
	if !r.Held() {
		// The hold is already gone: releasing it again is a no-op, recorded
		// as changing nothing, not as a hold lifted.
		return fmt.Errorf("%w: recording %s has no hold %q", auditlog.ErrUnchanged, id, holdID)
	}
	ids := make([]string, len(r.Holds))
	for i, h := range r.Holds {
		ids[i] = h.ID
	}
	return fmt.Errorf("%w: recording %s has no hold %q; it is held by %s", ErrFailedPrecondition, id, holdID, strings.Join(ids, ", "))
}

// DueRecordings implements RecordingAdmin through Manager.Due.
func (a recordingAdmin) DueRecordings(ctx context.Context, at time.Time) ([]recording.Recording, error) {
	return a.m.Due(ctx, at)
}

// SweepDueRecordings implements RecordingAdmin through Manager.SweepDue.
func (a recordingAdmin) SweepDueRecordings(ctx context.Context, at time.Time, due []recording.Recording) (recording.SweepReport, error) {
	return a.m.SweepDue(ctx, at, due)
}
