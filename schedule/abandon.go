package schedule

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage"
)

// ErrInvalidAbandon is wrapped by every error AbandonConfig.Validate and
// NewAbandonCheck return for a bad abandoned-call rate cap.
var ErrInvalidAbandon = errors.New("schedule: invalid abandoned-call rate cap")

// CodeAbandonRateExceeded is the reason code of a dial denied because its
// campaign's abandoned-call rate is above the profile's cap (AbandonCheck).
// It equals dialgate.CodeAbandonRateExceeded.
const CodeAbandonRateExceeded = dialgate.CodeAbandonRateExceeded

// AbandonConfig is the abandonment section of a profile (`abandonment:` in a
// profile file): a cap on a campaign's abandoned-call rate, the abandoned
// calls over the calls a person answered, in a sliding window — the US
// Telemarketing Sales Rule's and the FCC's 3 % per campaign per 30 days,
// Ofcom's 3 % per campaign per 24 hours. It is plain data; NewAbandonCheck
// validates it.
//
// A dial of a covered purpose is denied (abandon.rate_exceeded) while its
// campaign's rate over the window is above MaxRate, unless an agent is
// reserved for it (dialgate.Dial.AgentReserved): such a call cannot be
// abandoned — until, within the window, a call of the campaign whose dial
// said so is reported abandoned (see AbandonCheck). The rate is measured
// over the outcomes reported through Gate.ReportOutcome.
//
// The zero AbandonConfig is invalid (MaxRate, Window and Cite are required):
// a profile without the rule has no abandonment section.
type AbandonConfig struct {
	// MaxRate is the highest abandoned-call rate allowed, as a fraction of
	// the calls a person answered (0.03 for 3 %). More than 0, at most 1,
	// with at most 6 decimal places.
	MaxRate float64 `json:"max_rate"`
	// Window is the length of the sliding window the rate is measured over
	// ("720h" or "30d", "24h"). At least one minute; at most 366 days.
	Window dialgate.Duration `json:"window"`
	// Purposes limits the rule to dials of these purposes, whose outcomes
	// are then also the only ones counted. Empty means every purpose.
	Purposes []dialgate.Purpose `json:"purposes,omitempty"`
	// Cite says where the rule comes from. Required.
	Cite dialgate.Citation `json:"cite"`
}

// abandonRateScale is the scale of MaxRate's fixed-point form: the rate is
// compared in millionths, so that 3 abandoned of 100 answered is exactly at
// a cap of 0.03 (not above it by a rounding error).
const abandonRateScale = 1_000_000

// Validate reports the first malformed field as an error wrapping
// ErrInvalidAbandon and naming the field, e.g.
// "abandonment.max_rate: 1.5 is more than 1".
func (c AbandonConfig) Validate() error {
	const f = "abandonment"
	switch r := c.MaxRate; {
	case math.IsNaN(r) || math.IsInf(r, 0):
		return abandonErr(f+".max_rate", "%v is not a number", r)
	case r < 0:
		return abandonErr(f+".max_rate", "%v is negative", r)
	case r == 0:
		return abandonErr(f+".max_rate", "missing or 0 (want a fraction such as 0.03 for 3 %%)")
	case r > 1:
		return abandonErr(f+".max_rate", "%v is more than 1 (a fraction: 0.03 is 3 %%)", r)
	case math.Abs(r*abandonRateScale-math.Round(r*abandonRateScale)) > 1e-6:
		return abandonErr(f+".max_rate", "%v has more than 6 decimal places", r)
	}
	switch w := c.Window; {
	case w < 0:
		return abandonErr(f+".window", "%s is negative", w)
	case w == 0:
		return abandonErr(f+".window", "missing or zero (want e.g. 24h or 30d)")
	case w.Std() > maxCapWindow:
		return abandonErr(f+".window", "%s is longer than 366 days", w)
	case w.Std() < minCapWindow:
		// A unit mistake ("30s" for 30 days), as for a cap's window: the
		// calls answered would leave the window at once, and the rate be
		// read from almost nothing.
		return abandonErr(f+".window", "%s is shorter than a minute (a unit mistake? want e.g. 24h or 30d)", w)
	}
	for j, p := range c.Purposes {
		if !p.IsValid() {
			return abandonErr(f+".purposes["+strconv.Itoa(j)+"]", "unknown purpose %q (want marketing, service, callback, collections or survey)", string(p))
		}
		if slices.Contains(c.Purposes[:j], p) {
			return abandonErr(f+".purposes["+strconv.Itoa(j)+"]", "duplicate purpose %q", string(p))
		}
	}
	if err := c.Cite.Validate(f + ".cite"); err != nil {
		return fmt.Errorf("%w: %w", err, ErrInvalidAbandon)
	}
	return nil
}

