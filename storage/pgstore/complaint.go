package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
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

// complaintRow is a complaints row as read: its id, the columns the
// queries filter and order by (tenant, callee, received_ns), and its JSON.
type complaintRow struct {
	id, tenant, callee string
	receivedNs         int64
	raw                []byte
}

// complaintCols is the select list of a complaintRow (scan).
const complaintCols = `id, tenant, callee, received_ns, complaint`

// scan reads a row of complaintCols into r.
func (r *complaintRow) scan(row pgx.Row) error {
	return row.Scan(&r.id, &r.tenant, &r.callee, &r.receivedNs, &r.raw)
}

// rowComplaint decodes the complaint in r (decodeComplaint) and checks
// that every column a query filters or orders by says what its JSON says,
// as every write sets them: a row whose column disagrees was damaged (or
// edited), and a listing filtered or ordered by the column would drop it
// silently (a listing of its tenant misses it and its deadlines) or put it
// out of order. It is refused as a damaged complaint (storage.RecordError,
// naming the column) by every read that reaches it, never dropped: a
// callee's listing must not miss a hold (complaint.RecordingHolds). A
// listing filtered on a column cannot see a row whose column was damaged
// into another value than the one filtered on; the unfiltered listings
// and GetComplaint see every row.
func rowComplaint(r complaintRow) (complaint.Complaint, error) {
	c, err := decodeComplaint(r.id, r.raw)
	if err != nil {
		return c, err
	}
	var problem string
	switch {
	case c.Callee != r.callee:
		problem = "names another callee than its callee column"
	case c.Tenant != r.tenant:
		problem = "names another tenant than its tenant column"
	case receivedNs(c) != r.receivedNs && c.ReceivedAt.UnixNano() != r.receivedNs:
		// (The wrapped value of a receipt outside 1678–2262, which builds
		// before the clamp wrote, is what they wrote: read, as a
		// recording's is, until the complaint is next updated.)
		problem = "names another received_at than its received_ns column"
	default:
		return c, nil
	}
	return c, &storage.RecordError{Kind: "complaint", Key: r.id, Err: errors.New(problem)}
}

// receivedNs is the received_ns column of c: its receipt in Unix
// nanoseconds, clamped to the int64 range (boundNanos) as the
// recordings' retain_until_ns is. A receipt before 1678 is the lowest
// value, one after 2262 the highest, never a wrapped one (which listed a
// complaint of 1500 after those of 2026, and one of 2500 before them);
// the complaints sharing a clamped value are ordered by their receipt in
// Go (ListComplaintsAfter).
func receivedNs(c complaint.Complaint) int64 { return boundNanos(c.ReceivedAt) }

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
			ON CONFLICT (id) DO NOTHING`, c.ID, c.Tenant, c.Callee, receivedNs(c), js)
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
	var r complaintRow
	err := r.scan(s.pool.QueryRow(ctx, `SELECT `+complaintCols+` FROM complaints WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return complaint.Complaint{}, fmt.Errorf("pgstore: complaint %s: %w", id, complaint.ErrNotFound)
	}
	if err != nil {
		return complaint.Complaint{}, s.fail("GetComplaint", err)
	}
	return rowComplaint(r)
}

