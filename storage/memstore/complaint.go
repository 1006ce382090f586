package memstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/dialgate/dialgate/complaint"
)

var complaintSpec = tableSpec[complaint.Complaint]{
	what: "complaint",
	id:   func(c complaint.Complaint) string { return c.ID },
	clone: func(c complaint.Complaint) complaint.Complaint {
		c.HeldRecordings = slices.Clone(c.HeldRecordings)
		return c
	},
	validate: complaint.Complaint.Validate,
	stored:   complaint.Complaint.ValidateStored,
	notFound: complaint.ErrNotFound, exists: complaint.ErrExists, invalid: complaint.ErrInvalid,
	at:    func(c complaint.Complaint) time.Time { return c.ReceivedAt },
	group: func(c complaint.Complaint) string { return c.Callee },
}

// CreateComplaint implements complaint.Store.
func (s *Store) CreateComplaint(_ context.Context, c complaint.Complaint) error {
	if err := s.check("CreateComplaint"); err != nil {
		return err
	}
	return s.complaints.create(complaintSpec, c)
}

// GetComplaint implements complaint.Store.
func (s *Store) GetComplaint(_ context.Context, id string) (complaint.Complaint, error) {
	if err := s.check("GetComplaint"); err != nil {
		return complaint.Complaint{}, err
	}
	return s.complaints.get(complaintSpec, id)
}

// UpdateComplaint implements complaint.Store.
func (s *Store) UpdateComplaint(_ context.Context, id string, fn func(*complaint.Complaint) error) error {
	if err := s.check("UpdateComplaint"); err != nil {
		return err
	}
	return s.complaints.update(complaintSpec, id, fn)
}

// RepairComplaint implements complaint.Repairer: a complaint that fails
// ValidateStored (the memstore holds decoded values only) is replaced by c,
// which must name the callee the damaged complaint names, when it names
// one (the recordings its hold covers are that callee's). It returns the
// damaged complaint as JSON, which the memstore keeps until the process
// ends (nothing past it). The same repair again, the complaint stored still
// exactly c (complaint.Complaint.Equal), is a retry: it returns that JSON
// again and changes nothing.
func (s *Store) RepairComplaint(_ context.Context, c complaint.Complaint) ([]byte, error) {
	if err := s.check("RepairComplaint"); err != nil {
		return nil, err
	}
	if err := c.ValidateRepair(); err != nil {
		return nil, err
	}
	t := &s.complaints
	t.mu.Lock()
	defer t.mu.Unlock()
	old, ok := t.m[c.ID]
	if !ok {
		return nil, fmt.Errorf("memstore: complaint %s: %w", c.ID, complaint.ErrNotFound)
	}
	if old.ValidateStored(c.ID) == nil {
		if prev, ok := s.repairedFrom[c.ID]; ok && old.Equal(c) {
			return bytes.Clone(prev), nil
		}
		return nil, fmt.Errorf("memstore: complaint %s: %w", c.ID, complaint.ErrNotDamaged)
	}
	if old.Callee != "" && old.Callee != c.Callee {
		return nil, fmt.Errorf("memstore: complaint %s: %w: %s, but the damaged complaint names %q: a repair keeps the callee whose recordings it holds",
			c.ID, complaint.ErrOtherCallee, c.Callee, old.Callee)
	}
	replaced, err := json.Marshal(old)
	if err != nil {
		return nil, fmt.Errorf("memstore: RepairComplaint: %w", err)
	}
	t.set(complaintSpec, c.ID, complaintSpec.clone(c))
	if s.repairedFrom == nil {
		s.repairedFrom = map[string][]byte{}
	}
	s.repairedFrom[c.ID] = bytes.Clone(replaced)
	return replaced, nil
}

// ListComplaints implements complaint.Store. With a callee in f it reads
// that callee's complaints only, kept in the listing order.
func (s *Store) ListComplaints(_ context.Context, f complaint.Filter) ([]complaint.Complaint, error) {
	if err := s.check("ListComplaints"); err != nil {
		return nil, err
	}
	if f.Callee != "" {
		var out []complaint.Complaint
		err := s.complaints.from(complaintSpec, f.Callee, func(complaint.Complaint, string) bool { return true }, func(c complaint.Complaint) bool {
			if f.Matches(c) {
				out = append(out, c)
			}
			return true
		})
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	out, err := s.complaints.list(complaintSpec, f.Matches)
	if err != nil {
		return nil, err
	}
	complaint.SortComplaints(out)
	return out, nil
}

// ListComplaintsAfter implements complaint.Store: it seeks the complaints
// kept in the listing order (f's callee's only, with a callee in f) to the
// Position and reads on until it has limit that match f; a damaged
// complaint fails the page that reaches it.
func (s *Store) ListComplaintsAfter(_ context.Context, f complaint.Filter, after complaint.Position, limit int) ([]complaint.Complaint, error) {
	if err := complaint.ValidateLimit(limit); err != nil {
		return nil, err
	}
	if err := s.check("ListComplaintsAfter"); err != nil {
		return nil, err
	}
	var out []complaint.Complaint
	err := s.complaints.from(complaintSpec, f.Callee, func(c complaint.Complaint, id string) bool {
		c.ID = id // the key orders the table
		return after.Before(c)
	}, func(c complaint.Complaint) bool {
		if f.Matches(c) {
			out = append(out, c)
		}
		return len(out) < limit
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

var (
	_ complaint.Store    = (*Store)(nil)
	_ complaint.Repairer = (*Store)(nil)
)
