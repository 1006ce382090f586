package sweep

import (
	"context"
	"fmt"
	"strconv"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/numbering"
	"github.com/dialgate/dialgate/storage"
)

// Name is the check's name and the prefix of its reason codes.
const Name = "sweep"

// Check is the blind-dial check (name "sweep"). It implements
// dialgate.Attester (a passing dial's evidence names its segment) and
// dialgate.Committer (the segment-rate reservation and the run state are taken
// in Commit and given back by Release). Create it with New; it is safe for
// concurrent use.
//
// The sequential rule's state (recently dialled suffixes per tenant and
// segment) is kept in memory by the Check: gates in separate processes do not
// see each other's runs. The segment-rate counter lives in storage.Counters and
// is shared by every gate using the same store.
type Check struct {
	cfg      Config
	counters storage.Counters
	runs     *runs
	rateKey  string // "sweep/rate/<window>/"
}

// New returns the sweep check for cfg. counters is required when
// cfg.SegmentRate is set. A Config with no run-time rule (Provenance,
// SegmentRate and Sequential all nil) is an error.
func New(cfg Config, counters storage.Counters) (*Check, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", err, dialgate.ErrInvalidConfig)
	}
	if cfg.Provenance == nil && cfg.SegmentRate == nil && cfg.Sequential == nil {
		return nil, fmt.Errorf("sweep: no run-time rule configured (provenance, segment_rate or sequential): %w", dialgate.ErrInvalidConfig)
	}
	if cfg.SegmentRate != nil && counters == nil {
		return nil, fmt.Errorf("sweep: segment_rate needs a storage.Counters: %w", dialgate.ErrInvalidConfig)
	}
	c := &Check{cfg: cfg, counters: counters}
	if cfg.Sequential != nil {
		c.runs = newRuns(cfg.Sequential)
	}
	if cfg.SegmentRate != nil {
		c.rateKey = "sweep/rate/" + cfg.SegmentRate.Window.String() + "/"
	}
	return c, nil
}

// Name returns "sweep".
func (c *Check) Name() string { return Name }

// Check returns the reasons d is a blind dial: no provenance, or a number that
// would complete a run through its segment. The segment rate is decided in
// Commit.
func (c *Check) Check(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, error) {
	rs, _, err := c.Attest(ctx, d)
	return rs, err
}

// Attest is Check, with the callee's segment as evidence ("sweep.segment")
// for a passing dial that has one.
func (c *Check) Attest(_ context.Context, d dialgate.Dial) ([]dialgate.Reason, []dialgate.Evidence, error) {
	var rs []dialgate.Reason
	if c.cfg.Provenance != nil && !d.HasProvenance() {
		rs = append(rs, dialgate.Reason{
			Code:    dialgate.CodeSweepNoProvenance,
			Message: "the dial carries no lead provenance (consent_id, lead_id or trigger_at); numbers may not be dialled blind",
		})
	}
	info := numbering.Classify(d.To)
	if !info.Segment.IsValid() {
		return rs, nil, nil
	}
	seg := info.Segment.String()
	if c.runs != nil {
		if n := c.runs.length(segKey{d.Tenant, info.Segment}, info.Suffix, d.At.UnixNano()); n >= c.cfg.Sequential.MinRun {
			rs = append(rs, c.seqReason(seg, n))
		}
	}
	if rs != nil {
		return rs, nil, nil
	}
	return nil, []dialgate.Evidence{{Key: "sweep.segment", Value: seg}}, nil
}

func (c *Check) seqReason(seg string, n int) dialgate.Reason {
	s := c.cfg.Sequential
	return dialgate.Reason{
		Code: dialgate.CodeSweepSequential,
		Message: "a run of " + strconv.Itoa(n) + " consecutive numbers of segment " + seg +
			" (gaps of at most " + strconv.Itoa(s.MaxGap) + ") was dialled within " + s.Window.String() +
			": a sweep through the segment; the segment is closed to the tenant for " + s.Window.String(),
		Evidence: []dialgate.Evidence{
			{Key: "sweep.segment", Value: seg},
			{Key: "sweep.run_length", Value: strconv.Itoa(n)},
			{Key: "sweep.min_run", Value: strconv.Itoa(s.MinRun)},
		},
	}
}

