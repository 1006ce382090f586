package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/storage"
)

// Consent buckets:
//   - consents: key = record id, value = JSON of consent.Record.
//   - consent_by_number: key = number (E.164 digits as uint64, big endian) |
//     record id, value empty. Index for ConsentsByNumber.
//   - consent_events: key = Seq (uint64, big endian), value = JSON of
//     consent.Event. Every event is kept.
//   - consent_events_by_number: key = number | Seq, value empty. Index for
//     ConsentHistory.
//
// The meta key consent.revision holds the Seq of the last event; it is
// written in the same transaction as the record and the event, and fsynced
// (group commit) before the write returns.
var (
	bucketConsents              = []byte("consents")
	bucketConsentByNumber       = []byte("consent_by_number")
	bucketConsentEvents         = []byte("consent_events")
	bucketConsentEventsByNumber = []byte("consent_events_by_number")
	metaConsentRevision         = []byte("consent.revision")
	// metaConsentStamp holds the stamp of the write that made the revision
	// (consent.RevisionStamper), written with it; a file written by a build
	// before stamps has none (stamp "").
	metaConsentStamp = []byte("consent.stamp")
)

// consentState caches the consent revision in memory so that
// ConsentRevision, called once per checked dial, is an atomic load. Only one
// process may open the file, so every write goes through this Store: the
// cached value is raised after each commit, before the write returns, and is
// never ahead of what is committed.
type consentState struct {
	head   atomic.Pointer[consentHead] // nil: revision 0 without a stamp
	loaded atomic.Bool
	load   sync.Mutex
}

// consentHead is a revision and the stamp of the write that made it.
type consentHead struct {
	rev   uint64
	stamp string
}

var (
	_ consent.Store           = (*Store)(nil)
	_ consent.RevisionStamper = (*Store)(nil)
)

// raise publishes revision v with its stamp, unless the published revision
// is already at least v.
func (c *consentState) raise(v uint64, stamp string) {
	if v == 0 {
		return
	}
	h := &consentHead{rev: v, stamp: stamp}
	for {
		cur := c.head.Load()
		if cur != nil && v <= cur.rev || c.head.CompareAndSwap(cur, h) {
			return
		}
	}
}

func numKey(n dialgate.Number, suffix []byte) []byte {
	return append(binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(suffix)), n.Uint64()), suffix...)
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func readConsentRevision(tx *bolt.Tx) (uint64, error) {
	b := tx.Bucket(bucketMeta).Get(metaConsentRevision)
	if b == nil {
		return 0, nil
	}
	if len(b) != 8 {
		return 0, fmt.Errorf("consent revision: %w: %d bytes", storage.ErrCorrupt, len(b))
	}
	return binary.BigEndian.Uint64(b), nil
}

// appendConsentEvent writes e with the next Seq, raises the revision and
// replaces its stamp; it returns the Seq and the stamp.
func appendConsentEvent(tx *bolt.Tx, e consent.Event) (uint64, string, error) {
	rev, err := readConsentRevision(tx)
	if err != nil {
		return 0, "", err
	}
	e.Seq = rev + 1
	v, err := json.Marshal(e)
	if err != nil {
		return 0, "", err
	}
	if err := tx.Bucket(bucketConsentEvents).Put(seqKey(e.Seq), v); err != nil {
		return 0, "", err
	}
	if err := tx.Bucket(bucketConsentEventsByNumber).Put(numKey(e.Number, seqKey(e.Seq)), nil); err != nil {
		return 0, "", err
	}
	stamp := consent.NewRevisionStamp()
	if err := tx.Bucket(bucketMeta).Put(metaConsentStamp, []byte(stamp)); err != nil {
		return 0, "", err
	}
	return e.Seq, stamp, tx.Bucket(bucketMeta).Put(metaConsentRevision, seqKey(e.Seq))
}

// decodeConsent decodes the record stored under id (filed under number n's
// index; zero n: read by id) and checks it (consent.Record.ValidateStored).
func decodeConsent(id, v []byte, n dialgate.Number) (consent.Record, error) {
	return storage.DecodeRecord("consent", string(id), v, func(r *consent.Record) error { return r.ValidateStored(string(id), n) })
}

// decodeConsentToRevoke decodes the record stored under id without judging
// it: a withdrawal is never refused for what is wrong with the record.
func decodeConsentToRevoke(id, v []byte) (consent.Record, error) {
	return storage.DecodeRecord("consent", string(id), v, func(*consent.Record) error { return nil })
}

