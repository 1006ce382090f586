package scenario

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage"
)

// Env is the state one run of a scenario file works on; event and seed handlers
// read and change it. It is fresh for every run.
type Env struct {
	// Gate is the Gate built from the profile (with the policy overrides);
	// events and outcomes go through it.
	Gate *dialgate.Gate
	// Gates are the run's Gates (Options.Gates; Gates[0] is Gate), each
	// with checks of its own on Stores; the dial steps go to them in turn.
	Gates []*dialgate.Gate
	// Clock is the Gate's clock, set to each step's "at" before the step runs.
	Clock *Clock
	// Profile is the resolved profile.
	Profile *policy.Profile
	// Tenant is the file's tenant.
	Tenant string
	// Stores are the run's fresh stores (Options.Stores, in memory by
	// default); handlers write seed data and events into them.
	Stores Stores
	// Deps are the stores the Gate's checks use: those of Stores.
	Deps policy.Deps
	// Checks are the Gate's checks in order; handlers that must write through a
	// check's own in-memory state (the do-not-call overlay) find it with FindCheck.
	Checks []dialgate.Checker

	mu         sync.Mutex
	recordings *recording.Manager // when the Gate has no recording check
	complaints int                // complaints filed, for their ids
	dials      int                // dial steps run, to choose their Gate
}

// FindCheck returns the first of env's checks of type T, and whether there is one.
func FindCheck[T dialgate.Checker](env *Env) (T, bool) { return policy.CheckOf[T](env.Checks) }

// Clock is the settable clock of a run. It is safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the time last set.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set sets the time.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// LoadProfile resolves the file's profile: a built-in name, or a path relative
// to the file's directory; then applies the policy: overrides.
func (f *File) LoadProfile() (*policy.Profile, error) {
	var (
		p   *policy.Profile
		err error
	)
	if slices.Contains(policy.Builtins(), f.Profile) {
		p, err = policy.Builtin(f.Profile)
	} else {
		path := f.Profile
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(f.Path), path)
		}
		p, err = policy.LoadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s:%d: profile: %w", ErrInvalid, f.Path, f.profileLine, err)
	}
	if f.Policy != nil {
		if p, err = policy.Merge(p, f.Policy); err != nil {
			return nil, fmt.Errorf("%w: %s:%d: policy: %w", ErrInvalid, f.Path, f.policyLine, err)
		}
	}
	return p, nil
}

// newEnv builds fresh state for one run on stores.
func (f *File) newEnv(p *policy.Profile, stores Stores, opts Options) (*Env, error) {
	deps, err := newDeps(stores)
	if err != nil {
		return nil, err
	}
	env := &Env{Clock: &Clock{}, Profile: p, Tenant: f.Tenant, Stores: stores, Deps: deps}
	var n atomic.Uint64
	ids := func() string { return "d" + strconv.FormatUint(n.Add(1), 10) }
	gopts := []dialgate.Option{dialgate.WithoutAuditLog(), dialgate.WithPolicyVersion(p.Version()), dialgate.WithClock(env.Clock), dialgate.WithDecisionIDs(ids)}
	if opts.CheckTimeout != 0 {
		gopts = append(gopts, dialgate.WithCheckTimeout(opts.CheckTimeout))
	}
	for i := range max(opts.Gates, 1) {
		d := deps
		if i > 0 {
			// The registry copies are the host's files: every Gate has
			// the ones the first Gate's dnc check made, which the
			// registries: seed and load_registry load.
			d.DNCRegistries = registryProviders(env)
		}
		checks, err := policy.Checks(p, d)
		var g *dialgate.Gate
		if err == nil {
			g, err = dialgate.New(checks, gopts...)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s:%d: profile: %w", ErrInvalid, f.Path, f.profileLine, err)
		}
		if i == 0 {
			env.Gate, env.Checks = g, checks
		}
		env.Gates = append(env.Gates, g)
	}
	return env, nil
}

// registryProviders returns the registry providers of env's first dnc
// check; none without one.
func registryProviders(env *Env) []dnc.Provider {
	if c, ok := FindCheck[*dnc.Check](env); ok {
		return c.Providers()
	}
	return nil
}

