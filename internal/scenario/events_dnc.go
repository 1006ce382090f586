package scenario

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
)

// dncEntryArgs is one entry of the top-level dnc: key.
type dncEntryArgs struct {
	Number  string    `json:"number"`
	Scope   string    `json:"scope"`
	AddedAt time.Time `json:"added_at"`
	Source  string    `json:"source,omitempty"`
	List    string    `json:"list,omitempty"`

	number dialgate.Number
	scope  dnc.Scope
}

// parse checks the entry's keys; at names it in errors ("[1]").
func (e *dncEntryArgs) parse(at string) error {
	var err error
	if e.Number == "" {
		return fmt.Errorf("%s.number: missing", at)
	}
	if e.number, err = dialgate.ParseNumber(e.Number); err != nil {
		return fmt.Errorf("%s.number: %w", at, err)
	}
	if e.Scope == "" {
		return fmt.Errorf("%s.scope: missing (want global, industry:<x>, business:<x>, tenant:<x> or campaign:<x>)", at)
	}
	if e.scope, err = dnc.ParseScope(e.Scope); err != nil {
		return fmt.Errorf("%s.scope: %w", at, err)
	}
	if e.AddedAt.IsZero() {
		return fmt.Errorf("%s.added_at: missing (want an RFC 3339 time)", at)
	}
	if len(e.List) > 128 {
		return fmt.Errorf("%s.list: longer than 128 bytes", at)
	}
	return nil
}

// dncCheck returns the Gate's own do-not-call check: writes must go through
// it so that its in-memory overlay sees them before the next dial.
func dncCheck(env *Env) (*dnc.Check, error) {
	c, ok := FindCheck[*dnc.Check](env)
	if !ok {
		return nil, fmt.Errorf("profile %s has no dnc section (add one under policy: to use do-not-call lists)", env.Profile.Name)
	}
	if c.Lists() == nil {
		return nil, fmt.Errorf("profile %s: the dnc check has no store-backed lists", env.Profile.Name)
	}
	return c, nil
}

// dncSeed lists the top-level dnc: entries through the Gate's dnc check (its
// Add applies the profile's hold) before the first step. An entry without
// list: goes on list "internal"; without source: its source is "scenario".
func dncSeed() *seedSpec {
	return seedKey(func(a *[]dncEntryArgs) error {
		for i := range *a {
			if err := (*a)[i].parse(fmt.Sprintf("[%d]", i)); err != nil {
				return err
			}
		}
		return nil
	}, func(ctx context.Context, env *Env, a *[]dncEntryArgs) error {
		c, err := dncCheck(env)
		if err != nil {
			return err
		}
		es := make([]dnc.Entry, len(*a))
		for i, e := range *a {
			es[i] = dnc.Entry{Number: e.number, Scope: e.scope, List: orDefault(e.List, "internal"), Source: orDefault(e.Source, "scenario"), AddedAt: e.AddedAt}
		}
		return c.Add(ctx, es...)
	})
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// optOutArgs are the keys of an opt_out event: a refusal taken during a call.
type optOutArgs struct {
	Number string `json:"number"`
	Scope  string `json:"scope"`

	number dialgate.Number
	scope  dnc.Scope
}

// optOutEvent lists the number in the scope at the step's instant, on list
// "opt_out" with source "call", through the Gate's dnc check: the next dial
// sees it.
func optOutEvent() *eventSpec {
	return event(false, func(a *optOutArgs) error {
		e := dncEntryArgs{Number: a.Number, Scope: a.Scope, AddedAt: time.Unix(1, 0)}
		if err := e.parse("opt_out"); err != nil {
			return errors.New(strings.TrimPrefix(err.Error(), "opt_out."))
		}
		a.number, a.scope = e.number, e.scope
		return nil
	}, func(ctx context.Context, env *Env, a *optOutArgs, _ *dialgate.Decision) (Result, error) {
		c, err := dncCheck(env)
		if err != nil {
			return Result{}, err
		}
		err = c.Add(ctx, dnc.Entry{Number: a.number, Scope: a.scope, List: "opt_out", Source: "call", AddedAt: env.Clock.Now()})
		return Result{}, err
	})
}

// registryArgs is a registry copy: an entry of the top-level registries: key
// or the keys of a load_registry event. Without a name it stands for every
// registry the profile requires.
type registryArgs struct {
	Name    string    `json:"name,omitempty"`
	AsOf    time.Time `json:"as_of"`
	Numbers []string  `json:"numbers,omitempty"`

	set *dnc.Set
}

func (r *registryArgs) parse(at string) error {
	if r.AsOf.IsZero() {
		return fmt.Errorf("%sas_of: missing (the RFC 3339 instant the copy is current as of)", at)
	}
	vs := make([]uint64, 0, len(r.Numbers))
	for i, s := range r.Numbers {
		n, err := dialgate.ParseNumber(s)
		if err != nil {
			return fmt.Errorf("%snumbers[%d]: %w", at, i, err)
		}
		vs = append(vs, n.Uint64())
	}
	slices.Sort(vs)
	r.set = dnc.NewSet(slices.Compact(vs))
	return nil
}

// swapper is what a registry provider a scenario can load a copy into offers
// (dnc.Registry).
type swapper interface {
	Swap(*dnc.Snapshot) (*dnc.Snapshot, error)
}

// load swaps the copy into the named registry of the Gate's dnc check, or
// into every registry the profile requires when r has no name.
func (r *registryArgs) load(env *Env) error {
	c, ok := FindCheck[*dnc.Check](env)
	if !ok {
		return fmt.Errorf("profile %s has no dnc section, so it requires no registry", env.Profile.Name)
	}
	var required []string
	for _, rc := range c.Config().Registries {
		required = append(required, rc.Name)
	}
	names := required
	if r.Name != "" {
		names = []string{r.Name}
	}
	if len(names) == 0 {
		return fmt.Errorf("profile %s requires no registry (name one of its providers)", env.Profile.Name)
	}
	for _, name := range names {
		p := c.Provider(name)
		if p == nil {
			return fmt.Errorf("registry %q: profile %s has no such registry (it requires %s)", name, env.Profile.Name, wordList(required))
		}
		sw, ok := p.(swapper)
		if !ok {
			return fmt.Errorf("registry %q: its provider cannot load a copy", name)
		}
		s, err := dnc.NewSnapshot(dnc.Header{Name: name, Source: "scenario", AsOf: r.AsOf, CreatedAt: r.AsOf}, r.set)
		if err != nil {
			return fmt.Errorf("registry %q: %w", name, err)
		}
		if _, err := sw.Swap(s); err != nil {
			return err
		}
	}
	return nil
}

func wordList(ss []string) string {
	if len(ss) == 0 {
		return "none"
	}
	return strings.Join(ss, ", ")
}

// registriesSeed loads the top-level registries: copies before the first step.
func registriesSeed() *seedSpec {
	return seedKey(func(a *[]registryArgs) error {
		for i := range *a {
			if err := (*a)[i].parse(fmt.Sprintf("[%d].", i)); err != nil {
				return err
			}
		}
		return nil
	}, func(_ context.Context, env *Env, a *[]registryArgs) error {
		for i := range *a {
			if err := (*a)[i].load(env); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
		return nil
	})
}

// loadRegistryEvent swaps a new registry copy in while the scenario runs, as a
// host does when a fresh download arrives.
func loadRegistryEvent() *eventSpec {
	return event(false, func(a *registryArgs) error { return a.parse("") },
		func(_ context.Context, env *Env, a *registryArgs, _ *dialgate.Decision) (Result, error) {
			return Result{}, a.load(env)
		})
}