func abandonErr(field, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %w", field, fmt.Sprintf(format, args...), ErrInvalidAbandon)
}

// String describes the rule in plain words: "at most 3% of the calls a
// person answered abandoned, per campaign, in 30d (marketing)".
func (c AbandonConfig) String() string {
	s := "at most " + ratePercent(c.MaxRate) + " of the calls a person answered abandoned, per campaign, in " + windowString(c.Window)
	if len(c.Purposes) > 0 {
		ps := make([]string, len(c.Purposes))
		for i, p := range c.Purposes {
			ps[i] = string(p)
		}
		s += " (" + strings.Join(ps, ", ") + ")"
	}
	return s
}

// WindowText returns Window in the largest whole unit: "30d", "24h", "1h".
func (c AbandonConfig) WindowText() string { return windowString(c.Window) }

// MaxRatePercent returns MaxRate as a percentage: "3%" for 0.03.
func (c AbandonConfig) MaxRatePercent() string { return ratePercent(c.MaxRate) }

// ratePercent formats a fraction as a percentage: 0.03 → "3%", 0.025 → "2.5%".
func ratePercent(r float64) string {
	return strconv.FormatFloat(math.Round(r*abandonRateScale)/(abandonRateScale/100), 'f', -1, 64) + "%"
}

// AbandonCheck is the "abandon" check: a campaign's abandoned-call rate cap
// (AbandonConfig). It implements dialgate.Checker, dialgate.Attester and
// dialgate.OutcomeObserver; it reserves nothing.
//
// ObserveOutcome counts, per tenant and campaign, the calls a person answered
// (an outcome with Answered, Abandoned, Conversation or Refused, each of which
// needs a person, as the quarterly report counts them) and, of those, the
// abandoned ones (Outcome.Abandoned), at the outcome's instant (Outcome.At),
// in the storage.Counters the Gates of a fleet share. Attest reads both
// counts at the dial's instant and denies a dial of a covered purpose with
// abandon.rate_exceeded when abandoned > MaxRate × answered, unless the dial
// has an agent reserved (dialgate.Dial.AgentReserved), which it allows with
// the evidence "abandon.agent_reserved" — unless, within the window, an
// outcome reported abandoned a call of the campaign whose dial said an agent
// was reserved (such outcomes are counted under
// "abandon.reserved_abandoned|…"): the claim has then been shown not to
// hold for the campaign, and its reserved dials are judged by the rate like
// the others (evidence "abandon.reserved_abandoned"). A store error or
// time-out is the Gate's abandon.unavailable (fail closed), for reserved
// dials too.
//
// A dial or outcome with an empty campaign is counted under the empty
// campaign, one campaign of its own per tenant.
//
// Recording an outcome keeps the counts an hour past the window before it
// may prune them, so that a dial decided by a clock up to an hour behind
// the recording one (another host of a fleet, or a clock stepped back)
// still counts every outcome its window holds.
//
// Counting is idempotent by decision: an outcome of a decision already
// counted (a retried report, or a second report of the same call) counts
// nothing more, each count by its own reservation id (storage.Counters: a
// held id records nothing more); a call first reported answered and then
// abandoned counts once in each. Counter keys hold no callee number:
// "abandon.answered|<purposes>|<window>|<len>:<tenant>|<len>:<campaign>"
// and the same with "abandon.abandoned". Changing the window or the
// purposes moves the rule to new, empty keys.
//
// An AbandonCheck is safe for concurrent use. Create it with
// NewAbandonCheck.
type AbandonCheck struct {
	cfg      AbandonConfig
	ppm      int64 // MaxRate in millionths
	window   time.Duration
	suffix   string // "|<purposes>|<window>"
	desc     string
	maxRate  string // MaxRate as given, for evidence
	winText  string
	capText  string // ", cap 3%", the end of abandon.seen
	counters storage.Counters
}

// abandonRecordMax is the Max of the limits the check records and reads
// with: recording never fails for lack of room.
const abandonRecordMax = 1 << 30

