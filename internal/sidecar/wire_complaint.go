package sidecar

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage"
)

// complaintAdmin adapts a *complaint.Desk to ComplaintAdmin. The desk lists
// the number through the Gate's own *dnc.Check (so the next Check denies
// before FileComplaint returns) and holds the callee's recordings through the
// recording check's Manager.
type complaintAdmin struct {
	desk   *complaint.Desk
	hasher complaint.CalleeHasher
}

// wireComplaints sets be.Complaints when the store keeps complaints and the
// profile has a dnc section with store-backed lists (a complaint must list
// the number): policy.NewComplaintDesk with the profile's deadlines, working
// days of its holiday calendars (with make-up days) in its complaint zone, the
// Gate's own *dnc.Check and holds through m (nil: no recordings kept).
// Whenever the store keeps complaints, m's hold releases are guarded by them
// and its new recordings take their holds (complaint.HoldGuard,
// complaint.RecordingHolds), the desk wired or not.
func wireComplaints(be *Backend, prof *policy.Profile, checks []dialgate.Checker, store any, m *recording.Manager, hasher complaint.CalleeHasher, log *slog.Logger) error {
	cs, ok := store.(complaint.Store)
	if !ok {
		be.unwired("complaint", "the store keeps no complaints")
		return nil
	}
	if m != nil {
		// The complaints the store keeps hold their recordings whether or
		// not this profile can file more (filed under another profile on
		// this data, or by another sidecar of the fleet): an open one's
		// hold is not lifted, and a recording of its callee registered
		// or swept now is held for it, as the CLI does on the same data.
		// NewComplaintDesk sets the same below when the desk is wired.
		m.GuardHolds(complaint.HoldGuard(cs))
		m.HoldNew(complaint.RecordingHolds(cs))
	}
	lists, ok := policy.CheckOf[*dnc.Check](checks)
	if !ok || lists.Lists() == nil {
		be.unwired("complaint", "profile "+prof.Name+" has no dnc section with store-backed lists, so a complaint could not list the number")
		return nil
	}
	if policy.ComplaintZone(prof) == "" {
		log.Warn("sidecar: complaint deadlines are counted in UTC working days: the profile has neither complaint.zone nor schedule.default_zone", "profile", prof.Name)
	}
	var holds complaint.RecordingHolder
	if m != nil {
		holds = m
	}
	desk, err := policy.NewComplaintDesk(prof, cs, lists, holds, hasher)
	if err != nil {
		return fmt.Errorf("complaint: %w", err)
	}
	ca := complaintAdmin{desk: desk, hasher: hasher}
	if r, ok := cs.(complaint.Repairer); ok {
		be.Complaints = repairingComplaintAdmin{complaintAdmin: ca, repairer: r}
		return nil
	}
	be.Complaints = ca
	return nil
}

// repairingComplaintAdmin is a complaintAdmin whose store repairs a damaged
// complaint (complaint.Repairer): a ComplaintRepairer.
type repairingComplaintAdmin struct {
	complaintAdmin
	repairer complaint.Repairer
}

// RepairComplaint implements ComplaintRepairer through the store's
// complaint.Repairer: an unknown id wraps ErrNotFound; a sound complaint
// (complaint.ErrNotDamaged) and another callee than the store's
// (complaint.ErrOtherCallee) wrap
// ErrFailedPrecondition, the latter without the stored callee (a keyed
// hash of the complainant's number, which the server sends no client);
// another ErrInvalid is a FieldError naming complaint_json.
func (a repairingComplaintAdmin) RepairComplaint(ctx context.Context, c complaint.Complaint) ([]byte, error) {
	replaced, err := a.repairer.RepairComplaint(ctx, c)
	switch {
	case err == nil:
		return replaced, nil
	case errors.Is(err, storage.ErrNotFound):
		return nil, fmt.Errorf("%w: complaint %s", ErrNotFound, c.ID)
	case errors.Is(err, complaint.ErrNotDamaged):
		return nil, fmt.Errorf("%w: complaint %s: %w", ErrFailedPrecondition, c.ID, complaint.ErrNotDamaged)
	case errors.Is(err, complaint.ErrOtherCallee):
		return nil, fmt.Errorf("%w: callee: not the callee the store still files complaint %s under (its held recordings are that "+
			"callee's): a repair keeps the callee; give the complaint's own callee", ErrFailedPrecondition, c.ID)
	case errors.Is(err, complaint.ErrInvalid):
		_, msg, _ := strings.Cut(err.Error(), complaint.ErrInvalid.Error()+": ")
		return nil, &dialgate.FieldError{Field: "complaint_json", Problem: msg, Err: err}
	}
	return nil, err
}

