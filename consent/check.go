package consent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/numbering"
	"github.com/dialgate/dialgate/storage"
)

// Name is the consent check's name and the prefix of its reason codes.
const Name = "consent"

// ErrNoInstant is returned by Check and Attest for a Dial whose At is zero
// when its purpose has a consent rule: whether the rule is in force, and a
// record valid, depends on the decision instant the Gate sets.
var ErrNoInstant = errors.New("consent: dial has no decision instant (Dial.At)")

// Evidence keys the check reports.
const (
	EvidenceID         = "consent.id"                // the consent record relied on or refused
	EvidenceDisclosure = "consent.disclosure_sha256" // its disclosure hash, when it has one
	EvidenceScope      = "consent.scope"             // its scope
	EvidenceTenant     = "consent.tenant"            // the tenant it was given to, when it names one
	EvidenceMethod     = "consent.method"            // how it was captured
	EvidenceRevokedAt  = "consent.revoked_at"        // when it was withdrawn (consent.revoked)
	EvidenceExpiresAt  = "consent.expires_at"        // when it lapsed (consent.expired)
)

// DefaultCacheSize is the number of callee numbers whose records the check
// caches when no WithCacheSize option is given.
const DefaultCacheSize = 65536

// Check is the consent check: for a dial whose purpose needs consent under the
// Config, it finds a valid consent record in scope — the one the dial names in
// ConsentID, or else any record of the callee that covers the dial (its scope,
// and its tenant when it names one; see Record.Covers) — and denies with
// consent.missing, consent.revoked, consent.expired or
// consent.scope_mismatch when there is none. It implements dialgate.Attester
// (an allowed dial's evidence names the consent id and disclosure hash) and
// dialgate.Expirer (an allow ends when the consent relied on expires).
//
// A Check caches records per callee number in an LRU cache. The cache never
// serves a revoked consent as valid, also when the revocation was written by
// another process sharing the store: every dial first reads the store's
// consent revision and, if it moved, drops the numbers whose records changed
// (see Store). A store error denies with consent.unavailable (through the Gate).
//
// A Check is safe for concurrent use. Create it with NewCheck.
type Check struct {
	store Store
	rules [numPurposes][]Requirement // by purposeIndex
	cache *cache                     // nil when caching is off
}

// CheckOption configures NewCheck.
type CheckOption func(*checkOptions) error

type checkOptions struct{ cacheSize int }

// WithCacheSize sets how many callee numbers the cache holds (default
// DefaultCacheSize). 0 turns the cache off: every dial reads the store.
// Negative sizes are an error.
func WithCacheSize(n int) CheckOption {
	return func(o *checkOptions) error {
		if n < 0 {
			return fmt.Errorf("consent: WithCacheSize(%d): negative size: %w", n, ErrInvalid)
		}
		o.cacheSize = n
		return nil
	}
}

// NewCheck returns the consent check for cfg, reading records from store.
// cfg must pass Validate; store must not be nil.
func NewCheck(cfg Config, store Store, opts ...CheckOption) (*Check, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if store == nil {
		return nil, fmt.Errorf("consent: nil store: %w", ErrInvalid)
	}
	o := checkOptions{cacheSize: DefaultCacheSize}
	for _, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("consent: nil option: %w", ErrInvalid)
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	c := &Check{store: store}
	for _, r := range cfg.Require {
		var seen [numPurposes]bool
		rr := r // a private copy: the caller may reuse cfg
		rr.Purposes = append([]dialgate.Purpose(nil), r.Purposes...)
		rr.Methods = append([]Method(nil), r.Methods...)
		for _, p := range r.Purposes {
			i := purposeIndex(p)
			if !seen[i] {
				seen[i] = true
				c.rules[i] = append(c.rules[i], rr)
			}
		}
	}
	if o.cacheSize > 0 {
		ca, err := newCache(o.cacheSize)
		if err != nil {
			return nil, fmt.Errorf("consent: cache: %w", err)
		}
		c.cache = ca
	}
	return c, nil
}

// Name returns "consent".
func (c *Check) Name() string { return Name }

// Check is Attest without the evidence of a passing dial.
func (c *Check) Check(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, error) {
	rs, _, err := c.Attest(ctx, d)
	return rs, err
}