// NewAbandonCheck validates cfg and returns the check, counting in counters.
func NewAbandonCheck(cfg AbandonConfig, counters storage.Counters) (*AbandonCheck, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if counters == nil {
		return nil, fmt.Errorf("abandon: counters: nil store: %w", ErrInvalidAbandon)
	}
	cfg.Purposes = slices.Clone(cfg.Purposes)
	ps := make([]string, len(cfg.Purposes))
	for i, p := range cfg.Purposes {
		ps[i] = string(p)
	}
	slices.Sort(ps)
	return &AbandonCheck{
		cfg:      cfg,
		ppm:      int64(math.Round(cfg.MaxRate * abandonRateScale)),
		window:   cfg.Window.Std(),
		suffix:   "|" + strings.Join(ps, ",") + "|" + windowString(cfg.Window),
		desc:     cfg.String(),
		maxRate:  strconv.FormatFloat(cfg.MaxRate, 'f', -1, 64),
		winText:  windowString(cfg.Window),
		capText:  ", cap " + ratePercent(cfg.MaxRate),
		counters: counters,
	}, nil
}

// Name returns "abandon".
func (c *AbandonCheck) Name() string { return "abandon" }

// Config returns the rule the check enforces.
func (c *AbandonCheck) Config() AbandonConfig {
	cfg := c.cfg
	cfg.Purposes = slices.Clone(cfg.Purposes)
	return cfg
}

// Check reports abandon.rate_exceeded when d's campaign's abandoned-call rate
// is above the cap and d has no agent reserved.
func (c *AbandonCheck) Check(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, error) {
	rs, _, err := c.evaluate(ctx, d, false)
	return rs, err
}

// Attest is Check that also returns, for a passing dial of a covered purpose,
// the counts seen ("abandon.seen") or that an agent is reserved
// ("abandon.agent_reserved").
func (c *AbandonCheck) Attest(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, []dialgate.Evidence, error) {
	return c.evaluate(ctx, d, true)
}

// reservedKey returns the counter key of the abandoned calls of tenant's
// campaign whose dials said an agent was reserved (Dial.AgentReserved):
// "abandon.reserved_abandoned" followed by the rule's suffix and the
// length-prefixed tenant and campaign, as keys builds its two.
func (c *AbandonCheck) reservedKey(tenant, campaign string) string {
	const head = "abandon.reserved_abandoned"
	return string(c.appendKey(make([]byte, 0, len(head)+c.keyLen(tenant, campaign)), head, tenant, campaign))
}

// keys returns the counter keys of tenant and campaign, built in one
// allocation: "abandon.answered" and "abandon.abandoned", each followed by
// the rule's suffix and the length-prefixed tenant and campaign (so that no
// tenant and campaign can spell another pair's key).
func (c *AbandonCheck) keys(tenant, campaign string) (answered, abandoned string) {
	const a, x = "abandon.answered", "abandon.abandoned"
	n := c.keyLen(tenant, campaign)
	b := make([]byte, 0, len(a)+len(x)+2*n)
	b = c.appendKey(b, a, tenant, campaign)
	k := len(b)
	both := string(c.appendKey(b, x, tenant, campaign))
	return both[:k], both[k:]
}

// keyLen is the length of a counter key of tenant and campaign (appendKey)
// without its head, lengths of up to four digits assumed (a longer one only
// grows the buffer).
func (c *AbandonCheck) keyLen(tenant, campaign string) int {
	return len(c.suffix) + len(tenant) + len(campaign) + 2*4 + 2*3
}

// appendKey appends to b the counter key head of tenant and campaign: head,
// the rule's suffix, then "|<len>:<tenant>|<len>:<campaign>".
func (c *AbandonCheck) appendKey(b []byte, head, tenant, campaign string) []byte {
	b = append(b, head...)
	b = append(b, c.suffix...)
	b = append(strconv.AppendInt(append(b, '|'), int64(len(tenant)), 10), ':')
	b = append(b, tenant...)
	b = append(strconv.AppendInt(append(b, '|'), int64(len(campaign)), 10), ':')
	return append(b, campaign...)
}

// over reports whether abandoned of answered is above the cap.
func (c *AbandonCheck) over(answered, abandoned int) bool {
	return int64(abandoned)*abandonRateScale > c.ppm*int64(answered)
}

