package callerid

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/numbering"
)

// Name is the check's name and the prefix of its reason codes.
const Name = "callerid"

// DefaultRefreshInterval is how often (in dial time) the Check asks the store
// whether the ledger changed, unless WithRefreshInterval says otherwise.
const DefaultRefreshInterval = time.Second

// An Option configures a Check.
type Option func(*Check) error

// WithRefreshInterval sets how often, measured by the dials' decision instants,
// the Check polls Store.LedgerVersion and reloads the ledger when it changed. A
// change to the ledger takes effect for dials at most d after the first dial
// that follows it. d must be positive; use Check.Refresh to reload at once.
func WithRefreshInterval(d time.Duration) Option {
	return func(c *Check) error {
		if d <= 0 {
			return fmt.Errorf("callerid: WithRefreshInterval: %v must be positive: %w", d, dialgate.ErrInvalidConfig)
		}
		c.every = d
		return nil
	}
}

// Check is the caller-ID check (name "callerid"). It implements
// dialgate.Attester (a passing dial's evidence names the caller ID's ledger
// entry) and dialgate.Expirer (an allow ends with the entry's validity).
// Create it with New; it is safe for concurrent use.
type Check struct {
	cfg   Config
	store Store
	every time.Duration

	idx       atomic.Pointer[index]
	lastPoll  atomic.Int64 // decision instant (unix ns) of the last version poll
	sincePoll atomic.Int64 // dials since the last version poll
	mu        sync.Mutex   // serialises reloads
}

type key struct {
	tenant string
	n      dialgate.Number
}

// index is an immutable in-memory copy of the ledger.
type index struct {
	version uint64
	m       map[key]*item
}

// item is a ledger entry with the evidence a passing dial reports for it,
// computed once per reload. The evidence slice is shared: nobody modifies it.
type item struct {
	Entry
	ev []dialgate.Evidence
}