// UpdateComplaint implements complaint.Store: the row is locked while fn
// runs. The damaged JSON a repair kept in the row (key "replaced") is kept.
func (s *Store) UpdateComplaint(ctx context.Context, id string, fn func(*complaint.Complaint) error) error {
	return s.inTx(ctx, "UpdateComplaint", func(tx pgx.Tx) error {
		var r complaintRow
		err := r.scan(tx.QueryRow(ctx, `SELECT `+complaintCols+` FROM complaints WHERE id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("pgstore: complaint %s: %w", id, complaint.ErrNotFound)
		}
		if err != nil {
			return s.fail("UpdateComplaint", err)
		}
		// A damaged row (rowComplaint) is refused: rewriting its columns
		// from its JSON would repair it without the operator's repair, and
		// move a complaint whose JSON names another callee to that callee.
		c, err := rowComplaint(r)
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
			id, c.Tenant, c.Callee, receivedNs(c), js); err != nil {
			return s.fail("UpdateComplaint", err)
		}
		return nil
	})
}

// RepairComplaint implements complaint.Repairer. The row under c.ID is
// damaged when its JSON does not decode, fails ValidateStored, or names
// another callee, tenant or received_at than its columns (rowComplaint).
// The callee column, which the last sound write set, is then whom the
// complaint is about (when the callee column itself was damaged, too: the
// store cannot tell which of the two is right, and the recordings held
// under the column's callee stay held), and c must name it (an empty column, written by no build: the
// callee the damaged JSON names, when it names one). In one transaction (the row locked) the row is set from c and
// the damaged JSON is kept, verbatim as jsonb holds it, under the key
// "replaced" of the new JSON, which the decoder ignores and UpdateComplaint
// keeps (an older build's update drops it). It returns that JSON. The same
// repair again, the row's complaint still exactly c
// (complaint.Complaint.Equal) and the JSON it replaced still in the row, is
// a retry: it returns that JSON again and changes nothing.
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
		var r complaintRow
		err := r.scan(tx.QueryRow(ctx, `SELECT `+complaintCols+` FROM complaints WHERE id = $1 FOR UPDATE`, c.ID))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("pgstore: complaint %s: %w", c.ID, complaint.ErrNotFound)
		}
		if err != nil {
			return s.fail("RepairComplaint", err)
		}
		if cur, err := rowComplaint(r); err == nil {
			// The same repair again (its answer or record lost): the
			// JSON it replaced, kept in the row, answered again.
			if cur.Equal(c) {
				var prev []byte
				if err := tx.QueryRow(ctx, `SELECT complaint->'replaced' FROM complaints WHERE id = $1`, c.ID).Scan(&prev); err != nil {
					return s.fail("RepairComplaint", err)
				}
				if prev != nil {
					replaced = prev
					return nil
				}
			}
			return fmt.Errorf("pgstore: complaint %s: %w", c.ID, complaint.ErrNotDamaged)
		}
		raw, callee := r.raw, r.callee
		if callee != "" && callee != c.Callee {
			return fmt.Errorf("pgstore: complaint %s: %w: %s, but its callee column says %q, "+
				"the callee it named before it was damaged (its recordings are on hold): a repair keeps that callee", c.ID, complaint.ErrOtherCallee, c.Callee, callee)
		}
		// No build writes an empty callee column; without it, the callee
		// the damaged JSON names, when it names one, is whom it was about.
		var named struct {
			Callee string `json:"callee"`
		}
		if callee == "" && json.Unmarshal(raw, &named) == nil && named.Callee != "" && named.Callee != c.Callee {
			return fmt.Errorf("pgstore: complaint %s: %w: %s, but the damaged JSON names %q "+
				"(its recordings are on hold): a repair keeps that callee", c.ID, complaint.ErrOtherCallee, c.Callee, named.Callee)
		}
		if _, err := tx.Exec(ctx, `UPDATE complaints SET tenant = $2, callee = $3, received_ns = $4,
			complaint = $5::jsonb || jsonb_build_object('replaced', complaint) WHERE id = $1`,
			c.ID, c.Tenant, c.Callee, receivedNs(c), js); err != nil {
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
		// A bound outside the int64 range is clamped, as the receipts
		// beyond it are: those at the clamped value may come before it
		// (f.Matches decides).
		op := "<"
		if to := boundNanos(f.To); to == math.MinInt64 || to == math.MaxInt64 {
			op = "<="
		}
		args = append(args, boundNanos(f.To))
		conds = append(conds, fmt.Sprintf("received_ns %s $%d", op, len(args)))
	}
	return conds, args
}

// complaintListQuery is ListComplaints' query: a callee in f is looked up
// in the complaints_callee index (TestComplaintCalleeUsesIndex).
func complaintListQuery(f complaint.Filter) (string, []any) {
	conds, args := complaintConds(f)
	q := `SELECT ` + complaintCols + ` FROM complaints`
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
		var r complaintRow
		if err := r.scan(rows); err != nil {
			return nil, s.fail("ListComplaints", err)
		}
		c, err := rowComplaint(r)
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
// no column) or the rows run out. The complaints received before 1678 or
// after 2262 share the clamped received_ns of their end of the range
// (receivedNs): each of those two groups is read whole, sorted by receipt
// in Go, before and after the others. A complaint a build before the clamp
// stored there keeps its wrapped received_ns, and its place among the
// others: a page ending on it goes on from its row (wrappedReceivedNs).
func (s *Store) ListComplaintsAfter(ctx context.Context, f complaint.Filter, after complaint.Position, limit int) ([]complaint.Complaint, error) {
	if err := complaint.ValidateLimit(limit); err != nil {
		return nil, err
	}
	if err := s.check("ListComplaintsAfter"); err != nil {
		return nil, err
	}
	var (
		out     []complaint.Complaint
		afterNs int64 = math.MinInt64
		afterID       = after.ID
		started       = !after.IsZero()
	)
	if started {
		afterNs = boundNanos(after.ReceivedAt)
		if afterNs == math.MinInt64 || afterNs == math.MaxInt64 {
			// The Position's complaint may be one a build before the
			// clamp stored, under its wrapped received_ns (rowComplaint):
			// its row is among the others, and the page goes on from it.
			ns, err := s.wrappedReceivedNs(ctx, after)
			if err != nil {
				return nil, err
			}
			afterNs = ns
		}
	}
	// posNs is where the Position is: a complaint of an edge group is
	// after it only if it follows it in the group (Position.Before); every
	// complaint of a group after the Position's is.
	posNs := afterNs
	// edge adds the complaints of one clamped received_ns after the
	// Position, in order; it reports whether the page is full.
	edge := func(ns int64) (bool, error) {
		cs, err := s.complaintEdge(ctx, f, ns)
		if err != nil {
			return false, err
		}
		for _, c := range cs {
			if (!started || posNs != ns || after.Before(c)) && f.Matches(c) {
				if out = append(out, c); len(out) == limit {
					return true, nil
				}
			}
		}
		return false, nil
	}
	if afterNs == math.MinInt64 {
		if full, err := edge(math.MinInt64); full || err != nil {
			return out, err
		}
		started = false // the rest comes after every complaint of the group
	}
	if afterNs < math.MaxInt64 {
		for {
			q, args := complaintPageQuery(f, started, afterNs, afterID, limit)
			n, err := s.complaintBatch(ctx, q, args, func(id string, ns int64, c complaint.Complaint) {
				afterNs, afterID, started = ns, id, true
				if f.Matches(c) && len(out) < limit {
					out = append(out, c)
				}
			})
			if err != nil {
				return nil, err
			}
			if len(out) == limit {
				return out, nil
			}
			if n < limit {
				break
			}
		}
	}
	if _, err := edge(math.MaxInt64); err != nil {
		return nil, err
	}
	return out, nil
}

// wrappedReceivedNs returns the received_ns column of the complaint at the
// Position p, whose receipt is before 1678 or after 2262, when a build
// before the clamp stored it there (its receipt's wrapped Unix
// nanoseconds); otherwise p's receipt clamped (boundNanos).
func (s *Store) wrappedReceivedNs(ctx context.Context, p complaint.Position) (int64, error) {
	var ns int64
	err := s.pool.QueryRow(ctx, `SELECT received_ns FROM complaints WHERE id = $1`, p.ID).Scan(&ns)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return 0, s.fail("ListComplaintsAfter", err)
	case ns == p.ReceivedAt.UnixNano() && ns != boundNanos(p.ReceivedAt):
		return ns, nil
	}
	return boundNanos(p.ReceivedAt), nil
}

// complaintEdge returns the complaints of f's columns whose received_ns is
// ns (one end of the int64 range: receipts clamped to it), sorted by
// receipt, then id.
func (s *Store) complaintEdge(ctx context.Context, f complaint.Filter, ns int64) ([]complaint.Complaint, error) {
	conds, args := complaintConds(f)
	args = append(args, ns)
	conds = append(conds, fmt.Sprintf("received_ns = $%d", len(args)))
	var out []complaint.Complaint
	if _, err := s.complaintBatch(ctx, `SELECT `+complaintCols+` FROM complaints WHERE `+strings.Join(conds, " AND "), args,
		func(_ string, _ int64, c complaint.Complaint) { out = append(out, c) }); err != nil {
		return nil, err
	}
	complaint.SortComplaints(out)
	return out, nil
}

// complaintPageQuery is the query of one batch of ListComplaintsAfter: the
// first limit rows of f's columns after (afterNs, afterID) when started, in
// the listing order. The scan of the received_ns index starts at afterNs
// (then sorts each receipt's rows by id: the index has no id).
func complaintPageQuery(f complaint.Filter, started bool, afterNs int64, afterID string, limit int) (string, []any) {
	conds, args := complaintConds(f)
	// The clamped ends are read by complaintEdge.
	args = append(args, int64(math.MinInt64), int64(math.MaxInt64))
	conds = append(conds, fmt.Sprintf("received_ns > $%d AND received_ns < $%d", len(args)-1, len(args)))
	if started {
		// received_ns >= the Position's is implied by the OR, but the
		// planner uses only a plain bound to start the scan of the
		// received_ns index there; without it every page read the index
		// from the first complaint.
		args = append(args, afterNs, afterID)
		conds = append(conds, fmt.Sprintf(`received_ns >= $%d AND (received_ns > $%d OR id COLLATE "C" > $%d)`, len(args)-1, len(args)-1, len(args)))
	}
	q := `SELECT ` + complaintCols + ` FROM complaints`
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	args = append(args, limit)
	q += fmt.Sprintf(` ORDER BY received_ns, id COLLATE "C" LIMIT $%d`, len(args))
	return q, args
}

// complaintBatch runs q, a query of complaintCols, and hands each
// complaint it reads to each, in order; it returns how many rows it read.
func (s *Store) complaintBatch(ctx context.Context, q string, args []any, each func(id string, ns int64, c complaint.Complaint)) (int, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return 0, s.fail("ListComplaintsAfter", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var r complaintRow
		if err := r.scan(rows); err != nil {
			return 0, s.fail("ListComplaintsAfter", err)
		}
		c, err := rowComplaint(r)
		if err != nil {
			return 0, err
		}
		n++
		each(r.id, r.receivedNs, c)
	}
	if err := rows.Err(); err != nil {
		return 0, s.fail("ListComplaintsAfter", err)
	}
	return n, nil
}