func (c *AbandonCheck) evaluate(ctx context.Context, d dialgate.Dial, evidence bool) ([]dialgate.Reason, []dialgate.Evidence, error) {
	if !appliesTo(c.cfg.Purposes, d.Purpose) {
		return nil, nil, nil
	}
	ak, bk := c.keys(d.Tenant, d.Campaign)
	limits := [3]storage.Limit{
		{Key: ak, Window: c.window, Max: abandonRecordMax},
		{Key: bk, Window: c.window, Max: abandonRecordMax},
	}
	n := 2
	if d.AgentReserved {
		// The claim is trusted unless one of the campaign's reserved
		// calls was reported abandoned within the window.
		limits[2] = storage.Limit{Key: c.reservedKey(d.Tenant, d.Campaign), Window: c.window, Max: abandonRecordMax}
		n = 3
	}
	us, err := c.counters.Usage(ctx, d.At, limits[:n])
	if err != nil {
		return nil, nil, fmt.Errorf("abandon: %w", err)
	}
	if len(us) != n {
		return nil, nil, fmt.Errorf("abandon: store returned %d usages for %d limits", len(us), n)
	}
	reservedAbandoned := 0
	if d.AgentReserved {
		if reservedAbandoned = us[2].Count; reservedAbandoned == 0 {
			if !evidence {
				return nil, nil, nil
			}
			return nil, []dialgate.Evidence{{Key: "abandon.agent_reserved", Value: "true: a person who answers is connected to the reserved agent, so the call cannot be abandoned; the campaign's rate is not checked"}}, nil
		}
	}
	answered, abandoned := us[0].Count, us[1].Count
	if !c.over(answered, abandoned) {
		if !evidence {
			return nil, nil, nil
		}
		return nil, []dialgate.Evidence{{Key: "abandon.seen", Value: c.seen(d.Campaign, answered, abandoned)}}, nil
	}
	rate := rateText(answered, abandoned)
	rs := dialgate.Reason{
		Code: dialgate.CodeAbandonRateExceeded,
		Message: fmt.Sprintf("campaign %q abandoned %d of %d answered calls in the last %s (%s), above the cap of %s; only a dial with an agent reserved (agent_reserved) may be placed",
			d.Campaign, abandoned, answered, c.winText, ratePercentOf(answered, abandoned), ratePercent(c.cfg.MaxRate)),
		Evidence: []dialgate.Evidence{
			{Key: "abandon.campaign", Value: d.Campaign},
			{Key: "abandon.answered", Value: strconv.Itoa(answered)},
			{Key: "abandon.abandoned", Value: strconv.Itoa(abandoned)},
			{Key: "abandon.rate", Value: rate},
			{Key: "abandon.max_rate", Value: c.maxRate},
			{Key: "abandon.window", Value: c.winText},
			{Key: "abandon.cite", Value: c.cfg.Cite.String()},
		},
	}
	if reservedAbandoned > 0 {
		rs.Message = fmt.Sprintf("campaign %q abandoned %d of %d answered calls in the last %s (%s), above the cap of %s; the dial says an agent is reserved (agent_reserved), but %d of the campaign's calls that said so were reported abandoned in the last %s, so it does not exempt the campaign's dials until they leave the window",
			d.Campaign, abandoned, answered, c.winText, ratePercentOf(answered, abandoned), ratePercent(c.cfg.MaxRate), reservedAbandoned, c.winText)
		rs.Evidence = append(rs.Evidence, dialgate.Evidence{Key: "abandon.reserved_abandoned", Value: strconv.Itoa(reservedAbandoned)})
	}
	return []dialgate.Reason{rs}, nil, nil
}

// seen is the evidence of a passing dial: "1 abandoned of 40 answered
// (2.5%) in 30d, campaign \"winter\", cap 3%".
func (c *AbandonCheck) seen(campaign string, answered, abandoned int) string {
	b := make([]byte, 0, 64+len(c.winText)+len(campaign)+len(c.capText))
	b = strconv.AppendInt(b, int64(abandoned), 10)
	b = append(b, " abandoned of "...)
	b = strconv.AppendInt(b, int64(answered), 10)
	b = append(b, " answered ("...)
	b = appendPercentOf(b, answered, abandoned)
	b = append(b, ") in "...)
	b = append(b, c.winText...)
	b = append(b, ", campaign "...)
	b = strconv.AppendQuote(b, campaign)
	b = append(b, c.capText...)
	return string(b)
}

// rateText is abandoned ÷ answered as a fraction with 4 decimals ("0.0500");
// "0" when nothing was answered.
func rateText(answered, abandoned int) string {
	if answered == 0 {
		return "0"
	}
	return strconv.FormatFloat(float64(abandoned)/float64(answered), 'f', 4, 64)
}

