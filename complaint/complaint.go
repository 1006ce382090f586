package complaint

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/zonename"
	"github.com/dialgate/dialgate/storage"
)

// Errors.
var (
	// ErrNotFound: no complaint with that id. It wraps storage.ErrNotFound.
	ErrNotFound = fmt.Errorf("complaint: not found: %w", storage.ErrNotFound)
	// ErrExists: a complaint with that id exists. It wraps storage.ErrConflict.
	ErrExists = fmt.Errorf("complaint: already exists: %w", storage.ErrConflict)
	// ErrInvalid: a malformed complaint or configuration; the message names the field.
	ErrInvalid = errors.New("complaint: invalid")
	// ErrListed is wrapped, besides the cause, by every error Desk.File
	// returns after it put the number on the do-not-call list: the opt-out
	// is in force although the complaint may not be on record (its id
	// taken by another callee's complaint, a field refused, a hold or the
	// store failing). A caller keeping a trail of changes records the
	// listing (the sidecar and the CLI record a dnc.add change, source
	// "complaint").
	ErrListed = errors.New("complaint: the number is listed")
	// ErrState: the step does not fit the complaint's status (answering an
	// unhandled complaint, resolving twice).
	ErrState = errors.New("complaint: wrong status for this step")
	// ErrNotDamaged: Repairer.RepairComplaint was asked to replace a
	// complaint that is stored sound (change it through its steps).
	ErrNotDamaged = errors.New("complaint: not damaged: change it through its steps")
	// ErrOtherCallee: Repairer.RepairComplaint was given a complaint about
	// another callee than the one the store still files the damaged
	// complaint under (whose recordings it holds). It wraps ErrInvalid;
	// the message goes on with the callee given and the one stored.
	ErrOtherCallee = fmt.Errorf("%w: callee", ErrInvalid)
)

// Status is where a complaint is in its handling.
type Status string

// The statuses, in order.
const (
	StatusOpen      Status = "open"      // received, not yet forwarded to the handler
	StatusForwarded Status = "forwarded" // forwarded to the handling team or the called party
	StatusHandled   Status = "handled"   // verified and handled (resolution recorded)
	StatusAnswered  Status = "answered"  // the complainant was answered: closed
)

// Channel is how a complaint arrived.
type Channel string

// Channels.
const (
	ChannelPhone     Channel = "phone"
	ChannelWeb       Channel = "web"
	ChannelApp       Channel = "app"
	ChannelRegulator Channel = "regulator" // forwarded by a regulator or the 12321 centre
	ChannelAgent     Channel = "agent"     // an agent recorded it during a call
)

func (c Channel) valid() bool {
	switch c {
	case ChannelPhone, ChannelWeb, ChannelApp, ChannelRegulator, ChannelAgent:
		return true
	}
	return false
}

