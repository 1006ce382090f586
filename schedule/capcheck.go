package schedule

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/numbering"
	"github.com/dialgate/dialgate/storage"
)

// DefaultCapHashKey is the key of the callee hash when NewCapCheck is given no
// WithCapHashKey. It is public, so counter keys made with it are pseudonymous
// (no raw number is stored) but not secret: anyone with the store can test
// whether a given number was counted. Pass the deployment's HMAC key.
const DefaultCapHashKey = "dialgate.frequency.v1"

// A CapOption configures NewCapCheck.
type CapOption func(*capOptions) error

type capOptions struct {
	key      []byte
	history  *CounterHistory
	lifetime time.Duration
}

// WithCapHashKey sets the secret HMAC-SHA-256 key that turns callee numbers
// and subjects into counter keys, so that the store never holds a raw number.
// Changing the key starts every counter afresh (earlier calls no longer
// count), so keep it stable. The key must be at least 16 bytes.
func WithCapHashKey(key []byte) CapOption {
	return func(o *capOptions) error {
		if len(key) < 16 {
			return fmt.Errorf("WithCapHashKey: key of %d bytes is shorter than 16: %w", len(key), ErrInvalidCaps)
		}
		o.key = slices.Clone(key)
		return nil
	}
}

// WithAllowLifetime sets the longest time after its decision an allow may
// be dialled (the Gate's dialgate.WithAllowLifetime): every cap counts the
// calls of its window plus d (see CapCheck), so that calls placed late in
// their allows' lifetimes still keep a cap's window apart. d must be
// positive and at most dialgate.MaxAllowLifetime; the default is
// dialgate.DefaultAllowLifetime. dialgate.New refuses a Gate whose allow
// lifetime is longer than d.
func WithAllowLifetime(d time.Duration) CapOption {
	return func(o *capOptions) error {
		if d <= 0 || d > dialgate.MaxAllowLifetime {
			return fmt.Errorf("WithAllowLifetime: allow lifetime %v must be positive and at most %v: %w", d, dialgate.MaxAllowLifetime, ErrInvalidCaps)
		}
		o.lifetime = d
		return nil
	}
}

// CapCheck is the "frequency" check: sliding-window frequency caps per callee
// (or per matter) across all caller IDs and campaigns of a tenant, and the
// pauses after a conversation, an abandoned call or a refusal. It implements dialgate.Checker,
// dialgate.Attester, dialgate.Committer and dialgate.OutcomeObserver.
//
// Check and Attest only read the counters (storage.Counters.Usage); the Gate
// calls Commit only when every check passed, and Commit reserves atomically
// (storage.Counters.Reserve), so a dial denied by any check consumes nothing
// and two concurrent dials never both take a cap's last slot. Release gives a
// reservation back. ObserveOutcome records conversations, abandoned calls and
// refusals for the pauses; each pause is checked again in Commit's
// reservation, as a check-only limit (storage.Limit.CheckOnly: checked
// atomically with the caps, never recorded by a dial), so that an outcome
// recorded between a dial's Attest and its Commit refuses the dial.
//
// Counter keys hold no raw callee number: they are
// "frequency|<HMAC-SHA-256(key, scope, tenant, number or normalised subject)[:16] hex>|<kind>|<scope>|<purposes>|<longest window>".
// Caps with the same scope and purposes share one key — one entry per call,
// counted under each cap's window — so that a reservation writes once however
// many caps apply, and changing a cap's count, or the window of a cap that is
// not the longest of its scope and purposes, keeps its history. The key names
// the longest window counted under it (see NewCapCheck), so that a check with
// shorter windows sharing the store never prunes a longer cap's history.
// Changing that window — lengthening cn's 30 days, adding a longer cap of the
// same scope and purposes, or changing a pause's window — therefore moves the
// rule to a new, empty key. Without WithCounterHistory the calls and outcomes
// counted under the old key then no longer count; with it (as `dialgate
// serve` does) they keep counting until they have left every window that can
// count them (see CounterTransition). Changing a rule's scope or purposes
// starts its counting afresh either way.
//
// A French overseas line has two spellings (+596 596 12 34 56 and
// +33 596 12 34 56, numbering.OverseasAlias); the check counts them as one
// callee, under the territory's spelling. The calls and outcomes an earlier
// release counted under the +33 spelling's own keys keep counting: a dial
// to such a line also reads those keys (a cap counts the sum, a pause
// denies on an entry under either), and Commit first reads them, then
// reserves with each cap's room lowered by their count, so that two dials
// under the two spellings never both take a cap's last slot. An outcome is
// recorded under both spellings. A 10-digit Mexican number (+52 55 …) is
// likewise read, and its outcomes recorded, under the withdrawn prefix-1
// spelling (+52 1 55 …) that earlier builds counted it under.
//
// A subject (Dial.Subject, for rules counting per subject or per callee and
// subject) is counted under its normalised spelling (normSubject: case
// folded, white space trimmed and collapsed, compatibility forms and
// invisible characters removed), so "solar", "Solar", " solar " and
// "SOLAR" are one subject; one of white space alone is no subject
// (ErrNoSubject). A release before this counted the subject as spelt: a
// dial whose subject is spelt otherwise than it is counted also reads the
// keys of its subject as spelt, as for an overseas line's other spelling
// (a cap counts the sum, with each cap's room lowered by it in Commit; a
// pause denies on an entry under either), and an outcome about it is
// recorded under both. Calls counted before the upgrade under another
// spelling than the dial's are not read.
//
// A cap counts each allowed dial at its decision instant (Dial.At), but the
// dialer may place the call any time until the allow's
// Decision.ValidUntil, up to the Gate's allow lifetime L after the decision
// (dialgate.WithAllowLifetime). So that calls placed late still keep a cap,
// every cap counts the calls decided within its window plus L
// (WithAllowLifetime; default dialgate.DefaultAllowLifetime): of N+1 calls
// placed within any span of the window, the last decided sees the other N
// at its decision and is refused. With cn's defaults two decisions for one
// callee are at least 6 minutes apart under "1 call per 5 minutes". The
// counter keys still name the nominal window. The pauses are measured from
// the reported outcome to the next decision and are not widened. The check
// implements dialgate.LifetimeCounter: dialgate.New refuses a Gate whose
// allow lifetime is longer than L.
//
// A dial's reservation keeps its keys' entries an hour
// (storage.PruneMargin) past the longest window it counts them over, so
// that a dial decided by a clock up to an hour behind the reserving one — another host of a fleet, or this
// host after its clock was stepped back — still counts every call its
// window holds (storage.Counters lets a reservation prune what has left its
// own window). An outcome starting a pause is recorded so too, so that a
// store's expiry (storage.CounterExpirer) made by a clock up to an hour
// ahead drops no outcome whose pause is still running.
//
// Every Gate of a fleet sharing the counters should use one allow lifetime.
// A key's entries may be pruned past the longest window a reservation gives
// (storage.Counters); with gates of different lifetimes, a gate of a shorter
// lifetime prunes only inside the margin past the nominal window, never
// inside it, so a mixed fleet keeps the protection of its smallest lifetime,
// and never less than counting over the nominal windows.
//
// A CapCheck is safe for concurrent use. Create it with NewCapCheck.
type CapCheck struct {
	caps      []capRule
	pauses    []capRule // kind != nil
	counters  storage.Counters
	hashers   sync.Pool // of *capHasher
	maxLimits int       // the most limits a dial can have: caps, pauses, carried rules and their pruning limits
	// lifetime is the longest time after its decision an allow may be
	// dialled: every cap counts over its window plus it.
	lifetime time.Duration
}