// Required reports whether a dial for purpose p at instant t needs consent
// under the Config: some rule for p is in effect at t.
func (c *Check) Required(p dialgate.Purpose, t time.Time) bool {
	return required(c.rules[purposeIndex(p)], t)
}

func required(rules []Requirement, t time.Time) bool {
	for i := range rules {
		if !t.Before(rules[i].EffectiveFrom) {
			return true
		}
	}
	return false
}

const numPurposes = 6

// purposeIndex maps the known purposes to 1–5 and anything else to 0, which
// has no rules (Gate validates purposes before checks run).
func purposeIndex(p dialgate.Purpose) int {
	switch p {
	case dialgate.PurposeMarketing:
		return 1
	case dialgate.PurposeService:
		return 2
	case dialgate.PurposeCallback:
		return 3
	case dialgate.PurposeCollections:
		return 4
	case dialgate.PurposeSurvey:
		return 5
	}
	return 0
}

// Attest decides d at d.At. When d's purpose needs no consent at d.At it
// returns no reasons and no evidence. Otherwise it returns one reason when no
// valid record covering d satisfies every applicable rule, or the evidence of
// the record relied on (consent.id, consent.disclosure_sha256, consent.scope,
// consent.tenant when the record names one, consent.method). It returns an
// error when the store fails, and ErrNoInstant for a dial without At whose
// purpose has a consent rule.
func (c *Check) Attest(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, []dialgate.Evidence, error) {
	rs, ev, _, err := c.AttestUntil(ctx, d)
	return rs, ev, err
}

// AttestUntil is Attest that also returns, for a passing dial, the instant
// its pass ends (dialgate.Expirer): the expiry of the consent record relied
// on (Record.ExpiresAt), or the EffectiveFrom of a rule of d's purpose not
// yet in force at d.At (from then on the dial needs consent, or a stricter
// one), whichever comes first; zero when there is neither. A revocation
// cannot be foreseen: the Gate's allow lifetime bounds how long an allow
// outlives one.
func (c *Check) AttestUntil(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, []dialgate.Evidence, time.Time, error) {
	rules := c.rules[purposeIndex(d.Purpose)]
	if len(rules) > 0 && d.At.IsZero() {
		// The zero instant is before every rule's EffectiveFrom: the rule
		// would seem not yet in force and the dial to need no consent.
		return nil, nil, time.Time{}, ErrNoInstant
	}
	until := nextRule(rules, d.At)
	if !required(rules, d.At) {
		return nil, nil, until, nil
	}
	recs, err := c.records(ctx, d.To)
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	var (
		rs []dialgate.Reason
		r  *Record
	)
	if d.ConsentID != "" {
		rs, r, err = c.named(ctx, &d, rules, recs)
	} else {
		rs, r, err = c.search(&d, rules, recs)
	}
	if err != nil || r == nil {
		return rs, nil, time.Time{}, err
	}
	if !r.ExpiresAt.IsZero() && (until.IsZero() || r.ExpiresAt.Before(until)) {
		until = r.ExpiresAt
	}
	return rs, evidence(r), until, nil
}

// nextRule returns the earliest EffectiveFrom of rules after t, or zero.
func nextRule(rules []Requirement, t time.Time) time.Time {
	var next time.Time
	for i := range rules {
		if f := rules[i].EffectiveFrom; f.After(t) && (next.IsZero() || f.Before(next)) {
			next = f
		}
	}
	return next
}

// records returns the records of the line n reaches: those of n and, for a
// French overseas line, those of its other spelling (see lineRecords).
func (c *Check) records(ctx context.Context, n dialgate.Number) ([]Record, error) {
	if c.cache != nil {
		return c.cache.records(ctx, c.store, n)
	}
	return lineRecords(ctx, c.store, n)
}

// lineKey is the number a line's records are cached under: for a French
// overseas line, the territory's spelling (+596 596 12 34 56 for
// +33 596 12 34 56), so that both spellings share one entry; any other
// number as it is.
func lineKey(n dialgate.Number) dialgate.Number { return numbering.OverseasLine(n) }

// lineRecords returns the records of the line n reaches (LineRecords),
// checked (checkStored): the two spellings of a French overseas line reach
// one line, and one person consented or withdrew.
func lineRecords(ctx context.Context, s Store, n dialgate.Number) ([]Record, error) {
	recs, err := LineRecords(ctx, s, n)
	if err != nil {
		return nil, err
	}
	if err := checkStored(recs); err != nil {
		return nil, err
	}
	return recs, nil
}

