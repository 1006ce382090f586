package complaint

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/internal/textsafe"
	"github.com/dialgate/dialgate/internal/zonename"
	"github.com/dialgate/dialgate/numbering"
	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage"
)

// DNCLister lists numbers on the store-backed do-not-call list; *dnc.Check
// implements it (the entry is visible to the next Check before Add returns).
type DNCLister interface {
	// Add lists the entries, durably and visibly to the next check, before it
	// returns.
	Add(ctx context.Context, entries ...dnc.Entry) error
}

// RecordingHolder places a hold on every recording of a callee;
// *recording.Manager implements it.
type RecordingHolder interface {
	// HoldCallee places hold h on every recording of number n and returns the
	// ids of the recordings held (nil when there are none).
	HoldCallee(ctx context.Context, n dialgate.Number, h recording.Hold) ([]string, error)
}

// CalleeHasher turns a number into the keyed hash stored instead of it.
type CalleeHasher interface {
	// HashCallee returns the keyed hash of n; the same number always gives
	// the same hash.
	HashCallee(n dialgate.Number) string
}

// Calendar says which dates are working days. A nil Calendar counts Monday to
// Friday; pass the profile's holiday calendar (with make-up working days) for
// statutory holidays.
type Calendar interface {
	// IsWorkday reports whether the given date is a working day.
	IsWorkday(year int, month time.Month, day int) bool
}

// Weekdays is the Calendar in which Monday to Friday are working days.
type Weekdays struct{}