// New returns the caller-ID check for cfg. store may be nil only when no
// rule reads the ledger (Ledger and SubscriberNumber both nil).
func New(cfg Config, store Store, opts ...Option) (*Check, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", err, dialgate.ErrInvalidConfig)
	}
	if store == nil && cfg.needsLedger() {
		return nil, fmt.Errorf("callerid: a ledger store is required by the ledger and subscriber_number rules: %w", dialgate.ErrInvalidConfig)
	}
	c := &Check{cfg: cfg, store: store, every: DefaultRefreshInterval}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("callerid: nil option: %w", dialgate.ErrInvalidConfig)
		}
		if err := o(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Name returns "callerid".
func (c *Check) Name() string { return Name }

// Check returns the reasons d's caller ID fails the rules.
func (c *Check) Check(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, error) {
	rs, _, err := c.attest(ctx, d, nil)
	return rs, err
}

// Refresh reloads the ledger from the store now if its version changed. A
// writer calls it after a write so that the next check decides on the
// change. When the reload fails the in-memory ledger is dropped: the next
// check reloads it, and fails (callerid.unavailable) while it cannot,
// rather than decide on the ledger read before the write until its next
// poll.
func (c *Check) Refresh(ctx context.Context) error {
	if c.store == nil {
		return nil
	}
	_, err := c.reload(ctx, 0, true)
	return err
}

// Attest returns the reasons d's caller ID fails the rules and, when it
// passes, evidence naming its ledger entry (callerid.number, callerid.type,
// callerid.holder, callerid.purposes, callerid.valid_from and
// callerid.valid_until when set, callerid.ledger_version). The evidence of
// an entry is shared by every dial that passes on it: do not change its
// items; appending to it makes a copy.
func (c *Check) Attest(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, []dialgate.Evidence, error) {
	return c.attest(ctx, d, nil)
}

// AttestUntil is Attest that also returns, for a passing dial, the instant
// its pass ends (dialgate.Expirer): the end of the validity of the caller
// ID's ledger entry (Entry.ValidUntil); zero when the entry has none, is not
// valid at d.At (a rule that does not look at it passed the dial) or no
// entry was needed. A change of the ledger cannot be foreseen: the Gate's
// allow lifetime bounds how long an allow outlives one.
func (c *Check) AttestUntil(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, []dialgate.Evidence, time.Time, error) {
	var until time.Time
	rs, ev, err := c.attest(ctx, d, &until)
	return rs, ev, until, err
}

// attest decides d; when until is not nil and d passes on a ledger entry
// valid at d.At, it sets *until to the entry's ValidUntil.
func (c *Check) attest(ctx context.Context, d dialgate.Dial, until *time.Time) ([]dialgate.Reason, []dialgate.Evidence, error) {
	if !d.From.IsValid() {
		return deny(dialgate.CodeCallerIDMissing, "no caller ID given", c.cfg.Cite), nil, nil
	}
	if d.From == d.To || numbering.OverseasLine(d.From) == numbering.OverseasLine(d.To) {
		// The callee's own number shown to the callee is spoofed, whatever
		// the ledger says (no number in the message: it is the callee's),
		// under either spelling of a French overseas line.
		return deny(dialgate.CodeCallerIDInvalid, "the caller ID is the callee's own number", c.cfg.Cite), nil, nil
	}
	cl := classOf(d.From)
	cn := d.From.CountryCode() == 86
	if cn {
		switch {
		case d.Route == dialgate.RouteInternational && c.cfg.InternationalRoute != nil:
			return deny(dialgate.CodeCallerIDInvalid, "caller ID "+d.From.String()+" is a +86 number on an international route (fake +86 caller ID)", c.cfg.InternationalRoute.cite()), nil, nil
		case cl == classUnknown:
			return deny(dialgate.CodeCallerIDInvalid, "caller ID "+d.From.String()+" is not a valid Chinese number", c.cfg.Cite), nil, nil
		case cl == classSMSPort:
			return deny(dialgate.CodeCallerIDInvalid, "caller ID "+d.From.String()+" is a 106 SMS port, not a voice caller ID", c.cfg.Cite), nil, nil
		case cl == classFixed && !numbering.AssignedFixedLine(d.From):
			// The shape of a fixed line is not one: an area code not in
			// use, or a local number of a length the area's lines do not
			// have (a line with a digit added or dropped). Denied even
			// when the ledger holds it (an entry stored before its
			// writers refused such numbers).
			return deny(dialgate.CodeCallerIDInvalid, "caller ID "+d.From.String()+" is not a Chinese fixed line in use (no such area code, or a local number of the wrong length for it)", c.cfg.Cite), nil, nil
		}
	}
	var rs []dialgate.Reason
	if cn && (cl == class400 || cl == class800) && c.cfg.InboundOnly != nil {
		rs = append(rs, reason(dialgate.CodeCallerIDInboundOnly, "caller ID "+d.From.String()+" is an inbound-only "+string(typeOfClass(cl))+" number", c.cfg.InboundOnly.cite()))
	}
	if !c.cfg.needsLedger() {
		if rs != nil {
			return rs, nil, nil
		}
		return nil, []dialgate.Evidence{{Key: "callerid.number", Value: d.From.String()}}, nil
	}
	idx, err := c.ledger(ctx, d.At)
	if err != nil {
		return nil, nil, err
	}
	e := idx.m[key{d.Tenant, d.From}]
	// A mobile number is a business line only while its ledger entry is
	// valid: outside that window it may be a subscriber's (numbers are
	// recycled), whether or not the ledger rule is on.
	if cn && cl == classMobile && c.cfg.SubscriberNumber != nil && (e == nil || e.Type != TypeMobileBusiness || !e.validAt(d.At)) {
		rs = append(rs, reason(dialgate.CodeCallerIDSubscriber, "caller ID "+d.From.String()+" is an ordinary mobile (subscriber) number, not a ledger business line", c.cfg.SubscriberNumber.cite()))
	}
	if c.cfg.Ledger != nil {
		switch {
		case e == nil:
			rs = append(rs, reason(dialgate.CodeCallerIDNotInLedger, "caller ID "+d.From.String()+" is not in the ledger of tenant "+strconv.Quote(d.Tenant), c.cfg.Ledger.cite()))
		default:
			if r, ok := c.ledgerRules(e, d); ok {
				rs = append(rs, r...)
			}
		}
	}
	if rs != nil {
		return rs, nil, nil
	}
	if e != nil {
		// The pass relied on the entry only while it is valid: an entry
		// expired or not yet valid at d.At (a fixed line under the
		// subscriber-number rule alone) tells no end of this pass.
		if until != nil && e.validAt(d.At) {
			*until = e.ValidUntil
		}
		return nil, e.ev, nil
	}
	return nil, []dialgate.Evidence{{Key: "callerid.number", Value: d.From.String()}}, nil
}

// validAt reports whether t is within the entry's validity window
// [ValidFrom, ValidUntil).
func (e *item) validAt(t time.Time) bool {
	return (e.ValidFrom.IsZero() || !t.Before(e.ValidFrom)) && (e.ValidUntil.IsZero() || t.Before(e.ValidUntil))
}

// ledgerRules applies the rules of a found ledger entry: validity, office use,
// purpose.
func (c *Check) ledgerRules(e *item, d dialgate.Dial) ([]dialgate.Reason, bool) {
	var rs []dialgate.Reason
	cite := c.cfg.Ledger.cite()
	switch {
	case !e.ValidFrom.IsZero() && d.At.Before(e.ValidFrom):
		r := reason(dialgate.CodeCallerIDExpired, fmt.Sprintf("caller ID %s is not valid before %s", d.From, e.ValidFrom.Format(time.RFC3339)), cite)
		r.NextAllowedAt = e.ValidFrom
		rs = append(rs, r)
	case !e.ValidUntil.IsZero() && !d.At.Before(e.ValidUntil):
		rs = append(rs, reason(dialgate.CodeCallerIDExpired, fmt.Sprintf("caller ID %s expired at %s", d.From, e.ValidUntil.Format(time.RFC3339)), cite))
	}
	switch {
	case e.OfficeUseOnly:
		rs = append(rs, reason(dialgate.CodeCallerIDPurposeMismatch, fmt.Sprintf("caller ID %s is for office use only", d.From), cite))
	case !e.Allows(d.Purpose):
		rs = append(rs, reason(dialgate.CodeCallerIDPurposeMismatch, fmt.Sprintf("caller ID %s is not registered for purpose %s", d.From, d.Purpose), cite))
	}
	return rs, rs != nil
}

// entryEvidence is the evidence of a dial that passes on e: the facts of
// the entry the decision relied on (the ledger keeps no history, so the
// version alone could not be looked up once the entry changes).
func entryEvidence(e Entry, ver string) []dialgate.Evidence {
	ps := make([]string, len(e.Purposes))
	for i, p := range e.Purposes {
		ps[i] = string(p)
	}
	ev := []dialgate.Evidence{
		{Key: "callerid.number", Value: e.Number.String()},
		{Key: "callerid.type", Value: string(e.Type)},
		{Key: "callerid.holder", Value: e.Holder},
		{Key: "callerid.purposes", Value: strings.Join(ps, ",")},
	}
	if !e.ValidFrom.IsZero() {
		ev = append(ev, dialgate.Evidence{Key: "callerid.valid_from", Value: e.ValidFrom.Format(time.RFC3339Nano)})
	}
	if !e.ValidUntil.IsZero() {
		ev = append(ev, dialgate.Evidence{Key: "callerid.valid_until", Value: e.ValidUntil.Format(time.RFC3339Nano)})
	}
	// Clipped: every dial on the entry is handed this slice, and a caller
	// that appends to it must get a copy, not write into the spare
	// capacity another dial's caller appends to as well.
	return slices.Clip(append(ev, dialgate.Evidence{Key: "callerid.ledger_version", Value: ver}))
}

func typeOfClass(cl class) ResourceType {
	switch cl {
	case class400:
		return Type400
	case class800:
		return Type800
	}
	return ""
}

func reason(code dialgate.Code, msg string, cite dialgate.Citation) dialgate.Reason {
	r := dialgate.Reason{Code: code, Message: msg}
	if cite.Ref != "" {
		r.Evidence = []dialgate.Evidence{{Key: "callerid.rule", Value: cite.Ref + " [" + string(cite.Source) + "]"}}
	}
	return r
}

func deny(code dialgate.Code, msg string, cite dialgate.Citation) []dialgate.Reason {
	return []dialgate.Reason{reason(code, msg, cite)}
}

// ledger returns the in-memory ledger, reloading it when the poll interval
// (in dial time) has passed and the store's version changed.
func (c *Check) ledger(ctx context.Context, t time.Time) (*index, error) {
	idx := c.idx.Load()
	tn := t.UnixNano()
	// Poll the store's version once per interval of dial time, and at least
	// every pollEveryDials dials, so that a clock that stands still (a test
	// clock, a replay) cannot keep a removed entry allowing for ever.
	if idx != nil && c.sincePoll.Add(1) < pollEveryDials {
		diff := tn - c.lastPoll.Load()
		if diff >= 0 && diff < int64(c.every) {
			return idx, nil
		}
	}
	return c.reload(ctx, tn, false)
}

func (c *Check) reload(ctx context.Context, tn int64, force bool) (_ *index, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if force {
		// Refresh follows a write: the ledger held may predate it.
		defer func() {
			if err != nil {
				c.idx.Store(nil)
			}
		}()
	}
	idx := c.idx.Load()
	if idx != nil && !force {
		// Another goroutine may have polled while we waited.
		if diff := tn - c.lastPoll.Load(); diff >= 0 && diff < int64(c.every) && c.sincePoll.Load() < pollEveryDials {
			return idx, nil
		}
	}
	v, err := c.store.LedgerVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("callerid: ledger version: %w", err)
	}
	if idx == nil || idx.version != v {
		entries, err := c.store.ListLedger(ctx)
		if err != nil {
			return nil, fmt.Errorf("callerid: load ledger: %w", err)
		}
		n := &index{version: v, m: make(map[key]*item, len(entries))}
		ver := strconv.FormatUint(v, 10)
		for i, e := range entries {
			// The stores refuse damaged entries (Store); the check does not
			// rely on that alone: an entry it would read wrongly (no holder
			// for the evidence, a type of another class, an unknown
			// purpose) or a second entry for one number fails the load, so
			// every dial is callerid.unavailable rather than allowed on it.
			if err := e.Validate(); err != nil {
				return nil, fmt.Errorf("callerid: load ledger: entry %d (%s of tenant %q): %w", i, e.Number, e.Tenant, err)
			}
			k := key{e.Tenant, e.Number}
			if _, dup := n.m[k]; dup {
				return nil, fmt.Errorf("callerid: load ledger: entry %d: %s of tenant %q listed twice: %w", i, e.Number, e.Tenant, ErrInvalidEntry)
			}
			it := &item{Entry: e, ev: entryEvidence(e, ver)}
			n.m[k] = it
		}
		c.idx.Store(n)
		idx = n
	}
	if !force {
		c.lastPoll.Store(tn)
		c.sincePoll.Store(0)
	}
	return idx, nil
}

// pollEveryDials bounds how many dials may be decided on the in-memory ledger
// without asking the store whether it changed, whatever the dial times.
const pollEveryDials = 1024
