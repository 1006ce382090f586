package policy

import (
	"context"
	"fmt"

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
			var rules []Rule
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