// withdrawnBy returns the record of the line that withdraws r for d, or nil:
// another record of d's tenant (or of none) whose scope reaches d
// (Scope.withdraws: as Covers, with names compared as the do-not-call lists
// compare them, and an empty field of d reached), under either spelling of
// the line, revoked at or after r was granted. The person
// withdrew their consent for what d is (PIPL art. 15), not one row of a
// store: a second record the dialer holds for it — a duplicate, an older
// grant, a wider scope such as tenant:<name>, or one kept under the line's
// other spelling, which whoever revoked may not have seen — no longer
// allows. A consent given again after the withdrawal does. A withdrawal of a
// record that does not cover d (another industry, campaign or tenant) says
// nothing about d; one whose scope this build cannot read reaches every
// dial of its tenant. A dial that names no tenant (or a blank one) may be
// any tenant's, and every tenant's withdrawal reaches it
// (Record.foreignWithdrawal), as a do-not-call entry in scope
// tenant:<name> matches it.
func withdrawnBy(d *dialgate.Dial, recs []Record, r *Record) *Record {
	for i := range recs {
		w := &recs[i]
		if w.ID == r.ID || !w.Revoked() || w.RevokedAt.Before(r.GrantedAt) || w.foreignWithdrawal(d) || !w.Scope.withdraws(d) {
			continue
		}
		return w
	}
	return nil
}

// withdrawnReason is the consent.revoked reason of a record r withdrawn by
// the revocation of w (withdrawnBy): it says whether w covers d, or only
// reaches it (Scope.withdraws: d leaves w's field empty, or names it in
// another spelling).
func withdrawnReason(d *dialgate.Dial, r, w *Record) dialgate.Reason {
	where := ""
	if w.Number != r.Number {
		where = " under the line's other spelling"
	}
	what := "which covers this dial"
	switch {
	case !w.Scope.readable():
		what = fmt.Sprintf("whose scope %q this build cannot read (so its withdrawal reaches every dial of its tenant)", clip(string(w.Scope)))
	case !w.Scope.Covers(d):
		what = fmt.Sprintf("whose scope %s this dial leaves empty or names in another spelling", w.Scope)
	case !w.coversTenant(d):
		what = fmt.Sprintf("given to tenant %s, which this dial does not name (so it may be that tenant's)", w.Tenant)
	}
	return reason(dialgate.CodeConsentRevoked, fmt.Sprintf("consent %s was withdrawn%s: consent %s, %s, was revoked at %s",
		r.ID, where, w.ID, what, w.RevokedAt.UTC().Format(time.RFC3339)), w)
}

// checkStored returns an error wrapping storage.ErrCorrupt when a record of
// recs that is not revoked fails Validate (all but the form of its id,
// evidence URI and channels, which decide nothing and cost most to check): written by a newer build (a
// capture method or scope this build does not know) or damaged, it is not
// evidence this build can judge, and the check must not allow a dial on it.
// Revoked records are left alone: they only ever deny, and a withdrawal is
// how an operator takes a malformed record out of force.
func checkStored(recs []Record) error {
	for i := range recs {
		if recs[i].Revoked() {
			continue
		}
		if err := recs[i].validate(false); err != nil {
			return fmt.Errorf("consent %s as stored: %w: %w", recs[i].ID, storage.ErrCorrupt, err)
		}
	}
	return nil
}

// named decides a dial that names its consent record.
func (c *Check) named(ctx context.Context, d *dialgate.Dial, rules []Requirement, recs []Record) ([]dialgate.Reason, *Record, error) {
	for i := range recs {
		if recs[i].ID == d.ConsentID {
			return c.judge(d, rules, recs, &recs[i])
		}
	}
	// Not among the callee's records: unknown, or another person's consent.
	// Ask the store by id (uncached) to tell which, for the message.
	msg := fmt.Sprintf("consent %s does not exist", d.ConsentID)
	if _, err := c.store.Consent(ctx, d.ConsentID); err == nil {
		msg = fmt.Sprintf("consent %s belongs to another number", d.ConsentID)
	} else if !errors.Is(err, storage.ErrNotFound) {
		return nil, nil, fmt.Errorf("consent %s: %w", d.ConsentID, err)
	}
	return []dialgate.Reason{{
		Code:     dialgate.CodeConsentMissing,
		Message:  msg,
		Evidence: []dialgate.Evidence{{Key: EvidenceID, Value: d.ConsentID}},
	}}, nil, nil
}

