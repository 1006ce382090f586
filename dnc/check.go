package dnc

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/numbering"
)

// Name is the check's name and the prefix of its reason codes.
const Name = "dnc"

// Config is the do-not-call section of a profile. The zero value applies the
// lists to every purpose, sets no minimum hold and requires no registry.
type Config struct {
	// Purposes lists the purposes the do-not-call lists apply to (the US
	// registry binds telemarketing only); empty means every purpose.
	Purposes []dialgate.Purpose `json:"purposes,omitempty"`
	// PurposesCite says why only those purposes; required when Purposes is set.
	PurposesCite dialgate.Citation `json:"purposes_cite,omitzero"`
	// Hold is the minimum time an entry stays listed before it may be removed.
	Hold Hold `json:"hold,omitzero"`
	// Registries lists the registry copies the profile requires and how old
	// each may be. A stale or missing copy denies every dial
	// (dnc.registry_stale): fail closed.
	Registries []RegistryConfig `json:"registries,omitempty"`
	// ListRefusals, when set, lists the callee of every outcome reported
	// Refused (Outcome.Refused via Gate.ReportOutcome) in the store-backed
	// lists at once, in the refused dial's tenant's scope (see
	// Check.ObserveOutcome), as a refusal taken during the call (cn, CN-S5). Nil: a refused outcome lists nothing (the dialer
	// adds the opt-out itself, or a profile's pause after a refusal applies).
	ListRefusals *RefusalListing `json:"list_refusals,omitempty"`
}

// RefusalListing is Config.ListRefusals: why a refusal reported with a
// call's outcome lists the callee.
type RefusalListing struct {
	// Cite says where the rule comes from. Required.
	Cite dialgate.Citation `json:"cite"`
}

// Hold is a minimum listing period, in calendar months and days (cn: a
// refusal is never released before 12 months). The zero Hold allows removal
// at once.
type Hold struct {
	Months int               `json:"months,omitempty"` // calendar months, 0 to 1200
	Days   int               `json:"days,omitempty"`   // days added after the months, 0 to 36600
	Cite   dialgate.Citation `json:"cite,omitzero"`    // where the hold comes from; required when Months or Days is set
}

// Until returns the end of a hold that starts at t.
func (h Hold) Until(t time.Time) time.Time { return t.AddDate(0, h.Months, h.Days) }

// RegistryConfig requires one registry copy no older than MaxAge.
type RegistryConfig struct {
	// Name is the registry's name (a Provider's Name). Required.
	Name string `json:"name"`
	// MaxAge is how old the copy may be, measured from its as-of instant to
	// the dial (us 31d, uk 28d, ca 31d, au 28d23h). Zero means no limit, but a
	// copy must still be loaded.
	MaxAge dialgate.Duration `json:"max_age,omitempty"`
	// Cite is where the age limit comes from; required when MaxAge is set.
	Cite dialgate.Citation `json:"cite,omitzero"`
	// Scope is the scope a copy of the registry must be built in (its
	// header's scope): "global" (the default, empty) for a national
	// registry, which applies to every dial; "industry:<x>" for a feed
	// that applies to one industry's dials (the CN platform's
	// per-industry willingness, CN-S13), required so that a stale copy
	// denies. A copy in any other scope denies every dial
	// (dnc.registry_stale).
	Scope string `json:"scope,omitempty"`
}

// CopyScope returns the scope a copy of the registry must be in: Scope
// parsed, global when empty. Validate has checked it.
func (r RegistryConfig) CopyScope() (Scope, error) {
	if r.Scope == "" {
		return GlobalScope, nil
	}
	return ParseScope(r.Scope)
}

