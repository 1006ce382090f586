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
			if deps.CounterHistory != nil {
				opts = append(opts, schedule.WithCounterHistory(*deps.CounterHistory))
			}
			if deps.AllowLifetime != 0 {
				opts = append(opts, schedule.WithAllowLifetime(deps.AllowLifetime))
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
	for _, pz := range []struct {
		path, after string
		p           *schedule.Pause
	}{
		{"frequency.pause_after_conversation", "a reported conversation", c.PauseAfterConversation},
		{"frequency.pause_after_abandoned", "a reported abandoned call", c.PauseAfterAbandoned},
		{"frequency.pause_after_refusal", "a reported refusal (the callee refused the offer)", c.PauseAfterRefusal},
	} {
		p := pz.p
		if p == nil {
			continue
		}
		who := "callee"
		if p.Per != "" {
			who = string(p.Per)
		}
		of := ""
		if len(p.Purposes) > 0 {
			of = joinPurposes(p.Purposes, " or ") + " "
		}
		rules = append(rules, Rule{Section: "frequency", Path: pz.path,
			Text: fmt.Sprintf("no %scall within %s after %s, per %s (frequency.capped)", of, p.Window, pz.after, who),
			Cite: p.Cite})
	}
	return rules
}
