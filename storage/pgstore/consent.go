package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/storage"
)

var (
	_ consent.Store           = (*Store)(nil)
	_ consent.RevisionStamper = (*Store)(nil)
)

// stampedEvent is an event as stored: with the stamp of its write
// (consent.RevisionStamper) under the key "stamp", which decoding into a
// consent.Event ignores (as a build before stamps does).
type stampedEvent struct {
	consent.Event
	Stamp string `json:"stamp"`
}

// appendEvent raises the revision (locking its row, which orders every consent
// write) and appends ev with the new Seq and a new stamp, inside tx.
func (s *Store) appendEvent(ctx context.Context, tx pgx.Tx, op string, ev consent.Event) error {
	var rev int64
	if err := tx.QueryRow(ctx, `UPDATE consent_revision SET rev = rev + 1 RETURNING rev`).Scan(&rev); err != nil {
		return s.fail(op, err)
	}
	ev.Seq = uint64(rev)
	js, err := json.Marshal(stampedEvent{Event: ev, Stamp: consent.NewRevisionStamp()})
	if err != nil {
		return fmt.Errorf("pgstore: %s: %w", op, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO consent_events (seq, number, event) VALUES ($1, $2, $3)`, rev, num(ev.Number), js); err != nil {
		return s.fail(op, err)
	}
	return nil
}

// requireTenantSchema records schema version 2 (schemaTenantConsents),
// inside tx, when r names a tenant: a version 1 build would read r as
// covering every tenant's dials and drop its tenant when revoking it.
func (s *Store) requireTenantSchema(ctx context.Context, tx pgx.Tx, op string, r consent.Record) error {
	if r.Tenant == "" {
		return nil
	}
	return s.recordVersion(ctx, tx, op, schemaTenantConsents, tenantConsentsMigration)
}

// AddConsent implements consent.Store: the record, its event and the
// revision in one transaction; the first record that names a tenant also
// raises the schema to version 2 in it (see the package doc, Schema).
func (s *Store) AddConsent(ctx context.Context, r consent.Record) error {
	if err := r.ValidateNew(); err != nil {
		return fmt.Errorf("pgstore: AddConsent: %w", err)
	}
	js, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("pgstore: AddConsent: %w", err)
	}
	return s.inTx(ctx, "AddConsent", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO consents (id, number, record) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`, r.ID, num(r.Number), js)
		if err != nil {
			return s.fail("AddConsent", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("pgstore: AddConsent %s: id exists: %w", r.ID, storage.ErrConflict)
		}
		if err := s.requireTenantSchema(ctx, tx, "AddConsent", r); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, "AddConsent", consent.Event{Type: consent.EventGranted, ConsentID: r.ID, Number: r.Number, At: r.GrantedAt, Channel: r.Channel})
	})
}

// decodeRecord decodes the record stored under id (found through number
// n; zero n: read by id) and checks it (consent.Record.ValidateStored).
func decodeRecord(id string, n dialgate.Number, raw []byte) (consent.Record, error) {
	return storage.DecodeRecord("consent", id, raw, func(r *consent.Record) error { return r.ValidateStored(id, n) })
}

// Consent implements consent.Store.
func (s *Store) Consent(ctx context.Context, id string) (consent.Record, error) {
	if err := s.check("Consent"); err != nil {
		return consent.Record{}, err
	}
	var raw []byte
	err := s.pool.QueryRow(ctx, `SELECT record FROM consents WHERE id = $1`, id).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return consent.Record{}, fmt.Errorf("pgstore: consent %s: %w", id, storage.ErrNotFound)
	}
	if err != nil {
		return consent.Record{}, s.fail("Consent", err)
	}
	return decodeRecord(id, dialgate.Number{}, raw)
}

// ConsentsByNumber implements consent.Store.
func (s *Store) ConsentsByNumber(ctx context.Context, n dialgate.Number) ([]consent.Record, error) {
	if err := s.check("ConsentsByNumber"); err != nil {
		return nil, err
	}
	// The store's identity is checked in the same query: a schema
	// re-created under the process has none of the consents, revocations
	// included.
	rows, err := s.pool.Query(ctx, `SELECT id, record FROM consents WHERE number = $1 AND `+s.identityCond(), num(n))
	if err != nil {
		return nil, s.fail("ConsentsByNumber", err)
	}
	defer rows.Close()
	out := []consent.Record{}
	for rows.Next() {
		var (
			id  string
			raw []byte
		)
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, s.fail("ConsentsByNumber", err)
		}
		r, err := decodeRecord(id, n, raw)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("ConsentsByNumber", err)
	}
	consent.SortRecords(out)
	return out, nil
}

