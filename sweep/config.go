package sweep

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage"
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
	// Window is the sliding window's length. At least a minute, at most 366 days.
	Window dialgate.Duration `json:"window"`
	// Cite says where the limit comes from. Required.
	Cite dialgate.Citation `json:"cite"`
}

// Sequential detects runs of consecutive numbers in one segment.
type Sequential struct {
	// MinRun is the length from which a run is a sweep: a dial that would make
	// MinRun or more numbers of the run is denied (sweep.sequential). 3–10,000;
	// for the sequential rule at most 5,000/(MaxGap+1)+1 (see MaxGap).
	MinRun int `json:"min_run"`
	// MaxGap is how many numbers may be skipped between two members of a run:
	// with MaxGap 2, …0000, …0003, …0004 are a run (0–100). For the
	// sequential rule, (MinRun-1)×(MaxGap+1) is at most 5,000, so that a run
	// across a segment boundary is seen whole in the block across it.
	MaxGap int `json:"max_gap"`
	// Window is how long a dialled number stays part of a possible run (run
	// time only; screening looks at the whole list). At least a minute, at most 366 days.
	Window dialgate.Duration `json:"window"`
	// MaxStep, when given, makes numbers a fixed step apart a run too: a
	// dialer walking a segment by a step of 4 or more (…1234, …1241,
	// …1248) dials an arithmetic progression, which the gaps do not join.
	// MinRun or more numbers of such a progression, with a common step
	// above MaxGap+1 and at most MaxStep, up to MaxGap members in a row
	// missing (left out, or refused by a do-not-call list), are a sweep
	// (sweep.sequential, evidence sweep.max_step). 0 (left out): off;
	// otherwise MaxGap+2 to MaxStepLimit and, for the sequential rule, at
	// most 5,000/(MinRun-1), so that a progression of MinRun numbers with
	// no member missing spans at most half a segment and one across a
	// segment boundary is seen whole in the block across it (cn: min_run
	// 20, at most 263; us-ok: min_run 10, at most 555); one with members
	// missing may span more.
	MaxStep int `json:"max_step,omitempty"`
	// Cite says where the rule comes from. Required.
	Cite dialgate.Citation `json:"cite"`
}

// MaxStepLimit is the largest Sequential.MaxStep: a progression of 20
// numbers with a step above 500 does not fit in one segment of 10,000. A
// sequential rule's max step is bounded by its min_run too (see
// Sequential.MaxStep).
const MaxStepLimit = 1000