// Validate reports the first bad field, named by its path under "dnc".
func (c Config) Validate() error {
	for i, p := range c.Purposes {
		if !p.IsValid() {
			return fmt.Errorf("dnc.purposes[%d]: unknown purpose %q", i, string(p))
		}
	}
	if len(c.Purposes) > 0 {
		if err := c.PurposesCite.Validate("dnc.purposes_cite"); err != nil {
			return err
		}
	}
	if c.Hold.Months < 0 || c.Hold.Days < 0 || c.Hold.Months > 1200 || c.Hold.Days > 36600 {
		return fmt.Errorf("dnc.hold: months %d, days %d out of range", c.Hold.Months, c.Hold.Days)
	}
	if c.Hold.Months != 0 || c.Hold.Days != 0 {
		if err := c.Hold.Cite.Validate("dnc.hold.cite"); err != nil {
			return err
		}
	}
	if c.ListRefusals != nil {
		if err := c.ListRefusals.Cite.Validate("dnc.list_refusals.cite"); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for i, r := range c.Registries {
		f := fmt.Sprintf("dnc.registries[%d]", i)
		if r.Name == "" {
			return fmt.Errorf("%s.name: missing", f)
		}
		if seen[r.Name] {
			return fmt.Errorf("%s.name: duplicate registry %q", f, r.Name)
		}
		seen[r.Name] = true
		if r.MaxAge < 0 {
			return fmt.Errorf("%s.max_age: negative (%v)", f, r.MaxAge)
		}
		if _, err := r.CopyScope(); err != nil {
			return fmt.Errorf("%s.scope: %w", f, err)
		}
		if r.MaxAge > 0 {
			if err := r.Cite.Validate(f + ".cite"); err != nil {
				return err
			}
		}
	}
	return nil
}

// Check is the do-not-call check (CN-S5, CN-S13, CN-S15; national registries).
// It denies with dnc.listed when the callee is on a list in scope — a
// registry snapshot or the store-backed overlay — and with dnc.registry_stale
// when a required registry copy is missing or too old. It implements
// dialgate.Attester (passing decisions carry each registry's version and age)
// and dialgate.Expirer (an allow ends when a copy becomes too old). It is safe for concurrent use; create it with New.
type Check struct {
	cfg       Config
	lists     *Lists
	providers []Provider
	maxAge    []time.Duration // parallel to providers
	required  []bool          // parallel to providers: named in cfg.Registries
	scopes    []Scope         // parallel to providers: the scope a required registry's copy must be in
	purposes  map[dialgate.Purpose]bool
}

var (
	_ dialgate.Attester        = (*Check)(nil)
	_ dialgate.Expirer         = (*Check)(nil)
	_ dialgate.OutcomeObserver = (*Check)(nil)
)

// New returns the check. lists may be nil (no store-backed lists); every
// registry cfg names must be among providers, and every provider is required
// to have a copy loaded.
func New(cfg Config, lists *Lists, providers ...Provider) (*Check, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", dialgate.ErrInvalidConfig, err)
	}
	if cfg.ListRefusals != nil && lists == nil {
		return nil, fmt.Errorf("dnc.list_refusals: refusals are listed in the store-backed lists, and none are configured: %w", dialgate.ErrInvalidConfig)
	}
	c := &Check{cfg: cfg, lists: lists}
	byName := map[string]int{}
	for i, p := range providers {
		if p == nil {
			return nil, fmt.Errorf("dnc: provider %d is nil: %w", i, dialgate.ErrInvalidConfig)
		}
		if _, dup := byName[p.Name()]; dup {
			return nil, fmt.Errorf("dnc: duplicate provider %q: %w", p.Name(), dialgate.ErrInvalidConfig)
		}
		byName[p.Name()] = i
		c.providers = append(c.providers, p)
		c.maxAge = append(c.maxAge, 0)
		c.required = append(c.required, false)
		c.scopes = append(c.scopes, GlobalScope)
	}
	for i, r := range cfg.Registries {
		j, ok := byName[r.Name]
		if !ok {
			return nil, fmt.Errorf("dnc.registries[%d].name: no provider for registry %q: %w", i, r.Name, dialgate.ErrInvalidConfig)
		}
		c.maxAge[j] = r.MaxAge.Std()
		c.required[j] = true
		sc, err := r.CopyScope()
		if err != nil {
			return nil, fmt.Errorf("dnc.registries[%d].scope: %w: %w", i, err, dialgate.ErrInvalidConfig)
		}
		c.scopes[j] = sc
	}
	if len(cfg.Purposes) > 0 {
		c.purposes = map[dialgate.Purpose]bool{}
		for _, p := range cfg.Purposes {
			c.purposes[p] = true
		}
	}
	return c, nil
}