// Complaint is one complaint and its handling record. The callee number is kept
// only as a keyed hash.
//
// The deadlines are instants at which the allowed time ends (midnight at the
// end of the last working day allowed, in the Desk's zone): ForwardBy is
// Config.ForwardDays working days after ReceivedAt's date, HandleBy
// Config.HandleDays working days after the last day allowed for forwarding,
// AnswerBy Config.AnswerDays working days after the last day allowed for
// handling. They are fixed at filing and do not move with the actual dates.
type Complaint struct {
	// ID identifies the complaint: 1 to 256 bytes, not only white space.
	// Required.
	ID string `json:"id"`
	// Tenant is the call centre the complaint is about; empty when not known.
	Tenant  string `json:"tenant,omitempty"`
	Callee  string `json:"callee"`            // keyed hash of the complainant's number
	Segment string `json:"segment,omitempty"` // 号段, for reporting
	Scope   string `json:"scope"`             // do-not-call scope the complaint listed the number in
	// Channel is how the complaint arrived. Required.
	Channel    Channel `json:"channel"`
	DecisionID string  `json:"decision_id,omitempty"` // the call complained about
	// Details is the complainant's account in free text; empty when none was
	// given.
	Details string `json:"details,omitempty"`
	// ReceivedAt is when the complaint was received (the t given to
	// Desk.File). Required.
	ReceivedAt time.Time `json:"received_at"`

	// ForwardBy is the deadline for forwarding the complaint to its handler.
	ForwardBy time.Time `json:"forward_by"`
	// HandleBy is the deadline for verifying and handling it.
	HandleBy time.Time `json:"handle_by"`
	// AnswerBy is the deadline for answering the complainant.
	AnswerBy time.Time `json:"answer_by"`

	// ForwardedAt is when the complaint was forwarded (Desk.Forward, or
	// Desk.Resolve of an open complaint); zero while it is open.
	ForwardedAt time.Time `json:"forwarded_at,omitzero"`
	// HandledAt is when it was handled (Desk.Resolve); zero until then.
	HandledAt time.Time `json:"handled_at,omitzero"`
	// AnsweredAt is when the complainant was answered (Desk.Answer); zero
	// until then.
	AnsweredAt time.Time `json:"answered_at,omitzero"`
	// Resolution says in plain words how the complaint was handled; empty
	// until it is.
	Resolution string `json:"resolution,omitempty"`

	// Status is where the complaint is in its handling; StatusOpen when filed.
	Status Status `json:"status"`
	// HeldRecordings are the ids of the callee's recordings put on hold when
	// the complaint was filed; nil when none were (or no RecordingHolder was
	// configured).
	HeldRecordings []string `json:"held_recordings,omitempty"`
	// DNCListed reports that the number was put on the do-not-call list
	// ("complaints" list, in Scope); Desk.File always sets it.
	DNCListed bool `json:"dnc_listed"`
}

// Validate reports the first malformed field.
func (c Complaint) Validate() error {
	switch {
	case strings.TrimSpace(c.ID) == "" || len(c.ID) > 256:
		return fmt.Errorf("%w: id: must be 1 to 256 bytes", ErrInvalid)
	case c.Callee == "":
		return fmt.Errorf("%w: callee: missing (the keyed hash of the number)", ErrInvalid)
	case !c.Channel.valid():
		return fmt.Errorf("%w: channel: unknown channel %q (want phone, web, app, regulator or agent)", ErrInvalid, c.Channel)
	case c.ReceivedAt.IsZero():
		return fmt.Errorf("%w: received_at: missing", ErrInvalid)
	}
	switch c.Status {
	case StatusOpen, StatusForwarded, StatusHandled, StatusAnswered:
	default:
		return fmt.Errorf("%w: status: unknown status %q", ErrInvalid, c.Status)
	}
	// A complaint is stored as JSON, which holds only UTF-8: other bytes
	// would be replaced, the id then no longer the key it is stored under
	// (the complaint, and every listing, unreadable) and the rest changed.
	for _, f := range []struct{ name, v string }{
		{"id", c.ID}, {"tenant", c.Tenant}, {"callee", c.Callee}, {"segment", c.Segment}, {"scope", c.Scope},
		{"decision_id", c.DecisionID}, {"details", c.Details}, {"resolution", c.Resolution},
	} {
		if !utf8.ValidString(f.v) {
			return fmt.Errorf("%w: %s: not valid UTF-8", ErrInvalid, f.name)
		}
	}
	return nil
}

// ValidateStored reports what makes c, read back from a store under the id
// key, unfit to be handed out: a field Validate refuses (an unknown status,
// a zero received_at…), or an id other than the key. Stores call it on every
// complaint they read and return its error wrapped in a storage.RecordError
// (storage.ErrCorrupt). Complaints written by older builds load: no field
// has been added to Complaint since the first release.
func (c Complaint) ValidateStored(key string) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if c.ID != key {
		return fmt.Errorf("%w: id: %q differs from the key it is stored under", ErrInvalid, c.ID)
	}
	return nil
}