// RevokeConsent implements consent.Store: the record is locked, revoked, its
// event appended and the revision raised in one transaction.
func (s *Store) RevokeConsent(ctx context.Context, id string, at time.Time, channel string) (consent.Record, error) {
	var out consent.Record
	err := s.inTx(ctx, "RevokeConsent", func(tx pgx.Tx) error {
		var raw []byte
		err := tx.QueryRow(ctx, `SELECT record FROM consents WHERE id = $1 FOR UPDATE`, id).Scan(&raw)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("pgstore: RevokeConsent %s: %w", id, storage.ErrNotFound)
		}
		if err != nil {
			return s.fail("RevokeConsent", err)
		}
		// Not judged: a withdrawal is never refused for the record.
		r, err := storage.DecodeRecord("consent", id, raw, func(*consent.Record) error { return nil })
		if err != nil {
			return err
		}
		if r.Revoked() {
			out = r
			return nil
		}
		r, ev, err := consent.RevokedRecord(r, at, channel)
		if err != nil {
			return fmt.Errorf("pgstore: RevokeConsent: %w", err)
		}
		js, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("pgstore: RevokeConsent: %w", err)
		}
		if err := s.requireTenantSchema(ctx, tx, "RevokeConsent", r); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE consents SET record = $2 WHERE id = $1`, id, js); err != nil {
			return s.fail("RevokeConsent", err)
		}
		out = r
		return s.appendEvent(ctx, tx, "RevokeConsent", ev)
	})
	if err != nil {
		return consent.Record{}, err
	}
	return out, nil
}

// queryEvents reads rows of (seq, event), of number n's history (zero n:
// any number), each checked (consent.Event.ValidateStored).
func (s *Store) queryEvents(ctx context.Context, op string, n dialgate.Number, q string, args ...any) ([]consent.Event, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	out := []consent.Event{}
	for rows.Next() {
		var (
			seq int64
			raw []byte
		)
		if err := rows.Scan(&seq, &raw); err != nil {
			return nil, s.fail(op, err)
		}
		e, err := storage.DecodeRecord("consent event", strconv.FormatInt(seq, 10), raw, func(e *consent.Event) error {
			return e.ValidateStored(uint64(seq), n)
		})
		if err != nil {
			return nil, fmt.Errorf("pgstore: %s: %w", op, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// ConsentHistory implements consent.Store.
func (s *Store) ConsentHistory(ctx context.Context, n dialgate.Number) ([]consent.Event, error) {
	if err := s.check("ConsentHistory"); err != nil {
		return nil, err
	}
	return s.queryEvents(ctx, "ConsentHistory", n, `SELECT seq, event FROM consent_events WHERE number = $1 ORDER BY seq`, num(n))
}

// ConsentRevision implements consent.Store with one single-row read.
func (s *Store) ConsentRevision(ctx context.Context) (uint64, error) {
	if err := s.check("ConsentRevision"); err != nil {
		return 0, err
	}
	var rev int64
	if err := s.pool.QueryRow(ctx, `SELECT rev FROM consent_revision WHERE `+s.identityCond()).Scan(&rev); err != nil {
		return 0, s.fail("ConsentRevision", err)
	}
	return uint64(rev), nil
}

// ConsentRevisionStamp implements consent.RevisionStamper with one
// single-row read: the revision and, joined to it, the stamp of the event at
// it, written in the same transaction. An event written by a build before
// stamps has none: its whole stored text stands in for it, so that another
// event at the same Seq still shows (one identical in every field does not).
func (s *Store) ConsentRevisionStamp(ctx context.Context) (uint64, string, error) {
	if err := s.check("ConsentRevisionStamp"); err != nil {
		return 0, "", err
	}
	var (
		rev   int64
		stamp string
	)
	// The store's identity is checked in the same query, as ConsentRevision
	// does: the consent check's cache reads this on every dial, and a hit
	// reads nothing else.
	if err := s.pool.QueryRow(ctx, `SELECT r.rev, coalesce(e.event->>'stamp', e.event::text, '') FROM consent_revision r LEFT JOIN consent_events e ON e.seq = r.rev WHERE `+s.identityCond()).Scan(&rev, &stamp); err != nil {
		return 0, "", s.fail("ConsentRevisionStamp", err)
	}
	return uint64(rev), stamp, nil
}

// ConsentEventsSince implements consent.Store. Every event is kept, so it
// never reports truncation.
func (s *Store) ConsentEventsSince(ctx context.Context, since uint64, limit int) ([]consent.Event, error) {
	if err := s.check("ConsentEventsSince"); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, fmt.Errorf("pgstore: ConsentEventsSince: limit %d: not positive: %w", limit, storage.ErrInvalid)
	}
	if since > math.MaxInt64 {
		// No seq (a bigint) is after it; as int64 it would be negative,
		// and every event from the first would be handed out.
		return []consent.Event{}, nil
	}
	return s.queryEvents(ctx, "ConsentEventsSince", dialgate.Number{}, `SELECT seq, event FROM consent_events WHERE seq > $1 ORDER BY seq LIMIT $2`, int64(since), limit)
}