// Name returns "dnc".
func (c *Check) Name() string { return Name }

// RefusalList and RefusalSource are the List and Source of the entries
// ObserveOutcome adds for a refused outcome.
const (
	RefusalList   = "opt_out"
	RefusalSource = "outcome"
)

// ObserveOutcome implements dialgate.OutcomeObserver. With
// Config.ListRefusals, an outcome reported Refused lists its callee
// (Outcome.Dial.To) in the store-backed lists, added at o.At and held as Add
// holds every entry, with the evidence "decision:<id>" (bytes of the id
// that are not UTF-8 replaced with U+FFFD), in the scope RefusalScope gives: the tenant the callee refused (every dial of that
// seller: the refusal is of an industry or a business (CN-S5), the outcome
// does not say which, and the seller's scope covers both), or, for a dial of
// no tenant, its industry, else its business line, else global. A refusal
// never lists the callee for other tenants' dials: as a token bound to
// tenants may write only its own tenants' scopes, the outcomes it reports
// reach only those. A refusal without its dial (no callee) is an error
// wrapping dialgate.ErrInvalidOutcome: it cannot be listed, and must be sent
// again with it. Listing is idempotent (an entry already held is kept,
// dated by the later refusal and its hold extended: Merge). Without ListRefusals, or for an outcome that is not a
// refusal, it does nothing.
func (c *Check) ObserveOutcome(ctx context.Context, o dialgate.Outcome) error {
	if c.cfg.ListRefusals == nil || !o.Refused || o.Released {
		return nil
	}
	if !o.Dial.To.IsValid() {
		return &dialgate.FieldError{Field: "dial.to", Problem: "a refusal must carry the refused dial (Outcome.Dial): the profile lists its callee at once (dnc.list_refusals)", Err: dialgate.ErrInvalidOutcome}
	}
	if o.At.IsZero() {
		return &dialgate.FieldError{Field: "at", Problem: "missing", Err: dialgate.ErrInvalidOutcome}
	}
	e := Entry{Number: o.Dial.To, Scope: RefusalScope(o.Dial), List: RefusalList, Source: RefusalSource, AddedAt: o.At}
	if o.DecisionID != "" {
		// An id that is not UTF-8 (the Go API takes any) has its bad bytes
		// replaced: an entry is refused for such text (Entry.Validate), and
		// the refusal, an opt-out, would never be listed.
		e.Evidence = "decision:" + strings.ToValidUTF8(o.DecisionID, "\uFFFD")
	}
	if err := c.Add(ctx, e); err != nil {
		return fmt.Errorf("dnc: listing a refusal: %w", err)
	}
	return nil
}

// RefusalScope returns the scope a refusal of dial d is listed in: tenant:<x>
// for d's Tenant, else industry:<x> for its Industry, else business:<x> for
// its BusinessLine (each without surrounding white space; an empty one is
// skipped), else global.
func RefusalScope(d dialgate.Dial) Scope {
	for _, f := range [...]struct {
		kind ScopeKind
		v    string
	}{{ScopeTenant, d.Tenant}, {ScopeIndustry, d.Industry}, {ScopeBusiness, d.BusinessLine}} {
		if v := strings.TrimSpace(f.v); v != "" {
			if sc, err := ParseScope(string(f.kind) + ":" + v); err == nil {
				return sc
			}
		}
	}
	return GlobalScope
}

// Config returns the check's configuration.
func (c *Check) Config() Config { return c.cfg }

// Lists returns the store-backed overlay, or nil.
func (c *Check) Lists() *Lists { return c.lists }