// ValidateRepair reports the first field c lacks to replace a damaged
// stored complaint whole (Repairer.RepairComplaint): those Validate
// requires, and those Desk.File always sets — scope, the three deadlines,
// dnc_listed — and the resolution and dates its status implies (and none
// its status says are still to come), in the
// order Desk.File and the steps write them (each deadline after the one
// before it and the receipt, no step before the one it follows). A repair
// supplies the complaint entire, never part of it: a deadline left out
// would never be flagged overdue. It refuses an answered complaint too:
// answering ends the complaint's recording holds, so it is recorded as a
// step (Desk.Answer) after the repair, never made by one.
func (c Complaint) ValidateRepair() error {
	if err := c.Validate(); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(c.Scope) == "":
		return fmt.Errorf("%w: scope: missing (a repair gives the whole complaint)", ErrInvalid)
	case c.ForwardBy.IsZero():
		return fmt.Errorf("%w: forward_by: missing (a repair gives the whole complaint)", ErrInvalid)
	case c.HandleBy.IsZero():
		return fmt.Errorf("%w: handle_by: missing (a repair gives the whole complaint)", ErrInvalid)
	case c.AnswerBy.IsZero():
		return fmt.Errorf("%w: answer_by: missing (a repair gives the whole complaint)", ErrInvalid)
	case !c.DNCListed:
		return fmt.Errorf("%w: dnc_listed: false (every filed complaint listed its number)", ErrInvalid)
	}
	done := map[Status][]struct {
		name string
		at   time.Time
	}{
		StatusForwarded: {{"forwarded_at", c.ForwardedAt}},
		StatusHandled:   {{"forwarded_at", c.ForwardedAt}, {"handled_at", c.HandledAt}},
		StatusAnswered:  {{"forwarded_at", c.ForwardedAt}, {"handled_at", c.HandledAt}, {"answered_at", c.AnsweredAt}},
	}[c.Status]
	for _, d := range done {
		if d.at.IsZero() {
			return fmt.Errorf("%w: %s: missing (status %s says the step was done)", ErrInvalid, d.name, c.Status)
		}
	}
	// The order every complaint Desk.File and the steps write holds: each
	// deadline at least a working day after the one before (or the
	// receipt), each step not before the one it follows (Desk.Forward,
	// Resolve refuse it). Nothing checks a repair against the damaged
	// record: a date out of order would show a deadline met, or a
	// complaint handled before it was received.
	for _, o := range [...]struct {
		name     string
		at       time.Time
		prevName string
		prev     time.Time
		strict   bool
	}{
		{"forward_by", c.ForwardBy, "received_at", c.ReceivedAt, true},
		{"handle_by", c.HandleBy, "forward_by", c.ForwardBy, true},
		{"answer_by", c.AnswerBy, "handle_by", c.HandleBy, true},
		{"forwarded_at", c.ForwardedAt, "received_at", c.ReceivedAt, false},
		{"handled_at", c.HandledAt, "forwarded_at", c.ForwardedAt, false},
	} {
		if o.at.IsZero() || o.prev.IsZero() {
			continue
		}
		if o.at.Before(o.prev) || (o.strict && o.at.Equal(o.prev)) {
			rel := "before"
			if o.strict {
				rel = "not after"
			}
			return fmt.Errorf("%w: %s: %s is %s %s %s", ErrInvalid, o.name,
				o.at.Format(time.RFC3339Nano), rel, o.prevName, o.prev.Format(time.RFC3339Nano))
		}
	}
	if (c.Status == StatusHandled || c.Status == StatusAnswered) && strings.TrimSpace(c.Resolution) == "" {
		return fmt.Errorf("%w: resolution: missing (status %s says how it was handled)", ErrInvalid, c.Status)
	}
	// A step's date, or the resolution, beyond what the status says was
	// done is written by no step: Overdue counts a dated step as done, so
	// an open complaint with a handled_at would never be flagged overdue
	// for handling.
	for _, d := range [...]struct {
		name   string
		set    bool
		before Status // the first status that has it
	}{
		{"forwarded_at", !c.ForwardedAt.IsZero(), StatusForwarded},
		{"handled_at", !c.HandledAt.IsZero(), StatusHandled},
		{"resolution", c.Resolution != "", StatusHandled},
		{"answered_at", !c.AnsweredAt.IsZero(), StatusAnswered},
	} {
		if d.set && statusRank(c.Status) < statusRank(d.before) {
			return fmt.Errorf("%w: %s: given, but status %s says the step was not done (give the status it reached, or leave %s out)",
				ErrInvalid, d.name, c.Status, d.name)
		}
	}
	if c.Status == StatusAnswered {
		// Answering a complaint ends its recording holds (HoldGuard,
		// RecordingHolds): a repair, which nothing checks against the
		// damaged record, must not be the step that does it.
		return fmt.Errorf("%w: status: answered: a repair does not close a complaint (closing ends its recording holds); "+
			"repair it as %s, then record the answer as a step, at the time it was given (Desk.Answer; dialgate complaint answer ID --at TIME)",
			ErrInvalid, StatusHandled)
	}
	return nil
}

