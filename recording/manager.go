package recording

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/textsafe"
	"github.com/dialgate/dialgate/numbering"
)

// Manager registers recordings, places and releases legal holds, and deletes
// recordings only when the rules allow. It is safe for concurrent use; the Store
// serialises the read-modify-write of each recording.
//
// Its methods take the current instant t from the caller. A zero t (a
// time.Time never set) is refused by Register, End, Link, Delete, Due, Sweep
// and SweepDue with an error wrapping ErrInvalid that names t.
type Manager struct {
	cfg     Config
	store   Store
	blob    Blob
	hasher  CalleeHasher
	guard   HoldGuard
	holdNew CalleeHolds
}

// HoldGuard decides whether the hold holdID may be released: a non-nil error
// (wrapping ErrHoldProtected) refuses it. See Manager.GuardHolds.
type HoldGuard func(ctx context.Context, holdID string) error

// GuardHolds makes ReleaseHold ask g first (complaint.HoldGuard keeps a
// complaint's holds until the complaint is answered). Call it before the
// Manager is used; it is not safe to call concurrently with ReleaseHold.
func (m *Manager) GuardHolds(g HoldGuard) { m.guard = g }

// CalleeHolds returns the holds a new recording of the callee with keyed hash
// callee must carry, placed at t: complaint.RecordingHolds gives the holds of
// the callee's complaints not yet answered. See Manager.HoldNew.
type CalleeHolds func(ctx context.Context, callee string, t time.Time) ([]Hold, error)

// HoldNew makes Register ask h for the holds a new recording must carry, so
// that a recording registered after a complaint about its callee (the call
// the complaint was made during, a recording uploaded late) is held as the
// complaint's recordings are. Call it before the Manager is used; it is not
// safe to call concurrently with Register.
func (m *Manager) HoldNew(h CalleeHolds) { m.holdNew = h }

// NewManager returns a Manager keeping recordings for cfg.RetentionPeriod(). blob
// may be nil when dialgate keeps metadata only (then MediaURI must be empty).
func NewManager(cfg Config, store Store, blob Blob, hasher CalleeHasher) (*Manager, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if store == nil {
		return nil, fmt.Errorf("%w: nil store", ErrInvalid)
	}
	if hasher == nil {
		return nil, fmt.Errorf("%w: nil callee hasher", ErrInvalid)
	}
	return &Manager{cfg: cfg, store: store, blob: blob, hasher: hasher}, nil
}

// Retention returns the retention period the Manager applies.
func (m *Manager) Retention() time.Duration { return m.cfg.RetentionPeriod() }

// Registration describes a recording to register.
type Registration struct {
	// ID identifies the recording (the dialer's or recorder's id): 1 to 256
	// bytes, unique. Required.
	ID string
	// DecisionID links the decision that allowed the call; empty when not known.
	DecisionID string
	// Tenant is the call centre that made the call; may be empty.
	Tenant string
	// Callee is the called number. Required; only its keyed hash is stored.
	Callee dialgate.Number
	// StartedAt is when the recording started. Required, and not more than a
	// minute after the registration time.
	StartedAt time.Time
	// EndedAt is when the call ended, when known: retention is counted from
	// it. Not before StartedAt, and not more than a minute after the
	// registration time. Zero when not known; then Register counts from the
	// registration time instead (see Register).
	EndedAt time.Time
	// Retention asks for a longer retention than the Manager's for this
	// recording; zero keeps the Manager's. Less than 30 days is an error.
	Retention dialgate.Duration
	// MediaURI locates the media in the Manager's Blob store (which must then
	// be configured); empty for metadata only.
	MediaURI string
}

// Register records a new recording's metadata at time t. The recording is
// kept until the end of its call plus the longer of the Manager's retention
// and reg.Retention (337号 CN-S6 counts the retention from the call, so a long
// call is kept as long after it ended as a short one), and carries the holds
// HoldNew's function gives its callee (a look-up error refuses the
// registration).
//
// The end of the call is reg.EndedAt when given. When it is not, it is the
// later of reg.StartedAt and t: a recording registered after its call ended
// is then kept at least the retention after that end, never less (longer by
// the time between the end and t). A recording registered while its call
// is still running (t before the real end) must be registered with EndedAt
// once the call is over, or the retention would count from too early an
// instant; give EndedAt whenever it is known.
//
// An EndedAt before StartedAt, or more than a minute after t (the clock's
// skew that StartedAt is allowed too), is an error wrapping ErrInvalid and
// naming ended_at.
func (m *Manager) Register(ctx context.Context, t time.Time, reg Registration) (Recording, error) {
	return m.register(ctx, t, reg, false)
}

