package policy

import (
	"fmt"
	"reflect"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/placedguard"
	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage"
)

// Deps are the stores and keys the checks of a profile work with. Each field is
// the interface a check package consumes; storage/memstore.Store satisfies
// all of them, and so does storage/boltstore.Store. A field may be nil when the
// profile has no section that needs it; Build reports a missing one by name,
// and refuses one holding a nil pointer (dialgate.ErrInvalidConfig).
type Deps struct {
	// One field per store interface; each helper adds its own.
	// DNC keeps the store-backed do-not-call lists (opt-outs, complaints).
	DNC dnc.Store
	// DNCRegistries are the registry providers the host has loaded; a registry
	// the profile requires but not given here is created empty (every dial is
	// then denied with dnc.registry_stale until a copy is swapped in).
	DNCRegistries []dnc.Provider
	// Counters keeps the sliding-window counters of frequency caps (and the
	// segment-rate guard and the abandoned-call counts). Required by a
	// profile with a frequency or an abandonment section.
	Counters storage.Counters
	// Runs keeps the run state of the sweep.sequential and sweep.stride rules where several
	// gates share it: a fleet's store (storage/redisstore, storage/pgstore),
	// so that a sweep spread over several processes, or across a restart,
	// is still seen, or storage/boltstore (one process; journaled with the
	// counters, so a restart keeps them). Nil: each sweep check keeps its
	// runs in its own memory (one process; a restart forgets them).
	Runs storage.Runs
	// HashKey is the secret HMAC key that pseudonymises callee numbers in
	// counter keys; at least 16 bytes. Without it a public default key is used
	// (keys then hold no raw number but are not secret).
	HashKey []byte
	// Recordings keeps recording metadata; nil when the deployment keeps no
	// recordings (a profile that requires recording then denies every dial).
	Recordings recording.Store
	// Media deletes recording media; nil when dialgate manages metadata only.
	Media recording.Blob
	// CalleeHasher turns callee numbers into the keyed hash stored with
	// recordings and complaints (auditlog.NewCalleeHasher with the audit key).
	CalleeHasher recording.CalleeHasher
	// Ledger keeps the caller-ID ledger (callerid section).
	Ledger callerid.Store
	// Consents keeps consent records (consent section).
	Consents consent.Store
	// CounterHistory, when set, is the frequency section's counter history
	// (schedule.NextCounterHistory for the profile's Frequency), given to
	// the frequency check with schedule.WithCounterHistory so that a changed
	// rule window keeps the calls and outcomes already counted. Nil: a
	// changed longest window starts its counter empty.
	CounterHistory *schedule.CounterHistory
	// AllowLifetime is the allow lifetime of the Gate the checks are for
	// (dialgate.WithAllowLifetime): the frequency check counts every cap
	// over its window plus it (schedule.WithAllowLifetime). Zero: the
	// default, dialgate.DefaultAllowLifetime. Build and Assemble set it from
	// their options when it is zero; a host calling Checks sets it to the
	// lifetime it gives dialgate.New, which refuses a Gate whose lifetime is
	// longer than its frequency check counts.
	AllowLifetime time.Duration
}

// section is one domain of a profile: whether a profile has it, the checks it
// builds and how it explains itself in plain words.
type section struct {
	name    string
	present func(p *Profile) bool
	build   func(p *Profile, deps Deps) ([]dialgate.Checker, error)
	explain func(p *Profile) []Rule
}

// sections lists the profile's domains in the fixed check order of a Gate:
// ring, dnc, consent, callerid, sweep, schedule, frequency, abandonment,
// recording. Each
// domain has its builder in build_<domain>.go and one line here. ring comes
// first: it never denies, and ahead of the checks that do I/O no time-out of
// theirs can turn it into ring.unavailable.
func sections() []section {
	return []section{
		ringSection(),
		dncSection(),
		consentSection(),
		calleridSection(),
		sweepSection(),
		scheduleSection(),
		frequencySection(),
		abandonmentSection(),
		recordingSection(),
		complaintSection(),
	}
}