// Provider returns the registry provider named name, or nil.
func (c *Check) Provider(name string) Provider {
	for _, p := range c.providers {
		if p.Name() == name {
			return p
		}
	}
	return nil
}

// Providers returns the registry providers in order.
func (c *Check) Providers() []Provider { return slices.Clone(c.providers) }

// Add lists entries in the store-backed overlay, extending each HoldUntil to
// at least the configured hold from its AddedAt. It returns after the entries
// are durable; every Check that starts after it returns sees them. An entry
// already stored is merged as Lists.Add says (Merge: the later AddedAt and
// HoldUntil of the two), whose note on AddedAt applies here too.
func (c *Check) Add(ctx context.Context, entries ...Entry) error {
	if c.lists == nil {
		return fmt.Errorf("dnc: no store-backed lists configured")
	}
	es := slices.Clone(entries)
	for i := range es {
		if until := c.cfg.Hold.Until(es[i].AddedAt); until.After(es[i].HoldUntil) && !es[i].AddedAt.IsZero() {
			es[i].HoldUntil = until
		}
	}
	return c.lists.Add(ctx, es...)
}

// Remove removes the entry (n, scope) from the store-backed overlay at
// instant t. It fails with ErrHeld while t is before the entry's HoldUntil
// or before the configured hold from its AddedAt, whichever ends later: an
// entry stored with a shorter hold (imported under another profile, stored
// before the hold was raised, added through Lists.Add) is not released
// before the profile allows. It fails with ErrNotListed when there is no
// such entry.
//
// The configured hold is judged on the entry read, and the store removes
// the entry only if it is still that one (not added after it:
// Store.RemoveDNCIf); an entry removed and taken again in between is read
// again and judged afresh, so a new refusal is never removed on the
// decision made for an old one.
func (c *Check) Remove(ctx context.Context, n dialgate.Number, scope Scope, t time.Time) error {
	if c.lists == nil {
		return fmt.Errorf("dnc: no store-backed lists configured")
	}
	if c.cfg.Hold.Months == 0 && c.cfg.Hold.Days == 0 {
		// The store checks the entry's own HoldUntil, atomically with the
		// removal.
		return c.lists.Remove(ctx, n, scope, t)
	}
	var err error
	for range removeAttempts {
		var es []Entry
		es, err = c.lists.store.DNCEntries(ctx, n)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(es, func(e Entry) bool { return e.Scope == scope })
		if i < 0 {
			return fmt.Errorf("dnc: remove %s: %w", scope, ErrNotListed)
		}
		if until := c.cfg.Hold.Until(es[i].AddedAt); t.Before(until) {
			return fmt.Errorf("dnc: remove %s: held until %s (the profile's hold from added_at %s): %w",
				scope, until.UTC().Format(time.RFC3339), es[i].AddedAt.UTC().Format(time.RFC3339), ErrHeld)
		}
		// The store checks the entry's own HoldUntil and that it was not
		// added after the one judged, atomically with the removal.
		err = c.lists.RemoveIf(ctx, n, scope, t, RemoveCondition{AddedNotAfter: es[i].AddedAt})
		if !errors.Is(err, ErrChanged) {
			return err
		}
	}
	return err // still changing: not removed (ErrChanged wraps ErrHeld)
}

// removeAttempts bounds how many times Check.Remove reads an entry that
// keeps being replaced between its read and its removal.
const removeAttempts = 3

// Check implements dialgate.Checker.
func (c *Check) Check(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, error) {
	rs, _, err := c.check(ctx, d, false, nil)
	return rs, err
}

// Attest implements dialgate.Attester: the reasons of Check, and for every
// registry its version, as-of and age at the dial.
func (c *Check) Attest(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, []dialgate.Evidence, error) {
	return c.check(ctx, d, true, nil)
}