// IsRetry reports whether old, the recording on record under reg.ID (the
// one Register refused with ErrExists), is what registering reg stored: the
// same callee (as spelt), start and end (or none again), kept at least the
// retention reg asks for from that end (without one, from the start: a
// retry comes after the first attempt, whose instant bounded it), and the
// same decision and tenant, where reg names them. Such a registration is a
// retry of the first (a client, or an operator, repeating a request whose
// answer or audit record was lost): callers acknowledge it as done rather
// than refuse it. Another recording under the same id is not.
func (m *Manager) IsRetry(old Recording, reg Registration) bool {
	keep := max(m.Retention(), reg.Retention.Std())
	from := reg.StartedAt
	if !reg.EndedAt.IsZero() {
		from = reg.EndedAt
	}
	return old.ID == reg.ID && reg.Callee.IsValid() && old.Callee == m.hasher.HashCallee(reg.Callee) &&
		old.StartedAt.Equal(reg.StartedAt) && old.EndedAt.Equal(reg.EndedAt) &&
		!old.RetainUntil.Before(from.Add(keep)) &&
		(reg.DecisionID == "" || old.DecisionID == reg.DecisionID) &&
		(reg.Tenant == "" || old.Tenant == reg.Tenant) &&
		(reg.MediaURI == "" || old.MediaURI == reg.MediaURI)
}

// register is Register; estimated marks reg.StartedAt as the instant the
// recording became known rather than its start (Recording.StartEstimated).
func (m *Manager) register(ctx context.Context, t time.Time, reg Registration, estimated bool) (Recording, error) {
	if err := zeroInstant(t); err != nil {
		return Recording{}, err
	}
	if !reg.Callee.IsValid() {
		return Recording{}, fmt.Errorf("%w: number: missing or invalid callee", ErrInvalid)
	}
	// A C1 control, a bidirectional override or a line separator would make
	// listings and the audit trail show another id than the record's.
	// Checked on what is registered new, not by Validate: recordings
	// earlier builds stored still load and can still be held and ended.
	for _, f := range [...]struct{ name, v string }{
		{"id", reg.ID}, {"decision_id", reg.DecisionID}, {"tenant", reg.Tenant}, {"media_uri", reg.MediaURI},
	} {
		if p := textsafe.Problem(f.v, textsafe.Line); p != "" {
			return Recording{}, fmt.Errorf("%w: %s: %s", ErrInvalid, f.name, p)
		}
	}
	if reg.StartedAt.IsZero() {
		return Recording{}, fmt.Errorf("%w: started_at: missing", ErrInvalid)
	}
	if reg.StartedAt.After(t.Add(time.Minute)) {
		return Recording{}, fmt.Errorf("%w: started_at: %s is in the future", ErrInvalid, reg.StartedAt.Format(time.RFC3339))
	}
	// An ended_at before started_at is refused by Validate below.
	if reg.EndedAt.After(t.Add(time.Minute)) {
		return Recording{}, fmt.Errorf("%w: ended_at: %s is in the future (registered at %s)", ErrInvalid,
			reg.EndedAt.Format(time.RFC3339), t.Format(time.RFC3339))
	}
	if reg.Retention < 0 || (reg.Retention != 0 && reg.Retention.Std() < MinRetention) {
		return Recording{}, fmt.Errorf("%w: retention: %s is below the 30-day floor: %w", ErrInvalid, reg.Retention, ErrRetentionTooShort)
	}
	if reg.MediaURI != "" {
		if m.blob == nil {
			return Recording{}, fmt.Errorf("%w: media_uri: no media store is configured", ErrInvalid)
		}
		// A driver with one canonical spelling of a URI (FSBlob) refuses
		// the others: the sweeper tells shared media by its URI.
		if v, ok := m.blob.(interface{ ValidateURI(uri string) error }); ok {
			if err := v.ValidateURI(reg.MediaURI); err != nil {
				return Recording{}, err
			}
		}
		// Exists validates the URI for the driver; the media may still be uploading.
		if _, err := m.blob.Exists(ctx, reg.MediaURI); err != nil {
			return Recording{}, err
		}
	}
	keep := m.cfg.RetentionPeriod()
	if reg.Retention.Std() > keep {
		keep = reg.Retention.Std()
	}
	hashes := m.calleeHashes(reg.Callee)
	r := Recording{
		ID: reg.ID, DecisionID: reg.DecisionID, Tenant: reg.Tenant,
		Callee:    hashes[0],
		StartedAt: reg.StartedAt, EndedAt: reg.EndedAt, RetainUntil: callEnd(reg.StartedAt, reg.EndedAt, t).Add(keep),
		MediaURI: reg.MediaURI, State: StateActive, StartEstimated: estimated,
	}
	if len(hashes) > 1 {
		r.CalleeAlias = hashes[1]
	}
	if err := r.Validate(); err != nil {
		return Recording{}, err
	}
	// Earlier records of the line (either spelling) stored before
	// CalleeAlias existed get it now: the sweep of one looks for this
	// one's media under its own spelling only otherwise. (Only with media:
	// the look-up scans a boltstore's recordings.)
	if r.MediaURI != "" {
		if err := m.giveAlias(ctx, hashes); err != nil {
			return Recording{}, fmt.Errorf("recording %s: looking up the callee's earlier recordings: %w", r.ID, err)
		}
	}
	if m.holdNew == nil {
		if err := m.store.CreateRecording(ctx, r); err != nil {
			return Recording{}, err
		}
		return r, nil
	}
	// The holds known now are written with the record. A complaint filed
	// between that look-up and the write is caught by the second look-up
	// below (or, if it comes later still, by the complaint's own hold on
	// the callee's recordings).
	holds, err := m.calleeHolds(ctx, reg.Callee, t)
	if err != nil {
		return Recording{}, fmt.Errorf("recording %s: looking up the callee's holds: %w", r.ID, err)
	}
	r.Holds = addHolds(nil, holds)
	if err := r.Validate(); err != nil {
		return Recording{}, err
	}
	if err := m.store.CreateRecording(ctx, r); err != nil {
		return Recording{}, err
	}
	later, err := m.calleeHolds(ctx, reg.Callee, t)
	if err != nil {
		return r, fmt.Errorf("recording %s: registered, but looking up the callee's holds again: %w", r.ID, err)
	}
	if more := addHolds(r.Holds, later); len(more) > len(r.Holds) {
		for _, h := range more[len(r.Holds):] {
			if err := m.hold(ctx, r.ID, h, nil); err != nil {
				return r, fmt.Errorf("recording %s: registered, but holding it for %s: %w", r.ID, h.ID, err)
			}
		}
		r.Holds = more
	}
	return r, nil
}

