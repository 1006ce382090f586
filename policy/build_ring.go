package policy

import (
	"fmt"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
)

func ringSection() section {
	return section{
		name:    "ring",
		present: func(p *Profile) bool { return p.Ring != nil },
		build: func(p *Profile, _ Deps) ([]dialgate.Checker, error) {
			c, err := schedule.NewRingCheck(*p.Ring)
			if err != nil {
				return nil, err
			}
			return []dialgate.Checker{c}, nil
		},
		explain: func(p *Profile) []Rule {
			c := p.Ring
			secs := int64(c.Min.Std().Seconds())
			return []Rule{{Section: "ring", Path: "ring",
				Text: fmt.Sprintf("an unanswered call rings at least %ds before the dialer gives up on it; "+
					"every decision tells the dialer (evidence %s = %d). dialgate cannot hold a ring open, so it never denies for this: "+
					"`report quarterly` counts the unanswered calls reported with a shorter ring", secs, schedule.EvidenceRingMinSeconds, secs),
				Cite: c.Cite}}
		},
	}
}