// Checks returns the configured checks of p in the fixed order, built with
// deps. Use it to add checks of your own before dialgate.New
// (examples/custom-check). Build is Checks plus dialgate.New with options of
// its own, which a caller of Checks gives New itself:
// dialgate.WithPolicyVersion(p.Version()), and, when deps.Counters is set,
// dialgate.WithPlacedGuard over them (placedguard.New(deps.Counters,
// GuardWindow(p))) — without it the Gate gives back the capacity of any
// decision released, a placed call's too, and a cap then allows one call too
// many. A Gate given dialgate.WithAllowLifetime needs deps.AllowLifetime set
// to the same lifetime (New refuses it otherwise).
func Checks(p *Profile, deps Deps) ([]dialgate.Checker, error) {
	if p == nil {
		return nil, errNilProfile()
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidProfile, p.Name, err)
	}
	if err := deps.nilPointers(); err != nil {
		return nil, err
	}
	var checks []dialgate.Checker
	for _, s := range sections() {
		if !s.present(p) {
			continue
		}
		cs, err := s.build(p, deps)
		if err != nil {
			return nil, fmt.Errorf("policy: profile %s: %s: %w", p.Name, s.name, err)
		}
		checks = append(checks, cs...)
	}
	return checks, nil
}

// nilPointers refuses a field of d holding a nil pointer — a store never
// opened, an Open whose error was dropped — naming the field: a typed nil
// is not a nil interface, so a section's "deps.X: missing" does not catch
// it, and the first check to use it would panic (StoreDeps refuses one as
// its store). A nil registry provider is refused as well.
func (d Deps) nilPointers() error {
	for _, f := range [...]struct {
		name string
		v    any
	}{
		{"deps.DNC", d.DNC}, {"deps.Counters", d.Counters}, {"deps.Runs", d.Runs},
		{"deps.Recordings", d.Recordings}, {"deps.Media", d.Media}, {"deps.CalleeHasher", d.CalleeHasher},
		{"deps.Ledger", d.Ledger}, {"deps.Consents", d.Consents},
	} {
		if f.v == nil {
			continue
		}
		if v := reflect.ValueOf(f.v); v.Kind() == reflect.Pointer && v.IsNil() {
			return fmt.Errorf("policy: %s: a nil %T (a store never opened, or whose Open failed): %w", f.name, f.v, dialgate.ErrInvalidConfig)
		}
	}
	for i, p := range d.DNCRegistries {
		if p == nil {
			return fmt.Errorf("policy: deps.DNCRegistries[%d]: nil: %w", i, dialgate.ErrInvalidConfig)
		}
		if v := reflect.ValueOf(p); v.Kind() == reflect.Pointer && v.IsNil() {
			return fmt.Errorf("policy: deps.DNCRegistries[%d]: a nil %T: %w", i, p, dialgate.ErrInvalidConfig)
		}
	}
	return nil
}

// Build returns a Gate that enforces p: the checks of every section p has, in
// the fixed order, built with deps, and p.Version() as the policy version
// (given before opts, so an explicit dialgate.WithPolicyVersion in opts wins).
// It fails when p does not validate or a section's check cannot be built (for
// example a store it needs is missing from deps).
func Build(p *Profile, deps Deps, opts ...dialgate.Option) (*dialgate.Gate, error) {
	a, err := Assemble(p, deps, opts...)
	if err != nil {
		return nil, err
	}
	return a.Gate, nil
}

// Assembly is a Gate together with the checks it was built from. Hosts that
// change a check's state through the check while the Gate runs — a
// recording registered through the recording check's Manager; an opt-out
// through the do-not-call check where the DNC store has no change feed; a
// caller-ID ledger entry written to the store, after which the callerid
// check's Refresh makes the next Check see it (the check otherwise polls
// the ledger's version once per second of dial time or every 1024 dials) —
// find the check with CheckOf instead of building a second, separate one.
//
// An opt-out written straight into a store that implements dnc.ChangeFeed
// (storage/memstore, boltstore, redisstore and pgstore all do) is seen by
// every Check that starts after the write returns. A DNC store of your own
// without a change feed must take opt-outs through the Gate's dnc check
// (CheckOf[*dnc.Check], Check.Add): written straight into it, they are hidden
// by the check's Bloom filter until the Gate is built again.
//
// The do-not-call overlay of each Gate built on a store with a change feed
// stays subscribed to that store until its lists are closed. A host that
// builds a new Gate on the same store while the process runs (a profile
// reloaded) closes the old Gate's lists once it is out of use:
// CheckOf[*dnc.Check](old.Checks) and Check.Lists().Close().
type Assembly struct {
	Gate   *dialgate.Gate     // the Gate built from the profile
	Checks []dialgate.Checker // the checks the Gate consults, in its order
}

