package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/storage"
)

// errNotRepairer marks the repair case for a store that does not
// implement complaint.Repairer.
var errNotRepairer = fmt.Errorf("%w: not a complaint.Repairer", errSkip)

// cpRepair plants a damaged complaint (each way a store can hold one) and
// checks that complaint.Repairer replaces it whole: refused, writing
// nothing, for a partial complaint, a sound one, a missing one, and one
// naming another callee than the damaged bytes do when they name one (the
// recordings on hold are that callee's: every store can read it); then
// the damaged bytes are returned, the repaired complaint reads back on
// every read path (also by its callee, and after a reopen), and a second
// repair is refused (it is sound now).
func cpRepair(ctx context.Context, h harness[complaint.Store]) error {
	const id = "cp-stored"
	base := map[string]any{
		"id": id, "callee": "h:stored", "scope": "global", "channel": "phone", "received_at": rfc(storedT0),
		"forward_by": rfc(storedT0.Add(72 * time.Hour)), "handle_by": rfc(storedT0.Add(480 * time.Hour)),
		"answer_by": rfc(storedT0.Add(600 * time.Hour)), "status": "open", "dnc_listed": true,
	}
	// field "callee": the damaged bytes still name the callee h:stored.
	cases := []storedCase{
		{name: "UnknownStatus", edit: set("status", "lost"), field: "callee"},
		{name: "MissingCallee", edit: without("callee")},
		{name: "ZeroReceivedAt", edit: set("received_at", zeroTime), field: "callee"},
		{name: "NotJSON", raw: `"cp-stored"`},
	}
	planted := 0
	for _, pc := range cases {
		s, err := h.open()
		if err != nil {
			return err
		}
		r, ok := s.(complaint.Repairer)
		if !ok {
			return errNotRepairer
		}
		sound := sampleComplaint("cp-sound", "h:stored", storedT0.Add(time.Hour))
		if err := s.CreateComplaint(ctx, sound); err != nil {
			return fmt.Errorf("%s: %w", pc.name, err)
		}
		err = h.plantOrSkip(ctx, s, RawRecord{Kind: "complaint", ID: id, JSON: pc.bytes(base)})
		if errors.Is(err, errNoPlant) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", pc.name, err)
		}
		planted++
		if err := cpRepairCase(ctx, h, s, r, sound, pc.field == "callee"); err != nil {
			return fmt.Errorf("%s: %w", pc.name, err)
		}
	}
	if planted == 0 {
		return errNoPlant
	}
	return nil
}