// statusRank is s's place in the order of the statuses (StatusOpen first).
func statusRank(s Status) int {
	switch s {
	case StatusForwarded:
		return 1
	case StatusHandled:
		return 2
	case StatusAnswered:
		return 3
	}
	return 0
}

// Overdue returns the deadlines c has missed at t (a deadline is the instant
// the allowed time ends): "forward", "handle", "answer" — the steps not done
// by t whose deadline is at or before t. A step done after t counts as not
// done, so that an earlier t (a report as of a quarter's end) sees the
// complaint as it was then.
func (c Complaint) Overdue(t time.Time) []string {
	pending := func(done, by time.Time) bool {
		return (done.IsZero() || done.After(t)) && !t.Before(by)
	}
	var late []string
	if pending(c.ForwardedAt, c.ForwardBy) {
		late = append(late, "forward")
	}
	if pending(c.HandledAt, c.HandleBy) {
		late = append(late, "handle")
	}
	if pending(c.AnsweredAt, c.AnswerBy) {
		late = append(late, "answer")
	}
	return late
}

// Filter selects complaints in Store.ListComplaints. Zero fields match all.
type Filter struct {
	Tenant   string    // only this tenant's complaints; "" matches every tenant
	Callee   string    // only complaints with this keyed callee hash (Complaint.Callee)
	Status   Status    // only complaints with this status
	From, To time.Time // ReceivedAt in [From, To)
	// OverdueAt, when set, keeps only the complaints past a deadline at
	// that instant (Complaint.Overdue(OverdueAt) not empty).
	OverdueAt time.Time
}

// Matches reports whether c passes the filter.
func (f Filter) Matches(c Complaint) bool {
	return (f.Tenant == "" || c.Tenant == f.Tenant) &&
		(f.Callee == "" || c.Callee == f.Callee) &&
		(f.Status == "" || c.Status == f.Status) &&
		(f.From.IsZero() || !c.ReceivedAt.Before(f.From)) &&
		(f.To.IsZero() || c.ReceivedAt.Before(f.To)) &&
		(f.OverdueAt.IsZero() || len(c.Overdue(f.OverdueAt)) > 0)
}

// Position is a complaint's place in the order complaints are listed in:
// by ReceivedAt, then by id (byte order). A page of a listing ends at the
// Position of its last complaint; the next page starts after it, so a
// complaint stored between two pages is listed on a later page when it
// comes after that Position, and never shifts the pages already read.
// The zero Position comes before every complaint.
type Position struct {
	ReceivedAt time.Time // the complaint's ReceivedAt
	ID         string    // the complaint's id; "" only in the zero Position
}

