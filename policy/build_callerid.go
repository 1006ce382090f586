package policy

import (
	"fmt"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/callerid"
)

func calleridSection() section {
	return section{
		name:    "callerid",
		present: func(p *Profile) bool { return p.CallerID != nil },
		build: func(p *Profile, deps Deps) ([]dialgate.Checker, error) {
			if deps.Ledger == nil && (p.CallerID.Ledger != nil || p.CallerID.SubscriberNumber != nil) {
				return nil, fmt.Errorf("deps.Ledger: missing (the callerid ledger and subscriber_number rules need a callerid.Store)")
			}
			c, err := callerid.New(*p.CallerID, deps.Ledger)
			if err != nil {
				return nil, err
			}
			return []dialgate.Checker{c}, nil
		},
		explain: func(p *Profile) []Rule {
			c := p.CallerID
			rules := []Rule{{Section: "callerid", Path: "callerid",
				Text: "every dial presents a caller ID (callerid.missing); a +86 caller ID must be a valid Chinese voice number, not a 106 SMS port (callerid.invalid)", Cite: c.Cite}}
			add := func(r *callerid.Rule, path, text string) {
				if r != nil {
					rules = append(rules, Rule{Section: "callerid", Path: "callerid." + path, Text: text, Cite: r.Cite})
				}
			}
			add(c.Ledger, "ledger", "the caller ID is in the tenant's ledger, used for a listed purpose, not office-use only, within its validity")
			add(c.SubscriberNumber, "subscriber_number", "no ordinary mobile (subscriber) number as caller ID unless the ledger marks it an allocated business line")
			add(c.InboundOnly, "inbound_only", "no 400 or 800 (inbound-only) number as caller ID")
			add(c.InternationalRoute, "international_route", "no +86 caller ID on an international route")
			return rules
		},
	}
}