// listedErr is an error of a filing refused once its number was listed:
// it wraps the error and complaint.ErrListed.
type listedErr struct{ err error }

func (e listedErr) Error() string   { return e.err.Error() }
func (e listedErr) Unwrap() []error { return []error{e.err, complaint.ErrListed} }

// keepListed returns err as the Desk's error cause reads it: wrapping
// complaint.ErrListed as well when cause does.
func keepListed(cause, err error) error {
	if errors.Is(cause, complaint.ErrListed) {
		return listedErr{err}
	}
	return err
}

// newComplaintID returns "cp-<UTC time>-<8 random hex digits>".
func newComplaintID(t time.Time) (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "cp-" + t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:]), nil
}

// FileComplaint implements ComplaintAdmin through the Desk: channel "phone"
// and a "cp-<time>-<random>" id when not given; a retry with the same id,
// number and scope, and the same tenant or none, returns the id again, with
// the receipt the complaint was stored with. An error once the number is
// listed (complaint.ErrListed) comes with the filing's id too, the one
// picked when none was given: the listing's record names it, and a retry
// gives it.
func (a complaintAdmin) FileComplaint(ctx context.Context, c Complaint) (string, time.Time, error) {
	if c.ID == "" {
		id, err := newComplaintID(c.At)
		if err != nil {
			return "", time.Time{}, err
		}
		c.ID = id
	}
	id, received, err := a.fileComplaint(ctx, c)
	if errors.Is(err, complaint.ErrListed) {
		id = c.ID
	}
	return id, received, err
}

// fileComplaint is FileComplaint of c, whose id is set.
func (a complaintAdmin) fileComplaint(ctx context.Context, c Complaint) (string, time.Time, error) {
	f := complaint.Filing{
		ID: c.ID, Number: c.Number, Tenant: c.Tenant, Channel: complaint.Channel(c.Channel),
		DecisionID: c.CallDecisionID, Details: c.Note,
	}
	if f.Channel == "" {
		f.Channel = complaint.ChannelPhone
	}
	if c.Scope != "" {
		sc, err := dncScope(c.Scope)
		if err != nil {
			return "", time.Time{}, err
		}
		f.Scope = sc
	}
	filed, err := a.desk.File(ctx, c.At, f)
	switch {
	case err == nil:
		return f.ID, filed.ReceivedAt, nil
	case errors.Is(err, complaint.ErrExists):
		old, gerr := a.desk.Get(ctx, f.ID)
		if gerr != nil {
			// The number is listed all the same: the error says so
			// (complaint.ErrListed), and the server records the listing.
			return "", time.Time{}, keepListed(err, gerr)
		}
		scope := dnc.GlobalScope
		if f.Scope != (dnc.Scope{}) {
			scope = f.Scope
		}
		if old.Callee != a.hasher.HashCallee(c.Number) || (c.Tenant != "" && old.Tenant != c.Tenant) {
			// Not a retry: acknowledging would tell the caller its
			// complaint is on record for its tenant when the record is
			// another filing's (another tenant's report and deadlines).
			// Ids are chosen by clients, and a token bound to one tenant
			// may hit another tenant's id: the messages here name nothing
			// of the filing on record (its tenant, its scope).
			return "", time.Time{}, listedErr{fmt.Errorf("%w: complaint %s is about another number or tenant (this number is listed all the same, in the scope requested; the complaint itself is not filed: file it with another id)", ErrAlreadyExists, f.ID)}
		}
		if old.Scope != scope.String() {
			// Acknowledging would tell the caller the number is listed in
			// scope when it is listed only in the first filing's scope.
			return "", time.Time{}, listedErr{fmt.Errorf("%w: complaint %s was filed in another scope than %s (the number is listed all the same, in that scope)", ErrAlreadyExists, f.ID, scope)}
		}
		return f.ID, old.ReceivedAt, nil // a retry of a complaint already filed
	case errors.Is(err, complaint.ErrInvalid):
		msg := strings.TrimPrefix(err.Error(), complaint.ErrInvalid.Error()+": ")
		if field, problem, ok := cutField(msg); ok {
			// The request's names of the complaint's fields.
			switch field {
			case "id":
				field = "complaint_id"
			case "decision_id":
				field = "call_decision_id"
			case "details":
				field = "note"
			}
			return "", time.Time{}, keepListed(err, &dialgate.FieldError{Field: field, Problem: problem, Err: err})
		}
		return "", time.Time{}, keepListed(err, &dialgate.FieldError{Field: "complaint", Problem: msg, Err: err})
	}
	return "", time.Time{}, err
}