// ratePercentOf is abandoned ÷ answered as a percentage with up to 2
// decimals ("5%", "2.5%", "2.94%"); "0%" when nothing was answered.
func ratePercentOf(answered, abandoned int) string {
	return string(appendPercentOf(nil, answered, abandoned))
}

// appendPercentOf appends ratePercentOf(answered, abandoned) to b, in
// integers (hundredths of a percent, rounded half up).
func appendPercentOf(b []byte, answered, abandoned int) []byte {
	if answered <= 0 {
		return append(b, "0%"...)
	}
	h := (int64(abandoned)*20000 + int64(answered)) / (2 * int64(answered))
	b = strconv.AppendInt(b, h/100, 10)
	if f := h % 100; f != 0 {
		b = append(b, '.', byte('0'+f/10))
		if f%10 != 0 {
			b = append(b, byte('0'+f%10))
		}
	}
	return append(b, '%')
}

// answered reports whether o says a person answered the call.
func answered(o dialgate.Outcome) bool {
	return o.Answered || o.Abandoned || o.Conversation || o.Refused
}

// ObserveOutcome counts, at o.At, a call a person answered (Outcome.Answered,
// Abandoned, Conversation or Refused) under its dial's tenant and campaign,
// and, when Abandoned, the abandoned call; other outcomes are ignored. It
// needs o.Dial (tenant, campaign, purpose): such an outcome without the
// dial's callee or with no valid purpose is an error wrapping
// dialgate.ErrInvalidOutcome (ignoring it would understate the rate).
// Outcomes of dials of purposes the rule does not cover are ignored. The
// abandoned call is recorded before the answered one, so that a failure
// between the two overstates the rate, never understates it; both are
// idempotent by o.DecisionID, so the report can be retried.
func (c *AbandonCheck) ObserveOutcome(ctx context.Context, o dialgate.Outcome) error {
	if o.Released || !answered(o) {
		return nil
	}
	if !o.Dial.To.IsValid() {
		return &dialgate.FieldError{Field: "dial.to", Problem: "an outcome of an answered call needs the decided dial (Outcome.Dial) for the campaign's abandoned-call rate", Err: dialgate.ErrInvalidOutcome}
	}
	if !o.Dial.Purpose.IsValid() {
		return &dialgate.FieldError{Field: "dial.purpose", Problem: fmt.Sprintf("%q is not a purpose; the abandoned-call rate (%s) needs the purpose the call was placed for", string(o.Dial.Purpose), c.desc), Err: dialgate.ErrInvalidOutcome}
	}
	if o.At.IsZero() {
		return &dialgate.FieldError{Field: "at", Problem: "missing", Err: dialgate.ErrInvalidOutcome}
	}
	if !appliesTo(c.cfg.Purposes, o.Dial.Purpose) {
		return nil
	}
	ak, bk := c.keys(o.Dial.Tenant, o.Dial.Campaign)
	if o.Abandoned && o.Dial.AgentReserved {
		if err := c.record(ctx, "abandon.reserved_abandoned:", c.reservedKey(o.Dial.Tenant, o.Dial.Campaign), o); err != nil {
			return err
		}
	}
	if o.Abandoned {
		if err := c.record(ctx, "abandon.abandoned:", bk, o); err != nil {
			return err
		}
	}
	return c.record(ctx, "abandon.answered:", ak, o)
}

// record counts o's decision once under key, with a reservation id of the
// decision and the key. The limit's window, which only bounds what the
// reservation may prune (its Max is never reached), is the rule's window
// plus storage.PruneMargin: a dial decided by a clock behind o's (another
// host, or a clock stepped back) still counts every outcome its window
// holds.
func (c *AbandonCheck) record(ctx context.Context, prefix, key string, o dialgate.Outcome) error {
	limits := [1]storage.Limit{{Key: key, Window: c.window + storage.PruneMargin, Max: abandonRecordMax}}
	if _, _, err := c.counters.Reserve(ctx, prefix+o.DecisionID+"|"+key, o.At, limits[:]); err != nil {
		return fmt.Errorf("abandon: record %s: %w", strings.TrimSuffix(strings.TrimPrefix(prefix, "abandon."), ":"), err)
	}
	return nil
}

var (
	_ dialgate.Attester        = (*AbandonCheck)(nil)
	_ dialgate.OutcomeObserver = (*AbandonCheck)(nil)
)