// callEnd returns the instant a recording's retention is counted from, as
// Register counts it: ended when given, else the later of started and the
// registration instant registered (the latest the call can have ended when
// it is registered after it).
func callEnd(started, ended, registered time.Time) time.Time {
	if !ended.IsZero() {
		return ended
	}
	if registered.After(started) {
		return registered
	}
	return started
}

// End records at time t that the call of recording id ended at ended, for a
// recording registered while its call was running (or without its end):
// the recording is then kept until at least ended plus its retention. End
// only ever lengthens the retention: RetainUntil becomes the later of its
// value and ended plus the retention counted for the recording (the longer
// of the Manager's and the one it was registered with, taken as RetainUntil
// less the instant its retention was counted from at registration, which is
// never less than what was asked: the registration instant is at or after
// StartedAt). A recording already ended at a later instant keeps it; ending
// it again at the same instant is a no-op.
//
// An ended before the recording's StartedAt, or more than a minute after t,
// is an error wrapping ErrInvalid and naming ended_at; an unknown recording
// wraps ErrNotFound, one being deleted ErrDeleting.
func (m *Manager) End(ctx context.Context, t time.Time, id string, ended time.Time) (Recording, error) {
	if err := zeroInstant(t); err != nil {
		return Recording{}, err
	}
	if ended.IsZero() {
		return Recording{}, fmt.Errorf("%w: ended_at: missing", ErrInvalid)
	}
	if ended.After(t.Add(time.Minute)) {
		return Recording{}, fmt.Errorf("%w: ended_at: %s is in the future (at %s)", ErrInvalid,
			ended.Format(time.RFC3339), t.Format(time.RFC3339))
	}
	var out Recording
	err := m.store.UpdateRecording(ctx, id, func(r *Recording) error {
		if r.State == StateDeleting {
			return fmt.Errorf("recording %s: %w", id, ErrDeleting)
		}
		if ended.Before(r.StartedAt) && !r.StartEstimated {
			return fmt.Errorf("%w: ended_at: %s is before started_at %s", ErrInvalid,
				ended.Format(time.RFC3339), r.StartedAt.Format(time.RFC3339))
		}
		from := r.StartedAt
		if !r.EndedAt.IsZero() {
			from = r.EndedAt
		}
		keep := max(m.cfg.RetentionPeriod(), r.RetainUntil.Sub(from))
		if ended.Before(r.StartedAt) {
			// An estimated start (Link) later than the real end: the
			// recording started by then at the latest.
			r.StartedAt = ended
		}
		if ended.After(r.EndedAt) {
			r.EndedAt = ended
		}
		if until := ended.Add(keep); until.After(r.RetainUntil) {
			r.RetainUntil = until
		}
		out = *r
		return r.Validate()
	})
	if err != nil {
		return Recording{}, err
	}
	return out, nil
}