// PositionOf returns c's Position.
func PositionOf(c Complaint) Position { return Position{ReceivedAt: c.ReceivedAt, ID: c.ID} }

// IsZero reports whether p is the zero Position, before every complaint.
func (p Position) IsZero() bool { return p.ID == "" && p.ReceivedAt.IsZero() }

// Before reports whether p comes before complaint c in the listing order
// (the zero Position comes before every complaint).
func (p Position) Before(c Complaint) bool {
	if p.IsZero() {
		return true
	}
	if d := p.ReceivedAt.Compare(c.ReceivedAt); d != 0 {
		return d < 0
	}
	return p.ID < c.ID
}

// ValidateLimit checks the limit of Store.ListComplaintsAfter: it must be
// positive. Stores return its error (wrapping ErrInvalid) unchanged.
func ValidateLimit(limit int) error {
	if limit <= 0 {
		return fmt.Errorf("%w: limit: %d is not positive", ErrInvalid, limit)
	}
	return nil
}

// Store keeps complaints. Implementations must be safe for concurrent use and
// make every write durable before returning. A complaint read back (Get,
// Update, List) that fails Complaint.ValidateStored is an error wrapping
// storage.ErrCorrupt (a storage.RecordError naming it and the field); a list
// fails rather than leave it out.
type Store interface {
	// CreateComplaint stores a new complaint; an existing id is an error wrapping ErrExists.
	CreateComplaint(ctx context.Context, c Complaint) error
	// GetComplaint returns the complaint or an error wrapping ErrNotFound.
	GetComplaint(ctx context.Context, id string) (Complaint, error)
	// UpdateComplaint atomically applies fn and writes the result unless fn
	// returns an error, which it returns. A missing id wraps ErrNotFound.
	UpdateComplaint(ctx context.Context, id string, fn func(*Complaint) error) error
	// ListComplaints returns the complaints matching f, ordered by ReceivedAt then id.
	ListComplaints(ctx context.Context, f Filter) ([]Complaint, error)
	// ListComplaintsAfter returns one page of that listing: the first
	// limit complaints matching f that come after the Position after
	// (the zero Position: from the first), in the same order. Fewer than
	// limit means the listing ends there. A limit that is not positive
	// is an error wrapping ErrInvalid (see ValidateLimit). It holds at
	// most about limit complaints in memory whatever the store holds.
	ListComplaintsAfter(ctx context.Context, f Filter, after Position, limit int) ([]Complaint, error)
}

// Repairer replaces a damaged stored complaint: the supported way out of
// a complaint that fails every read (storage.ErrCorrupt), which
// Store.UpdateComplaint cannot change since it reads the complaint first.
// Implemented by every store in this module; complaint.Store does not
// require it. Safe for concurrent use.
type Repairer interface {
	// RepairComplaint replaces the complaint stored under c.ID with c,
	// whole, durably, when the one stored is damaged: it does not decode,
	// fails Complaint.ValidateStored, or the store files it where it does
	// not belong (under another callee than it names). It returns the
	// bytes that were stored, verbatim (the commands print their digest;
	// the change record of the repair names the digest of c's JSON as
	// given, not theirs); the store keeps them as evidence where it has
	// room (docs/deploy.md). c failing ValidateRepair is an error
	// wrapping ErrInvalid; no complaint under c.ID wraps ErrNotFound; a
	// sound one wraps ErrNotDamaged, unless it is exactly c
	// (Complaint.Equal) and the store kept the bytes a repair of it
	// replaced: that is the same repair again (a retry after its answer or
	// audit record was lost), answered with those bytes, nothing changed
	// (the memstore keeps them until the process ends). A store that still knows whom the
	// complaint was about (boltstore's callee index, pgstore's callee
	// column, else in every store the callee the damaged bytes name)
	// refuses a c naming another callee (ErrOtherCallee, an ErrInvalid): the
	// recordings it holds are that callee's. Nothing is written on any
	// error.
	RepairComplaint(ctx context.Context, c Complaint) (replaced []byte, err error)
}