// AttestUntil implements dialgate.Expirer: Attest, and for a passing dial the
// instant its pass ends — when the oldest registry copy consulted whose
// profile bounds its age (RegistryConfig.MaxAge) becomes too old (its as-of
// plus that age); zero when no copy has a maximum age. A copy replaced or an
// opt-out added later cannot be foreseen: the Gate's allow lifetime bounds
// how long an allow outlives them.
func (c *Check) AttestUntil(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, []dialgate.Evidence, time.Time, error) {
	var until time.Time
	rs, ev, err := c.check(ctx, d, true, &until)
	if err != nil || len(rs) > 0 {
		return rs, ev, time.Time{}, err
	}
	return rs, ev, until, nil
}

// EvidenceLists is the evidence key by which an attested decision says the
// stored do-not-call lists (Lists: opt-outs, complaints, scoped entries) were
// consulted for it, value "consulted"; registry copies are named by
// "dnc.registry.<name>" with their version and age.
const EvidenceLists = "dnc.lists"

// FutureSkew is how far a registry copy's as-of instant may lie after the
// dial (clocks differ) before a profile with a maximum age denies it as
// untrustworthy (dnc.registry_stale).
const FutureSkew = time.Hour

// check asks the registries and the stored lists for d's callee and, for a
// French overseas line or a 10-digit Mexican number, also for its other
// spelling (numbering.LineAlias: +33 596 … and +596 596 … reach the same
// line, as do +52 55 … and the withdrawn +52 1 55 … under which earlier
// builds stored entries, and an opt-out recorded under one must deny a dial
// under the other).
//
// When until is not nil, consult lowers it to the end of each copy's
// maximum age (zero: none yet).
func (c *Check) check(ctx context.Context, d dialgate.Dial, attest bool, until *time.Time) ([]dialgate.Reason, []dialgate.Evidence, error) {
	rs, ev, err := c.checkNumber(ctx, d, attest, until)
	if err != nil || len(rs) > 0 {
		return rs, ev, err
	}
	if alt, ok := numbering.LineAlias(d.To); ok {
		d.To = alt
		if rs, _, err = c.checkNumber(ctx, d, false, nil); err != nil {
			return nil, nil, err
		}
	}
	return rs, ev, nil
}

// checkNumber is check for d's callee as spelt.
func (c *Check) checkNumber(ctx context.Context, d dialgate.Dial, attest bool, until *time.Time) ([]dialgate.Reason, []dialgate.Evidence, error) {
	var rs []dialgate.Reason
	var ev []dialgate.Evidence
	applies := c.purposes == nil || c.purposes[d.Purpose]
	for i, p := range c.providers {
		if err := c.consult(ctx, p, c.maxAge[i], c.required[i], c.scopes[i], d, applies, attest, &rs, &ev, until); err != nil {
			return nil, nil, err
		}
	}
	if applies && c.lists != nil {
		es, err := c.lists.Lookup(ctx, d.To)
		if err != nil {
			return nil, nil, fmt.Errorf("dnc lists: %w", err)
		}
		for _, e := range es {
			if e.Scope.Matches(d) {
				rs = append(rs, listedReason(Hit{List: e.List, Scope: e.Scope, Source: e.Source, AddedAt: e.AddedAt}))
			}
		}
		if attest {
			// The stored lists have no snapshot version or age (they are
			// current by construction: a write is in force for the next
			// lookup); the record says they were consulted.
			ev = append(ev, dialgate.Evidence{Key: EvidenceLists, Value: "consulted"})
		}
	}
	return rs, ev, nil
}

// withdrawn returns why p's copy answers for no dial (its file changed in
// place), or nil; a Provider without a method Withdrawn() error never
// withdraws one. Such a copy is denied for every dial, whether or not the
// lists apply to it: as with a missing copy, every dial of the profile is
// denied (here dnc.unavailable, naming the file).
func withdrawn(p Provider) error {
	if w, ok := p.(interface{ Withdrawn() error }); ok {
		return w.Withdrawn()
	}
	return nil
}

// swapRetries is how many times consult asks a registry again when its copy
// was swapped during the lookup, before it gives up (dnc.unavailable).
const swapRetries = 3