// params returns the storage.RunParams of r (a valid rule).
func (r *Sequential) params() storage.RunParams {
	return storage.RunParams{MinRun: r.MinRun, MaxGap: r.MaxGap, MaxStep: r.MaxStep, Window: r.Window.Std()}
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

// TenantRules are one tenant's thresholds (REQUIREMENTS §3: configurable per
// tenant). Each given rule replaces the profile's for that tenant's dials;
// where the profile has the rule, the tenant's must be at least as strict in
// every parameter (Config.Validate), so that it implies the profile's: a
// tenant can be held to tighter thresholds, never looser ones (loosen a
// convention in a profile overlay, where policy lint sees it). A rule the
// profile lacks may be added for a tenant. The zero TenantRules is invalid.
type TenantRules struct {
	// SegmentRate replaces the profile's segment_rate for the tenant: Max no
	// higher, Window no shorter. Nil: the profile's.
	SegmentRate *SegmentRate `json:"segment_rate,omitempty"`
	// Sequential replaces the profile's sequential rule for the tenant:
	// MinRun no higher, MaxGap and Window no lower, MaxStep no lower (not
	// left out) when the profile's has one. Nil: the profile's.
	Sequential *Sequential `json:"sequential,omitempty"`
	// Stride replaces the profile's stride rule for the tenant: MinRun no
	// higher, MaxGap, Window and MaxStep no lower (as for Sequential). Nil:
	// the profile's.
	Stride *Sequential `json:"stride,omitempty"`
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
//	  sequential: {min_run: 20, max_gap: 2, window: 24h, max_step: 100, cite: {source: U, ref: "dialgate convention (CN-S4b)"}}
//	  stride: {min_run: 10, max_gap: 2, window: 24h, cite: {source: U, ref: "dialgate convention (CN-S4b)"}}
//	  coverage: {max_per_segment: 200, cite: {source: U, ref: "dialgate convention (CN-S4b)"}}
//	  tenants:
//	    acme: {segment_rate: {max: 20, window: 1h, cite: {source: U, ref: "stricter for acme"}}}
type Config struct {
	// Provenance denies dials without a consent id, lead id or trigger
	// (sweep.no_provenance). Nil: off.
	Provenance *Rule `json:"provenance,omitempty"`
	// SegmentRate limits distinct numbers per segment and tenant in a sliding
	// window (sweep.segment_rate). Nil: off.
	SegmentRate *SegmentRate `json:"segment_rate,omitempty"`
	// Sequential denies runs through a segment (sweep.sequential). Nil: off.
	Sequential *Sequential `json:"sequential,omitempty"`
	// Stride denies stride sweeps (sweep.sequential with evidence
	// sweep.kind: stride): one suffix (the last four digits) dialled
	// through successive segments, …0000 1234, …0001 1234, …0002 1234,
	// where each segment sees one number. Its MinRun is the number of
	// segments from which such a run is a sweep, MaxGap how many segments
	// may be skipped between two members, Window as for Sequential. Nil: off.
	Stride *Sequential `json:"stride,omitempty"`
	// Coverage flags densely covered segments in list screening. Nil: off.
	Coverage *Coverage `json:"coverage,omitempty"`
	// Tenants gives tenants, by their exact Dial.Tenant, stricter
	// segment_rate, sequential and stride thresholds than the profile's (run
	// time; Screen uses the profile's unless given ForTenant's Config, as
	// dialgate screen --tenant does). Nil: every tenant has the profile's.
	Tenants map[string]TenantRules `json:"tenants,omitempty"`
}

// HasSegmentRate reports whether a segment_rate rule applies to any tenant's
// dials (the profile's or a tenant's own): whether the run-time check needs
// a storage.Counters.
func (c Config) HasSegmentRate() bool {
	if c.SegmentRate != nil {
		return true
	}
	for _, t := range c.Tenants {
		if t.SegmentRate != nil {
			return true
		}
	}
	return false
}

// ForTenant returns the rules tenant's dials are held to: c with the
// tenant's own segment_rate, sequential and stride rules (Config.Tenants)
// in place of the profile's, and no Tenants. A tenant c does not name is
// held to c's rules. Screen judges a tenant's list with it (dialgate
// screen --tenant).
func (c Config) ForTenant(tenant string) Config {
	t, ok := c.Tenants[tenant]
	c.Tenants = nil
	if !ok {
		return c
	}
	c.SegmentRate = cmp.Or(t.SegmentRate, c.SegmentRate)
	c.Sequential = cmp.Or(t.Sequential, c.Sequential)
	c.Stride = cmp.Or(t.Stride, c.Stride)
	return c
}

const maxWindow = 366 * 24 * time.Hour

// minWindow bounds a rule's window from below, so that a unit mistake
// ("30s" for 30 minutes, "1ns") is caught.
const minWindow = time.Minute

// Validate reports the first problem of c, naming the field
// ("sweep.segment_rate.max: 0 is not between 1 and 10000").
func (c Config) Validate() error {
	if r := c.Provenance; r != nil {
		if err := r.Cite.Validate("sweep.provenance.cite"); err != nil {
			return err
		}
	}
	if err := c.SegmentRate.validate("sweep.segment_rate"); err != nil {
		return err
	}
	if err := c.Sequential.validate("sweep.sequential"); err != nil {
		return err
	}
	if err := c.Sequential.validateSpan("sweep.sequential"); err != nil {
		return err
	}
	if err := c.Stride.validate("sweep.stride"); err != nil {
		return err
	}
	if r := c.Coverage; r != nil {
		if r.MaxPerSegment < 1 || r.MaxPerSegment > 10000 {
			return fmt.Errorf("sweep.coverage.max_per_segment: %d is not between 1 and 10000", r.MaxPerSegment)
		}
		if err := r.Cite.Validate("sweep.coverage.cite"); err != nil {
			return err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.Tenants)) {
		if err := c.validateTenant(name, c.Tenants[name]); err != nil {
			return err
		}
	}
	return nil
}

// validate reports the first problem of r (nil is valid: off), naming the
// field under path.
func (r *SegmentRate) validate(path string) error {
	if r == nil {
		return nil
	}
	if r.Max < 1 || r.Max > 10000 {
		return fmt.Errorf("%s.max: %d is not between 1 and 10000", path, r.Max)
	}
	if err := checkWindow(path+".window", r.Window); err != nil {
		return err
	}
	return r.Cite.Validate(path + ".cite")
}

// validate reports the first problem of r (nil is valid: off), naming the
// field under path.
func (r *Sequential) validate(path string) error {
	if r == nil {
		return nil
	}
	if r.MinRun < 3 || r.MinRun > 10000 {
		return fmt.Errorf("%s.min_run: %d is not between 3 and 10000", path, r.MinRun)
	}
	if r.MaxGap < 0 || r.MaxGap > 100 {
		return fmt.Errorf("%s.max_gap: %d is not between 0 and 100", path, r.MaxGap)
	}
	if r.MaxStep != 0 && (r.MaxStep < r.MaxGap+2 || r.MaxStep > MaxStepLimit) {
		return fmt.Errorf("%s.max_step: %d is not between max_gap+2 (%d) and %d (leave it out for none)", path, r.MaxStep, r.MaxGap+2, MaxStepLimit)
	}
	if err := checkWindow(path+".window", r.Window); err != nil {
		return err
	}
	return r.Cite.Validate(path + ".cite")
}

// validateSpan reports, naming path's min_run, a sequential rule (nil:
// none) whose runs of MinRun numbers with gaps of MaxGap span more than half
// a segment ((MinRun-1)×(MaxGap+1) above 5,000), and, naming its max_step,
// one whose progressions of MinRun numbers do ((MinRun-1)×MaxStep): such a walk across a segment boundary
// lies whole neither in the dial's segment nor in the block across the
// boundary nearest to it (runSpots), so the rule would let it through
// while it denies the same walk inside a segment, and Screen flags it. The
// stride rule has no such bound: its blocks are far wider.
func (r *Sequential) validateSpan(path string) error {
	if r == nil {
		return nil
	}
	if span := (r.MinRun - 1) * (r.MaxGap + 1); span > half {
		// The same holds for runs the gaps join: MinRun numbers max_gap
		// apart span (MinRun-1)×(MaxGap+1).
		return fmt.Errorf("%s.min_run: %d with max_gap %d: a run of %d numbers with gaps of %d spans %d, more than the %d a run may span to be seen across a segment boundary (at most min_run %d with max_gap %d)",
			path, r.MinRun, r.MaxGap, r.MinRun, r.MaxGap, span, half, half/(r.MaxGap+1)+1, r.MaxGap)
	}
	if r.MaxStep == 0 {
		return nil
	}
	if span := (r.MinRun - 1) * r.MaxStep; span > half {
		return fmt.Errorf("%s.max_step: %d with min_run %d: a progression of %d numbers spans %d, more than the %d a run may span to be seen across a segment boundary (at most %d with min_run %d)",
			path, r.MaxStep, r.MinRun, r.MinRun, span, half, half/(r.MinRun-1), r.MinRun)
	}
	return nil
}

// validateTenant reports the first problem of tenant name's rules: a
// malformed rule, or one looser than the profile's in any parameter.
func (c Config) validateTenant(name string, t TenantRules) error {
	if name == "" {
		return errors.New("sweep.tenants: empty tenant name")
	}
	path := "sweep.tenants." + name
	if len(name) > 256 || !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return fmt.Errorf("sweep.tenants: tenant name %q: longer than 256 bytes, not valid UTF-8 or with a control character", name)
	}
	if t.SegmentRate == nil && t.Sequential == nil && t.Stride == nil {
		return fmt.Errorf("%s: no rule (give segment_rate, sequential, stride or several)", path)
	}
	if err := t.SegmentRate.validate(path + ".segment_rate"); err != nil {
		return err
	}
	if err := t.Sequential.validate(path + ".sequential"); err != nil {
		return err
	}
	if err := t.Sequential.validateSpan(path + ".sequential"); err != nil {
		return err
	}
	if err := t.Stride.validate(path + ".stride"); err != nil {
		return err
	}
	if r, b := t.SegmentRate, c.SegmentRate; r != nil && b != nil {
		switch {
		case r.Max > b.Max:
			return fmt.Errorf("%s.segment_rate.max: %d is looser than the profile's %d", path, r.Max, b.Max)
		case r.Window < b.Window:
			return fmt.Errorf("%s.segment_rate.window: %v is shorter than the profile's %v", path, r.Window, b.Window)
		}
	}
	if err := stricterRun(path+".sequential", t.Sequential, c.Sequential); err != nil {
		return err
	}
	return stricterRun(path+".stride", t.Stride, c.Stride)
}

// stricterRun reports, naming the field under path, a tenant's run rule r
// that is looser than the profile's b in any parameter (nil r or b: none).
func stricterRun(path string, r, b *Sequential) error {
	if r == nil || b == nil {
		return nil
	}
	switch {
	case r.MinRun > b.MinRun:
		return fmt.Errorf("%s.min_run: %d is looser than the profile's %d", path, r.MinRun, b.MinRun)
	case r.MaxGap < b.MaxGap:
		return fmt.Errorf("%s.max_gap: %d is looser than the profile's %d", path, r.MaxGap, b.MaxGap)
	case r.Window < b.Window:
		return fmt.Errorf("%s.window: %v is shorter than the profile's %v", path, r.Window, b.Window)
	case b.MaxStep != 0 && r.MaxStep < b.MaxStep:
		return fmt.Errorf("%s.max_step: %d is looser than the profile's %d", path, r.MaxStep, b.MaxStep)
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
	if d.Std() < minWindow {
		// A unit mistake ("30s" for 30 minutes): a rule counting over
		// seconds sees almost nothing, no walk a run, no segment full.
		return fmt.Errorf("%s: %v is shorter than a minute (a unit mistake? want e.g. 1h or 24h)", field, d)
	}
	return nil
}