// addHolds appends to hs the holds of add whose ids hs does not have.
func addHolds(hs, add []Hold) []Hold {
	for _, h := range add {
		if !slices.ContainsFunc(hs, func(o Hold) bool { return o.ID == h.ID }) {
			hs = append(hs, h)
		}
	}
	return hs
}

// Get returns the recording with the given id.
func (m *Manager) Get(ctx context.Context, id string) (Recording, error) {
	return m.store.GetRecording(ctx, id)
}

// Hold places a legal hold on a recording. Placing a hold with an id the
// recording already has is a no-op. A recording a sweep has marked for
// deletion can no longer be held (ErrDeleting): the sweep may be deleting its
// media at this very moment, in this process or another, so a hold accepted
// then could not keep it. A sweep whose media delete fails while the media is
// still there puts the recording back to active, so that it can be held —
// the sweep that marked it, and only while no other sweep has taken the
// deletion over; a sweep that took it over leaves it marked for the next.
func (m *Manager) Hold(ctx context.Context, id string, h Hold) error {
	// A new hold's id is an identifier, its reason free text for people
	// (line breaks and right-to-left marks allowed): neither may hold what
	// makes a listing show other than the hold holds (textsafe). Holds
	// dialgate derives from stored complaints (HoldCallee, the holds a new
	// recording inherits, those a sweep places first) are not checked here:
	// one an earlier build stored must still hold.
	if p := textsafe.Problem(h.ID, textsafe.Line); p != "" {
		return fmt.Errorf("%w: hold id: %s", ErrInvalid, p)
	}
	if p := textsafe.Problem(h.Reason, textsafe.Multiline); p != "" {
		return fmt.Errorf("%w: hold reason: %s", ErrInvalid, p)
	}
	return m.hold(ctx, id, h, nil)
}

// hold is Hold; when hashes (calleeHashes of the callee, known to the
// caller) is given and the recording, of one of them, has no CalleeAlias
// (stored before it existed), it is given the other, even when it is being
// deleted and so not held: a sweep that puts it back to active then looks up
// the complaints of both spellings (holdForCallee).
func (m *Manager) hold(ctx context.Context, id string, h Hold, hashes []string) error {
	if strings.TrimSpace(h.ID) == "" {
		return fmt.Errorf("%w: hold id: missing", ErrInvalid)
	}
	var deleting bool
	err := m.store.UpdateRecording(ctx, id, func(r *Recording) error {
		// fn may run more than once (a store retries its transaction):
		// only the attempt written decides.
		deleting = false
		aliased := len(hashes) == 2 && r.CalleeAlias == "" && (r.Callee == hashes[0] || r.Callee == hashes[1])
		if aliased {
			r.CalleeAlias = hashes[0]
			if r.Callee == hashes[0] {
				r.CalleeAlias = hashes[1]
			}
		}
		if r.State == StateDeleting {
			if aliased {
				deleting = true
				return nil // the alias is written, no hold
			}
			return fmt.Errorf("recording %s: %w", id, ErrDeleting)
		}
		for _, old := range r.Holds {
			if old.ID == h.ID {
				return nil
			}
		}
		r.Holds = append(r.Holds, h)
		return nil
	})
	if err == nil && deleting {
		err = fmt.Errorf("recording %s: %w", id, ErrDeleting)
	}
	return err
}

// giveAlias gives the recordings of callee hashes (calleeHashes of a French
// overseas line) stored before CalleeAlias existed the other spelling's
// hash, so that their sweep looks for their media and their complaints
// under both (mediaShared, holdForCallee).
func (m *Manager) giveAlias(ctx context.Context, hashes []string) error {
	if len(hashes) != 2 {
		return nil
	}
	for i, callee := range hashes {
		recs, err := m.store.ListRecordings(ctx, Filter{Callee: callee})
		if err != nil {
			return err
		}
		for _, r := range recs {
			if r.CalleeAlias != "" {
				continue
			}
			alias := hashes[1-i]
			err := m.store.UpdateRecording(ctx, r.ID, func(r *Recording) error {
				if r.CalleeAlias == "" && r.Callee == callee {
					r.CalleeAlias = alias
				}
				return nil
			})
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
		}
	}
	return nil
}

