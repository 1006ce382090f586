package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage"
)

var _ recording.Store = (*Store)(nil)

// decodeRecording decodes the recording stored under id and checks it
// (recording.Recording.ValidateStored).
func decodeRecording(id string, raw []byte) (recording.Recording, error) {
	return storage.DecodeRecord("recording", id, raw, func(r *recording.Recording) error { return r.ValidateStored(id) })
}

// recordingCols is the select list of a recordingRow (scan).
const recordingCols = `id, callee, decision_id, retain_until_ns, rec`

// recordingRow is a recordings row as read: its id, the columns the
// listings filter on, and its JSON.
type recordingRow struct {
	id, callee, decisionID string
	retainNs               int64
	raw                    []byte
}

// scan reads a row of recordingCols into r.
func (r *recordingRow) scan(row pgx.Row) error {
	return row.Scan(&r.id, &r.callee, &r.decisionID, &r.retainNs, &r.raw)
}

// rowRecording decodes the recording in r (decodeRecording) and checks
// that every column a listing filters on says what its JSON says, as
// every write sets them. A row whose column disagrees was damaged (or
// edited): a listing filtered on the column reads it and would drop it
// for not matching, silently (a complaint about its callee would not hold
// it, a sweep would not see that it shares its media). It is refused as a
// damaged recording (storage.RecordError, naming the column) by every
// read that reaches it, never dropped, as complaints are (rowComplaint).
func rowRecording(r recordingRow) (recording.Recording, error) {
	rec, err := decodeRecording(r.id, r.raw)
	if err != nil {
		return rec, err
	}
	var problem string
	switch {
	case rec.Callee != r.callee:
		problem = "names another callee than its callee column"
	case rec.DecisionID != r.decisionID:
		problem = "names another decision_id than its decision_id column"
	case boundNanos(rec.RetainUntil) != r.retainNs && rec.RetainUntil.UnixNano() != r.retainNs:
		// (The wrapped value of a retention outside 1678–2262, which
		// builds before the clamp wrote, is what they wrote: kept until
		// the recording is next updated.)
		problem = "names another retain_until than its retain_until_ns column"
	default:
		return rec, nil
	}
	return rec, &storage.RecordError{Kind: "recording", Key: r.id, Err: errors.New(problem)}
}

// CreateRecording implements recording.Store. The retain_until_ns column
// (what a due listing selects on) is RetainUntil in Unix nanoseconds,
// clamped to the int64 range (boundNanos): before 1678 it is the lowest
// value, after 2262 the highest, never a wrapped one.
func (s *Store) CreateRecording(ctx context.Context, r recording.Recording) error {
	if err := r.Validate(); err != nil {
		return err
	}
	js, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("pgstore: CreateRecording: %w", err)
	}
	return s.inTx(ctx, "CreateRecording", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO recordings (id, callee, decision_id, retain_until_ns, rec) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (id) DO NOTHING`, r.ID, r.Callee, r.DecisionID, boundNanos(r.RetainUntil), js)
		if err != nil {
			return s.fail("CreateRecording", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("pgstore: recording %s: %w", r.ID, recording.ErrExists)
		}
		return nil
	})
}

// storable reports whether PostgreSQL can hold v as text: valid UTF-8
// without a NUL byte. A key that is not names no recording (Validate refuses
// such text on every write), and is not sent as a query parameter, which
// PostgreSQL would refuse as an error the store reports as unavailable.
func storable(v string) bool {
	return utf8.ValidString(v) && strings.IndexByte(v, 0) < 0
}

// GetRecording implements recording.Store.
func (s *Store) GetRecording(ctx context.Context, id string) (recording.Recording, error) {
	if err := s.check("GetRecording"); err != nil {
		return recording.Recording{}, err
	}
	if !storable(id) {
		return recording.Recording{}, fmt.Errorf("pgstore: recording %q: %w", id, recording.ErrNotFound)
	}
	var r recordingRow
	err := r.scan(s.pool.QueryRow(ctx, `SELECT `+recordingCols+` FROM recordings WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return recording.Recording{}, fmt.Errorf("pgstore: recording %s: %w", id, recording.ErrNotFound)
	}
	if err != nil {
		return recording.Recording{}, s.fail("GetRecording", err)
	}
	return rowRecording(r)
}

