package memstore

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/dialgate/dialgate/complaint"
)

type complaintState struct {
	mu sync.Mutex
	m  map[string]complaint.Complaint
}

func cloneComplaint(c complaint.Complaint) complaint.Complaint {
	c.HeldRecordings = slices.Clone(c.HeldRecordings)
	return c
}

// CreateComplaint implements complaint.Store.
func (s *Store) CreateComplaint(_ context.Context, c complaint.Complaint) error {
	if err := s.check("CreateComplaint"); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	st := &s.complaints
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.m == nil {
		st.m = map[string]complaint.Complaint{}
	}
	if _, ok := st.m[c.ID]; ok {
		return fmt.Errorf("memstore: complaint %s: %w", c.ID, complaint.ErrExists)
	}
	st.m[c.ID] = cloneComplaint(c)
	return nil
}

// GetComplaint implements complaint.Store.
func (s *Store) GetComplaint(_ context.Context, id string) (complaint.Complaint, error) {
	if err := s.check("GetComplaint"); err != nil {
		return complaint.Complaint{}, err
	}
	st := &s.complaints
	st.mu.Lock()
	defer st.mu.Unlock()
	c, ok := st.m[id]
	if !ok {
		return complaint.Complaint{}, fmt.Errorf("memstore: complaint %s: %w", id, complaint.ErrNotFound)
	}
	return cloneComplaint(c), nil
}

// UpdateComplaint implements complaint.Store.
func (s *Store) UpdateComplaint(_ context.Context, id string, fn func(*complaint.Complaint) error) error {
	if err := s.check("UpdateComplaint"); err != nil {
		return err
	}
	st := &s.complaints
	st.mu.Lock()
	defer st.mu.Unlock()
	c, ok := st.m[id]
	if !ok {
		return fmt.Errorf("memstore: complaint %s: %w", id, complaint.ErrNotFound)
	}
	c = cloneComplaint(c)
	if err := fn(&c); err != nil {
		return err
	}
	if c.ID != id {
		return fmt.Errorf("memstore: complaint %s: update changed the id: %w", id, complaint.ErrInvalid)
	}
	if err := c.Validate(); err != nil {
		return err
	}
	st.m[id] = c
	return nil
}

// ListComplaints implements complaint.Store.
func (s *Store) ListComplaints(_ context.Context, f complaint.Filter) ([]complaint.Complaint, error) {
	if err := s.check("ListComplaints"); err != nil {
		return nil, err
	}
	st := &s.complaints
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []complaint.Complaint
	for _, c := range st.m {
		if f.Matches(c) {
			out = append(out, cloneComplaint(c))
		}
	}
	complaint.SortComplaints(out)
	return out, nil
}

var _ complaint.Store = (*Store)(nil)