// ReleaseHold removes the hold holdID from a recording. Releasing a hold the
// recording does not have is an error wrapping ErrNotFound; a hold the
// Manager's HoldGuard protects, one wrapping ErrHoldProtected.
func (m *Manager) ReleaseHold(ctx context.Context, id, holdID string) error {
	if m.guard != nil {
		if err := m.guard(ctx, holdID); err != nil {
			return fmt.Errorf("recording %s: release hold %q: %w", id, holdID, err)
		}
	}
	return m.store.UpdateRecording(ctx, id, func(r *Recording) error {
		for i, h := range r.Holds {
			if h.ID == holdID {
				r.Holds = append(r.Holds[:i:i], r.Holds[i+1:]...)
				return nil
			}
		}
		return fmt.Errorf("recording %s: hold %q: %w", id, holdID, ErrNotFound)
	})
}

// calleeHashes returns the keyed hashes n's recordings are kept under: n's,
// and for a French overseas line (+596 596 12 34 56, +33 596 12 34 56) or a
// Mexican line (+52 55 1234 5678, +52 1 55 1234 5678: the withdrawn mobile
// prefix, under which earlier builds registered recordings) its other
// spelling's too (numbering.LineAlias), since the dialer may have given
// either.
func (m *Manager) calleeHashes(n dialgate.Number) []string {
	hs := []string{m.hasher.HashCallee(n)}
	if alt, ok := numbering.LineAlias(n); ok {
		hs = append(hs, m.hasher.HashCallee(alt))
	}
	return hs
}

// calleeHolds returns the holds HoldNew's function gives a new recording of
// n, under each of n's spellings (calleeHashes).
func (m *Manager) calleeHolds(ctx context.Context, n dialgate.Number, t time.Time) ([]Hold, error) {
	var holds []Hold
	for _, callee := range m.calleeHashes(n) {
		more, err := m.holdNew(ctx, callee, t)
		if err != nil {
			return nil, err
		}
		holds = append(holds, more...)
	}
	return holds, nil
}

// HoldCallee places hold h on every recording of callee n (a complaint holds
// the callee's recordings), under both spellings of a French overseas or Mexican line
// (see calleeHashes). It returns the ids held; recordings already being
// deleted are skipped.
func (m *Manager) HoldCallee(ctx context.Context, n dialgate.Number, h Hold) ([]string, error) {
	var recs []Recording
	hashes := m.calleeHashes(n)
	for _, callee := range hashes {
		more, err := m.store.ListRecordings(ctx, Filter{Callee: callee})
		if err != nil {
			return nil, err
		}
		recs = append(recs, more...)
	}
	var held []string
	for _, r := range recs {
		err := m.hold(ctx, r.ID, h, hashes)
		switch {
		case errors.Is(err, ErrDeleting), errors.Is(err, ErrNotFound):
			continue
		case err != nil:
			return held, err
		}
		held = append(held, r.ID)
	}
	return held, nil
}

// Link records that recording id belongs to decisionID. If the recording is not
// registered yet, a metadata record is created for callee and tenant (started
// at t, marked StartEstimated, and, with no end known, kept the retention
// after t: an outcome reported after the call ended; End may later give
// its real, earlier end). A recording registered without its end (as its
// call started) is, for the same reason, kept at least until t plus its
// retention (the longer of the Manager's and RetainUntil less StartedAt,
// as End counts it); one whose end is known keeps its RetainUntil. When the call's dial is known (callee valid), a recording registered
// under another tenant than tenant is not linked (ErrInvalid): one tenant's
// report must not claim another's recording.
func (m *Manager) Link(ctx context.Context, t time.Time, id, decisionID string, callee dialgate.Number, tenant string) error {
	// A zero t would count the retention of a recording whose end is not
	// known from year 1: not lengthened past the call's real end.
	if err := zeroInstant(t); err != nil {
		return err
	}
	err := m.store.UpdateRecording(ctx, id, func(r *Recording) error {
		if callee.IsValid() && r.Tenant != "" && r.Tenant != tenant {
			return fmt.Errorf("%w: recording %s belongs to another tenant than the dial's", ErrInvalid, id)
		}
		if r.DecisionID != "" && r.DecisionID != decisionID {
			// The message does not name that decision: the caller may be
			// another tenant's dialer, and a decision id is what Release
			// and ReportOutcome take.
			return fmt.Errorf("%w: recording %s is already linked to another decision", ErrInvalid, id)
		}
		r.DecisionID = decisionID
		// The outcome is reported after the call ended: a recording
		// whose end is not known (registered as its call started) is
		// kept at least its retention after t, as one the report
		// registers is, never counted from too early an instant. Only
		// ever lengthened, by the retention counted for it (End's).
		if r.EndedAt.IsZero() && r.State == StateActive {
			keep := max(m.cfg.RetentionPeriod(), r.RetainUntil.Sub(r.StartedAt))
			if until := t.Add(keep); until.After(r.RetainUntil) {
				r.RetainUntil = until
			}
		}
		return nil
	})
	if !errors.Is(err, ErrNotFound) {
		return err
	}
	_, err = m.register(ctx, t, Registration{ID: id, DecisionID: decisionID, Tenant: tenant, Callee: callee, StartedAt: t}, true)
	return err
}