func cpRepairCase(ctx context.Context, h harness[complaint.Store], s complaint.Store, r complaint.Repairer, sound complaint.Complaint, namesCallee bool) error {
	damaged := func(when string) error {
		if _, err := s.GetComplaint(ctx, "cp-stored"); !errors.Is(err, storage.ErrCorrupt) {
			return fmt.Errorf("%s: GetComplaint of the damaged complaint: %v, want storage.ErrCorrupt", when, err)
		}
		// Listed whole (a planted record's filter columns may be
		// empty: it need not be found by its callee).
		if cs, err := s.ListComplaints(ctx, complaint.Filter{}); !errors.Is(err, storage.ErrCorrupt) {
			return fmt.Errorf("%s: ListComplaints: %s, %v; want storage.ErrCorrupt", when, complaintIDs(cs), err)
		}
		return nil
	}
	if err := damaged("planted"); err != nil {
		return err
	}
	fixed := sampleComplaint("cp-stored", "h:stored", storedT0)
	partial := fixed
	partial.AnswerBy = time.Time{}
	for _, tc := range []struct {
		name string
		c    complaint.Complaint
		want error
	}{
		{"a partial complaint (no answer_by)", partial, complaint.ErrInvalid},
		{"a sound complaint", sound, complaint.ErrNotDamaged},
		{"a missing complaint", sampleComplaint("cp-missing", "h:stored", storedT0), complaint.ErrNotFound},
	} {
		if got, err := r.RepairComplaint(ctx, tc.c); !errors.Is(err, tc.want) || got != nil {
			return fmt.Errorf("RepairComplaint of %s = %q, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	if namesCallee {
		other := sampleComplaint("cp-stored", "h:other", storedT0)
		got, err := r.RepairComplaint(ctx, other)
		if !errors.Is(err, complaint.ErrOtherCallee) || !errors.Is(err, complaint.ErrInvalid) || !strings.Contains(err.Error(), complaint.ErrInvalid.Error()+": callee:") || got != nil {
			return fmt.Errorf("RepairComplaint naming another callee than the damaged bytes (h:stored) = %q, %v; want ErrInvalid naming callee", got, err)
		}
		for _, f := range []complaint.Filter{{Callee: "h:other"}} {
			if cs, err := s.ListComplaints(ctx, f); err != nil || len(cs) != 0 {
				return fmt.Errorf("after the refused repair naming h:other, ListComplaints(%+v) = %s, %v; want none", f, complaintIDs(cs), err)
			}
		}
	}
	if err := damaged("after the refused repairs"); err != nil {
		return err
	}
	if got, err := s.GetComplaint(ctx, sound.ID); err != nil || sameComplaint(got, sound) != nil {
		return fmt.Errorf("after the refused repairs the sound complaint reads %+v, %v; want it unchanged", got, err)
	}
	replaced, err := r.RepairComplaint(ctx, fixed)
	if err != nil {
		return fmt.Errorf("RepairComplaint of the damaged complaint: %w", err)
	}
	if len(replaced) == 0 {
		return errors.New("RepairComplaint returned no damaged bytes")
	}
	check := func(s complaint.Store, when string) error {
		got, err := s.GetComplaint(ctx, fixed.ID)
		if err != nil {
			return fmt.Errorf("%s: GetComplaint: %w", when, err)
		}
		if err := sameComplaint(got, fixed); err != nil {
			return fmt.Errorf("%s: GetComplaint: %w", when, err)
		}
		for _, f := range []complaint.Filter{{}, {Callee: "h:stored"}} {
			cs, err := s.ListComplaints(ctx, f)
			if err != nil || complaintIDs(cs) != "[cp-stored cp-sound]" {
				return fmt.Errorf("%s: ListComplaints(%+v) = %s, %v; want cp-stored cp-sound", when, f, complaintIDs(cs), err)
			}
			cs, err = s.ListComplaintsAfter(ctx, f, complaint.Position{}, 10)
			if err != nil || complaintIDs(cs) != "[cp-stored cp-sound]" {
				return fmt.Errorf("%s: ListComplaintsAfter(%+v) = %s, %v; want cp-stored cp-sound", when, f, complaintIDs(cs), err)
			}
		}
		return nil
	}
	if err := check(s, "repaired"); err != nil {
		return err
	}
	// The same repair again is a retry (its answer or audit record was
	// lost): the bytes the first replaced, nothing changed; another
	// complaint on the repaired, sound one is refused.
	retry := func(r complaint.Repairer, when string) error {
		if got, err := r.RepairComplaint(ctx, fixed); err != nil || !bytes.Equal(got, replaced) {
			return fmt.Errorf("%s: the same RepairComplaint again = %q, %v; want the bytes the first replaced, %q", when, got, err, replaced)
		}
		other := fixed
		other.Details = "another account"
		if got, err := r.RepairComplaint(ctx, other); !errors.Is(err, complaint.ErrNotDamaged) || got != nil {
			return fmt.Errorf("%s: another RepairComplaint of the repaired complaint = %q, %v; want complaint.ErrNotDamaged", when, got, err)
		}
		return nil
	}
	if err := retry(r, "repaired"); err != nil {
		return err
	}
	if err := check(s, "retried"); err != nil {
		return err
	}
	if got, err := r.RepairComplaint(ctx, sound); !errors.Is(err, complaint.ErrNotDamaged) || got != nil {
		return fmt.Errorf("RepairComplaint of a sound complaint never repaired, given as stored = %q, %v; want complaint.ErrNotDamaged", got, err)
	}
	s2, err := h.reopenOrSkip(s)
	if errors.Is(err, errSkip) {
		return nil
	}
	if err != nil {
		return err
	}
	if r2, ok := s2.(complaint.Repairer); ok {
		if err := retry(r2, "reopened"); err != nil {
			return err
		}
	}
	return check(s2, "reopened")
}
