package schedule

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/dialgate/dialgate"
)

// RingName is the name of the minimum-ring-time check (RingCheck) and the
// namespace of its evidence.
const RingName = "ring"

// EvidenceRingMinSeconds is the evidence key with which RingCheck tells the
// dialer the profile's minimum ring time, in whole seconds ("15"). Every
// decision of a Gate with a ring check carries it; the quarterly report
// (package report) reads it back from the decision records.
const EvidenceRingMinSeconds = "ring.min_seconds"

// MaxRingMin is the longest minimum ring time a RingConfig may set. It only
// catches typos ("15m" for "15s"): no rule asks for more than a few rings.
const MaxRingMin = 2 * time.Minute

// ErrInvalidRing is wrapped by every error RingConfig.Validate and
// NewRingCheck return for a bad minimum-ring-time configuration.
var ErrInvalidRing = errors.New("schedule: invalid minimum ring time")

// RingConfig is the minimum-ring-time section of a profile (`ring:` in a
// profile file): how long the dialer must let an unanswered call ring before
// it gives up on it — no one-ring calls (“响一声”, 工信厅信管函〔2018〕337号
// CN-S10/11), and the US Telemarketing Sales Rule's 15 seconds or four rings
// (16 CFR 310.4(b)(4)(ii)).
//
// The gate cannot hold a ring open: the rule is an instruction to the dialer
// (RingCheck puts the minimum on every decision) and a measure over the
// outcomes dialers report (the quarterly report counts the unanswered calls
// that rang less). It never denies a dial.
//
// It is plain data; NewRingCheck validates it. The zero RingConfig is not
// valid: a profile without the rule leaves its ring section out.
type RingConfig struct {
	// Min is the minimum ring time of an unanswered call ("15s"). Required;
	// a whole number of seconds, at least 1s and at most MaxRingMin.
	Min dialgate.Duration `json:"min"`
	// Cite says where the minimum comes from. Required.
	Cite dialgate.Citation `json:"cite"`
}

// Validate reports the first malformed field as an error wrapping
// ErrInvalidRing and naming the field, e.g. "ring.min: 15m0s is longer than
// 2m0s (want seconds, e.g. 15s)".
func (c RingConfig) Validate() error {
	switch m := c.Min.Std(); {
	case m < 0:
		return ringErr("ring.min", "%s is negative", c.Min)
	case m == 0:
		return ringErr("ring.min", "missing or zero (want e.g. 15s)")
	case m%time.Second != 0:
		return ringErr("ring.min", "%s is not a whole number of seconds", c.Min)
	case m > MaxRingMin:
		return ringErr("ring.min", "%s is longer than %s (want seconds, e.g. 15s)", c.Min, dialgate.Duration(MaxRingMin))
	}
	if err := c.Cite.Validate("ring.cite"); err != nil {
		return fmt.Errorf("%w: %w", err, ErrInvalidRing)
	}
	return nil
}

func ringErr(field, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %w", field, fmt.Sprintf(format, args...), ErrInvalidRing)
}

// RingCheck is the minimum-ring-time check (dialgate.Checker and
// dialgate.Attester, name "ring"). It never denies: Check returns no reason
// and Attest returns, for every dial, the evidence EvidenceRingMinSeconds
// with the minimum in whole seconds, so that every decision tells the dialer
// how long to let the call ring if no one answers. The evidence reaches the
// gRPC Decision, the audit record (its "evidence" field) and the quarterly
// report without a change of format.
//
// A RingCheck is safe for concurrent use and allocates nothing per dial.
// Create it with NewRingCheck; the zero RingCheck is not usable.
type RingCheck struct {
	min time.Duration
	ev  []dialgate.Evidence // shared, returned for every dial
}

// NewRingCheck validates cfg (see RingConfig.Validate) and returns its check.
func NewRingCheck(cfg RingConfig) (*RingCheck, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := cfg.Min.Std()
	secs := strconv.FormatInt(int64(m/time.Second), 10)
	return &RingCheck{min: m, ev: []dialgate.Evidence{{Key: EvidenceRingMinSeconds, Value: secs}}}, nil
}

// Name returns "ring".
func (c *RingCheck) Name() string { return RingName }

// Min returns the minimum ring time.
func (c *RingCheck) Min() time.Duration { return c.min }

// Check returns no reason and no error: the minimum ring time never denies.
func (c *RingCheck) Check(context.Context, dialgate.Dial) ([]dialgate.Reason, error) {
	return nil, nil
}

// Attest returns no reason and, for every dial, the evidence
// EvidenceRingMinSeconds ("ring.min_seconds" = "15"). The returned evidence
// slice is shared: do not modify it.
func (c *RingCheck) Attest(context.Context, dialgate.Dial) ([]dialgate.Reason, []dialgate.Evidence, error) {
	return nil, c.ev, nil
}

var _ dialgate.Attester = (*RingCheck)(nil)
