package boltstore

import (
	"context"

	"github.com/dialgate/dialgate/complaint"
)

// bucketComplaints holds complaints: key = id, value = JSON of complaint.Complaint.
var bucketComplaints = []byte("complaints")

var complaints = table[complaint.Complaint]{
	bucket: bucketComplaints, what: "complaint",
	id:       func(c complaint.Complaint) string { return c.ID },
	validate: complaint.Complaint.Validate,
	stored:   complaint.Complaint.ValidateStored,
	notFound: complaint.ErrNotFound, exists: complaint.ErrExists, invalid: complaint.ErrInvalid,
}

// CreateComplaint implements complaint.Store; durable before it returns.
func (s *Store) CreateComplaint(ctx context.Context, c complaint.Complaint) error {
	return tableCreate(ctx, s, "CreateComplaint", complaints, c)
}

// GetComplaint implements complaint.Store.
func (s *Store) GetComplaint(ctx context.Context, id string) (complaint.Complaint, error) {
	return tableGet(ctx, s, "GetComplaint", complaints, id)
}

// UpdateComplaint implements complaint.Store; durable before it returns. fn
// may run more than once if the group commit is retried.
func (s *Store) UpdateComplaint(ctx context.Context, id string, fn func(*complaint.Complaint) error) error {
	return tableUpdate(ctx, s, "UpdateComplaint", complaints, id, fn)
}

// ListComplaints implements complaint.Store. It scans every complaint.
func (s *Store) ListComplaints(ctx context.Context, f complaint.Filter) ([]complaint.Complaint, error) {
	out, err := tableList(ctx, s, "ListComplaints", complaints, f.Matches)
	complaint.SortComplaints(out)
	return out, err
}

var _ complaint.Store = (*Store)(nil)