// consult asks one registry provider: whether a copy is loaded, its age, and,
// when the lists apply to the dial, whether the callee is listed. Status and
// Lookup are two calls, and a Swap may land between them: the age would then
// be judged on one copy and the callee looked up in another (a fresh copy's
// age vouching for a stale copy's answer, the evidence naming a version the
// decision did not use). So the status is read again after the lookup, and a
// lookup made across a swap is done again.
//
// A registry the profile requires applies in the scope the profile names
// for it (want: global, the default, for a national registry, which
// applies to every dial): a copy built in another scope (`dnc build
// --scope industry:…` of a national registry) cannot stand for it, and
// denies every dial (dnc.registry_stale) until a copy in that scope is
// loaded (spelt in any case: Scope.Equivalent, as scopes match dials).
func (c *Check) consult(ctx context.Context, p Provider, maxAge time.Duration, required bool, want Scope, d dialgate.Dial, applies, attest bool, rs *[]dialgate.Reason, ev *[]dialgate.Evidence, until *time.Time) error {
	for range swapRetries {
		if err := withdrawn(p); err != nil {
			return err
		}
		st, ok := p.Status()
		if !ok {
			if err := withdrawn(p); err != nil {
				return err // withdrawn since the first look: no copy in use
			}
			*rs = append(*rs, notLoaded(p.Name()))
			return nil
		}
		if required {
			if sp, ok := p.(interface{ CopyScope() (Scope, bool) }); ok {
				if sc, ok := sp.CopyScope(); ok && !sc.Equivalent(want) {
					*rs = append(*rs, narrowCopy(st, sc, want))
					return nil
				}
			}
		}
		age := d.At.Sub(st.AsOf)
		if r, stale := staleness(p.Name(), st, age, maxAge); stale {
			if attest {
				*ev = append(*ev, registryEvidence(st, age))
			}
			*rs = append(*rs, r)
			return nil
		}
		var (
			hit    Hit
			listed bool
		)
		if applies {
			var err error
			if hit, listed, err = p.Lookup(ctx, d); err != nil {
				return fmt.Errorf("registry %s: %w", p.Name(), err)
			}
			if after, ok := p.Status(); !ok || !sameCopy(st, after) {
				continue // swapped (or unloaded) during the lookup: ask again
			}
		}
		if attest {
			*ev = append(*ev, registryEvidence(st, age))
		}
		if listed {
			*rs = append(*rs, listedReason(hit))
		}
		if until != nil && maxAge > 0 {
			// Stale once older than maxAge: as-of + maxAge is the last
			// fresh instant, so the pass ends 1 ns after it.
			if end := st.AsOf.Add(maxAge + time.Nanosecond); until.IsZero() || end.Before(*until) {
				*until = end
			}
		}
		return nil
	}
	return fmt.Errorf("registry %s: the copy changed during each of %d lookups", p.Name(), swapRetries)
}

// sameCopy reports whether two statuses describe the same registry copy. The
// scope counts: a copy of the same numbers (same version) as of the same
// instant in a narrower scope, swapped in during a lookup, answers "not
// listed" for a dial outside it, which the copy the scope was checked on
// lists.
func sameCopy(a, b RegistryStatus) bool {
	return a.Version == b.Version && a.AsOf.Equal(b.AsOf) && a.Count == b.Count && a.Scope == b.Scope
}

// The reasons and evidence below are built out of line, so that the frame of
// check (run on each gRPC handler's fresh goroutine stack) stays small.

//go:noinline
func notLoaded(name string) dialgate.Reason {
	return dialgate.Reason{Code: dialgate.CodeDNCRegistryStale,
		Message:  fmt.Sprintf("no copy of registry %s is loaded", name),
		Evidence: []dialgate.Evidence{{Key: "dnc.registry", Value: name}}}
}