// Delete deletes one recording at time t: refused before its retain-until
// instant (ErrRetentionLocked) and under a hold (ErrHeld). Unlike a sweep
// it does not wait SweepMargin past RetainUntil: the caller names the
// recording and the instant.
func (m *Manager) Delete(ctx context.Context, id string, t time.Time) error {
	if err := zeroInstant(t); err != nil {
		return err
	}
	return m.deleteOne(ctx, id, t, 0)
}

// deleteOne marks the recording deleting under a token of its own (taking
// over a deletion an earlier sweep began, whose token it replaces), deletes
// the media, then the metadata. An active recording is deleted only from
// margin past its RetainUntil (a sweep's: SweepMargin). A recording with media is left untouched when
// the Manager has no media store: marking it would make it unholdable while
// nothing here can finish the deletion.
func (m *Manager) deleteOne(ctx context.Context, id string, t time.Time, margin time.Duration) error {
	if err := m.holdForCallee(ctx, id, t); err != nil {
		return err
	}
	var rec Recording
	// tookOver: the recording was marked by an earlier attempt, which may
	// still be deleting its media (a slow media store, another host); then
	// this attempt never puts it back to active.
	var tookOver bool
	token := rand.Text()
	err := m.store.UpdateRecording(ctx, id, func(r *Recording) error {
		tookOver = r.State == StateDeleting
		if r.MediaURI != "" && m.blob == nil {
			return fmt.Errorf("recording %s: media %s: no media store is configured, so its media cannot be deleted", id, r.MediaURI)
		}
		if r.State != StateDeleting {
			if r.Held() {
				return fmt.Errorf("recording %s: %w (%d holds)", id, ErrHeld, len(r.Holds))
			}
			if t.Before(r.RetainUntil) {
				return fmt.Errorf("recording %s: %w until %s", id, ErrRetentionLocked, r.RetainUntil.Format(time.RFC3339))
			}
			if t.Before(r.RetainUntil.Add(margin)) {
				return fmt.Errorf("recording %s: %w: a sweep deletes it from %s, %s past its retain_until %s (SweepMargin)", id, ErrRetentionLocked,
					r.RetainUntil.Add(margin).Format(time.RFC3339), margin, r.RetainUntil.Format(time.RFC3339))
			}
			r.State = StateDeleting
		}
		r.DeleteToken = token
		rec = *r
		return nil
	})
	if err != nil {
		return err
	}
	if rec.MediaURI != "" {
		shared, err := m.mediaShared(ctx, rec)
		if err != nil {
			if !tookOver {
				m.undoDeleting(ctx, id, rec.MediaURI, token)
			}
			return fmt.Errorf("recording %s: media %s: look for other recordings of it: %w", id, rec.MediaURI, err)
		}
		if shared {
			// Another recording that is not being deleted names the same
			// media (registered twice, under two ids): deleting it would
			// take a held or younger recording's media away. Only this
			// record goes; the media goes with the last one.
			rec.MediaURI = ""
		}
	}
	if rec.MediaURI != "" {
		if err := m.blob.Delete(ctx, rec.MediaURI); err != nil {
			if !tookOver {
				m.undoDeleting(ctx, id, rec.MediaURI, token)
			}
			return fmt.Errorf("recording %s: %w", id, err)
		}
	}
	if err := m.store.DeleteRecording(ctx, id, t); err != nil && !errors.Is(err, ErrNotFound) {
		if rec.MediaURI != "" {
			// Never a skip: the media is gone.
			return fmt.Errorf("recording %s: media %s deleted, %w: %w", id, rec.MediaURI, errRecordLeft, err)
		}
		return err
	}
	return nil
}

// errRecordLeft: a deletion removed the media, then failed to remove the
// record; SweepDue reports it as failed whatever the store's error wraps.
var errRecordLeft = errors.New("but not its record")

