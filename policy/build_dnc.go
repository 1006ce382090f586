package policy

import (
	"context"
	"fmt"
	"strings"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
)

func dncSection() section {
	return section{
		name:    "dnc",
		present: func(p *Profile) bool { return p.DNC != nil },
		build: func(p *Profile, deps Deps) ([]dialgate.Checker, error) {
			if deps.DNC == nil {
				return nil, fmt.Errorf("deps.DNC: missing (the dnc section needs a dnc.Store)")
			}
			lists, err := dnc.NewLists(context.Background(), deps.DNC, dnc.ListsOptions{})
			if err != nil {
				return nil, err
			}
			providers := append([]dnc.Provider(nil), deps.DNCRegistries...)
			have := map[string]bool{}
			for _, pr := range providers {
				if pr != nil {
					have[pr.Name()] = true
				}
			}
			for _, r := range p.DNC.Registries {
				if !have[r.Name] {
					reg, err := dnc.NewRegistry(r.Name)
					if err != nil {
						return nil, err
					}
					providers = append(providers, reg)
				}
			}
			c, err := dnc.New(*p.DNC, lists, providers...)
			if err != nil {
				return nil, err
			}
			return []dialgate.Checker{c}, nil
		},
		explain: func(p *Profile) []Rule {
			c := p.DNC
			// The rule every dnc section enforces, whatever else it sets.
			calls := "a dial"
			if len(c.Purposes) > 0 {
				calls = "a " + joinPurposes(c.Purposes, " or ") + " dial"
			}
			rules := []Rule{{Section: "dnc", Path: "dnc",
				Text: calls + " to a callee on a do-not-call list in its scope (global, or the dial's industry, business line, tenant or campaign: opt-outs, complaints" +
					registryWord(c) + ") is denied (dnc.listed)",
				Cite: dncSectionCite(c)}}
			if len(c.Purposes) > 0 {
				rules = append(rules, Rule{Section: "dnc", Path: "dnc.purposes",
					Text: "do-not-call lists apply to " + joinPurposes(c.Purposes, ", ") + " calls", Cite: c.PurposesCite})
			}
			if c.Hold.Months != 0 || c.Hold.Days != 0 {
				rules = append(rules, Rule{Section: "dnc", Path: "dnc.hold",
					Text: fmt.Sprintf("a do-not-call entry is kept at least %d months %d days", c.Hold.Months, c.Hold.Days), Cite: c.Hold.Cite})
			}
			if c.ListRefusals != nil {
				rules = append(rules, Rule{Section: "dnc", Path: "dnc.list_refusals",
					Text: "an outcome reported refused lists the callee at once, in the scope of the dial's tenant, else industry, else business line", Cite: c.ListRefusals.Cite})
			}
			for i, r := range c.Registries {
				text := fmt.Sprintf("registry %s must be loaded", r.Name)
				if r.MaxAge > 0 {
					text = fmt.Sprintf("registry %s copy no older than %s, else every dial is denied", r.Name, r.MaxAge)
				}
				if r.Scope != "" && r.Scope != dnc.GlobalScope.String() {
					text += fmt.Sprintf(" (a copy built in scope %s)", r.Scope)
				}
				rules = append(rules, Rule{Section: "dnc", Path: fmt.Sprintf("dnc.registries[%d]", i), Text: text, Cite: r.Cite})
			}
			return rules
		},
	}
}

// registryWord names the registries of a dnc section among the lists a
// listed callee may be on: ", registry us-national-dnc".
func registryWord(c *dnc.Config) string {
	if len(c.Registries) == 0 {
		return ""
	}
	names := make([]string, len(c.Registries))
	for i, r := range c.Registries {
		names[i] = r.Name
	}
	if len(names) == 1 {
		return ", registry " + names[0]
	}
	return ", registries " + strings.Join(names, ", ")
}

// dncSectionCite returns the citation of the dnc section's listing rule: the
// first rule of the section that a law or a regulator requires (dncLawCite),
// else the first cited rule, else dialgate's convention (a section of no
// cited rule still screens the lists the host keeps).
func dncSectionCite(c *dnc.Config) dialgate.Citation {
	if cite, ok := dncLawCite(c); ok {
		return cite
	}
	for _, cite := range []dialgate.Citation{c.PurposesCite, c.Hold.Cite} {
		if cite.Source != "" {
			return cite
		}
	}
	if c.ListRefusals != nil {
		return c.ListRefusals.Cite
	}
	for _, r := range c.Registries {
		if r.Cite.Source != "" {
			return r.Cite
		}
	}
	return dialgate.Citation{Source: dialgate.SourceConvention,
		Ref:  "dialgate: a profile with a dnc section screens every dial against the do-not-call lists the host keeps",
		Note: "Opt-outs and complaints are listed by the host (dnc add, FileComplaint); the section's other keys add registries, a minimum hold and the listing of refusals."}
}