// newDeps wires the run's stores into every dependency of policy.Build; each
// domain adds its line.
func newDeps(stores Stores) (policy.Deps, error) {
	// The runs are synthetic and their state is thrown away: a fixed, public
	// key is enough to keep raw numbers out of the stores.
	hasher, err := auditlog.NewCalleeHasher([]byte("dialgate scenario key, not secret"))
	if err != nil {
		return policy.Deps{}, err
	}
	return policy.Deps{
		DNC:          stores.DNC,
		Ledger:       stores.Ledger,
		Counters:     stores.Counters,
		Runs:         stores.Runs,
		Recordings:   stores.Recordings,
		Consents:     stores.Consents,
		CalleeHasher: hasher,
	}, nil
}

// Run runs f on fresh in-memory state and reports every step; the steps run
// in order, each on the state the earlier ones left. A step that does not
// come back as it wants is a failed step in the Report, not an error. An
// error wrapping ErrInvalid means the file could not be run: its profile
// cannot be loaded, its overrides are invalid, or the stores refuse its
// seed data; a store that fails while the seed data is written (a server
// down: storage.ErrUnavailable, ErrClosed…) is an error that does not wrap
// ErrInvalid. Run is RunWith with the zero Options.
func Run(ctx context.Context, f *File) (*Report, error) {
	return RunWith(ctx, f, Options{})
}

// RunWith runs f as Run does, on the fresh stores opts.Stores gives it (in
// memory by default), and closes them (Stores.Close) when the run is over.
// An error of opts.Stores, a negative opts.CheckTimeout, or opts.Gates
// negative or above MaxGates, does not wrap ErrInvalid (the file may be
// valid; it could not be run as asked). When closing the stores fails after the steps ran, RunWith
// returns the Report with the error: the steps' results stand.
func RunWith(ctx context.Context, f *File, opts Options) (_ *Report, err error) {
	if opts.CheckTimeout < 0 {
		return nil, fmt.Errorf("scenario: options: check timeout %v is negative", opts.CheckTimeout)
	}
	if opts.Gates < 0 {
		return nil, fmt.Errorf("scenario: options: gates %d is negative", opts.Gates)
	}
	if opts.Gates > MaxGates {
		return nil, fmt.Errorf("scenario: options: gates %d is more than %d", opts.Gates, MaxGates)
	}
	p, err := f.LoadProfile()
	if err != nil {
		return nil, err
	}
	stores, err := opts.openStores(ctx, f)
	if err != nil {
		return nil, err
	}
	if stores.Close != nil {
		defer func() {
			if cerr := stores.Close(); cerr != nil {
				err = errors.Join(err, fmt.Errorf("%s: closing the stores: %w", f.Path, cerr))
			}
		}()
	}
	env, err := f.newEnv(p, stores, opts)
	if err != nil {
		return nil, err
	}
	return f.run(ctx, env)
}