type capRule struct {
	cap    Cap // for a pause: Count 0, Window, Purposes, Per, Cite
	suffix string
	desc   string
	pause  *pauseKind // nil for a cap
	// carries are the counter keys of earlier configurations whose counts
	// this rule's group carries (WithCounterHistory); set on the last cap of
	// a group sharing a key, and on a pause.
	carries []carry
	// primary is, for a rule counting under an earlier configuration's key
	// (in carry.rules), the rule it stands for; its usage is merged into the
	// primary's. Nil otherwise.
	primary *capRule
	// horizon marks the carried limit that only keeps the earlier key's
	// pruning window (never exceeded, never reported).
	horizon bool
}

// carry is one CounterTransition as the check applies it.
type carry struct {
	suffix string    // the earlier key's suffix
	until  time.Time // dials and outcomes before it carry
	// rules are the limits a dial adds under the earlier key: for a cap
	// group, a copy of each cap of the group (recorded, so that the earlier
	// key keeps the whole history) and, when the earlier key was pruned past
	// every window of the group, a horizon rule with that window; for a
	// pause, the pause as a check-only limit.
	rules []capRule
	// record is, for a pause, the window an outcome is recorded with under
	// the earlier key (the longer of its own and the pause's).
	record time.Duration
}

// pauseRecordMax is the Max used when recording an outcome for a pause:
// recording never fails for lack of room. The horizon limit of a carried
// counter key uses it too.
const pauseRecordMax = 1 << 30

// NewCapCheck validates cfg and returns the check, counting in counters.
func NewCapCheck(cfg CapsConfig, counters storage.Counters, opts ...CapOption) (*CapCheck, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if counters == nil {
		return nil, fmt.Errorf("frequency: counters: nil store: %w", ErrInvalidCaps)
	}
	o := capOptions{key: []byte(DefaultCapHashKey), lifetime: dialgate.DefaultAllowLifetime}
	for _, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("frequency: nil option: %w", ErrInvalidCaps)
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	c := &CapCheck{counters: counters, lifetime: o.lifetime}
	c.hashers.New = func() any { return &capHasher{h: hmac.New(sha256.New, o.key), in: make([]byte, 0, 160)} }
	c.caps, c.pauses = capRules(&cfg)
	if o.history != nil {
		if err := c.carry(*o.history); err != nil {
			return nil, err
		}
	}
	c.maxLimits = len(c.caps) + len(c.pauses)
	for i, r := range c.caps {
		if i == 0 || c.caps[i-1].suffix != r.suffix {
			c.maxLimits++ // the key's pruning limit (storage.WithPruneMargin)
		}
		for range r.carries {
			c.maxLimits++ // the earlier key's
		}
	}
	for _, rs := range [][]capRule{c.caps, c.pauses} {
		for i := range rs {
			for _, cr := range rs[i].carries {
				c.maxLimits += len(cr.rules)
			}
		}
	}
	return c, nil
}

