package sweep

import (
	"fmt"
	"time"

	"github.com/dialgate/dialgate"
)

// Rule is a rule without parameters, with its citation.
type Rule struct {
	// Cite says where the rule comes from. Required.
	Cite dialgate.Citation `json:"cite"`
}

// SegmentRate limits the distinct numbers of one segment a tenant may dial
// within a sliding window.
type SegmentRate struct {
	// Max is the number of distinct numbers of one segment allowed in Window;
	// the next distinct one is denied (sweep.segment_rate). 1–10,000.
	Max int `json:"max"`
	// Window is the sliding window's length. Positive, at most 366 days.
	Window dialgate.Duration `json:"window"`
	// Cite says where the limit comes from. Required.
	Cite dialgate.Citation `json:"cite"`
}

// Sequential detects runs of consecutive numbers in one segment.
type Sequential struct {
	// MinRun is the length from which a run is a sweep: a dial that would make
	// MinRun or more numbers of the run is denied (sweep.sequential). 3–10,000.
	MinRun int `json:"min_run"`
	// MaxGap is how many numbers may be skipped between two members of a run:
	// with MaxGap 2, …0000, …0003, …0004 are a run (0–100).
	MaxGap int `json:"max_gap"`
	// Window is how long a dialled number stays part of a possible run (run
	// time only; screening looks at the whole list). Positive, at most 366 days.
	Window dialgate.Duration `json:"window"`
	// Cite says where the rule comes from. Required.
	Cite dialgate.Citation `json:"cite"`
}

// Coverage flags, when screening a list, segments of which the list holds too
// many numbers.
type Coverage struct {
	// MaxPerSegment is the number of distinct numbers of one segment a list may
	// hold; every number of a segment with more is flagged
	// (sweep.segment_coverage). 1–10,000.
	MaxPerSegment int `json:"max_per_segment"`
	// Cite says where the limit comes from. Required.
	Cite dialgate.Citation `json:"cite"`
}

// Config is the profile section "sweep". Each rule is on when given (non-nil)
// and off when left out; the zero Config has every rule off, and New refuses
// it. Coverage applies to list screening only.
//
// In YAML:
//
//	sweep:
//	  provenance: {cite: {source: L, ref: "工信厅信管函〔2018〕337号 (CN-S4b)"}}
//	  segment_rate: {max: 50, window: 1h, cite: {source: U, ref: "dialgate convention (CN-S4b)"}}
//	  sequential: {min_run: 20, max_gap: 2, window: 24h, cite: {source: U, ref: "dialgate convention (CN-S4b)"}}
//	  coverage: {max_per_segment: 200, cite: {source: U, ref: "dialgate convention (CN-S4b)"}}
type Config struct {
	// Provenance denies dials without a consent id, lead id or trigger
	// (sweep.no_provenance). Nil: off.
	Provenance *Rule `json:"provenance,omitempty"`
	// SegmentRate limits distinct numbers per segment and tenant in a sliding
	// window (sweep.segment_rate). Nil: off.
	SegmentRate *SegmentRate `json:"segment_rate,omitempty"`
	// Sequential denies runs through a segment (sweep.sequential). Nil: off.
	Sequential *Sequential `json:"sequential,omitempty"`
	// Coverage flags densely covered segments in list screening. Nil: off.
	Coverage *Coverage `json:"coverage,omitempty"`
}

const maxWindow = 366 * 24 * time.Hour

// Validate reports the first problem of c, naming the field
// ("sweep.segment_rate.max: 0 is not between 1 and 10000").
func (c Config) Validate() error {
	if r := c.Provenance; r != nil {
		if err := r.Cite.Validate("sweep.provenance.cite"); err != nil {
			return err
		}
	}
	if r := c.SegmentRate; r != nil {
		if r.Max < 1 || r.Max > 10000 {
			return fmt.Errorf("sweep.segment_rate.max: %d is not between 1 and 10000", r.Max)
		}
		if err := checkWindow("sweep.segment_rate.window", r.Window); err != nil {
			return err
		}
		if err := r.Cite.Validate("sweep.segment_rate.cite"); err != nil {
			return err
		}
	}
	if r := c.Sequential; r != nil {
		if r.MinRun < 3 || r.MinRun > 10000 {
			return fmt.Errorf("sweep.sequential.min_run: %d is not between 3 and 10000", r.MinRun)
		}
		if r.MaxGap < 0 || r.MaxGap > 100 {
			return fmt.Errorf("sweep.sequential.max_gap: %d is not between 0 and 100", r.MaxGap)
		}
		if err := checkWindow("sweep.sequential.window", r.Window); err != nil {
			return err
		}
		if err := r.Cite.Validate("sweep.sequential.cite"); err != nil {
			return err
		}
	}
	if r := c.Coverage; r != nil {
		if r.MaxPerSegment < 1 || r.MaxPerSegment > 10000 {
			return fmt.Errorf("sweep.coverage.max_per_segment: %d is not between 1 and 10000", r.MaxPerSegment)
		}
		if err := r.Cite.Validate("sweep.coverage.cite"); err != nil {
			return err
		}
	}
	return nil
}

func checkWindow(field string, d dialgate.Duration) error {
	if d <= 0 {
		return fmt.Errorf("%s: %v is not positive", field, d)
	}
	if d.Std() > maxWindow {
		return fmt.Errorf("%s: %v is longer than 366d", field, d)
	}
	return nil
}