// judge decides d against the one record it names. A record of another
// tenant (Record.foreign) is a scope_mismatch that names only the id the dial
// gave: not the record's tenant, scope or state (revoked, expired, not yet
// granted), which belong to the other seller and would go back to d's dialer.
// It is checked before the record's state for that reason; every outcome of
// such a record is a deny. A record otherwise valid that the revocation of
// another record covering d withdraws (withdrawnBy) is consent.revoked,
// naming the revoked record.
func (c *Check) judge(d *dialgate.Dial, rules []Requirement, recs []Record, r *Record) ([]dialgate.Reason, *Record, error) {
	if r.foreign(d) {
		return []dialgate.Reason{{
			Code:     dialgate.CodeConsentScopeMismatch,
			Message:  fmt.Sprintf("consent %s was not given to this dial's tenant", r.ID),
			Evidence: []dialgate.Evidence{{Key: EvidenceID, Value: r.ID}},
		}}, nil, nil
	}
	if code, msg := verdict(d, rules, r); code != "" {
		return []dialgate.Reason{reason(code, msg, r)}, nil, nil
	}
	if w := withdrawnBy(d, recs, r); w != nil {
		return []dialgate.Reason{withdrawnReason(d, r, w)}, nil, nil
	}
	return nil, r, nil
}

// verdict returns "" when r allows d, else the code and message of the first
// failing rule, in the order revoked, not yet granted, expired, scope
// (scope_mismatch), method. r is not another tenant's record: judge and
// search set those aside before, so that no message names their state.
func verdict(d *dialgate.Dial, rules []Requirement, r *Record) (dialgate.Code, string) {
	if code, msg := inForce(d, r); code != "" {
		return code, msg
	}
	if msg := mismatch(d, r); msg != "" {
		return dialgate.CodeConsentScopeMismatch, msg
	}
	return qualifies(d, rules, r)
}