// capRules returns cfg's caps, grouped by counter key, and pauses, each with
// its counter key suffix.
func capRules(cfg *CapsConfig) (caps, pauses []capRule) {
	for _, cp := range cfg.Caps {
		caps = append(caps, capRule{cap: cp, suffix: ruleSuffix("cap", cp.Per, cp.Purposes), desc: cp.String()})
	}
	// Keep caps that share a counter key next to each other (stable, by first
	// appearance), so that their limits are adjacent and the key is built once.
	first := map[string]int{}
	for i, r := range caps {
		if _, ok := first[r.suffix]; !ok {
			first[r.suffix] = i
		}
	}
	slices.SortStableFunc(caps, func(a, b capRule) int { return first[a.suffix] - first[b.suffix] })
	// A counter key's entries are pruned past the longest window used with it
	// (storage.Counters). Name that window in the key, so that a Gate with
	// shorter windows sharing the store (another profile, an older config) can
	// never prune the history a longer cap still counts.
	longest := map[string]dialgate.Duration{}
	for _, r := range caps {
		longest[r.suffix] = max(longest[r.suffix], r.cap.Window)
	}
	for i := range caps {
		caps[i].suffix += "|" + windowString(longest[caps[i].suffix])
	}
	for _, k := range pauseKinds() {
		p := k.get(cfg)
		if p == nil {
			continue
		}
		cp := Cap{Window: p.Window, Purposes: p.Purposes, Per: p.Per, Cite: p.Cite}
		pauses = append(pauses, capRule{cap: cp, pause: &k,
			suffix: ruleSuffix(k.kind, p.Per, p.Purposes) + "|" + windowString(p.Window),
			desc:   "no call within " + windowString(p.Window) + " after " + k.event + ", per " + string(scopeOrDefault(p.Per))})
	}
	return caps, pauses
}

// ruleSuffix names a rule in counter keys by what its counting depends on.
func ruleSuffix(kind string, per CapScope, purposes []dialgate.Purpose) string {
	ps := make([]string, len(purposes))
	for i, p := range purposes {
		ps[i] = string(p)
	}
	slices.Sort(ps)
	return "|" + kind + "|" + string(scopeOrDefault(per)) + "|" + strings.Join(ps, ",")
}

// Name returns "frequency".
func (c *CapCheck) Name() string { return "frequency" }

// AllowLifetimeCounted implements dialgate.LifetimeCounter: the allow
// lifetime every cap's window is widened by (WithAllowLifetime).
func (c *CapCheck) AllowLifetimeCounted() time.Duration { return c.lifetime }

// countedWindow is the window a rule's limits count over: a cap's (or a
// carried cap's) window plus the allow lifetime, a pause's own window.
func (c *CapCheck) countedWindow(r *capRule) time.Duration {
	if r.pause != nil {
		return r.cap.Window.Std()
	}
	return r.cap.Window.Std() + c.lifetime
}

// Check reports a frequency.capped reason for every cap the dial would exceed
// and for every active pause, reading the counters without reserving.
func (c *CapCheck) Check(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, error) {
	rs, _, err := c.evaluate(ctx, d, false)
	return rs, err
}

// Attest is Check that also returns, for a passing dial, the counts seen
// ("frequency.seen": "1 of 2 calls per 24h per callee").
func (c *CapCheck) Attest(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, []dialgate.Evidence, error) {
	return c.evaluate(ctx, d, true)
}

func (c *CapCheck) evaluate(ctx context.Context, d dialgate.Dial, evidence bool) ([]dialgate.Reason, []dialgate.Evidence, error) {
	if err := c.needSubject(d); err != nil {
		return nil, nil, err
	}
	var rb [limitRulesBuf]*capRule
	limits, rules, beside := c.limitsInto(d, rb[:0])
	if len(limits) == 0 {
		return nil, nil, nil
	}
	if err := c.fitOtherSpelling(ctx, d.At, limits, rules, beside); err != nil {
		return nil, nil, err
	}
	us, err := c.counters.Usage(ctx, d.At, limits)
	if err != nil {
		return nil, nil, fmt.Errorf("frequency: %w", err)
	}
	if len(us) != len(limits) {
		return nil, nil, fmt.Errorf("frequency: store returned %d usages for %d limits", len(us), len(limits))
	}
	us, rules = foldOtherSpelling(us, rules, beside)
	rs := c.reasons(us, rules)
	if rs != nil || !evidence {
		return rs, nil, nil
	}
	return nil, seenEvidence(us, rules), nil
}

// seenEvidence returns the "frequency.seen" evidence of a passing dial, one
// item per cap ("1 of 2 calls per 24h per callee"; pauses, carried rules and
// horizons say nothing). The values are cut from one string, built in one
// allocation.
func seenEvidence(us []storage.Usage, rules []*capRule) []dialgate.Evidence {
	var (
		buf  [256]byte
		ends [limitRulesBuf]int
	)
	b, n := buf[:0], 0
	for i, u := range us {
		if r := rules[i]; r.pause != nil || r.primary != nil || r.horizon {
			continue
		}
		if n == len(ends) {
			return seenEvidenceEach(us, rules) // more caps than ends holds
		}
		b = append(strconv.AppendInt(b, int64(u.Count), 10), " of "...)
		b = append(b, rules[i].desc...)
		ends[n], n = len(b), n+1
	}
	all := string(b)
	ev := make([]dialgate.Evidence, n)
	start := 0
	for i := range ev {
		ev[i] = dialgate.Evidence{Key: "frequency.seen", Value: all[start:ends[i]]}
		start = ends[i]
	}
	return ev
}

