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

// ListComplaintsAfter implements complaint.Store. Complaints are keyed by
// id, not by receipt, so it scans every complaint too (a corrupt one fails
// the page, as it fails ListComplaints), but holds only those that may be
// on the page (complaint.Pager), not the whole listing.
func (s *Store) ListComplaintsAfter(ctx context.Context, f complaint.Filter, after complaint.Position, limit int) ([]complaint.Complaint, error) {
	p, err := complaint.NewPager(after, limit)
	if err != nil {
		return nil, err
	}
	if _, err := tableList(ctx, s, "ListComplaintsAfter", complaints, func(c complaint.Complaint) bool {
		if f.Matches(c) {
			p.Offer(c)
		}
		return false
	}); err != nil {
		return nil, err
	}
	return p.Page(), nil
}

var _ complaint.Store = (*Store)(nil)