// inForce returns "" when r is in force at d.At, else the code and message
// of why not: revoked, not yet granted, expired.
func inForce(d *dialgate.Dial, r *Record) (dialgate.Code, string) {
	switch {
	case r.Revoked():
		return dialgate.CodeConsentRevoked, fmt.Sprintf("consent %s was revoked at %s", r.ID, r.RevokedAt.UTC().Format(time.RFC3339))
	case r.GrantedAt.After(d.At):
		return dialgate.CodeConsentMissing, fmt.Sprintf("consent %s is granted only from %s", r.ID, r.GrantedAt.UTC().Format(time.RFC3339))
	case r.Expired(d.At):
		return dialgate.CodeConsentExpired, fmt.Sprintf("consent %s expired at %s", r.ID, r.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return "", ""
}

// qualifies returns "" when r meets every rule in effect at d.At (method,
// evidence), else consent.missing and why.
func qualifies(d *dialgate.Dial, rules []Requirement, r *Record) (dialgate.Code, string) {
	for i := range rules {
		if d.At.Before(rules[i].EffectiveFrom) {
			continue
		}
		if ok, why := rules[i].satisfiedBy(r); !ok {
			return dialgate.CodeConsentMissing, fmt.Sprintf("consent %s does not qualify: %s", r.ID, why)
		}
	}
	return "", ""
}

// mismatch returns "" when r covers d (Record.Covers), else the message of
// its scope_mismatch. Both callers set records of another tenant
// (Record.foreign) aside first, and their reasons name nothing of them; so a
// record that reaches here and does not cover d is one of d's tenant, or of
// none, whose scope d is not in.
func mismatch(d *dialgate.Dial, r *Record) string {
	if r.Covers(d) {
		return ""
	}
	return fmt.Sprintf("consent %s covers %s, which this dial is not in", r.ID, r.Scope)
}

// search decides a dial that names no record: any valid record covering the
// dial will do. Without one, the reason is the most telling among the
// callee's records: a record covering the dial that was revoked, else one
// that expired, else one not yet granted or that does not qualify, else
// scope_mismatch when records exist only for other scopes or other tenants,
// else missing. A record that does not cover the dial is only ever a
// scope_mismatch here, whatever its state: another scope's or another
// tenant's withdrawal or expiry says nothing about this dial. Another
// tenant's records (Record.foreign) are never named in the reason: a dial
// whose callee has only those is scope_mismatch without evidence.
func (c *Check) search(d *dialgate.Dial, rules []Requirement, recs []Record) ([]dialgate.Reason, *Record, error) {
	var best *Record
	var bestCode dialgate.Code
	var bestMsg string
	rank := func(code dialgate.Code) int {
		switch code {
		case dialgate.CodeConsentRevoked:
			return 4
		case dialgate.CodeConsentExpired:
			return 3
		case dialgate.CodeConsentMissing:
			return 2
		case dialgate.CodeConsentScopeMismatch:
			return 1
		}
		return 0
	}
	// recs are ordered by GrantedAt; walk newest first so the newest valid
	// record is the one relied on.
	foreign := false
	for i := len(recs) - 1; i >= 0; i-- {
		r := &recs[i]
		if r.foreign(d) {
			// Another tenant's record: it cannot cover d, and a deny must
			// not tell d's dialer about it (its id, scope or state).
			foreign = true
			continue
		}
		var code dialgate.Code
		var msg string
		if m := mismatch(d, r); m != "" {
			code, msg = dialgate.CodeConsentScopeMismatch, m
		} else if code, msg = inForce(d, r); code == "" {
			if code, msg = qualifies(d, rules, r); code == "" {
				w := withdrawnBy(d, recs, r)
				if w == nil {
					return nil, r, nil
				}
				// Withdrawn by another record's revocation: the revoked
				// record is the one to name.
				r, code = w, dialgate.CodeConsentRevoked
				msg = withdrawnReason(d, &recs[i], w).Message
			}
		}
		if rank(code) > rank(bestCode) {
			best, bestCode, bestMsg = r, code, msg
		}
	}
	if best == nil && foreign {
		return []dialgate.Reason{{Code: dialgate.CodeConsentScopeMismatch, Message: "no consent record of this dial's tenant covers it"}}, nil, nil
	}
	if best == nil {
		return []dialgate.Reason{{Code: dialgate.CodeConsentMissing, Message: "no consent record for this callee"}}, nil, nil
	}
	if bestCode == dialgate.CodeConsentScopeMismatch {
		bestMsg = "no consent covers this dial's industry, business line, campaign or tenant; " + bestMsg
	}
	return []dialgate.Reason{reason(bestCode, bestMsg, best)}, nil, nil
}

func reason(code dialgate.Code, msg string, r *Record) dialgate.Reason {
	ev := make([]dialgate.Evidence, 0, 4)
	ev = append(ev, dialgate.Evidence{Key: EvidenceID, Value: r.ID}, dialgate.Evidence{Key: EvidenceScope, Value: string(r.Scope)})
	if r.Tenant != "" {
		ev = append(ev, dialgate.Evidence{Key: EvidenceTenant, Value: r.Tenant})
	}
	switch code {
	case dialgate.CodeConsentRevoked:
		ev = append(ev, dialgate.Evidence{Key: EvidenceRevokedAt, Value: r.RevokedAt.UTC().Format(time.RFC3339)})
	case dialgate.CodeConsentExpired:
		ev = append(ev, dialgate.Evidence{Key: EvidenceExpiresAt, Value: r.ExpiresAt.UTC().Format(time.RFC3339)})
	}
	return dialgate.Reason{Code: code, Message: msg, Evidence: ev}
}

func evidence(r *Record) []dialgate.Evidence {
	ev := make([]dialgate.Evidence, 0, 5)
	ev = append(ev, dialgate.Evidence{Key: EvidenceID, Value: r.ID})
	if r.DisclosureSHA256 != "" {
		ev = append(ev, dialgate.Evidence{Key: EvidenceDisclosure, Value: r.DisclosureSHA256})
	}
	ev = append(ev, dialgate.Evidence{Key: EvidenceScope, Value: string(r.Scope)})
	if r.Tenant != "" {
		ev = append(ev, dialgate.Evidence{Key: EvidenceTenant, Value: r.Tenant})
	}
	return append(ev, dialgate.Evidence{Key: EvidenceMethod, Value: string(r.Method)})
}
