package policy

import (
	"fmt"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/recording"
)

func recordingSection() section {
	return section{
		name:    "recording",
		present: func(p *Profile) bool { return p.Recording != nil },
		build: func(p *Profile, deps Deps) ([]dialgate.Checker, error) {
			var mgr *recording.Manager
			if deps.Recordings != nil {
				if deps.CalleeHasher == nil {
					return nil, fmt.Errorf("deps.CalleeHasher: missing (recordings store callees as keyed hashes)")
				}
				var err error
				mgr, err = recording.NewManager(*p.Recording, deps.Recordings, deps.Media, deps.CalleeHasher)
				if err != nil {
					return nil, err
				}
			}
			c, err := recording.NewCheck(*p.Recording, mgr)
			if err != nil {
				return nil, err
			}
			return []dialgate.Checker{c}, nil
		},
		explain: func(p *Profile) []Rule {
			c := p.Recording
			text := fmt.Sprintf("call recordings are kept at least %s (never less than 30 days) and cannot be deleted before then or under a legal hold", dialgate.Duration(c.RetentionPeriod()))
			if c.Required {
				text = "every call must be recorded; " + text + "; dials are denied (recording.not_configured) when no recording store with that retention is configured"
			}
			return []Rule{{Section: "recording", Path: "recording", Text: text, Cite: c.Cite}}
		},
	}
}

func complaintSection() section {
	return section{
		name:    "complaint",
		present: func(p *Profile) bool { return p.Complaint != nil },
		build:   func(*Profile, Deps) ([]dialgate.Checker, error) { return nil, nil },
		explain: func(p *Profile) []Rule {
			c := p.Complaint
			f, h, a := c.ForwardDays, c.HandleDays, c.AnswerDays
			if f == 0 {
				f = 3
			}
			if h == 0 {
				h = 15
			}
			if a == 0 {
				a = 3
			}
			return []Rule{{Section: "complaint", Path: "complaint",
				Text: fmt.Sprintf("a complaint lists the number on the do-not-call list at once and holds its recordings; it is forwarded within %d working days, handled within %d more and answered within %d after that", f, h, a),
				Cite: c.Cite}}
		},
	}
}
