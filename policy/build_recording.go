package policy

import (
	"fmt"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/schedule"
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
			zone := ComplaintZone(p)
			if zone == "" {
				zone = "UTC"
			}
			return []Rule{{Section: "complaint", Path: "complaint",
				Text: fmt.Sprintf("a complaint lists the number on the do-not-call list at once and holds its recordings; it is forwarded within %d working days, handled within %d more and answered within %d after that (working days counted in %s)", f, h, a, zone),
				Cite: c.Cite}}
		},
	}
}

// NewRecordingManager returns a recording Manager over deps.Recordings (and
// deps.Media) with p's retention — the 30-day floor when p has no recording
// section. Gates built by Build hold their own Manager in the recording check;
// this is for tools that manage recordings without a Gate.
func NewRecordingManager(p *Profile, deps Deps) (*recording.Manager, error) {
	if deps.Recordings == nil {
		return nil, fmt.Errorf("deps.Recordings: missing")
	}
	if deps.CalleeHasher == nil {
		return nil, fmt.Errorf("deps.CalleeHasher: missing (recordings store callees as keyed hashes)")
	}
	var cfg recording.Config
	if p.Recording != nil {
		cfg = *p.Recording
	}
	return recording.NewManager(cfg, deps.Recordings, deps.Media, deps.CalleeHasher)
}

// NewComplaintDesk returns the complaint desk of p: p's deadlines (3, 15 and 3
// working days by default), working days from p's holiday calendars (with
// their make-up working days), counted in p's complaint.zone, else its
// schedule.default_zone, else UTC. lists must be the do-not-call check the
// Gate reads (a complaint lists the number at once); holds may be nil when no
// recordings are kept. When holds is a *recording.Manager, its holds are
// guarded by complaint.HoldGuard: a complaint's hold is not released before
// the complaint is answered; and a recording it registers later carries the
// holds of its callee's unanswered complaints (complaint.RecordingHolds).
func NewComplaintDesk(p *Profile, store complaint.Store, lists complaint.DNCLister, holds complaint.RecordingHolder, hasher complaint.CalleeHasher) (*complaint.Desk, error) {
	var cfg complaint.Config
	if p.Complaint != nil {
		cfg = *p.Complaint
	}
	var cals []*schedule.Calendar
	loc := time.UTC
	if s := p.Schedule; s != nil {
		if s.Holidays != nil {
			for _, name := range s.Holidays.Calendars {
				c, ok := schedule.CalendarByName(name)
				if !ok {
					return nil, fmt.Errorf("schedule.holidays.calendars: unknown calendar %q", name)
				}
				cals = append(cals, c)
			}
		}
		if s.DefaultZone != nil {
			l, err := time.LoadLocation(s.DefaultZone.Name)
			if err != nil {
				return nil, fmt.Errorf("schedule.default_zone: %w", err)
			}
			loc = l
		}
	}
	if cfg.Zone != "" {
		l, err := time.LoadLocation(cfg.Zone)
		if err != nil {
			return nil, fmt.Errorf("complaint.zone: %w", err)
		}
		loc = l
	}
	if m, ok := holds.(*recording.Manager); ok && m != nil {
		// A complaint's holds stay until the complaint is answered, and
		// reach the callee's recordings registered after it.
		m.GuardHolds(complaint.HoldGuard(store))
		m.HoldNew(complaint.RecordingHolds(store))
	}
	return complaint.NewDesk(cfg, store, lists, holds, hasher, schedule.NewWorkdays(cals...), loc)
}

// ComplaintZone returns the name of the zone p's complaint deadlines are
// counted in: complaint.zone, else schedule.default_zone, else "" (UTC).
func ComplaintZone(p *Profile) string {
	if c := p.Complaint; c != nil && c.Zone != "" {
		return c.Zone
	}
	if s := p.Schedule; s != nil && s.DefaultZone != nil {
		return s.DefaultZone.Name
	}
	return ""
}