func (s *Store) lockRecording(ctx context.Context, tx pgx.Tx, op, id string) (recording.Recording, error) {
	if !storable(id) {
		return recording.Recording{}, fmt.Errorf("pgstore: recording %q: %w", id, recording.ErrNotFound)
	}
	var r recordingRow
	err := r.scan(tx.QueryRow(ctx, `SELECT `+recordingCols+` FROM recordings WHERE id = $1 FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return recording.Recording{}, fmt.Errorf("pgstore: recording %s: %w", id, recording.ErrNotFound)
	}
	if err != nil {
		return recording.Recording{}, s.fail(op, err)
	}
	return rowRecording(r)
}

// UpdateRecording implements recording.Store: the row is locked while fn
// runs, and written in the same transaction.
func (s *Store) UpdateRecording(ctx context.Context, id string, fn func(*recording.Recording) error) error {
	return s.inTx(ctx, "UpdateRecording", func(tx pgx.Tx) error {
		r, err := s.lockRecording(ctx, tx, "UpdateRecording", id)
		if err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
		if r.ID != id {
			return fmt.Errorf("pgstore: recording %s: update changed the id to %q: %w", id, r.ID, recording.ErrInvalid)
		}
		if err := r.Validate(); err != nil {
			return err
		}
		js, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("pgstore: UpdateRecording: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE recordings SET callee = $2, decision_id = $3, retain_until_ns = $4, rec = $5 WHERE id = $1`,
			id, r.Callee, r.DecisionID, boundNanos(r.RetainUntil), js); err != nil {
			return s.fail("UpdateRecording", err)
		}
		return nil
	})
}

// DeleteRecording implements recording.Store: the metadata row goes and the
// tombstone comes in one transaction. Its deleted_at_ns is t in Unix
// nanoseconds clamped to the int64 range (boundNanos), never wrapped: a
// deletion in 2500 was filed as one in 1930 and left out of a listing
// from 2400.
func (s *Store) DeleteRecording(ctx context.Context, id string, t time.Time) error {
	return s.inTx(ctx, "DeleteRecording", func(tx pgx.Tx) error {
		r, err := s.lockRecording(ctx, tx, "DeleteRecording", id)
		if err != nil {
			return err
		}
		if r.State != recording.StateDeleting {
			return fmt.Errorf("pgstore: recording %s is %s, not deleting: %w", id, r.State, recording.ErrRetentionLocked)
		}
		ts := recording.TombstoneOf(r, t)
		js, err := json.Marshal(ts)
		if err != nil {
			return fmt.Errorf("pgstore: DeleteRecording: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM recordings WHERE id = $1`, id); err != nil {
			return s.fail("DeleteRecording", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO recording_tombstones (id, deleted_at_ns, tombstone) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, id, boundNanos(t), js); err != nil {
			return s.fail("DeleteRecording", err)
		}
		return nil
	})
}

// ListTombstones implements recording.Store.
func (s *Store) ListTombstones(ctx context.Context, from, to time.Time) ([]recording.Tombstone, error) {
	if err := s.check("ListTombstones"); err != nil {
		return nil, err
	}
	q := `SELECT tombstone FROM recording_tombstones WHERE true`
	var args []any
	if !from.IsZero() {
		args = append(args, boundNanos(from))
		q += fmt.Sprintf(" AND deleted_at_ns >= $%d", len(args))
	}
	if !to.IsZero() {
		// A bound outside the int64 range is clamped, as the deletion
		// instants beyond it are: those at the clamped value may come
		// before it (InRange decides).
		op := "<"
		if b := boundNanos(to); b == math.MinInt64 || b == math.MaxInt64 {
			op = "<="
		}
		args = append(args, boundNanos(to))
		q += fmt.Sprintf(" AND deleted_at_ns %s $%d", op, len(args))
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, s.fail("ListTombstones", err)
	}
	defer rows.Close()
	var out []recording.Tombstone
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, s.fail("ListTombstones", err)
		}
		var ts recording.Tombstone
		if err := json.Unmarshal(raw, &ts); err != nil {
			return nil, fmt.Errorf("pgstore: tombstone: %w: %v", storage.ErrCorrupt, err)
		}
		if ts.InRange(from, to) {
			out = append(out, ts)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("ListTombstones", err)
	}
	recording.SortTombstones(out)
	return out, nil
}

// ListRecordings implements recording.Store.
func (s *Store) ListRecordings(ctx context.Context, f recording.Filter) ([]recording.Recording, error) {
	if err := s.check("ListRecordings"); err != nil {
		return nil, err
	}
	if !storable(f.Callee) || !storable(f.DecisionID) {
		return nil, nil // no recording has it (see storable)
	}
	var conds []string
	var args []any
	if f.Callee != "" {
		args = append(args, f.Callee)
		conds = append(conds, fmt.Sprintf("callee = $%d", len(args)))
	}
	if f.DecisionID != "" {
		args = append(args, f.DecisionID)
		conds = append(conds, fmt.Sprintf("decision_id = $%d", len(args)))
	}
	if !f.DueBy.IsZero() {
		args = append(args, boundNanos(f.DueBy))
		conds = append(conds, fmt.Sprintf("retain_until_ns <= $%d", len(args)))
	}
	q := `SELECT ` + recordingCols + ` FROM recordings`
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	q += ` ORDER BY id COLLATE "C"`
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, s.fail("ListRecordings", err)
	}
	defer rows.Close()
	var out []recording.Recording
	for rows.Next() {
		var row recordingRow
		if err := row.scan(rows); err != nil {
			return nil, s.fail("ListRecordings", err)
		}
		r, err := rowRecording(row)
		if err != nil {
			return nil, err
		}
		if f.Matches(r) {
			out = append(out, r)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("ListRecordings", err)
	}
	return out, nil
}