// Config sets the handling deadlines, in working days. The zero Config uses
// 3, 15 and 3 (the MIIT 2020 draft [S]).
type Config struct {
	// ForwardDays is how many working days after receipt a complaint must be
	// forwarded to its handler; 0 means 3. At most 365.
	ForwardDays int `json:"forward_days,omitempty"`
	// HandleDays is how many working days after the forwarding deadline it
	// must be handled; 0 means 15. At most 365.
	HandleDays int `json:"handle_days,omitempty"`
	// AnswerDays is how many working days after the handling deadline the
	// complainant must be answered; 0 means 3. At most 365.
	AnswerDays int `json:"answer_days,omitempty"`
	// Zone is the IANA time zone whose calendar days the deadlines are
	// counted in ("Asia/Shanghai"); empty means the profile's
	// schedule.default_zone, and UTC without one (policy.NewComplaintDesk);
	// NewDesk refuses a Zone other than the location it is given.
	// "Local" (the host's own zone, not a place) is refused, as are its
	// other names ("localtime", "posixrules"), "Factory" and the posix/
	// and right/ copies, in any case, and a name spelt as a path
	// ("./localtime").
	Zone string `json:"zone,omitempty"`
	// Cite is the source of the deadlines (the MIIT 2020 draft for the
	// defaults); informational, it is not validated here.
	Cite dialgate.Citation `json:"cite"`
}

// Validate rejects negative or absurd deadlines, naming the field.
func (c Config) Validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"forward_days", c.ForwardDays}, {"handle_days", c.HandleDays}, {"answer_days", c.AnswerDays}} {
		if f.v < 0 || f.v > 365 {
			return fmt.Errorf("%w: complaint.%s: %d is not between 0 and 365", ErrInvalid, f.name, f.v)
		}
	}
	if c.Zone != "" {
		// "Local" and its other names ("localtime", ...: internal/zonename)
		// are the zone of whichever host runs the desk: two hosts (or the
		// CLI on an operator's machine) would fix one complaint's
		// deadlines in different zones.
		if p := zonename.NoPlace(c.Zone); p != "" {
			return fmt.Errorf("%w: complaint.zone: %q is %s: name the zone the deadlines are counted in (e.g. \"Asia/Shanghai\")", ErrInvalid, c.Zone, p)
		}
		if _, err := time.LoadLocation(c.Zone); err != nil {
			return fmt.Errorf("%w: complaint.zone: %q is not a known IANA time zone: %v", ErrInvalid, c.Zone, err)
		}
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.ForwardDays == 0 {
		c.ForwardDays = 3
	}
	if c.HandleDays == 0 {
		c.HandleDays = 15
	}
	if c.AnswerDays == 0 {
		c.AnswerDays = 3
	}
	return c
}

// StepDone reports whether c already has the step — "forward" (c is
// forwarded), "resolve" with resolution (c is handled with that
// resolution) or "answer" (c is answered) — and returns the instant c holds
// for it. A step Desk.Forward, Resolve or Answer refuses with ErrState
// while StepDone holds is a retry (a request repeated because its answer or
// its audit record was lost): callers acknowledge it, dated as stored,
// rather than refuse it. A step c has passed (forward of a handled
// complaint) or a resolve with another resolution is not.
func (c Complaint) StepDone(step, resolution string) (time.Time, bool) {
	switch {
	case step == "forward" && c.Status == StatusForwarded:
		return c.ForwardedAt, true
	case step == "resolve" && c.Status == StatusHandled && c.Resolution == resolution:
		return c.HandledAt, true
	case step == "answer" && c.Status == StatusAnswered:
		return c.AnsweredAt, true
	}
	return time.Time{}, false
}