// IsWorkday reports whether the date is Monday to Friday.
func (Weekdays) IsWorkday(y int, m time.Month, d int) bool {
	wd := time.Date(y, m, d, 12, 0, 0, 0, time.UTC).Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// AddWorkdays returns the end of the n-th working day after t's date in loc
// (that is, the start of the following day: midnight, or the first instant
// after a clock change that skips midnight, the first midnight where it
// comes twice): the deadline "within n working
// days" of an event at t. n = 0 gives the end of t's own day. A calendar with
// no working day in a whole year is broken: from there on each day counts
// (an earlier deadline, never a later one), so that AddWorkdays always ends.
func AddWorkdays(t time.Time, n int, cal Calendar, loc *time.Location) time.Time {
	if cal == nil {
		cal = Weekdays{}
	}
	// Count on the calendar date (in UTC, where every day has a midnight);
	// only the final instant is placed in loc.
	y, m, d := t.In(loc).Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	idle := 0 // days in a row that were not working days
	for n > 0 {
		day = day.AddDate(0, 0, 1)
		// After a year without a working day the calendar is broken
		// (no real one has such a gap): count calendar days, which gives
		// earlier deadlines, never later ones, and always ends.
		switch {
		case idle >= maxIdleDays:
			n-- // idle stays: every remaining day counts
		case cal.IsWorkday(day.Year(), day.Month(), day.Day()):
			n--
			idle = 0
		default:
			idle++
		}
	}
	next := day.AddDate(0, 0, 1)
	return startOfDay(next.Year(), next.Month(), next.Day(), loc)
}

// maxIdleDays is how many days in a row without a working day AddWorkdays
// accepts from a Calendar before it counts calendar days instead.
const maxIdleDays = 366

// startOfDay returns the first instant of the date in loc. Where the clocks
// jump forward at midnight, time.Date may place 00:00 before the jump, on the
// previous date; the day then starts at the jump. Where they go back over
// midnight (from 01:00 to 00:00), midnight comes twice and time.Date may
// return the second: the day starts at the first, in the zone before the
// change (else a deadline ended an hour late, and the next, counted from the
// date of the instant before it, a working day late).
func startOfDay(y int, m time.Month, d int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	if _, _, got := t.Date(); got != d {
		if _, end := t.ZoneBounds(); !end.IsZero() {
			return end
		}
		return t
	}
	if start, _ := t.ZoneBounds(); !start.IsZero() && start.After(t.Add(-48*time.Hour)) {
		// The instant before the zone t is in began: still on the date?
		before := start.Add(-time.Nanosecond)
		if by, bm, bd := before.Date(); by == y && bm == m && bd == d {
			_, off := before.Zone()
			if first := time.Date(y, m, d, 0, 0, 0, 0, time.FixedZone("", off)); first.Before(start) {
				return first.In(loc)
			}
		}
	}
	return t
}

// Desk files and tracks complaints. It is safe for concurrent use.
type Desk struct {
	cfg    Config
	store  Store
	lists  DNCLister
	holds  RecordingHolder
	hasher CalleeHasher
	cal    Calendar
	loc    *time.Location
}

// NewDesk returns a Desk. lists is required (a complaint always lists the
// number); holds may be nil when no recordings are kept; cal nil counts Monday
// to Friday; loc is the zone working days are counted in (Asia/Shanghai for cn).
// A cfg.Zone other than loc's name is an error wrapping ErrInvalid: the two
// must not disagree on the zone of the deadlines (policy.NewComplaintDesk
// loads loc from cfg.Zone). loc must be a place's zone: time.Local (the
// host's zone) and the names internal/zonename refuses are errors.
func NewDesk(cfg Config, store Store, lists DNCLister, holds RecordingHolder, hasher CalleeHasher, cal Calendar, loc *time.Location) (*Desk, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch {
	case store == nil:
		return nil, fmt.Errorf("%w: nil store", ErrInvalid)
	case lists == nil:
		return nil, fmt.Errorf("%w: nil do-not-call lister: a complaint must list the number", ErrInvalid)
	case hasher == nil:
		return nil, fmt.Errorf("%w: nil callee hasher", ErrInvalid)
	case loc == nil:
		return nil, fmt.Errorf("%w: nil location", ErrInvalid)
	case loc == time.Local || loc.String() != "" && zonename.NoPlace(loc.String()) != "":
		// time.Local's name is "Local"; a location loaded as
		// "localtime" or "Factory" names no place either. An empty
		// name is a fixed zone's left unnamed (time.FixedZone("", …)),
		// the same on every host, not a path.
		return nil, fmt.Errorf("%w: location %q is not a place's zone: deadlines would follow the filing host's zone; give the zone the working days are counted in (e.g. Asia/Shanghai)", ErrInvalid, loc.String())
	case cfg.Zone != "" && cfg.Zone != loc.String():
		return nil, fmt.Errorf("%w: complaint.zone: %q, but the location given to count working days in is %q: give the same zone, or no complaint.zone", ErrInvalid, cfg.Zone, loc.String())
	}
	if cal == nil {
		cal = Weekdays{}
	}
	return &Desk{cfg: cfg.withDefaults(), store: store, lists: lists, holds: holds, hasher: hasher, cal: cal, loc: loc}, nil
}

// Filing is a complaint as received.
type Filing struct {
	ID         string          // the complaint's id, 1 to 256 bytes; required and unique
	Number     dialgate.Number // the complainant's number; required, stored only as its keyed hash
	Tenant     string          // the call centre complained about; "" when not known
	Scope      dnc.Scope       // zero: global
	Channel    Channel         // how the complaint arrived; required
	DecisionID string          // the id of the decision of the call complained about; "" when not known
	Details    string          // the complainant's account in free text; may be empty
}

// displaySafe reports the first field of a new complaint holding a
// character that makes text display other than it holds (textsafe): the
// id, tenant, scope and decision id as identifiers, the details as free text.
func displaySafe(c Complaint) error {
	for _, f := range [...]struct {
		name, v string
		mode    textsafe.Mode
	}{
		{"id", c.ID, textsafe.Line}, {"tenant", c.Tenant, textsafe.Line}, {"scope", c.Scope, textsafe.Line},
		{"decision_id", c.DecisionID, textsafe.Line}, {"details", c.Details, textsafe.Multiline},
	} {
		if p := textsafe.Problem(f.v, f.mode); p != "" {
			return fmt.Errorf("%w: %s: %s", ErrInvalid, f.name, p)
		}
	}
	return nil
}

// File records a complaint received at t: the number goes on the do-not-call
// list first (effective for the next Check before File returns), then the
// callee's recordings are held, then the complaint is stored with its
// deadlines, then the callee's recordings are held once more (one registered
// while the complaint was being filed). If a step fails, File returns the
// error; the steps already done stay done (a listed number and a held
// recording are the safe side), and a retry with the same Filing completes
// them. An id already used by a stored complaint is ErrExists, and the number
// is listed all the same; when the stored complaint is about the same number
// and not yet answered (a retry), its recordings are held again first, and a
// failure to hold them is returned instead of ErrExists, so that a caller
// never takes a half-filed complaint for one on record. Every error File
// returns once the number is listed wraps ErrListed as well: the opt-out is
// in force whatever else failed.
func (d *Desk) File(ctx context.Context, t time.Time, f Filing) (Complaint, error) {
	if !f.Number.IsValid() {
		return Complaint{}, fmt.Errorf("%w: number: missing or invalid", ErrInvalid)
	}
	scope := f.Scope
	if scope == (dnc.Scope{}) {
		scope = dnc.GlobalScope
	}
	if !scope.IsValid() {
		return Complaint{}, fmt.Errorf("%w: scope: %q is not a valid scope", ErrInvalid, scope.String())
	}
	c := Complaint{
		ID: f.ID, Tenant: f.Tenant, Callee: d.hasher.HashCallee(f.Number), Scope: scope.String(),
		Channel: f.Channel, DecisionID: f.DecisionID, Details: f.Details, ReceivedAt: t, Status: StatusOpen,
	}
	if seg := numbering.Classify(f.Number).Segment; seg.IsValid() {
		c.Segment = seg.String()
	}
	c.ForwardBy = AddWorkdays(t, d.cfg.ForwardDays, d.cal, d.loc)
	c.HandleBy = AddWorkdays(c.ForwardBy.Add(-time.Nanosecond), d.cfg.HandleDays, d.cal, d.loc)
	c.AnswerBy = AddWorkdays(c.HandleBy.Add(-time.Nanosecond), d.cfg.AnswerDays, d.cal, d.loc)
	if err := c.Validate(); err != nil {
		return Complaint{}, err
	}
	// The number is listed before the id is checked: a filing refused for
	// its id (a client's id that collides, a retry a client then takes for
	// done) must not lose the complainant's opt-out.
	if err := d.lists.Add(ctx, dnc.Entry{
		Number: f.Number, Scope: scope, List: "complaints", Source: "complaint",
		AddedAt: t, Evidence: "complaint:" + c.ID,
	}); err != nil {
		return Complaint{}, fmt.Errorf("complaint %s: listing the number: %w", c.ID, err)
	}
	c.DNCListed = true
	c, err := d.fileListed(ctx, t, f, c)
	if err != nil {
		err = listedError{err}
	}
	return c, err
}

// listedError is an error of File after the number was listed: it wraps
// the error and ErrListed.
type listedError struct{ err error }

func (e listedError) Error() string   { return e.err.Error() }
func (e listedError) Unwrap() []error { return []error{e.err, ErrListed} }

// fileListed is File once f's number is listed: it holds the callee's
// recordings and stores c.
func (d *Desk) fileListed(ctx context.Context, t time.Time, f Filing, c Complaint) (Complaint, error) {
	if old, err := d.store.GetComplaint(ctx, c.ID); err == nil {
		if old.Callee == c.Callee && old.Status != StatusAnswered && d.holds != nil {
			// A retry of a filing whose last hold failed after the
			// complaint was stored: ErrExists tells the client the
			// complaint is on record (the sidecar acknowledges it), so
			// the recordings are held first.
			if _, err := d.holdStored(ctx, old, f.Number, t); err != nil {
				return Complaint{}, fmt.Errorf("complaint %s: already filed, but holding the recordings: %w", c.ID, err)
			}
		}
		return Complaint{}, fmt.Errorf("complaint %s: %w (the number is listed all the same)", c.ID, ErrExists)
	}
	// A C1 control, a bidirectional override or a line separator would make
	// the complaint show in listings, reports and the audit trail other
	// than it holds. Refused, naming the field, once the number is listed
	// (the opt-out stands); the details, free text for people, keep line
	// breaks and right-to-left marks. Checked on filing only: complaints
	// earlier builds stored still load, and a retry of one (above) still
	// holds its callee's recordings.
	if err := displaySafe(c); err != nil {
		return Complaint{}, fmt.Errorf("complaint %s: the number is listed, but %w", c.ID, err)
	}
	if d.holds != nil {
		held, err := d.holds.HoldCallee(ctx, f.Number, recording.Hold{ID: HoldPrefix + c.ID, Reason: "complaint " + c.ID, PlacedAt: t})
		if err != nil {
			return Complaint{}, fmt.Errorf("complaint %s: not filed (the number is listed; retry with the same id): holding recordings: %w", c.ID, err)
		}
		c.HeldRecordings = held
	}
	if err := d.store.CreateComplaint(ctx, c); err != nil {
		if errors.Is(err, ErrExists) || errors.Is(err, ErrInvalid) {
			return Complaint{}, err
		}
		return Complaint{}, fmt.Errorf("complaint %s: not filed (the number is listed; retry with the same id): %w", c.ID, err)
	}
	if d.holds != nil {
		// A recording registered while the complaint was being filed
		// looked for the complaint before it was stored (RecordingHolds);
		// hold the callee's recordings once more now that it is.
		more, err := d.holdStored(ctx, c, f.Number, t)
		if err != nil {
			return c, fmt.Errorf("complaint %s: filed, but holding the recordings again (retry the filing): %w", c.ID, err)
		}
		c.HeldRecordings = append(c.HeldRecordings, more...)
	}
	return c, nil
}

// holdStored holds the callee n's recordings for the stored complaint c, adds
// the ids c does not list yet to its stored HeldRecordings, and returns them.
func (d *Desk) holdStored(ctx context.Context, c Complaint, n dialgate.Number, t time.Time) ([]string, error) {
	held, err := d.holds.HoldCallee(ctx, n, recording.Hold{ID: HoldPrefix + c.ID, Reason: "complaint " + c.ID, PlacedAt: t})
	if err != nil {
		return nil, err
	}
	more := newIDs(c.HeldRecordings, held)
	if len(more) > 0 {
		err := d.store.UpdateComplaint(ctx, c.ID, func(s *Complaint) error {
			s.HeldRecordings = append(s.HeldRecordings, newIDs(s.HeldRecordings, more)...)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("recordings held, but recording which: %w", err)
		}
	}
	return more, nil
}

// newIDs returns the ids of add that have is missing, in add's order.
func newIDs(have, add []string) []string {
	var out []string
	for _, id := range add {
		if !slices.Contains(have, id) {
			out = append(out, id)
		}
	}
	return out
}

// Forward records that the complaint was forwarded to its handler at t, which
// must not be before it was received (ErrInvalid).
func (d *Desk) Forward(ctx context.Context, id string, t time.Time) error {
	return d.store.UpdateComplaint(ctx, id, func(c *Complaint) error {
		if c.Status != StatusOpen {
			return fmt.Errorf("complaint %s is %s: %w", id, c.Status, ErrState)
		}
		if err := stepAfter(id, t, "received", c.ReceivedAt); err != nil {
			return err
		}
		c.Status, c.ForwardedAt = StatusForwarded, t
		return nil
	})
}

// Resolve records that the complaint was verified and handled at t, with the
// resolution in plain words. An open complaint is forwarded at the same time.
// t must not be before the complaint was received or forwarded (ErrInvalid).
func (d *Desk) Resolve(ctx context.Context, id string, t time.Time, resolution string) error {
	if strings.TrimSpace(resolution) == "" {
		return fmt.Errorf("%w: resolution: missing", ErrInvalid)
	}
	if !utf8.ValidString(resolution) {
		return fmt.Errorf("%w: resolution: not valid UTF-8", ErrInvalid)
	}
	if p := textsafe.Problem(resolution, textsafe.Multiline); p != "" {
		return fmt.Errorf("%w: resolution: %s", ErrInvalid, p)
	}
	return d.store.UpdateComplaint(ctx, id, func(c *Complaint) error {
		switch c.Status {
		case StatusOpen:
			if err := stepAfter(id, t, "received", c.ReceivedAt); err != nil {
				return err
			}
			c.ForwardedAt = t
		case StatusForwarded:
			if err := stepAfter(id, t, "forwarded", c.ForwardedAt); err != nil {
				return err
			}
		default:
			return fmt.Errorf("complaint %s is %s: %w", id, c.Status, ErrState)
		}
		c.Status, c.HandledAt, c.Resolution = StatusHandled, t, resolution
		return nil
	})
}

// Answer records that the complainant was told the result at t, closing the
// complaint. t must not be before the complaint was handled (ErrInvalid).
func (d *Desk) Answer(ctx context.Context, id string, t time.Time) error {
	return d.store.UpdateComplaint(ctx, id, func(c *Complaint) error {
		if c.Status != StatusHandled {
			return fmt.Errorf("complaint %s is %s, answer after handling: %w", id, c.Status, ErrState)
		}
		if err := stepAfter(id, t, "handled", c.HandledAt); err != nil {
			return err
		}
		c.Status, c.AnsweredAt = StatusAnswered, t
		return nil
	})
}

// stepAfter refuses a step of complaint id at t before the step it follows
// (what, at prev): the record would show the complaint forwarded before it
// was received, or answered before it was handled, and its deadlines met by
// a typo in a date.
func stepAfter(id string, t time.Time, what string, prev time.Time) error {
	if t.Before(prev) {
		return fmt.Errorf("%w: at: %s is before complaint %s was %s (%s)", ErrInvalid,
			t.Format(time.RFC3339), id, what, prev.In(t.Location()).Format(time.RFC3339))
	}
	return nil
}

// Get returns one complaint.
func (d *Desk) Get(ctx context.Context, id string) (Complaint, error) {
	return d.store.GetComplaint(ctx, id)
}

// Listed is a complaint with the deadlines it has missed at the listing time.
type Listed struct {
	Complaint
	// Overdue names the deadlines missed at the listing time, in the order
	// "forward", "handle", "answer"; nil when none.
	Overdue []string `json:"overdue,omitempty"`
}

// List returns the complaints matching f, each with its overdue deadlines at t.
func (d *Desk) List(ctx context.Context, t time.Time, f Filter) ([]Listed, error) {
	cs, err := d.store.ListComplaints(ctx, f)
	return listedAt(cs, t, err)
}

// ListPage returns one page of List: the first limit complaints matching f
// after the Position after (see Store.ListComplaintsAfter), each with its
// overdue deadlines at t. Fewer than limit means the listing ends there.
func (d *Desk) ListPage(ctx context.Context, t time.Time, f Filter, after Position, limit int) ([]Listed, error) {
	cs, err := d.store.ListComplaintsAfter(ctx, f, after, limit)
	return listedAt(cs, t, err)
}

// listedAt returns cs, read with err, each with its overdue deadlines at t.
func listedAt(cs []Complaint, t time.Time, err error) ([]Listed, error) {
	if err != nil {
		return nil, err
	}
	out := make([]Listed, len(cs))
	for i, c := range cs {
		out[i] = Listed{Complaint: c, Overdue: c.Overdue(t)}
	}
	return out, nil
}

// Pager keeps the first limit complaints after a Position among complaints
// offered in any order, holding at most twice limit of them: how a store
// that cannot read complaints in the listing order (one keyed by id) answers
// Store.ListComplaintsAfter without holding every complaint. A Pager is not
// safe for concurrent use; make one with NewPager.
type Pager struct {
	after Position
	limit int
	kept  []Complaint
	// cut, once the kept complaints were cut to limit, is the Position of
	// the last of them: a complaint after it cannot be on the page.
	cut *Position
}

// NewPager returns a Pager of the first limit complaints after after; limit
// must be positive (ValidateLimit).
func NewPager(after Position, limit int) (*Pager, error) {
	if err := ValidateLimit(limit); err != nil {
		return nil, err
	}
	return &Pager{after: after, limit: limit}, nil
}

// Wants reports whether c may be on the page: it comes after the Pager's
// Position and before the last complaint kept once the Pager is full.
func (p *Pager) Wants(c Complaint) bool {
	return p.after.Before(c) && (p.cut == nil || !p.cut.Before(c))
}

// Offer keeps c when Wants(c). The Pager keeps c itself, not a copy.
func (p *Pager) Offer(c Complaint) {
	if !p.Wants(c) {
		return
	}
	p.kept = append(p.kept, c)
	if len(p.kept) >= 2*p.limit {
		p.trim()
	}
}

// trim sorts the kept complaints and keeps the first limit of them.
func (p *Pager) trim() {
	SortComplaints(p.kept)
	if len(p.kept) > p.limit {
		clear(p.kept[p.limit:])
		p.kept = p.kept[:p.limit]
	}
	if len(p.kept) == p.limit {
		last := PositionOf(p.kept[p.limit-1])
		p.cut = &last
	}
}

// Page returns the complaints kept, in the listing order: at most limit.
func (p *Pager) Page() []Complaint {
	p.trim()
	return p.kept
}

// SortComplaints orders complaints by ReceivedAt then id, as stores return them.
func SortComplaints(cs []Complaint) {
	slices.SortFunc(cs, func(a, b Complaint) int {
		if c := a.ReceivedAt.Compare(b.ReceivedAt); c != 0 {
			return c
		}
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
}

// RecordingHolds returns the recording.CalleeHolds that gives a new recording
// the hold of every complaint about its callee (same keyed hash) that is not
// yet answered: a recording registered after the complaint — the call it was
// made during, a recording uploaded late — is its evidence too, and is kept
// until the complaint is answered (see HoldGuard). A store error refuses the
// registration.
func RecordingHolds(store Store) recording.CalleeHolds {
	return func(ctx context.Context, callee string, t time.Time) ([]recording.Hold, error) {
		if callee == "" {
			return nil, nil
		}
		cs, err := store.ListComplaints(ctx, Filter{Callee: callee})
		if err != nil {
			return nil, err
		}
		var hs []recording.Hold
		for _, c := range cs {
			if c.Status != StatusAnswered {
				hs = append(hs, recording.Hold{ID: HoldPrefix + c.ID, Reason: "complaint " + c.ID, PlacedAt: t})
			}
		}
		return hs, nil
	}
}

// HoldPrefix starts the id of the recording hold a complaint places on its
// callee's recordings: "complaint:<complaint id>".
const HoldPrefix = "complaint:"

// HoldGuard returns the recording.HoldGuard that keeps a complaint's holds
// (HoldPrefix + id) until the complaint is answered: releasing one of an open,
// forwarded or handled complaint fails with recording.ErrHoldProtected. The
// hold of a complaint store does not know may be released; a store error
// refuses the release.
func HoldGuard(store Store) recording.HoldGuard {
	return func(ctx context.Context, holdID string) error {
		id, ok := strings.CutPrefix(holdID, HoldPrefix)
		if !ok {
			return nil
		}
		c, err := store.GetComplaint(ctx, id)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			return nil
		case err != nil:
			return fmt.Errorf("%w: complaint %s: %w", recording.ErrHoldProtected, id, err)
		case c.Status != StatusAnswered:
			return fmt.Errorf("%w: the hold belongs to complaint %s, which is %s; it may be released once the complaint is answered", recording.ErrHoldProtected, id, c.Status)
		}
		return nil
	}
}