// seenEvidenceEach is seenEvidence with a string per item.
func seenEvidenceEach(us []storage.Usage, rules []*capRule) []dialgate.Evidence {
	ev := make([]dialgate.Evidence, 0, len(us))
	for i, u := range us {
		if r := rules[i]; r.pause != nil || r.primary != nil || r.horizon {
			continue
		}
		ev = append(ev, dialgate.Evidence{Key: "frequency.seen", Value: strconv.Itoa(u.Count) + " of " + rules[i].desc})
	}
	return ev
}

// Commit reserves one call under every cap that applies to d, atomically and
// idempotently by decisionID, on condition that no pause that applies to d's
// purpose (after a conversation, an abandoned call, a refusal) is active: the
// pauses are checked in the same atomic step and not recorded. If a cap is
// full (a concurrent decision took the last slot) or an outcome starting a
// pause was recorded since Attest, it reserves nothing and reports
// frequency.capped, with the message and evidence Attest gives. When only
// pauses apply nothing is held, so a retried Commit checks them again.
func (c *CapCheck) Commit(ctx context.Context, d dialgate.Dial, decisionID string) ([]dialgate.Reason, error) {
	if err := c.needSubject(d); err != nil {
		return nil, err
	}
	var rb [limitRulesBuf]*capRule
	limits, rules, beside := c.limitsInto(d, rb[:0])
	if len(limits) == 0 {
		return nil, nil
	}
	if err := c.fitOtherSpelling(ctx, d.At, limits, rules, beside); err != nil {
		return nil, err
	}
	n := len(limits)
	limits = storage.WithPruneMargin(limits)
	ok, us, err := c.counters.Reserve(ctx, capReservationID(decisionID), d.At, limits)
	if err != nil {
		return nil, fmt.Errorf("frequency: %w", err)
	}
	if ok {
		return nil, nil
	}
	if len(us) != len(limits) {
		return nil, fmt.Errorf("frequency: store returned %d usages for %d limits", len(us), len(limits))
	}
	us, rules = foldOtherSpelling(us[:n], rules, beside)
	rs := c.reasons(us, rules)
	if len(rs) == 0 {
		return nil, fmt.Errorf("frequency: store refused the reservation without an exceeded limit")
	}
	return rs, nil
}

// Recount implements dialgate.Recounter: it reserves one call under every
// cap that applies to d, under decisionID, whatever the caps and pauses
// say — the call was placed (after its decision was released) and counts
// for its whole window, over a full cap or during a pause as well. It is
// idempotent by decisionID, as Commit is.
func (c *CapCheck) Recount(ctx context.Context, d dialgate.Dial, decisionID string) error {
	if err := c.needSubject(d); err != nil {
		return err
	}
	limits, _, _ := c.limits(d)
	counted := limits[:0]
	for _, l := range limits {
		if l.CheckOnly {
			continue // a pause, or the other spelling's key: recorded by nothing here
		}
		l.Max = pauseRecordMax
		counted = append(counted, l)
	}
	if len(counted) == 0 {
		return nil
	}
	ok, _, err := c.counters.Reserve(ctx, capReservationID(decisionID), d.At, storage.WithPruneMargin(counted))
	if err != nil {
		return fmt.Errorf("frequency: %w", err)
	}
	if !ok {
		return fmt.Errorf("frequency: store refused a recount without a limit that could be exceeded")
	}
	return nil
}

// capReservationID is the reservation id of a decision's caps. Reservation
// ids are global to a store shared by several checks (sweep reserves too), so
// each check prefixes its own.
func capReservationID(decisionID string) string { return "frequency:" + decisionID }

// Release gives back what Commit reserved for decisionID. Unknown ids are
// not an error.
func (c *CapCheck) Release(ctx context.Context, decisionID string) error {
	if err := c.counters.Release(ctx, capReservationID(decisionID)); err != nil {
		return fmt.Errorf("frequency: %w", err)
	}
	return nil
}