// Assemble is Build that also returns the checks.
//
// The frequency check counts every cap over its window plus the Gate's allow
// lifetime (schedule.WithAllowLifetime): unless deps.AllowLifetime is set,
// Assemble takes it from opts (dialgate.AllowLifetimeOf), so that a Gate
// built with dialgate.WithAllowLifetime counts calls placed that late.
//
// With deps.Counters set, the Gate gets a release guard over them
// (dialgate.WithPlacedGuard, package placedguard, for GuardWindow(p)): a
// Release of a decision an outcome of a placed call was reported for — by
// this Gate or any other on the same store, before or after a restart — is
// refused with dialgate.ErrPlaced. A WithPlacedGuard among opts is then
// refused (dialgate.New takes one guard: an error wrapping
// dialgate.ErrInvalidConfig); for a guard of your own, build the Gate from
// Checks and dialgate.New.
func Assemble(p *Profile, deps Deps, opts ...dialgate.Option) (*Assembly, error) {
	if deps.AllowLifetime == 0 {
		// The frequency check counts calls placed up to the Gate's allow
		// lifetime after their decision.
		l, err := dialgate.AllowLifetimeOf(opts...)
		if err != nil {
			return nil, err
		}
		deps.AllowLifetime = l
	}
	checks, err := Checks(p, deps)
	if err != nil {
		return nil, err
	}
	all := make([]dialgate.Option, 0, len(opts)+2)
	all = append(all, dialgate.WithPolicyVersion(p.Version()))
	if deps.Counters != nil {
		// The release guard lives in the counters the reservations do: a
		// Release of a decision whose call was placed is refused by every
		// Gate on that store. An option of the caller's replaces it.
		guard, err := placedguard.New(deps.Counters, GuardWindow(p))
		if err != nil {
			return nil, fmt.Errorf("release guard: %w", err)
		}
		all = append(all, dialgate.WithPlacedGuard(guard))
	}
	all = append(all, opts...)
	g, err := dialgate.New(checks, all...)
	if err != nil {
		return nil, err
	}
	return &Assembly{Gate: g, Checks: checks}, nil
}

// CheckOf returns the first of checks of type T (for example *dnc.Check,
// from Assembly.Checks or Checks), and whether there is one.
func CheckOf[T dialgate.Checker](checks []dialgate.Checker) (T, bool) {
	for _, c := range checks {
		if t, ok := c.(T); ok {
			return t, true
		}
	}
	var zero T
	return zero, false
}

// StoreDeps returns the Deps of a deployment whose state lives in one store:
// every store field is set to store when store implements that field's
// interface (storage/memstore.Store and storage/boltstore.Store implement
// them all), HashKey to key, and CalleeHasher to the audit log's
// keyed hash with key.
// key must be the deployment's secret HMAC key, at least 16 bytes. A store
// that is nil, a nil pointer (a store never opened) or implements none of
// the store interfaces (a file name) is an error wrapping
// dialgate.ErrInvalidConfig.
//
// Writes made straight into store while a Gate built on it runs are seen by
// its checks: consents and ledger entries through the stores' revisions,
// do-not-call entries through the store's change feed (dnc.ChangeFeed;
// memstore and boltstore tell the Gate before AddDNC returns).
func StoreDeps(store any, key []byte) (Deps, error) {
	h, err := auditlog.NewCalleeHasher(key)
	if err != nil {
		return Deps{}, fmt.Errorf("policy: StoreDeps: key: %w", err)
	}
	if store == nil {
		return Deps{}, fmt.Errorf("policy: StoreDeps: store: nil; give it a *memstore.Store, *boltstore.Store, *redisstore.Store or *pgstore.Store: %w", dialgate.ErrInvalidConfig)
	}
	if v := reflect.ValueOf(store); v.Kind() == reflect.Pointer && v.IsNil() {
		// A typed nil implements every interface its type does, and the
		// first check to use it would panic.
		return Deps{}, fmt.Errorf("policy: StoreDeps: store: a nil %T (a store never opened, or whose Open failed): %w", store, dialgate.ErrInvalidConfig)
	}
	d := Deps{HashKey: append([]byte(nil), key...), CalleeHasher: h}
	d.DNC, _ = store.(dnc.Store)
	d.Counters, _ = store.(storage.Counters)
	d.Runs, _ = store.(storage.Runs)
	d.Recordings, _ = store.(recording.Store)
	d.Ledger, _ = store.(callerid.Store)
	d.Consents, _ = store.(consent.Store)
	if d.DNC == nil && d.Counters == nil && d.Runs == nil && d.Recordings == nil && d.Ledger == nil && d.Consents == nil {
		return Deps{}, fmt.Errorf("policy: StoreDeps: store: %T implements none of the store interfaces (dnc.Store, storage.Counters, storage.Runs, recording.Store, callerid.Store, consent.Store); give it a *memstore.Store, *boltstore.Store, *redisstore.Store or *pgstore.Store: %w", store, dialgate.ErrInvalidConfig)
	}
	return d, nil
}
