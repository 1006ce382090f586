package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/storage"
)

var (
	_ complaint.Store    = (*Store)(nil)
	_ complaint.Repairer = (*Store)(nil)
)

// decodeComplaint decodes the complaint stored under id and checks it
// (complaint.Complaint.ValidateStored).
func decodeComplaint(id string, raw []byte) (complaint.Complaint, error) {
	return storage.DecodeRecord("complaint", id, raw, func(c *complaint.Complaint) error { return c.ValidateStored(id) })
}

// listedComplaint decodes the complaint a listing with f read (its row
// matched f's columns). A callee in f is the row's callee column: a
// complaint whose JSON names another callee was damaged (or edited), and
// fails the listing rather than be dropped by f.Matches, so that a
// recording of the callee is refused rather than registered without the
// complaint's hold (complaint.RecordingHolds).
func listedComplaint(f complaint.Filter, id string, raw []byte) (complaint.Complaint, error) {
	c, err := decodeComplaint(id, raw)
	if err == nil && f.Callee != "" && c.Callee != f.Callee {
		err = &storage.RecordError{Kind: "complaint", Key: id, Err: errors.New("names another callee than its callee column")}
	}
	return c, err
}

// CreateComplaint implements complaint.Store.
func (s *Store) CreateComplaint(ctx context.Context, c complaint.Complaint) error {
	if err := c.Validate(); err != nil {
		return err
	}
	js, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("pgstore: CreateComplaint: %w", err)
	}
	return s.inTx(ctx, "CreateComplaint", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO complaints (id, tenant, callee, received_ns, complaint) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (id) DO NOTHING`, c.ID, c.Tenant, c.Callee, c.ReceivedAt.UnixNano(), js)
		if err != nil {
			return s.fail("CreateComplaint", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("pgstore: complaint %s: %w", c.ID, complaint.ErrExists)
		}
		return nil
	})
}

// GetComplaint implements complaint.Store.
func (s *Store) GetComplaint(ctx context.Context, id string) (complaint.Complaint, error) {
	if err := s.check("GetComplaint"); err != nil {
		return complaint.Complaint{}, err
	}
	var raw []byte
	err := s.pool.QueryRow(ctx, `SELECT complaint FROM complaints WHERE id = $1`, id).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return complaint.Complaint{}, fmt.Errorf("pgstore: complaint %s: %w", id, complaint.ErrNotFound)
	}
	if err != nil {
		return complaint.Complaint{}, s.fail("GetComplaint", err)
	}
	return decodeComplaint(id, raw)
}

// UpdateComplaint implements complaint.Store: the row is locked while fn
// runs. The damaged JSON a repair kept in the row (key "replaced") is kept.
func (s *Store) UpdateComplaint(ctx context.Context, id string, fn func(*complaint.Complaint) error) error {
	return s.inTx(ctx, "UpdateComplaint", func(tx pgx.Tx) error {
		var raw []byte
		err := tx.QueryRow(ctx, `SELECT complaint FROM complaints WHERE id = $1 FOR UPDATE`, id).Scan(&raw)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("pgstore: complaint %s: %w", id, complaint.ErrNotFound)
		}
		if err != nil {
			return s.fail("UpdateComplaint", err)
		}
		c, err := decodeComplaint(id, raw)
		if err != nil {
			return err
		}
		if err := fn(&c); err != nil {
			return err
		}
		if c.ID != id {
			return fmt.Errorf("pgstore: complaint %s: update changed the id: %w", id, complaint.ErrInvalid)
		}
		if err := c.Validate(); err != nil {
			return err
		}
		js, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("pgstore: UpdateComplaint: %w", err)
		}
		// The damaged JSON a repair kept under "replaced" stays.
		if _, err := tx.Exec(ctx, `UPDATE complaints SET tenant = $2, callee = $3, received_ns = $4,
			complaint = $5::jsonb || CASE WHEN complaint ? 'replaced' THEN jsonb_build_object('replaced', complaint->'replaced') ELSE '{}'::jsonb END
			WHERE id = $1`,
			id, c.Tenant, c.Callee, c.ReceivedAt.UnixNano(), js); err != nil {
			return s.fail("UpdateComplaint", err)
		}
		return nil
	})
}

// RepairComplaint implements complaint.Repairer. The row under c.ID is
// damaged when its JSON does not decode, fails ValidateStored, or names
// another callee than its callee column (listedComplaint); the callee
// column, which the last sound write set, is then whom the complaint is
// about, and c must name it (an empty column, written by no build: the
// callee the damaged JSON names, when it names one). In one transaction (the row locked) the row is set from c and
// the damaged JSON is kept, verbatim as jsonb holds it, under the key
// "replaced" of the new JSON, which the decoder ignores and UpdateComplaint
// keeps (an older build's update drops it). It returns that JSON.
func (s *Store) RepairComplaint(ctx context.Context, c complaint.Complaint) ([]byte, error) {
	if err := c.ValidateRepair(); err != nil {
		return nil, err
	}
	js, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("pgstore: RepairComplaint: %w", err)
	}
	var replaced []byte
	err = s.inTx(ctx, "RepairComplaint", func(tx pgx.Tx) error {
		replaced = nil
		var (
			raw    []byte
			callee string
		)
		err := tx.QueryRow(ctx, `SELECT complaint, callee FROM complaints WHERE id = $1 FOR UPDATE`, c.ID).Scan(&raw, &callee)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("pgstore: complaint %s: %w", c.ID, complaint.ErrNotFound)
		}
		if err != nil {
			return s.fail("RepairComplaint", err)
		}
		if _, err := listedComplaint(complaint.Filter{Callee: callee}, c.ID, raw); err == nil {
			return fmt.Errorf("pgstore: complaint %s: %w", c.ID, complaint.ErrNotDamaged)
		}
		if callee != "" && callee != c.Callee {
			return fmt.Errorf("pgstore: complaint %s: %w: callee: %s, but its callee column says %q, "+
				"the callee it named before it was damaged (its recordings are on hold): a repair keeps that callee", c.ID, complaint.ErrInvalid, c.Callee, callee)
		}
		// No build writes an empty callee column; without it, the callee
		// the damaged JSON names, when it names one, is whom it was about.
		var named struct {
			Callee string `json:"callee"`
		}
		if callee == "" && json.Unmarshal(raw, &named) == nil && named.Callee != "" && named.Callee != c.Callee {
			return fmt.Errorf("pgstore: complaint %s: %w: callee: %s, but the damaged JSON names %q "+
				"(its recordings are on hold): a repair keeps that callee", c.ID, complaint.ErrInvalid, c.Callee, named.Callee)
		}
		if _, err := tx.Exec(ctx, `UPDATE complaints SET tenant = $2, callee = $3, received_ns = $4,
			complaint = $5::jsonb || jsonb_build_object('replaced', complaint) WHERE id = $1`,
			c.ID, c.Tenant, c.Callee, c.ReceivedAt.UnixNano(), js); err != nil {
			return s.fail("RepairComplaint", err)
		}
		replaced = raw
		return nil
	})
	if err != nil {
		return nil, err
	}
	return replaced, nil
}

// complaintConds returns the SQL conditions and arguments of the parts of f
// the complaints table has columns for: tenant, callee and the bounds of
// received_ns (the rest, and these again, are checked by f.Matches).
func complaintConds(f complaint.Filter) ([]string, []any) {
	var conds []string
	var args []any
	if f.Tenant != "" {
		args = append(args, f.Tenant)
		conds = append(conds, fmt.Sprintf("tenant = $%d", len(args)))
	}
	if f.Callee != "" {
		args = append(args, f.Callee)
		conds = append(conds, fmt.Sprintf("callee = $%d", len(args)))
	}
	if !f.From.IsZero() {
		args = append(args, boundNanos(f.From))
		conds = append(conds, fmt.Sprintf("received_ns >= $%d", len(args)))
	}
	if !f.To.IsZero() {
		args = append(args, boundNanos(f.To))
		conds = append(conds, fmt.Sprintf("received_ns < $%d", len(args)))
	}
	return conds, args
}

// complaintListQuery is ListComplaints' query: a callee in f is looked up
// in the complaints_callee index (TestComplaintCalleeUsesIndex).
func complaintListQuery(f complaint.Filter) (string, []any) {
	conds, args := complaintConds(f)
	q := `SELECT id, complaint FROM complaints`
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	return q, args
}

// ListComplaints implements complaint.Store.
func (s *Store) ListComplaints(ctx context.Context, f complaint.Filter) ([]complaint.Complaint, error) {
	if err := s.check("ListComplaints"); err != nil {
		return nil, err
	}
	q, args := complaintListQuery(f)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, s.fail("ListComplaints", err)
	}
	defer rows.Close()
	var out []complaint.Complaint
	for rows.Next() {
		var (
			id  string
			raw []byte
		)
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, s.fail("ListComplaints", err)
		}
		c, err := listedComplaint(f, id, raw)
		if err != nil {
			return nil, err
		}
		if f.Matches(c) {
			out = append(out, c)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("ListComplaints", err)
	}
	complaint.SortComplaints(out)
	return out, nil
}

// ListComplaintsAfter implements complaint.Store: it reads the complaints
// after the Position in the listing order (received_ns, then id in byte
// order, scanning the received_ns index from the Position's receipt), limit
// rows at a time, until it has
// limit complaints that f.Matches (the status and overdue parts of f have
// no column) or the rows run out.
func (s *Store) ListComplaintsAfter(ctx context.Context, f complaint.Filter, after complaint.Position, limit int) ([]complaint.Complaint, error) {
	if err := complaint.ValidateLimit(limit); err != nil {
		return nil, err
	}
	if err := s.check("ListComplaintsAfter"); err != nil {
		return nil, err
	}
	var (
		out     []complaint.Complaint
		afterNs int64
		afterID = after.ID
		started = !after.IsZero()
	)
	if started {
		afterNs = boundNanos(after.ReceivedAt)
	}
	for {
		q, args := complaintPageQuery(f, started, afterNs, afterID, limit)
		n, err := s.complaintBatch(ctx, f, q, args, func(id string, ns int64, c complaint.Complaint) {
			afterNs, afterID, started = ns, id, true
			if f.Matches(c) && len(out) < limit {
				out = append(out, c)
			}
		})
		if err != nil {
			return nil, err
		}
		if len(out) == limit || n < limit {
			return out, nil
		}
	}
}

// complaintPageQuery is the query of one batch of ListComplaintsAfter: the
// first limit rows of f's columns after (afterNs, afterID) when started, in
// the listing order. The scan of the received_ns index starts at afterNs
// (then sorts each receipt's rows by id: the index has no id).
func complaintPageQuery(f complaint.Filter, started bool, afterNs int64, afterID string, limit int) (string, []any) {
	conds, args := complaintConds(f)
	if started {
		// received_ns >= the Position's is implied by the OR, but the
		// planner uses only a plain bound to start the scan of the
		// received_ns index there; without it every page read the index
		// from the first complaint.
		args = append(args, afterNs, afterID)
		conds = append(conds, fmt.Sprintf(`received_ns >= $%d AND (received_ns > $%d OR id COLLATE "C" > $%d)`, len(args)-1, len(args)-1, len(args)))
	}
	q := `SELECT id, received_ns, complaint FROM complaints`
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	args = append(args, limit)
	q += fmt.Sprintf(` ORDER BY received_ns, id COLLATE "C" LIMIT $%d`, len(args))
	return q, args
}

// complaintBatch runs q, a query of f's complaints, and hands each
// complaint it reads to each, in order; it returns how many rows it read.
func (s *Store) complaintBatch(ctx context.Context, f complaint.Filter, q string, args []any, each func(id string, ns int64, c complaint.Complaint)) (int, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return 0, s.fail("ListComplaintsAfter", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var (
			id  string
			ns  int64
			raw []byte
		)
		if err := rows.Scan(&id, &ns, &raw); err != nil {
			return 0, s.fail("ListComplaintsAfter", err)
		}
		c, err := listedComplaint(f, id, raw)
		if err != nil {
			return 0, err
		}
		n++
		each(id, ns, c)
	}
	if err := rows.Err(); err != nil {
		return 0, s.fail("ListComplaintsAfter", err)
	}
	return n, nil
}