// holdForCallee gives recording id, when it is active, the holds HoldNew's
// function gives its callee at t (the complaints about it not yet answered,
// under both spellings of a French overseas line: Recording.CalleeAlias),
// before a deletion looks at its holds. A complaint's own hold can miss a
// recording: one filed while a sweep had the recording marked deleting skips
// it (ErrDeleting), and a sweep whose media delete then fails puts it back
// to active, unheld. So no recording of a callee with an open complaint is
// deleted, whatever happened to the complaint's hold. A look-up error
// refuses the deletion.
func (m *Manager) holdForCallee(ctx context.Context, id string, t time.Time) error {
	if m.holdNew == nil {
		return nil
	}
	r, err := m.store.GetRecording(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		// Deleted meanwhile: the marking step reports it.
		return nil
	case err != nil:
		// Fail closed: a read that failed says nothing of the callee's
		// complaints, and the marking step could still succeed (an
		// outage that ended in between) and delete their evidence.
		return fmt.Errorf("recording %s: not deleted: reading it to look up its callee's complaints: %w", id, err)
	case r.State == StateDeleting:
		// The marking step finishes the deletion an earlier sweep
		// began (which no hold can stop any more).
		return nil
	}
	// Under both spellings of a French overseas line (CalleeAlias), as
	// Register and HoldCallee look: a complaint filed under the other
	// spelling is the callee's too.
	var holds []Hold
	for _, callee := range []string{r.Callee, r.CalleeAlias} {
		if callee == "" {
			continue
		}
		more, err := m.holdNew(ctx, callee, t)
		if err != nil {
			return fmt.Errorf("recording %s: not deleted: looking up the holds of its callee's complaints: %w", id, err)
		}
		holds = append(holds, more...)
	}
	// m.hold, not Hold: these holds derive from stored complaints, and
	// one an earlier build stored with an id Hold refuses for a new hold
	// (textsafe) must still keep the recording, as HoldCallee's does.
	for _, h := range holds {
		if err := m.hold(ctx, id, h, nil); err != nil && !errors.Is(err, ErrDeleting) {
			return fmt.Errorf("recording %s: not deleted: holding it for %s: %w", id, h.ID, err)
		}
	}
	return nil
}

// mediaShared reports whether a recording of rec's callee other than rec,
// and not itself being deleted, names rec's media. Recordings of one media
// are recordings of one call, so of one callee: the search is by callee,
// under both spellings of a French overseas line (Recording.CalleeAlias).
func (m *Manager) mediaShared(ctx context.Context, rec Recording) (bool, error) {
	// Compared in the driver's canonical form: a record an earlier build
	// stored may spell the media of a newer one another way
	// ("file:./a.wav" for "file:a.wav"); by a driver that can tell (FSBlob),
	// as files: two canonical URIs can name one file (a symlinked
	// directory).
	key := m.mediaKey(rec.MediaURI)
	same, _ := m.blob.(interface {
		SameMedia(a, b string) (bool, error)
	})
	for _, callee := range []string{rec.Callee, rec.CalleeAlias} {
		if callee == "" {
			continue
		}
		recs, err := m.store.ListRecordings(ctx, Filter{Callee: callee})
		if err != nil {
			return false, err
		}
		for _, o := range recs {
			if o.ID == rec.ID || o.MediaURI == "" || o.State == StateDeleting {
				continue
			}
			if same == nil {
				if m.mediaKey(o.MediaURI) == key {
					return true, nil
				}
				continue
			}
			if ok, err := same.SameMedia(rec.MediaURI, o.MediaURI); err != nil {
				return false, err
			} else if ok {
				return true, nil
			}
		}
	}
	return false, nil
}

// mediaKey returns the form media URIs are compared in: the Blob driver's
// canonical form of uri when it has one (FSBlob.CanonicalURI), else uri.
func (m *Manager) mediaKey(uri string) string {
	if c, ok := m.blob.(interface {
		CanonicalURI(uri string) (string, bool)
	}); ok {
		if k, ok := c.CanonicalURI(uri); ok {
			return k
		}
	}
	return uri
}

// undoDeleting puts a recording whose media delete failed back to active when
// its media is certainly still there, so that a hold can keep it; otherwise it
// stays marked and the next sweep finishes the deletion. It undoes only its
// own attempt (token): once another sweep has taken the deletion over, that
// sweep may be deleting the media at this moment, and a recording put back
// to active could accept a hold on media about to vanish. For the same
// reason deleteOne calls it only for an attempt that marked the recording
// itself, never for one that took an earlier attempt's deletion over: that
// attempt may still be deleting the media.
func (m *Manager) undoDeleting(ctx context.Context, id, uri, token string) {
	if ok, err := m.blob.Exists(ctx, uri); err != nil || !ok {
		return
	}
	_ = m.store.UpdateRecording(ctx, id, func(r *Recording) error {
		if r.State == StateDeleting && r.DeleteToken == token {
			r.State, r.DeleteToken = StateActive, ""
		}
		return nil
	})
}