// ComplaintTenant implements ComplaintAdmin through the Desk.
func (a complaintAdmin) ComplaintTenant(ctx context.Context, id string) (string, error) {
	c, err := a.desk.Get(ctx, id)
	if err != nil {
		return "", complaintStepErr(err)
	}
	return c.Tenant, nil
}

// StepComplaint implements ComplaintAdmin through the Desk's Forward,
// Resolve and Answer. A step the complaint already has (forward of a
// forwarded complaint, resolve of a handled one with the same resolution,
// answer of an answered one) is a retry: it changes nothing and returns the
// instant stored, so that a retry of a step whose audit record failed
// succeeds and records it.
func (a complaintAdmin) StepComplaint(ctx context.Context, id string, step ComplaintStep, t time.Time, resolution string) (time.Time, error) {
	var err error
	switch step {
	case StepForward:
		err = a.desk.Forward(ctx, id, t)
	case StepResolve:
		err = a.desk.Resolve(ctx, id, t, resolution)
	case StepAnswer:
		err = a.desk.Answer(ctx, id, t)
	default:
		return time.Time{}, fmt.Errorf("complaint %s: unknown step %q", id, step)
	}
	if err == nil {
		return t, nil
	}
	if !errors.Is(err, complaint.ErrState) {
		return time.Time{}, complaintStepErr(err)
	}
	c, gerr := a.desk.Get(ctx, id)
	if gerr != nil {
		return time.Time{}, complaintStepErr(gerr)
	}
	if at, ok := c.StepDone(string(step), resolution); ok {
		return at, nil
	}
	if step == StepResolve && c.Status == complaint.StatusHandled {
		return time.Time{}, fmt.Errorf("%w: complaint %s is already handled, with another resolution (the first stands)", ErrFailedPrecondition, id)
	}
	return time.Time{}, complaintStepErr(err)
}

// complaintStepErr maps the Desk's errors of a step to the sidecar's: an
// unknown id ErrNotFound; a status that does not allow the step, or a step
// dated before the one it follows (the server's clock behind the
// complaint's receipt), ErrFailedPrecondition; a resolution missing a
// FieldError naming it.
func complaintStepErr(err error) error {
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case errors.Is(err, complaint.ErrState):
		return fmt.Errorf("%w: %w", ErrFailedPrecondition, err)
	case errors.Is(err, complaint.ErrInvalid):
		msg := strings.TrimPrefix(err.Error(), complaint.ErrInvalid.Error()+": ")
		if field, problem, ok := cutField(msg); ok && field == "resolution" {
			return &dialgate.FieldError{Field: field, Problem: problem, Err: err}
		}
		// The step's instant is the server's clock: one before the step
		// it follows is the clock behind the complaint's receipt (another
		// host's, or a --at given to the local command), not bad input.
		return fmt.Errorf("%w: %s (the server's clock is behind the complaint's record)", ErrFailedPrecondition, msg)
	}
	return err
}

// ListComplaints implements ComplaintAdmin through the Desk.
func (a complaintAdmin) ListComplaints(ctx context.Context, t time.Time, f complaint.Filter, after complaint.Position, limit int) ([]complaint.Listed, error) {
	return a.desk.ListPage(ctx, t, f, after, limit)
}