// Commit records the callee in its segment's run state and reserves it in the
// segment-rate counter, atomically re-checking both: the reasons are
// sweep.sequential or sweep.segment_rate when the dial would exceed them.
// It is idempotent by decisionID; when it returns reasons or an error nothing
// stays recorded for decisionID.
func (c *Check) Commit(ctx context.Context, d dialgate.Dial, decisionID string) ([]dialgate.Reason, error) {
	if c.runs == nil && c.cfg.SegmentRate == nil {
		return nil, nil
	}
	info := numbering.Classify(d.To)
	if !info.Segment.IsValid() {
		return nil, nil
	}
	k := segKey{d.Tenant, info.Segment}
	if c.runs != nil {
		if n, ok := c.runs.add(decisionID, k, info.Suffix, d.At.UnixNano()); !ok {
			return []dialgate.Reason{c.seqReason(info.Segment.String(), n)}, nil
		}
	}
	if c.cfg.SegmentRate == nil {
		return nil, nil
	}
	var buf [96]byte
	kb := append(buf[:0], c.rateKey...)
	kb = info.Segment.AppendTo(kb)
	kb = append(kb, '/')
	kb = append(kb, d.Tenant...)
	key := string(kb)
	var mb [4]byte
	member := suffix4(mb[:], info.Suffix)
	lim := [1]storage.Limit{{Key: key, Member: member, Window: c.cfg.SegmentRate.Window.Std(), Max: c.cfg.SegmentRate.Max}}
	// Reservation ids are shared by every user of the store: namespace ours.
	ok, usage, err := c.counters.Reserve(ctx, "sweep:"+decisionID, d.At, lim[:])
	if err != nil || !ok {
		if c.runs != nil {
			c.runs.release(decisionID)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("sweep: segment rate: %w", err)
	}
	if ok {
		return nil, nil
	}
	r := c.cfg.SegmentRate
	seg := info.Segment.String()
	reason := dialgate.Reason{
		Code: dialgate.CodeSweepSegmentRate,
		Message: "tenant already dialled " + strconv.Itoa(r.Max) + " distinct numbers of segment " + seg +
			" within " + r.Window.String() + " (the limit)",
		Evidence: []dialgate.Evidence{
			{Key: "sweep.segment", Value: seg},
			{Key: "sweep.max", Value: strconv.Itoa(r.Max)},
			{Key: "sweep.window", Value: r.Window.String()},
		},
	}
	if len(usage) == 1 {
		reason.NextAllowedAt = usage[0].NextAt
		reason.Evidence = append(reason.Evidence, dialgate.Evidence{Key: "sweep.count", Value: strconv.Itoa(usage[0].Count)})
	}
	return []dialgate.Reason{reason}, nil
}

// suffix4 formats a 0–9999 suffix as four digits in b.
func suffix4(b []byte, x int) string {
	b[0] = byte('0' + x/1000%10)
	b[1] = byte('0' + x/100%10)
	b[2] = byte('0' + x/10%10)
	b[3] = byte('0' + x%10)
	return string(b[:4])
}

// Release gives back what Commit recorded for decisionID. Unknown ids are not
// an error.
func (c *Check) Release(ctx context.Context, decisionID string) error {
	if c.runs != nil {
		c.runs.release(decisionID)
	}
	if c.cfg.SegmentRate != nil {
		if err := c.counters.Release(ctx, "sweep:"+decisionID); err != nil {
			return fmt.Errorf("sweep: segment rate: %w", err)
		}
	}
	return nil
}
