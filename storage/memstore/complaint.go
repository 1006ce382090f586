package memstore

import (
	"context"
	"slices"

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

// ListComplaints implements complaint.Store.
func (s *Store) ListComplaints(_ context.Context, f complaint.Filter) ([]complaint.Complaint, error) {
	if err := s.check("ListComplaints"); err != nil {
		return nil, err
	}
	out, err := s.complaints.list(complaintSpec, f.Matches)
	if err != nil {
		return nil, err
	}
	complaint.SortComplaints(out)
	return out, nil
}

// ListComplaintsAfter implements complaint.Store: it scans every complaint
// and keeps only those that may be on the page (complaint.Pager).
func (s *Store) ListComplaintsAfter(_ context.Context, f complaint.Filter, after complaint.Position, limit int) ([]complaint.Complaint, error) {
	if err := s.check("ListComplaintsAfter"); err != nil {
		return nil, err
	}
	p, err := complaint.NewPager(after, limit)
	if err != nil {
		return nil, err
	}
	if _, err := s.complaints.list(complaintSpec, func(c complaint.Complaint) bool {
		if f.Matches(c) && p.Wants(c) {
			p.Offer(complaintSpec.clone(c))
		}
		return false
	}); err != nil {
		return nil, err
	}
	return p.Page(), nil
}

var _ complaint.Store = (*Store)(nil)
