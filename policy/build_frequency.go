package policy

import (
	"errors"
	"fmt"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
)

func frequencySection() section {
	return section{
		name:    "frequency",
		present: func(p *Profile) bool { return p.Frequency != nil },
		build: func(p *Profile, deps Deps) ([]dialgate.Checker, error) {
			if deps.Counters == nil {
				return nil, errors.New("deps.Counters: missing (the frequency section needs a counter store, e.g. memstore or boltstore)")
			}
			var opts []schedule.CapOption
			if deps.HashKey != nil {
				opts = append(opts, schedule.WithCapHashKey(deps.HashKey))
			}
			c, err := schedule.NewCapCheck(*p.Frequency, deps.Counters, opts...)
			if err != nil {
				return nil, err
			}
			return []dialgate.Checker{c}, nil
		},
		explain: func(p *Profile) []Rule { return explainFrequency(p.Frequency) },
	}
}

func explainFrequency(c *schedule.CapsConfig) []Rule {
	var rules []Rule
	for i, cp := range c.Caps {
		rules = append(rules, Rule{Section: "frequency", Path: fmt.Sprintf("frequency.caps[%d]", i),
			Text: fmt.Sprintf("at most %s, in a sliding window, across all caller IDs and campaigns of the tenant (frequency.capped)", cp),
			Cite: cp.Cite})
	}
	if p := c.PauseAfterConversation; p != nil {
		who := "callee"
		if p.Per != "" {
			who = string(p.Per)
		}
		rules = append(rules, Rule{Section: "frequency", Path: "frequency.pause_after_conversation",
			Text: fmt.Sprintf("no call within %s after a reported conversation, per %s (frequency.capped)", p.Window, who),
			Cite: p.Cite})
	}
	return rules
}