// ObserveOutcome records, at o.At, a reported conversation
// (Outcome.Conversation), abandoned call (Outcome.Abandoned) or refusal
// (Outcome.Refused) for the pause the profile has after it. It needs o.Dial
// (callee, tenant, purpose, subject); such an outcome without the dial's
// callee is an error wrapping dialgate.ErrInvalidOutcome. Outcomes that start
// no configured pause are ignored. It does not ask whether the decision is
// known or was released: a reported outcome pauses the dial it names (fail
// closed). Recording is idempotent by o.DecisionID and the dial's callee: a
// report that names a decision with another dial (a mistake, or another
// tenant's decision id) records a pause for the dial it names and cannot use
// up the decision's own report. An outcome that starts several pauses records
// each; the errors of those it could not record are joined.
func (c *CapCheck) ObserveOutcome(ctx context.Context, o dialgate.Outcome) error {
	var started []*capRule
	for i := range c.pauses {
		if c.pauses[i].pause.happened(o) {
			started = append(started, &c.pauses[i])
		}
	}
	if len(started) == 0 {
		return nil
	}
	if !o.Dial.To.IsValid() {
		k := started[0].pause
		return &dialgate.FieldError{Field: "dial.to", Problem: "an outcome reporting " + k.event + " needs the decided dial (Outcome.Dial) for the pause after " + k.event, Err: dialgate.ErrInvalidOutcome}
	}
	if o.At.IsZero() {
		return &dialgate.FieldError{Field: "at", Problem: "missing", Err: dialgate.ErrInvalidOutcome}
	}
	var errs []error
	for _, p := range started {
		if err := c.recordPause(ctx, p, o); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// recordPause records o under pause p, if p applies to o's dial.
func (c *CapCheck) recordPause(ctx context.Context, p *capRule, o dialgate.Outcome) error {
	if len(p.cap.Purposes) > 0 && !o.Dial.Purpose.IsValid() {
		// Without the call's purpose the pause cannot tell whether it
		// applies: ignoring the outcome would allow the re-call.
		return &dialgate.FieldError{Field: "dial.purpose", Problem: fmt.Sprintf("%q is not a purpose; the pause after %s (%s) needs the purpose the call was placed for", string(o.Dial.Purpose), p.pause.event, p.desc), Err: dialgate.ErrInvalidOutcome}
	}
	if !appliesTo(p.cap.Purposes, o.Dial.Purpose) {
		return nil
	}
	if perSubject(p.cap.Per) && blankSubject(o.Dial.Subject) {
		return &dialgate.FieldError{Field: "dial.subject", Problem: "missing; the pause after " + p.pause.event + " (" + p.desc + ") needs the matter the call was about", Err: dialgate.ErrInvalidOutcome}
	}
	hash := c.scopeHash(o.Dial, p.cap.Per)
	key := "frequency|" + string(hash[:]) + p.suffix
	limits := []storage.Limit{{Key: key, Window: p.cap.Window.Std(), Max: pauseRecordMax}}
	// While an earlier configuration's key of this pause is carried, the
	// outcome is recorded under it too, in the same reservation, so that the
	// hosts and checks still counting under it see it.
	for i := range p.carries {
		if cr := &p.carries[i]; o.At.Before(cr.until) {
			limits = append(limits, storage.Limit{Key: "frequency|" + string(hash[:]) + cr.suffix, Window: cr.record, Max: pauseRecordMax})
		}
	}
	base := len(limits)
	// A French overseas line's outcome is also recorded under its other
	// spelling's keys, which the check reads too (see otherSpelling), so
	// that hosts of a fleet still running a release that counted each
	// spelling apart see it as well.
	if alt, ok := otherSpelling(o.Dial.To); ok && p.cap.Per != CapPerSubject {
		ad := o.Dial
		ad.To = alt
		ah := c.hashOf(ad, p.cap.Per)
		for _, l := range slices.Clone(limits[:base]) {
			l.Key = "frequency|" + string(ah[:]) + strings.TrimPrefix(l.Key, "frequency|"+string(hash[:]))
			limits = append(limits, l)
		}
	}
	// So is an outcome about a subject spelt otherwise than it is counted
	// (see normSubject): hosts of a release counting a subject as spelt
	// read that key, and a dial spelling the subject so reads it too.
	if perSubject(p.cap.Per) && normSubject(o.Dial.Subject) != o.Dial.Subject {
		sd := o.Dial
		sd.To = canonicalCallee(sd.To)
		sh := c.hashOf(sd, p.cap.Per)
		for _, l := range limits[:base] {
			l.Key = "frequency|" + string(sh[:]) + strings.TrimPrefix(l.Key, "frequency|"+string(hash[:]))
			limits = append(limits, l)
		}
	}
	// Each key is kept an hour (storage.PruneMargin) past the window it is
	// recorded with, as a cap's reservation keeps its keys: a store's expiry
	// made by a clock ahead (this host before its clock was stepped back)
	// drops no outcome a dial decided by the right clock still counts.
	limits = storage.WithPruneMargin(limits)
	_, _, err := c.counters.Reserve(ctx, p.pause.record+o.DecisionID+"|"+key, o.At, limits)
	if err != nil {
		return fmt.Errorf("frequency: record %s: %w", p.pause.event, err)
	}
	return nil
}

// limits returns the limits of the rules that apply to d, and the rules; the
// pauses (those that apply) come last, as check-only limits: Usage reports on
// them like on any limit, Reserve checks them without recording them (only
// ObserveOutcome records under a pause key). A cap group or pause carrying an
// earlier configuration's key (WithCounterHistory) adds, while d.At is
// before the carrying ends, its carried rules right after it. The limits
// depend on d alone, so Attest and Commit compute the same.
//
// For a French overseas line, the limits of the rules counting per callee
// are followed by one check-only limit each under the line's other spelling
// (otherSpelling), with the rule's window and Count (1 for a pause); for a
// dial whose subject is spelt otherwise than it is counted (normSubject),
// the limits of the rules counting per subject by one each under the
// subject as spelt. beside has, for each of those, the index of the limit
// it stands beside (a limit can have two). Nothing is recorded under them
// by a dial; fitOtherSpelling and foldOtherSpelling count them in. The
// subject of a dial no per-subject rule counts is not looked at (no
// allocation), nor normalised again when it is already normalised ASCII.
func (c *CapCheck) limits(d dialgate.Dial) ([]storage.Limit, []*capRule, []int) {
	return c.limitsInto(d, make([]*capRule, 0, c.maxLimits))
}

// limitsInto is limits appending the rules to rules (empty), so that a
// caller can keep them on its stack (limitRulesBuf).
func (c *CapCheck) limitsInto(d dialgate.Dial, rules []*capRule) ([]storage.Limit, []*capRule, []int) {
	limits := make([]storage.Limit, 0, c.maxLimits)
	var (
		hashes [3][32]byte // hex, by scope: callee, subject, callee_subject
		hashed [3]bool
	)
	add := func(r *capRule, max int, checkOnly bool) {
		key := ""
		if n := len(rules); n > 0 && rules[n-1].suffix == r.suffix {
			key = limits[n-1].Key // same counter as the previous cap
		} else {
			si := scopeIndex(r.cap.Per)
			if !hashed[si] {
				hashes[si], hashed[si] = c.scopeHash(d, r.cap.Per), true
			}
			key = "frequency|" + string(hashes[si][:]) + r.suffix // one allocation
		}
		limits = append(limits, storage.Limit{Key: key, Window: c.countedWindow(r), Max: max, CheckOnly: checkOnly})
		rules = append(rules, r)
	}
	for i := range c.caps {
		r := &c.caps[i]
		if !appliesTo(r.cap.Purposes, d.Purpose) {
			continue
		}
		add(r, r.cap.Count, false)
		for j := range r.carries {
			if cr := &r.carries[j]; d.At.Before(cr.until) {
				for k := range cr.rules {
					add(&cr.rules[k], cr.rules[k].cap.Count, false)
				}
			}
		}
	}
	for i := range c.pauses {
		p := &c.pauses[i]
		if !appliesTo(p.cap.Purposes, d.Purpose) {
			continue
		}
		add(p, 1, true)
		for j := range p.carries {
			if cr := &p.carries[j]; d.At.Before(cr.until) {
				add(&cr.rules[0], 1, true)
			}
		}
	}
	base := len(limits)
	var beside []int
	// besideOf adds, for each limit before base that want accepts, a
	// check-only limit under the key hash names for its scope, with the
	// rule's window and Count (1 for a pause).
	besideOf := func(want func(r *capRule) bool, hash func(per CapScope) [32]byte) {
		hashed = [3]bool{}
		for i := 0; i < base; i++ {
			r := rules[i]
			if r.horizon || !want(r) {
				continue // the horizon counts nothing
			}
			si := scopeIndex(r.cap.Per)
			if !hashed[si] {
				hashes[si], hashed[si] = hash(r.cap.Per), true
			}
			l := limits[i]
			l.Key, l.CheckOnly = "frequency|"+string(hashes[si][:])+r.suffix, true
			if r.pause == nil {
				l.Max = r.cap.Count
			}
			limits = append(limits, l)
			rules = append(rules, r)
			beside = append(beside, i)
		}
	}
	if alt, ok := otherSpelling(d.To); ok {
		ad := d
		ad.To = alt
		besideOf(func(r *capRule) bool {
			return r.cap.Per != CapPerSubject || d.Subject == "" // a subject alone has no callee
		}, func(per CapScope) [32]byte { return c.hashOf(ad, per) })
	}
	if d.Subject != "" && c.hasSubjectRule(rules[:base]) && normSubject(d.Subject) != d.Subject {
		sd := d
		sd.To = canonicalCallee(d.To)
		besideOf(func(r *capRule) bool { return perSubject(r.cap.Per) },
			func(per CapScope) [32]byte { return c.hashOf(sd, per) })
	}
	return limits, rules, beside
}

// hasSubjectRule reports whether a rule of rules counts per subject.
func (c *CapCheck) hasSubjectRule(rules []*capRule) bool {
	for _, r := range rules {
		if perSubject(r.cap.Per) {
			return true
		}
	}
	return false
}

// fitOtherSpelling lowers the Max of each cap's limit by the calls counted
// under the line's other spelling and the subject as spelt (the check-only
// limits beside names, see limits: their sum), read first, so that the
// reservation takes a slot only when the calls under every spelling leave
// one. This build records nothing under
// the other spelling, so, once every host of a fleet runs it, that count can
// only fall between the read and the reservation (its calls leave the
// window, a release): a Max computed from it is never too high, and the
// reservation, atomic on the line's one counting key, never lets two dials
// under the two spellings both take the last slot. While hosts of an older
// build still record under the spelling they are given, a dial there and
// one here can both take a last slot (docs/deploy.md: upgrade every host).
// (A cap's key of a subject as spelt is recorded under only when that
// spelling is the normalised one, and then it is no beside key.) When the other
// spellings alone fill a cap, the check-only limit holding most of their
// calls gets its count as Max and refuses the dial. A dial without beside
// limits, or rules without caps, read nothing.
func (c *CapCheck) fitOtherSpelling(ctx context.Context, t time.Time, limits []storage.Limit, rules []*capRule, beside []int) error {
	base := len(limits) - len(beside)
	var read []storage.Limit
	var at []int
	for j, k := range beside {
		if rules[k].pause == nil {
			read = append(read, limits[base+j])
			at = append(at, j)
		}
	}
	if len(read) == 0 {
		return nil
	}
	us, err := c.counters.Usage(ctx, t, read)
	if err != nil {
		return fmt.Errorf("frequency: %w", err)
	}
	if len(us) != len(read) {
		return fmt.Errorf("frequency: store returned %d usages for %d limits", len(us), len(read))
	}
	// A rule can have two (a French overseas line's other spelling and the
	// subject as spelt): its room is what their sum leaves.
	for i, j := range at {
		limits[beside[j]].Max -= us[i].Count
	}
	for i, j := range at {
		k := beside[j]
		if limits[k].Max >= 1 {
			continue
		}
		// The other keys alone fill the cap, and the Max of a limit
		// cannot be 0: the one holding most calls refuses the dial, as
		// its check-only limit with its own count as Max.
		limits[k].Max = 1
		most := i
		for i2, j2 := range at {
			if beside[j2] == k && us[i2].Count > us[most].Count {
				most = i2
			}
		}
		if us[most].Count > 0 {
			limits[base+at[most]].Max = us[most].Count
		}
	}
	return nil
}

// foldOtherSpelling folds the usage of each check-only limit under a French
// overseas line's other spelling or a subject as spelt into the usage of
// the limit it stands beside, and returns the usages and rules without them: a cap's count is
// the sum (nothing is recorded under both), a pause's the larger (an outcome
// is recorded under both); exceeded if either is, the later next allowed
// instant.
func foldOtherSpelling(us []storage.Usage, rules []*capRule, beside []int) ([]storage.Usage, []*capRule) {
	base := len(us) - len(beside)
	for j, k := range beside {
		p, u := &us[k], us[base+j]
		if rules[k].pause == nil {
			p.Count += u.Count
		} else {
			p.Count = max(p.Count, u.Count)
		}
		if u.Exceeded {
			if !p.Exceeded || u.NextAt.After(p.NextAt) {
				p.NextAt = u.NextAt
			}
			p.Exceeded = true
		}
	}
	return us[:base], rules[:base]
}

// ErrNoSubject is returned (wrapped) by the frequency check for a dial without
// a Subject when a cap or pause of its purpose counts per subject: the matter
// is unknown, so the dial cannot be counted (it would get a count of its own
// and slip past the calls and conversations about its real matter).
var ErrNoSubject = errors.New("schedule: dial has no subject")

func perSubject(s CapScope) bool { return s == CapPerSubject || s == CapPerCalleeSubject }

// needSubject fails closed for a dial without a Subject under a per-subject rule.
// A subject of white space or invisible characters alone is no subject (it
// would be counted under "", one count for every such dial). Dials without
// a per-subject rule do not look at their subject.
func (c *CapCheck) needSubject(d dialgate.Dial) error {
	for i := range c.caps {
		if r := &c.caps[i]; perSubject(r.cap.Per) && appliesTo(r.cap.Purposes, d.Purpose) {
			if !blankSubject(d.Subject) {
				return nil
			}
			return fmt.Errorf("frequency: the cap %s counts calls per subject and the dial has no subject: %w", r.desc, ErrNoSubject)
		}
	}
	for i := range c.pauses {
		if p := &c.pauses[i]; perSubject(p.cap.Per) && appliesTo(p.cap.Purposes, d.Purpose) {
			if !blankSubject(d.Subject) {
				return nil
			}
			return fmt.Errorf("frequency: the pause %s counts per subject and the dial has no subject: %w", p.desc, ErrNoSubject)
		}
	}
	return nil
}

func scopeIndex(s CapScope) int {
	switch s {
	case CapPerSubject:
		return 1
	case CapPerCalleeSubject:
		return 2
	}
	return 0
}

// scopeHash returns the hex keyed hash (32 digits) naming whose calls a rule of scope per
// counts for d. A dial without a Subject falls back to the callee. A French
// overseas line is hashed in one spelling whichever d uses (canonicalCallee),
// so that its two spellings count as one callee, and a subject in its
// normalised spelling (normSubject), so that "Solar" and " solar " count as
// one subject.
func (c *CapCheck) scopeHash(d dialgate.Dial, per CapScope) [32]byte {
	d.To = canonicalCallee(d.To)
	if perSubject(per) {
		d.Subject = normSubject(d.Subject)
	}
	return c.hashOf(d, per)
}

// canonicalCallee returns the spelling a French overseas line is counted
// under: the territory's own country code (+596 596 12 34 56 for
// +33 596 12 34 56), as E.164 has it (numbering.OverseasLine). Any other
// number is returned as it is.
func canonicalCallee(n dialgate.Number) dialgate.Number { return numbering.OverseasLine(n) }

// otherSpelling returns, for a French overseas line, the spelling it is not
// counted under (the +33 one): a release before the spellings were counted
// as one kept the calls and outcomes dialled under it under its own keys,
// which the check therefore keeps reading. For a 10-digit Mexican number it
// returns the withdrawn prefix-1 spelling (+52 1 55 … for +52 55 …,
// numbering.MexicoPrefixOneAlias), under which earlier builds counted the
// line's calls and outcomes before dials had to be written without the 1.
// ok is false for any other number.
func otherSpelling(n dialgate.Number) (dialgate.Number, bool) {
	if alt, ok := numbering.MexicoPrefixOneAlias(n); ok {
		return alt, true
	}
	c := canonicalCallee(n)
	return numbering.OverseasAlias(c)
}

// hashOf is scopeHash for d's callee and subject as spelt. Fields are separated by NUL
// (Dial.Validate forbids control characters in them). The message and the
// sum are built in the pooled capHasher, so that hashing allocates nothing.
func (c *CapCheck) hashOf(d dialgate.Dial, per CapScope) (out [32]byte) {
	st := c.hashers.Get().(*capHasher)
	msg := st.in[:0]
	switch {
	case per == CapPerSubject && d.Subject != "":
		msg = append(msg, "subject\x00"...)
		msg = append(append(msg, d.Tenant...), 0)
		msg = append(msg, d.Subject...)
	case per == CapPerCalleeSubject && d.Subject != "":
		msg = append(msg, "callee_subject\x00"...)
		msg = append(append(msg, d.Tenant...), 0)
		msg = append(strconv.AppendUint(msg, d.To.Uint64(), 10), 0)
		msg = append(msg, d.Subject...)
	default:
		msg = append(msg, "callee\x00"...)
		msg = append(append(msg, d.Tenant...), 0)
		msg = strconv.AppendUint(msg, d.To.Uint64(), 10)
	}
	st.h.Reset()
	st.h.Write(msg)
	sum := st.h.Sum(st.sum[:0])
	hex.Encode(out[:], sum[:16])
	if cap(msg) <= capHasherKeep {
		st.in = msg[:0] // keep a buffer grown by a long subject, up to a bound
	}
	c.hashers.Put(st)
	return out
}

// capHasher is the keyed hash of counter keys with its buffers, pooled
// together so that hashing a dial's scope allocates nothing.
type capHasher struct {
	h   hash.Hash
	in  []byte
	sum [sha256.Size]byte
}

// capHasherKeep is the largest message buffer a pooled capHasher keeps.
const capHasherKeep = 1 << 10

// reasons turns exceeded usages into frequency.capped reasons, after
// merging the usage of each carried rule into its primary's (see merge).
func (c *CapCheck) reasons(us []storage.Usage, rules []*capRule) []dialgate.Reason {
	merge(us, rules)
	var rs []dialgate.Reason
	for i, u := range us {
		if !u.Exceeded {
			continue
		}
		r := rules[i]
		var msg string
		if r.pause != nil {
			msg = r.pause.reported + ": " + r.desc
		} else {
			calls := " calls in the window, cap "
			if u.Count == 1 {
				calls = " call in the window, cap "
			}
			msg = "frequency cap reached: " + strconv.Itoa(u.Count) + calls + r.desc +
				" (counted over " + spanString(c.countedWindow(r)) + ": an allow may be dialled up to " +
				spanString(c.lifetime) + " after its decision)"
		}
		ev := []dialgate.Evidence{
			{Key: "frequency.cap", Value: r.desc},
			{Key: "frequency.count", Value: strconv.Itoa(u.Count)},
		}
		if !u.NextAt.IsZero() {
			ev = append(ev, dialgate.Evidence{Key: "frequency.next_allowed_at", Value: u.NextAt.Format(time.RFC3339Nano)})
		}
		ev = append(ev, dialgate.Evidence{Key: "frequency.cite", Value: r.cap.Cite.String()})
		rs = append(rs, dialgate.Reason{
			Code:          dialgate.CodeFrequencyCapped,
			Message:       msg,
			NextAllowedAt: u.NextAt,
			Evidence:      ev,
		})
	}
	return rs
}

// merge folds the usage of each rule counting under an earlier
// configuration's key into the usage of the rule it stands for, which comes
// before it: the larger count, exceeded if either is, the later next allowed
// instant. The carried usage is then left not exceeded, so that a dial over
// a cap is reported once. A carried usage whose primary is not among rules
// (never: they apply to the same purposes) is left as it is, and reported on
// its own.
func merge(us []storage.Usage, rules []*capRule) {
	for i, r := range rules {
		if r.primary == nil {
			continue
		}
		k := slices.Index(rules[:i], r.primary)
		if k < 0 {
			continue
		}
		p, u := &us[k], &us[i]
		p.Count = max(p.Count, u.Count)
		if u.Exceeded {
			if !p.Exceeded || u.NextAt.After(p.NextAt) {
				p.NextAt = u.NextAt
			}
			p.Exceeded = true
			u.Exceeded = false
		}
	}
}

var (
	_ dialgate.Attester        = (*CapCheck)(nil)
	_ dialgate.Committer       = (*CapCheck)(nil)
	_ dialgate.Recounter       = (*CapCheck)(nil)
	_ dialgate.OutcomeObserver = (*CapCheck)(nil)
	_ dialgate.LifetimeCounter = (*CapCheck)(nil)
)

// limitRulesBuf is how many rules Attest and Commit keep on the stack (a
// dial with more gets them on the heap).
const limitRulesBuf = 16

// spanString writes a counted window or a lifetime briefly: "6m", "24h1m",
// "30d1m", "90s".
func spanString(d time.Duration) string {
	var days string
	if d >= 48*time.Hour {
		days = strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
		d %= 24 * time.Hour
		if d == 0 {
			return days
		}
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return days + s
}
