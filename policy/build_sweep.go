package policy

import (
	"fmt"
	"maps"
	"slices"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/sweep"
)

func sweepSection() section {
	return section{
		name:    "sweep",
		present: func(p *Profile) bool { return p.Sweep != nil },
		build: func(p *Profile, deps Deps) ([]dialgate.Checker, error) {
			c := p.Sweep
			if c.Provenance == nil && c.SegmentRate == nil && c.Sequential == nil && c.Stride == nil && len(c.Tenants) == 0 {
				return nil, nil // coverage only: a screening rule, no run-time check
			}
			if c.HasSegmentRate() && deps.Counters == nil {
				return nil, fmt.Errorf("deps.Counters: missing (the sweep segment_rate rule needs a storage.Counters)")
			}
			chk, err := sweep.New(*c, deps.Counters, sweep.WithRuns(deps.Runs))
			if err != nil {
				return nil, err
			}
			return []dialgate.Checker{chk}, nil
		},
		explain: func(p *Profile) []Rule {
			c := p.Sweep
			var rules []Rule
			if r := c.Provenance; r != nil {
				rules = append(rules, Rule{Section: "sweep", Path: "sweep.provenance",
					Text: "every dial carries lead provenance (consent id, lead id or inbound trigger)", Cite: r.Cite})
			}
			if r := c.SegmentRate; r != nil {
				rules = append(rules, Rule{Section: "sweep", Path: "sweep.segment_rate",
					Text: fmt.Sprintf("at most %d distinct numbers of one segment (号段) per tenant within %s", r.Max, r.Window), Cite: r.Cite})
			}
			if r := c.Sequential; r != nil {
				rules = append(rules, Rule{Section: "sweep", Path: "sweep.sequential",
					Text: fmt.Sprintf("no run of %d or more consecutive numbers of one segment, or across the boundary of two (gaps of at most %d%s), within %s; the segment (or the numbers around that boundary) then closes to the tenant for %s", r.MinRun, r.MaxGap, stepText(r), r.Window, r.Window), Cite: r.Cite})
			}
			if r := c.Stride; r != nil {
				rules = append(rules, Rule{Section: "sweep", Path: "sweep.stride",
					Text: fmt.Sprintf("no stride of %d or more successive segments (号段) dialled with the same last four digits (at most %d segments skipped%s), within %s; those last four digits then close to the tenant for %s", r.MinRun, r.MaxGap, stepText(r), r.Window, r.Window), Cite: r.Cite})
			}
			for _, name := range slices.Sorted(maps.Keys(c.Tenants)) {
				t := c.Tenants[name]
				if r := t.SegmentRate; r != nil {
					rules = append(rules, Rule{Section: "sweep", Path: "sweep.tenants." + name + ".segment_rate",
						Text: fmt.Sprintf("tenant %q: at most %d distinct numbers of one segment (号段) within %s", name, r.Max, r.Window), Cite: r.Cite})
				}
				if r := t.Sequential; r != nil {
					rules = append(rules, Rule{Section: "sweep", Path: "sweep.tenants." + name + ".sequential",
						Text: fmt.Sprintf("tenant %q: no run of %d or more consecutive numbers (gaps of at most %d%s) within %s; the segment then closes to the tenant for %s", name, r.MinRun, r.MaxGap, stepText(r), r.Window, r.Window), Cite: r.Cite})
				}
				if r := t.Stride; r != nil {
					rules = append(rules, Rule{Section: "sweep", Path: "sweep.tenants." + name + ".stride",
						Text: fmt.Sprintf("tenant %q: no stride of %d or more successive segments dialled with the same last four digits (at most %d skipped%s) within %s", name, r.MinRun, r.MaxGap, stepText(r), r.Window), Cite: r.Cite})
				}
			}
			if r := c.Coverage; r != nil {
				rules = append(rules, Rule{Section: "sweep", Path: "sweep.coverage",
					Text: fmt.Sprintf("a dial list holds at most %d distinct numbers of one segment (list screening)", r.MaxPerSegment), Cite: r.Cite})
			}
			return rules
		},
	}
}

// stepText is the part of a run rule's text naming its max step: ", or a
// fixed step of <max_gap+2> to <max_step>", "" without one.
func stepText(r *sweep.Sequential) string {
	if r.MaxStep == 0 {
		return ""
	}
	return fmt.Sprintf(", or a fixed step of %d to %d", r.MaxGap+2, r.MaxStep)
}