//go:noinline
func narrowCopy(st RegistryStatus, sc, want Scope) dialgate.Reason {
	msg := fmt.Sprintf("registry %s copy %s applies only in scope %s, but the profile requires the registry for every dial: rebuild it with dnc build --scope global (the default)",
		st.Name, st.Version, sc)
	if want != GlobalScope {
		msg = fmt.Sprintf("registry %s copy %s applies in scope %s, but the profile requires the registry in scope %s: rebuild it with dnc build --scope %s",
			st.Name, st.Version, sc, want, want)
	}
	return dialgate.Reason{Code: dialgate.CodeDNCRegistryStale,
		Message:  msg,
		Evidence: []dialgate.Evidence{{Key: "dnc.registry", Value: st.Name}, {Key: "dnc.version", Value: st.Version}, {Key: "dnc.scope", Value: sc.String()}}}
}

//go:noinline
func registryEvidence(st RegistryStatus, age time.Duration) dialgate.Evidence {
	return dialgate.Evidence{Key: "dnc.registry." + st.Name,
		Value: fmt.Sprintf("version=%s as_of=%s age=%s", st.Version, st.AsOf.UTC().Format(time.RFC3339), dialgate.Duration(age.Truncate(time.Second)))}
}

// staleness reports whether a registry copy of the given age is too old for
// max (zero: no limit), or dated after the dial beyond FutureSkew.
//
//go:noinline
func staleness(name string, st RegistryStatus, age, max time.Duration) (dialgate.Reason, bool) {
	if max > 0 && age < -FutureSkew {
		// A copy that claims to be from the future cannot be aged: a wrong
		// as_of would keep it "fresh" for as long as it is wrong.
		return dialgate.Reason{Code: dialgate.CodeDNCRegistryStale,
			Message: fmt.Sprintf("registry %s copy is dated %s, after the dial (more than %s of clock skew): its age cannot be trusted",
				name, st.AsOf.UTC().Format(time.RFC3339), FutureSkew),
			Evidence: []dialgate.Evidence{{Key: "dnc.registry", Value: name}, {Key: "dnc.version", Value: st.Version},
				{Key: "dnc.as_of", Value: st.AsOf.UTC().Format(time.RFC3339)}}}, true
	}
	if max > 0 && age > max {
		return dialgate.Reason{Code: dialgate.CodeDNCRegistryStale,
			Message: fmt.Sprintf("registry %s copy is %s old, the profile allows %s", name, dayText(age.Truncate(time.Second)), dayText(max)),
			Evidence: []dialgate.Evidence{{Key: "dnc.registry", Value: name}, {Key: "dnc.version", Value: st.Version},
				{Key: "dnc.as_of", Value: st.AsOf.UTC().Format(time.RFC3339)}, {Key: "dnc.max_age", Value: dialgate.Duration(max).String()}}}, true
	}
	return dialgate.Reason{}, false
}

// dayText writes d in days and what is left, as profiles write ages
// ("31d14h", "28d23h", "13h30m"), so that a copy's age and the profile's
// maximum read in the same units.
func dayText(d time.Duration) string {
	const day = 24 * time.Hour
	days, rest := d/day, d%day
	r := ""
	if rest > 0 {
		r = rest.String()
		if strings.HasSuffix(r, "m0s") {
			r = strings.TrimSuffix(r, "0s")
		}
		if strings.HasSuffix(r, "h0m") {
			r = strings.TrimSuffix(r, "0m")
		}
	}
	if days == 0 {
		return cmp.Or(r, "0s")
	}
	return fmt.Sprintf("%dd%s", days, r)
}

func listedReason(h Hit) dialgate.Reason {
	return dialgate.Reason{Code: dialgate.CodeDNCListed,
		Message: fmt.Sprintf("the callee is on do-not-call list %s in scope %s", h.List, h.Scope),
		Evidence: []dialgate.Evidence{{Key: "dnc.list", Value: h.List}, {Key: "dnc.scope", Value: h.Scope.String()},
			{Key: "dnc.added_at", Value: h.AddedAt.UTC().Format(time.RFC3339)}, {Key: "dnc.source", Value: h.Source}}}
}