// Skip is a recording the sweeper left in place, and why.
type Skip struct {
	ID     string `json:"id"`     // the recording's id
	Reason string `json:"reason"` // "held", "retention period not over", or the error text of a failure
}

// SweepReport says what a sweep deleted, what it skipped and why, and what failed.
type SweepReport struct {
	Deleted []string `json:"deleted"`          // ids of the recordings deleted, in id order; nil when none
	Skipped []Skip   `json:"skipped"`          // due recordings left in place on purpose (held, retention not over)
	Failed  []Skip   `json:"failed,omitempty"` // recordings whose deletion failed, with the error; the sweep's error joins them
}

// Sweep deletes every recording whose retention was over SweepMargin (an
// hour) before t and that is not held, finishing any deletion an earlier
// sweep began: a recording is deleted once t reaches its RetainUntil plus
// SweepMargin, never at RetainUntil itself, so that a host whose clock runs
// ahead still keeps it the whole retention. It is idempotent: a
// second sweep at the same t deletes nothing more. A failure on one recording
// does not stop the others; the error joins them all. Media that another
// recording of the callee (not itself being deleted) still names is kept: only
// the swept record goes, and the media goes with the last recording naming it.
func (m *Manager) Sweep(ctx context.Context, t time.Time) (SweepReport, error) {
	due, err := m.Due(ctx, t)
	if err != nil {
		return SweepReport{}, err
	}
	return m.SweepDue(ctx, t, due)
}

// Due returns the recordings whose retention was over SweepMargin before t
// (RetainUntil + SweepMargin at or before t), held or not: those a sweep at
// t considers. A sweep at t deletes at most those of them
// that are not held, or whose deletion an earlier sweep began (Deletable).
func (m *Manager) Due(ctx context.Context, t time.Time) ([]Recording, error) {
	if err := zeroInstant(t); err != nil {
		return nil, err
	}
	return m.store.ListRecordings(ctx, Filter{DueBy: t.Add(-SweepMargin)})
}

// Deletable reports whether a sweep would delete r, due: its deletion was
// begun, or it is not held.
func (r Recording) Deletable() bool { return r.State == StateDeleting || !r.Held() }

// SweepDue is Sweep of the recordings due, as Due returned them: it
// deletes none but those (a caller may record what it is about to delete
// first), each checked again as it is deleted — SweepMargin past its
// RetainUntil included, so a recording listed by a Due at a later t is
// skipped ("retention period not over").
func (m *Manager) SweepDue(ctx context.Context, t time.Time, due []Recording) (SweepReport, error) {
	if err := zeroInstant(t); err != nil {
		return SweepReport{}, err
	}
	var rep SweepReport
	var errs []error
	for _, r := range due {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		err := m.deleteOne(ctx, r.ID, t, SweepMargin)
		switch {
		case err == nil:
			rep.Deleted = append(rep.Deleted, r.ID)
		case errors.Is(err, errRecordLeft):
			rep.Failed = append(rep.Failed, Skip{ID: r.ID, Reason: err.Error()})
			errs = append(errs, err)
		case errors.Is(err, ErrHeld):
			rep.Skipped = append(rep.Skipped, Skip{ID: r.ID, Reason: "held"})
		case errors.Is(err, ErrRetentionLocked):
			rep.Skipped = append(rep.Skipped, Skip{ID: r.ID, Reason: "retention period not over"})
		case errors.Is(err, ErrNotFound):
			// deleted concurrently
		default:
			rep.Failed = append(rep.Failed, Skip{ID: r.ID, Reason: err.Error()})
			errs = append(errs, err)
		}
	}
	return rep, errors.Join(errs...)
}

// DeletableIDs returns the ids of the recordings of due (as Due returned
// them) that a sweep would delete (Deletable), in due's order: what a
// sweep's change record says it is about to delete.
func DeletableIDs(due []Recording) []string {
	var ids []string
	for _, r := range due {
		if r.Deletable() {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// IDsSHA256 is the hex SHA-256 of ids, sorted, each followed by a newline:
// a recording.sweep change record names the recordings it is about to
// delete, and those it deleted, by it.
func IDsSHA256(ids []string) string {
	sorted := slices.Sorted(slices.Values(ids))
	h := sha256.New()
	for _, id := range sorted {
		h.Write([]byte(id))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// zeroInstant refuses the zero time.Time as the instant t a Manager method
// is told it is: a time the caller forgot to set. Register would otherwise
// blame the registration's started_at ("in the future"), and a sweep at it
// finds nothing due and reports success.
func zeroInstant(t time.Time) error {
	if t.IsZero() {
		return fmt.Errorf("%w: t: zero instant (pass the current time)", ErrInvalid)
	}
	return nil
}
