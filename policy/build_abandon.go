package policy

import (
	"errors"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
)

func abandonmentSection() section {
	return section{
		name:    "abandonment",
		present: func(p *Profile) bool { return p.Abandonment != nil },
		build: func(p *Profile, deps Deps) ([]dialgate.Checker, error) {
			if deps.Counters == nil {
				return nil, errors.New("deps.Counters: missing (the abandonment section counts answered and abandoned calls in a counter store, e.g. memstore or boltstore)")
			}
			c, err := schedule.NewAbandonCheck(*p.Abandonment, deps.Counters)
			if err != nil {
				return nil, err
			}
			return []dialgate.Checker{c}, nil
		},
		explain: func(p *Profile) []Rule {
			a := p.Abandonment
			dial := "any dial"
			if len(a.Purposes) > 0 {
				dial = "a " + joinPurposes(a.Purposes, " or ") + " dial"
			}
			return []Rule{{Section: "abandonment", Path: "abandonment",
				Text: "a campaign may abandon at most " + a.MaxRatePercent() + " of the calls a person answered, over a sliding " + a.WindowText() +
					" (counted per tenant and campaign from the outcomes reported); above it, " + dial + " without an agent reserved (agent_reserved) is denied (abandon.rate_exceeded)",
				Cite: a.Cite}}
		},
	}
}