// storeFailed reports whether err is a failure of the stores (a server
// down or gone, a store closed, damaged or locked, the run cancelled)
// rather than data they refuse.
func storeFailed(err error) bool {
	for _, e := range []error{storage.ErrUnavailable, storage.ErrClosed, storage.ErrCorrupt, storage.ErrLocked,
		storage.ErrSchemaTooNew, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// run runs f's seed data and steps on env.
func (f *File) run(ctx context.Context, env *Env) (*Report, error) {
	rep := &Report{File: f.Path, Name: f.Name, Profile: env.Profile.Name, PolicyVersion: env.Gate.PolicyVersion(), Warnings: f.Warnings()}
	if f.Policy != nil {
		var patch map[string]json.RawMessage
		if err := json.Unmarshal(f.Policy, &patch); err != nil {
			return nil, fmt.Errorf("%w: %s:%d: policy: %w", ErrInvalid, f.Path, f.policyLine, err)
		}
		rep.Overrides = slices.Sorted(maps.Keys(patch))
	}
	for _, s := range f.seeds {
		if err := s.run(ctx, env); err != nil {
			if storeFailed(err) {
				// The stores failed, not the file: it may be valid.
				return nil, fmt.Errorf("%s:%d: %s: %w", f.Path, s.line, s.key, err)
			}
			return nil, fmt.Errorf("%w: %s:%d: %s: %w", ErrInvalid, f.Path, s.line, s.key, err)
		}
	}
	decisions := map[string]*dialgate.Decision{}
	for _, s := range f.Steps {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		env.Clock.Set(s.At)
		sr := StepReport{Step: s.Index, ID: s.ID, Line: s.Line, At: s.At, Want: s.Want}
		if s.Dial != nil {
			sr.Kind = "dial"
			dec := runDial(ctx, env, s.Dial, &sr)
			if s.ID != "" {
				decisions[s.ID] = dec
			}
		} else {
			sr.Kind = s.Event.Type
			var ref *dialgate.Decision
			if s.Event.Decision != "" {
				ref = decisions[s.Event.Decision]
				sr.Decision = s.Event.Decision
			}
			runEvent(ctx, env, s.Event, ref, &sr)
		}
		sr.Pass = len(sr.Problems) == 0
		if sr.Pass {
			rep.Passed++
		} else {
			rep.Failed++
		}
		rep.Steps = append(rep.Steps, sr)
	}
	return rep, nil
}

// Warnings returns what in f passes more than a reader of it may think: a
// dial step that wants a deny without naming its reason codes passes on any
// deny — a check's outage (<check>.unavailable), an invalid dial, another
// rule — so it does not show that the rule it is about holds. DESIGN §4 makes
// codes optional, so these are warnings, not errors.
func (f *File) Warnings() []string {
	var ws []string
	for _, s := range f.Steps {
		if s.Dial != nil && s.Want.Allowed != nil && !*s.Want.Allowed && len(s.Want.Codes) == 0 {
			ws = append(ws, fmt.Sprintf("%s:%d: step %d wants a deny without codes: any deny passes it, an outage or an invalid dial too; list the reason codes the rule gives", f.Path, s.Line, s.Index))
		}
	}
	return ws
}

// RunFile parses and runs the scenario file at path on fresh in-memory
// state.
func RunFile(ctx context.Context, path string) (*Report, error) {
	return RunFileWith(ctx, path, Options{})
}

// RunFileWith parses the scenario file at path and runs it with RunWith.
func RunFileWith(ctx context.Context, path string, opts Options) (*Report, error) {
	f, err := ParseFile(path)
	if err != nil {
		return nil, err
	}
	return RunWith(ctx, f, opts)
}

// runDial decides one dial and compares it with the step's want. It returns the
// decision (nil when the dial never reached the Gate).
func runDial(ctx context.Context, env *Env, ds *DialSpec, sr *StepReport) *dialgate.Decision {
	d, err := ds.toDial(env.Tenant)
	if err != nil {
		sr.Got = Got{Error: string(dialgate.CodeDialInvalid), Message: err.Error()}
		compareDial(sr)
		return nil
	}
	env.mu.Lock()
	g := env.Gates[env.dials%len(env.Gates)]
	env.dials++
	env.mu.Unlock()
	dec, err := g.Check(ctx, d)
	allowed := dec.Allowed
	sr.Got = Got{Allowed: &allowed, Codes: codes(dec), DecisionID: dec.ID}
	for _, e := range dec.Evidence {
		sr.Got.Evidence = append(sr.Got.Evidence, GotEvidence{Key: e.Key, Value: e.Value})
	}
	for _, r := range dec.Reasons {
		sr.Got.Reasons = append(sr.Got.Reasons, GotReason{Code: string(r.Code), Message: r.Message})
		for _, e := range r.Evidence {
			sr.Got.Evidence = append(sr.Got.Evidence, GotEvidence{Key: e.Key, Value: e.Value})
		}
	}
	if err != nil {
		sr.Got.Allowed = nil
		sr.Got.Message = err.Error()
		switch {
		case errors.Is(err, dialgate.ErrInvalidDial):
			sr.Got.Error = string(dialgate.CodeDialInvalid)
		case errors.Is(err, dialgate.ErrAuditUnavailable):
			sr.Got.Error = string(dialgate.CodeAuditUnavailable)
		default:
			sr.Got.Error = "error"
		}
	}
	compareDial(sr)
	return &dec
}

func codes(dec dialgate.Decision) []string {
	if len(dec.Reasons) == 0 {
		return nil
	}
	cs := make([]string, len(dec.Reasons))
	for i, r := range dec.Reasons {
		cs[i] = string(r.Code)
	}
	return cs
}

func compareDial(sr *StepReport) {
	w, g := sr.Want, sr.Got
	if w.Error != "" {
		if g.Error != w.Error {
			if g.Error == "" {
				sr.fail("want error %s, got a decision (%s)", w.Error, describe(g))
			} else {
				sr.fail("want error %s, got error %s", w.Error, g.Error)
			}
		}
		return
	}
	if g.Error != "" {
		sr.fail("want %s, got error %s", describeWant(w), g.Error)
		return
	}
	if *w.Allowed != *g.Allowed {
		sr.fail("want %s, got %s", allowWord(*w.Allowed), allowWord(*g.Allowed))
	}
	for _, c := range w.Codes {
		if !slices.Contains(g.Codes, c) {
			sr.fail("want code %s, not among the reasons %s", c, codeList(g.Codes))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(w.Evidence)) {
		var got []string
		for _, e := range g.Evidence {
			if e.Key == k {
				got = append(got, strconv.Quote(e.Value))
			}
		}
		switch {
		case slices.Contains(got, strconv.Quote(w.Evidence[k])):
		case len(got) == 0:
			sr.fail("want evidence %s = %q, the decision has no %s", k, w.Evidence[k], k)
		default:
			sr.fail("want evidence %s = %q, got %s", k, w.Evidence[k], strings.Join(got, ", "))
		}
	}
}

func runEvent(ctx context.Context, env *Env, ev *Event, ref *dialgate.Decision, sr *StepReport) {
	if ev.Decision != "" && ref == nil {
		sr.fail("decision %s: that dial step never reached the Gate (its dial was invalid)", ev.Decision)
		return
	}
	res, err := ev.run(ctx, env, ref)
	if err != nil {
		sr.Got = Got{Error: "error", Message: err.Error()}
		sr.fail("%s failed", ev.Type)
		return
	}
	sr.Got = Got{Error: res.Error, Message: res.Message, Deleted: res.Deleted}
	w := sr.Want
	switch {
	case w.Error != "" && res.Error != w.Error:
		if res.Error == "" {
			sr.fail("want error %s, got success", w.Error)
		} else {
			sr.fail("want error %s, got error %s", w.Error, res.Error)
		}
	case w.Error == "" && res.Error != "":
		sr.fail("want success, got error %s", res.Error)
	case w.Deleted != nil && (res.Deleted == nil || *res.Deleted != *w.Deleted):
		got := "nothing"
		if res.Deleted != nil {
			got = strconv.Itoa(*res.Deleted)
		}
		sr.fail("want deleted %d, got %s", *w.Deleted, got)
	}
}

// toDial turns the file's dial into a Dial; a malformed number or route is the
// dial's problem, reported as dial.invalid.
func (ds *DialSpec) toDial(tenant string) (dialgate.Dial, error) {
	d := dialgate.Dial{
		Purpose: dialgate.Purpose(ds.Purpose), Tenant: tenant, Industry: ds.Industry,
		BusinessLine: ds.BusinessLine, Campaign: ds.Campaign, Subject: ds.Subject,
		ConsentID: ds.ConsentID, LeadID: ds.LeadID, Route: dialgate.Route(ds.Route),
		CalleeZone: ds.CalleeZone, AgentReserved: ds.AgentReserved,
	}
	if ds.Tenant != "" {
		d.Tenant = ds.Tenant
	}
	if ds.TriggerAt != nil {
		d.TriggerAt = *ds.TriggerAt
	}
	var err error
	if ds.To == "" {
		return d, errors.New("to: missing callee number")
	}
	if d.To, err = dialgate.ParseNumber(ds.To); err != nil {
		return d, fmt.Errorf("to: %w", err)
	}
	if ds.From != "" {
		if d.From, err = dialgate.ParseNumber(ds.From); err != nil {
			return d, fmt.Errorf("from: %w", err)
		}
	}
	return d, nil
}

func secondsDuration(s int) time.Duration { return time.Duration(s) * time.Second }

func allowWord(b bool) string {
	if b {
		return "allowed"
	}
	return "denied"
}

func codeList(cs []string) string {
	if len(cs) == 0 {
		return "(none)"
	}
	return "[" + strings.Join(cs, " ") + "]"
}