// AddConsent implements consent.Store; durable (fsynced) before it returns.
func (s *Store) AddConsent(ctx context.Context, r consent.Record) error {
	if err := s.domainArgs(ctx, "AddConsent"); err != nil {
		return err
	}
	if err := r.ValidateNew(); err != nil {
		return fmt.Errorf("boltstore: AddConsent: %w", err)
	}
	v, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("boltstore: AddConsent: %w", err)
	}
	var (
		conflict bool
		seq      uint64
		stamp    string
	)
	err = s.batch("AddConsent", func(tx *bolt.Tx) error {
		conflict, seq, stamp = false, 0, ""
		b := tx.Bucket(bucketConsents)
		if b.Get([]byte(r.ID)) != nil {
			conflict = true
			return nil
		}
		if r.Tenant != "" {
			if err := requireSchema(tx, schemaTenantConsents); err != nil {
				return err
			}
		}
		if err := b.Put([]byte(r.ID), v); err != nil {
			return err
		}
		if err := tx.Bucket(bucketConsentByNumber).Put(numKey(r.Number, []byte(r.ID)), nil); err != nil {
			return err
		}
		var err error
		seq, stamp, err = appendConsentEvent(tx, consent.Event{Type: consent.EventGranted, ConsentID: r.ID, Number: r.Number, At: r.GrantedAt, Channel: r.Channel})
		return err
	})
	if err != nil {
		return err
	}
	if conflict {
		return fmt.Errorf("boltstore: AddConsent: consent %s already exists (consent given again is a new record): %w", r.ID, storage.ErrConflict)
	}
	s.consents.raise(seq, stamp)
	return nil
}

// Consent implements consent.Store.
func (s *Store) Consent(ctx context.Context, id string) (consent.Record, error) {
	if err := s.domainArgs(ctx, "Consent"); err != nil {
		return consent.Record{}, err
	}
	var (
		r     consent.Record
		found bool
	)
	err := s.view("Consent", func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketConsents).Get([]byte(id))
		if v == nil {
			return nil
		}
		found = true
		var err error
		r, err = decodeConsent([]byte(id), v, dialgate.Number{})
		return err
	})
	if err != nil {
		return consent.Record{}, err
	}
	if !found {
		return consent.Record{}, fmt.Errorf("boltstore: consent %q: %w", id, storage.ErrNotFound)
	}
	return r, nil
}

