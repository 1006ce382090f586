package memstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/storage"
)

// consentState holds consent records and their event history. The zero value
// is empty. Every event is kept (Seq = index + 1).
type consentState struct {
	mu     sync.RWMutex
	byID   map[string]consent.Record
	byNum  map[dialgate.Number][]string
	events []consent.Event
	rev    atomic.Uint64 // = len(events), published after the write
	head   atomic.Pointer[consentHead]
}

// consentHead is the revision with the stamp of the write that made it
// (consent.RevisionStamper), published together after the write.
type consentHead struct {
	rev   uint64
	stamp string
}

var (
	_ consent.Store           = (*Store)(nil)
	_ consent.RevisionStamper = (*Store)(nil)
)

func (s *Store) consentOp(ctx context.Context, op string) error {
	if err := s.check(op); err != nil {
		return err
	}
	return ctx.Err()
}

// AddConsent implements consent.Store.
func (s *Store) AddConsent(ctx context.Context, r consent.Record) error {
	if err := s.consentOp(ctx, "AddConsent"); err != nil {
		return err
	}
	if err := r.ValidateNew(); err != nil {
		return fmt.Errorf("memstore: AddConsent: %w", err)
	}
	c := &s.consents
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byID[r.ID]; ok {
		return fmt.Errorf("memstore: AddConsent: consent %s already exists (consent given again is a new record): %w", r.ID, storage.ErrConflict)
	}
	if c.byID == nil {
		c.byID = make(map[string]consent.Record)
		c.byNum = make(map[dialgate.Number][]string)
	}
	c.byID[r.ID] = r
	c.byNum[r.Number] = append(c.byNum[r.Number], r.ID)
	c.appendLocked(consent.Event{Type: consent.EventGranted, ConsentID: r.ID, Number: r.Number, At: r.GrantedAt, Channel: r.Channel})
	return nil
}

func (c *consentState) appendLocked(e consent.Event) {
	e.Seq = uint64(len(c.events)) + 1
	c.events = append(c.events, e)
	c.rev.Store(e.Seq)
	c.head.Store(&consentHead{rev: e.Seq, stamp: consent.NewRevisionStamp()})
}

// Consent implements consent.Store.
func (s *Store) Consent(ctx context.Context, id string) (consent.Record, error) {
	if err := s.consentOp(ctx, "Consent"); err != nil {
		return consent.Record{}, err
	}
	c := &s.consents
	c.mu.RLock()
	defer c.mu.RUnlock()
	r, ok := c.byID[id]
	if !ok {
		return consent.Record{}, fmt.Errorf("memstore: consent %q: %w", id, storage.ErrNotFound)
	}
	if err := storage.CheckRecord("consent", id, r.ValidateStored(id, dialgate.Number{})); err != nil {
		return consent.Record{}, err
	}
	return r, nil
}

// ConsentsByNumber implements consent.Store.
func (s *Store) ConsentsByNumber(ctx context.Context, n dialgate.Number) ([]consent.Record, error) {
	if err := s.consentOp(ctx, "ConsentsByNumber"); err != nil {
		return nil, err
	}
	c := &s.consents
	c.mu.RLock()
	ids := c.byNum[n]
	out := make([]consent.Record, len(ids))
	for i, id := range ids {
		out[i] = c.byID[id]
		if err := storage.CheckRecord("consent", id, out[i].ValidateStored(id, n)); err != nil {
			c.mu.RUnlock()
			return nil, err
		}
	}
	c.mu.RUnlock()
	consent.SortRecords(out)
	return out, nil
}

// RevokeConsent implements consent.Store.
func (s *Store) RevokeConsent(ctx context.Context, id string, at time.Time, channel string) (consent.Record, error) {
	if err := s.consentOp(ctx, "RevokeConsent"); err != nil {
		return consent.Record{}, err
	}
	c := &s.consents
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.byID[id]
	if !ok {
		return consent.Record{}, fmt.Errorf("memstore: RevokeConsent: consent %q: %w", id, storage.ErrNotFound)
	}
	if r.Revoked() {
		return r, nil
	}
	r, ev, err := consent.RevokedRecord(r, at, channel)
	if err != nil {
		return consent.Record{}, fmt.Errorf("memstore: RevokeConsent: %w", err)
	}
	c.byID[id] = r
	c.appendLocked(ev)
	return r, nil
}

// ConsentHistory implements consent.Store.
func (s *Store) ConsentHistory(ctx context.Context, n dialgate.Number) ([]consent.Event, error) {
	if err := s.consentOp(ctx, "ConsentHistory"); err != nil {
		return nil, err
	}
	c := &s.consents
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := []consent.Event{}
	for i, e := range c.events {
		if e.Number == n {
			if err := checkEvent(e, i, n); err != nil {
				return nil, err
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// ConsentRevision implements consent.Store: an atomic load.
func (s *Store) ConsentRevision(ctx context.Context) (uint64, error) {
	if s.closed.Load() {
		return 0, fmt.Errorf("memstore: ConsentRevision: %w", storage.ErrClosed)
	}
	return s.consents.rev.Load(), nil
}

// ConsentRevisionStamp implements consent.RevisionStamper: an atomic load.
// A memstore never loses a write, but it stamps each, as every store does.
func (s *Store) ConsentRevisionStamp(ctx context.Context) (uint64, string, error) {
	if s.closed.Load() {
		return 0, "", fmt.Errorf("memstore: ConsentRevisionStamp: %w", storage.ErrClosed)
	}
	h := s.consents.head.Load()
	if h == nil {
		return 0, "", nil
	}
	return h.rev, h.stamp, nil
}

// ConsentEventsSince implements consent.Store. The memstore keeps every event.
func (s *Store) ConsentEventsSince(ctx context.Context, since uint64, limit int) ([]consent.Event, error) {
	if err := s.consentOp(ctx, "ConsentEventsSince"); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, fmt.Errorf("memstore: ConsentEventsSince: limit %d not positive: %w", limit, storage.ErrInvalid)
	}
	c := &s.consents
	c.mu.RLock()
	defer c.mu.RUnlock()
	if since >= uint64(len(c.events)) {
		return []consent.Event{}, nil
	}
	evs := c.events[since:]
	if len(evs) > limit {
		evs = evs[:limit]
	}
	for i, e := range evs {
		if err := checkEvent(e, int(since)+i, dialgate.Number{}); err != nil {
			return nil, err
		}
	}
	return slices.Clone(evs), nil
}

// checkEvent checks the event at index i (Seq i+1), read from number n's
// history (zero n: by seq) (consent.Event.ValidateStored).
func checkEvent(e consent.Event, i int, n dialgate.Number) error {
	seq := uint64(i) + 1
	return storage.CheckRecord("consent event", strconv.FormatUint(seq, 10), e.ValidateStored(seq, n))
}