// ConsentsByNumber implements consent.Store.
func (s *Store) ConsentsByNumber(ctx context.Context, n dialgate.Number) ([]consent.Record, error) {
	if err := s.domainArgs(ctx, "ConsentsByNumber"); err != nil {
		return nil, err
	}
	out := []consent.Record{}
	prefix := numKey(n, nil)
	err := s.view("ConsentsByNumber", func(tx *bolt.Tx) error {
		out = out[:0]
		recs := tx.Bucket(bucketConsents)
		c := tx.Bucket(bucketConsentByNumber).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			id := k[len(prefix):]
			v := recs.Get(id)
			if v == nil {
				return fmt.Errorf("consent index names %q, which does not exist: %w", id, storage.ErrCorrupt)
			}
			r, err := decodeConsent(id, v, n)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	consent.SortRecords(out)
	return out, nil
}

// RevokeConsent implements consent.Store; the revocation is fsynced, and the
// revision raised, before it returns.
func (s *Store) RevokeConsent(ctx context.Context, id string, at time.Time, channel string) (consent.Record, error) {
	if err := s.domainArgs(ctx, "RevokeConsent"); err != nil {
		return consent.Record{}, err
	}
	if at.IsZero() {
		return consent.Record{}, fmt.Errorf("boltstore: RevokeConsent: %w", &consent.FieldError{Field: "revoked_at", Problem: "missing"})
	}
	var (
		r       consent.Record
		found   bool
		invalid error
		seq     uint64
		stamp   string
	)
	err := s.batch("RevokeConsent", func(tx *bolt.Tx) error {
		found, invalid, seq, stamp = false, nil, 0, ""
		b := tx.Bucket(bucketConsents)
		v := b.Get([]byte(id))
		if v == nil {
			return nil
		}
		found = true
		var err error
		if r, err = decodeConsentToRevoke([]byte(id), v); err != nil {
			return err
		}
		if r.Revoked() {
			return nil
		}
		var ev consent.Event
		if r, ev, invalid = consent.RevokedRecord(r, at, channel); invalid != nil {
			return nil
		}
		nv, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(id), nv); err != nil {
			return err
		}
		seq, stamp, err = appendConsentEvent(tx, ev)
		return err
	})
	if err != nil {
		return consent.Record{}, err
	}
	if !found {
		return consent.Record{}, fmt.Errorf("boltstore: RevokeConsent: consent %q: %w", id, storage.ErrNotFound)
	}
	if invalid != nil {
		return consent.Record{}, fmt.Errorf("boltstore: RevokeConsent: %w", invalid)
	}
	s.consents.raise(seq, stamp)
	return r, nil
}

// decodeEvent decodes the event stored under the seq key k (found in
// number n's history; zero n: read by seq) and checks it
// (consent.Event.ValidateStored).
func decodeEvent(k, v []byte, n dialgate.Number) (consent.Event, error) {
	var seq uint64
	if len(k) == 8 {
		seq = binary.BigEndian.Uint64(k)
	}
	return storage.DecodeRecord("consent event", strconv.FormatUint(seq, 10), v, func(e *consent.Event) error {
		if seq == 0 {
			return fmt.Errorf("key %x: not a seq", k)
		}
		return e.ValidateStored(seq, n)
	})
}

// ConsentHistory implements consent.Store.
func (s *Store) ConsentHistory(ctx context.Context, n dialgate.Number) ([]consent.Event, error) {
	if err := s.domainArgs(ctx, "ConsentHistory"); err != nil {
		return nil, err
	}
	out := []consent.Event{}
	prefix := numKey(n, nil)
	err := s.view("ConsentHistory", func(tx *bolt.Tx) error {
		out = out[:0]
		evs := tx.Bucket(bucketConsentEvents)
		c := tx.Bucket(bucketConsentEventsByNumber).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			sk := k[len(prefix):]
			v := evs.Get(sk)
			if v == nil {
				return fmt.Errorf("consent event index names %x, which does not exist: %w", sk, storage.ErrCorrupt)
			}
			e, err := decodeEvent(sk, v, n)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ConsentRevision implements consent.Store: after the first call, an atomic
// load (see consentState). It fails, as every read does, once a commit of
// the store file failed.
func (s *Store) ConsentRevision(ctx context.Context) (uint64, error) {
	h, err := s.consentHead("ConsentRevision")
	return h.rev, err
}

// ConsentRevisionStamp implements consent.RevisionStamper as ConsentRevision
// does: an atomic load. Only this process writes the file, so it cannot
// lose a write under a running cache; it stamps each all the same, as every
// store does.
func (s *Store) ConsentRevisionStamp(ctx context.Context) (uint64, string, error) {
	h, err := s.consentHead("ConsentRevisionStamp")
	return h.rev, h.stamp, err
}

// consentHead returns the published revision and its stamp, reading them
// from the file on the first call.
func (s *Store) consentHead(op string) (consentHead, error) {
	if err := s.check(op); err != nil {
		return consentHead{}, err
	}
	// The consent check answers from its cache while the revision stays:
	// once a commit failed (a revocation perhaps not on disk, its revision
	// never raised) the revision must fail as every read does.
	if s.group.stopped.Load() {
		return consentHead{}, txErr(op, s.group.err())
	}
	c := &s.consents
	if !c.loaded.Load() {
		c.load.Lock()
		defer c.load.Unlock()
		if !c.loaded.Load() {
			var (
				v     uint64
				stamp string
			)
			if err := s.view(op, func(tx *bolt.Tx) error {
				var err error
				v, err = readConsentRevision(tx)
				stamp = string(tx.Bucket(bucketMeta).Get(metaConsentStamp))
				return err
			}); err != nil {
				return consentHead{}, err
			}
			c.raise(v, stamp)
			c.loaded.Store(true)
		}
	}
	if h := c.head.Load(); h != nil {
		return *h, nil
	}
	return consentHead{}, nil
}

// ConsentEventsSince implements consent.Store. Every event is kept, so it
// never reports consent.ErrHistoryTruncated.
func (s *Store) ConsentEventsSince(ctx context.Context, since uint64, limit int) ([]consent.Event, error) {
	if err := s.domainArgs(ctx, "ConsentEventsSince"); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, fmt.Errorf("boltstore: ConsentEventsSince: limit %d not positive: %w", limit, storage.ErrInvalid)
	}
	out := []consent.Event{}
	if since == ^uint64(0) {
		return out, nil
	}
	err := s.view("ConsentEventsSince", func(tx *bolt.Tx) error {
		out = out[:0]
		c := tx.Bucket(bucketConsentEvents).Cursor()
		for k, v := c.Seek(seqKey(since + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			e, err := decodeEvent(k, v, dialgate.Number{})
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
