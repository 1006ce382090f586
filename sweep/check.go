package sweep

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/seqrun"
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
// The sequential and stride rules' state (recently dialled suffixes per
// tenant and segment; segments per tenant and suffix) is kept in memory by the Check unless New is given a shared
// storage.Runs (WithRuns): in memory, gates in separate processes do not see
// each other's runs, and a restart forgets them; with the fleet's store
// (storage/redisstore, storage/pgstore), every gate using it sees the runs
// of all, across restarts; with storage/boltstore, one process's runs
// survive its restarts (a storage.RunSyncer: Commit waits, with SyncRuns,
// until the records it made are durable). The segment-rate counter lives in
// storage.Counters and is shared by every gate using the same store. A
// store error denies the dial (sweep.unavailable).
//
// A tenant named in Config.Tenants is held to its own (stricter)
// thresholds; every other tenant to the profile's.
type Check struct {
	cfg      Config
	counters storage.Counters
	store    storage.Runs // the sequential and stride rules' shared state (WithRuns); nil: in memory
	// syncer is store when it is a storage.RunSyncer (its records are
	// durable once SyncRuns returns: storage/boltstore), else nil.
	syncer  storage.RunSyncer
	base    rules
	tenants map[string]*rules // tenants with thresholds of their own
	// anySeq and anyStride report whether any tenant's rules have the
	// sequential or the stride rule (Release gives back only their ids).
	anySeq, anyStride bool
}

// rules are the run-time thresholds of the profile or of one tenant, with
// their state's keys.
type rules struct {
	seq     *Sequential
	params  storage.RunParams
	runs    *seqrun.Set[segKey] // the sequential rule's state in memory; nil with a store or without the rule
	runKey  string              // "sweep/seq/" + paramsKey
	rate    *SegmentRate
	rateKey string // "sweep/rate/<window>/"

	stride    *Sequential
	strParams storage.RunParams
	strRuns   *seqrun.Set[strideKey] // the stride rule's state in memory; nil with a store or without the rule
	strKey    string                 // "sweep/stride/" + paramsKey
}

// newRules returns the state of rules seq, stride and rate; inMemory keeps
// the run rules' state in the Check's memory.
func newRules(seq, stride *Sequential, rate *SegmentRate, inMemory bool) rules {
	r := rules{seq: seq, rate: rate, stride: stride}
	if seq != nil {
		r.params = seq.params()
		// The key names the rule's parameters but its max step: a store
		// keeps each key's runs with one set of them (storage.Runs).
		r.runKey = "sweep/seq/" + paramsKey(seq)
		if inMemory {
			r.runs = seqrun.New[segKey](seq.MinRun, seq.MaxGap, seq.MaxStep, int64(seq.Window.Std()))
		}
	}
	if stride != nil {
		r.strParams = stride.params()
		// Its own namespace: a stride key never meets a sequential one.
		r.strKey = "sweep/stride/" + paramsKey(stride)
		if inMemory {
			r.strRuns = seqrun.New[strideKey](stride.MinRun, stride.MaxGap, stride.MaxStep, int64(stride.Window.Std()))
		}
	}
	if rate != nil {
		r.rateKey = "sweep/rate/" + rate.Window.String() + "/"
	}
	return r
}

// paramsKey is the part of a run rule's store keys naming its parameters:
// "<min_run>/<max_gap>/<window>/". MaxStep is not part of it
// (storage.Runs): what a key holds, the numbers dialled and its closing,
// does not depend on it, so a rule that gains, changes or drops a max step
// (cn and us-ok gained 100) keeps the keys, the runs and the closed
// segments of the builds before it.
func paramsKey(r *Sequential) string {
	return strconv.Itoa(r.MinRun) + "/" + strconv.Itoa(r.MaxGap) + "/" + r.Window.String() + "/"
}

// rulesOf returns the thresholds that apply to tenant's dials.
func (c *Check) rulesOf(tenant string) *rules {
	if r, ok := c.tenants[tenant]; ok {
		return r
	}
	return &c.base
}

// segKey is the in-memory run state's key.
type segKey struct {
	tenant string
	seg    numbering.Segment
	across bool // the block across the boundary below seg (see runSpots)
}

// runSpot is one place a callee's number is kept in the run state: a block
// of 10,000 numbers named by a segment, and the number's value in it.
type runSpot struct {
	seg    numbering.Segment
	x      int
	across bool
}

// half is half a segment: the offset of the blocks across segment
// boundaries.
const half = 5000

// runSpots returns the places a callee's number is kept in the run state:
// its segment (value: its suffix) and, when there is one, the block of
// 10,000 numbers centred on the segment boundary nearest to it, named by the
// segment above that boundary (the upper half of the segment below, values
// 0–4999, and the lower half of the named one, values 5000–9999). A run
// spanning at most 5,000 numbers lies whole in one of the two, so a run
// across a boundary (…139990 to …140009: successive integers, 15 O.S.
// §755.1(D)) is seen as one inside a segment is. The second spot is missing
// only for a number in the upper half of a segment that has no next one.
func runSpots(info numbering.Info) (spots [2]runSpot, n int) {
	spots[0] = runSpot{seg: info.Segment, x: info.Suffix}
	if info.Suffix < half {
		spots[1] = runSpot{seg: info.Segment, x: info.Suffix + half, across: true}
		return spots, 2
	}
	if next := info.Segment.Next(); next.IsValid() {
		spots[1] = runSpot{seg: next, x: info.Suffix - half, across: true}
		return spots, 2
	}
	return spots, 1
}

// strideKey is the stride rule's in-memory key: a tenant's suffix in a
// block of successive segments.
type strideKey struct {
	tenant string
	block  numbering.StrideBlock
	suffix int
	across bool
}

// strideSpot is one place a callee's number is kept in the stride rule's
// state: its suffix in a block of successive segments (numbering.Segment.
// Stride), and its segment's index there as the value. Successive segments
// dialled with one suffix are successive values: a run.
type strideSpot struct {
	block  numbering.StrideBlock
	x      int
	across bool
}

// strideSpots returns the places a callee's number is kept in the stride
// rule's state: its segment's block and index and, for a segment of more
// than 8 digits (whose kind spans several blocks), the block shifted by
// half a block, so that a stride across a block boundary lies whole in
// one of the two. A Chinese or North American segment (at most 8 digits)
// has one block for its whole kind: one spot.
func strideSpots(info numbering.Info) (spots [2]strideSpot, n int) {
	b, x := info.Segment.Stride(0)
	spots[0] = strideSpot{block: b, x: x}
	if info.Segment.Digits() <= 8 {
		return spots, 1
	}
	b, x = info.Segment.Stride(numbering.StrideSpan / 2)
	spots[1] = strideSpot{block: b, x: x, across: true}
	return spots, 2
}

// An Option configures New.
type Option func(*options)

type options struct {
	runs storage.Runs
}

// WithRuns keeps the sequential and stride rules' run state in r instead
// of the Check's memory, so that every gate sharing r (a fleet's Redis or
// PostgreSQL store) sees the runs of all their dials, and a restart keeps
// them. A nil r keeps the state in memory (the default: one process). It
// has no effect without cfg.Sequential or cfg.Stride (or a tenant's).
func WithRuns(r storage.Runs) Option {
	return func(o *options) { o.runs = r }
}

// New returns the sweep check for cfg. counters is required when
// cfg.SegmentRate, or a tenant's, is set. A Config with no run-time rule
// (Provenance, SegmentRate, Sequential, Stride and Tenants all empty) is an
// error.
func New(cfg Config, counters storage.Counters, opts ...Option) (*Check, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", err, dialgate.ErrInvalidConfig)
	}
	if cfg.Provenance == nil && cfg.SegmentRate == nil && cfg.Sequential == nil && cfg.Stride == nil && len(cfg.Tenants) == 0 {
		return nil, fmt.Errorf("sweep: no run-time rule configured (provenance, segment_rate, sequential, stride or tenants): %w", dialgate.ErrInvalidConfig)
	}
	if cfg.HasSegmentRate() && counters == nil {
		return nil, fmt.Errorf("sweep: segment_rate needs a storage.Counters: %w", dialgate.ErrInvalidConfig)
	}
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	c := &Check{cfg: cfg, counters: counters, anySeq: cfg.Sequential != nil, anyStride: cfg.Stride != nil}
	for _, t := range cfg.Tenants {
		c.anySeq = c.anySeq || t.Sequential != nil
		c.anyStride = c.anyStride || t.Stride != nil
	}
	if c.anySeq || c.anyStride {
		c.store = o.runs
		c.syncer, _ = o.runs.(storage.RunSyncer)
	}
	c.base = newRules(cfg.Sequential, cfg.Stride, cfg.SegmentRate, c.store == nil)
	if len(cfg.Tenants) > 0 {
		c.tenants = make(map[string]*rules, len(cfg.Tenants))
		for name, t := range cfg.Tenants {
			seq, rate := cmp.Or(t.Sequential, cfg.Sequential), cmp.Or(t.SegmentRate, cfg.SegmentRate)
			r := newRules(seq, cmp.Or(t.Stride, cfg.Stride), rate, c.store == nil)
			c.tenants[name] = &r
		}
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
// for a passing dial that has one. With a shared run store (WithRuns), an
// error of the store is returned (the Gate denies with sweep.unavailable).
func (c *Check) Attest(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, []dialgate.Evidence, error) {
	var rs []dialgate.Reason
	if c.cfg.Provenance != nil && !d.HasProvenance() {
		rs = append(rs, dialgate.Reason{
			Code:    dialgate.CodeSweepNoProvenance,
			Message: "the dial carries no lead provenance (consent_id, lead_id or trigger_at); numbers may not be dialled blind",
		})
	}
	info := numbering.Classify(numbering.OverseasLine(d.To))
	if !info.Segment.IsValid() {
		return rs, nil, nil
	}
	seg := info.Segment.String()
	ru := c.rulesOf(d.Tenant)
	var keys storeKeys
	if c.store != nil {
		keys = ru.storeKeys(d.Tenant, info)
	}
	seqFound := false
	if ru.seq != nil {
		spots, ns := runSpots(info)
		for i, sp := range spots[:ns] {
			var n int
			if c.store != nil {
				var err error
				if n, err = c.store.RunLength(ctx, keys.run(i), sp.x, d.At, ru.params); err != nil {
					return nil, nil, fmt.Errorf("sweep: sequential: %w", err)
				}
			} else {
				n = ru.runs.Length(segKey{d.Tenant, sp.seg, sp.across}, sp.x, d.At.UnixNano())
			}
			if n >= ru.seq.MinRun {
				rs = append(rs, ru.seqReason(seg, n, sp.across))
				seqFound = true
				break
			}
		}
	}
	if ru.stride != nil && !seqFound {
		spots, ns := strideSpots(info)
		for i, sp := range spots[:ns] {
			var n int
			if c.store != nil {
				var err error
				if n, err = c.store.RunLength(ctx, keys.stride(i), sp.x, d.At, ru.strParams); err != nil {
					return nil, nil, fmt.Errorf("sweep: stride: %w", err)
				}
			} else {
				n = ru.strRuns.Length(strideKey{d.Tenant, sp.block, info.Suffix, sp.across}, sp.x, d.At.UnixNano())
			}
			if n >= ru.stride.MinRun {
				rs = append(rs, ru.strideReason(seg, n))
				break
			}
		}
	}
	if rs != nil {
		return rs, nil, nil
	}
	return nil, []dialgate.Evidence{{Key: "sweep.segment", Value: seg}}, nil
}

// appendStoreKey appends the shared run store's key of a tenant's run spot
// to b: the segment's, or with "~" before the segment the block across the
// boundary below it.
func (ru *rules) appendStoreKey(b []byte, tenant string, sp runSpot) []byte {
	b = append(b, ru.runKey...)
	if sp.across {
		b = append(b, '~')
	}
	b = sp.seg.AppendTo(b)
	b = append(b, '/')
	return append(b, tenant...)
}

// appendStrideStoreKey appends the shared run store's key of a tenant's
// stride spot to b: the rule's prefix, "~" for the shifted block, the
// block, the suffix and the tenant. The prefix ("sweep/stride/") keeps it
// apart from the sequential rule's keys ("sweep/seq/").
func (ru *rules) appendStrideStoreKey(b []byte, tenant string, suffix int, sp strideSpot) []byte {
	b = append(b, ru.strKey...)
	if sp.across {
		b = append(b, '~')
	}
	b = sp.block.AppendTo(b)
	b = append(b, '/')
	var sb [4]byte
	b = append(b, suffix4(sb[:], suffix)...)
	b = append(b, '/')
	return append(b, tenant...)
}

// storeKeys are the shared run store's keys of a dial — storeKey of each
// of its run spots, then the stride key of each of its stride spots, in
// runSpots' and strideSpots' order — cut from one string built in one
// allocation: Attest and commit each build them once, not once a spot.
type storeKeys struct {
	all  string
	ends [4]int // where each key ends in all
	nrun int    // how many run spot keys come first
}

// storeKeys returns the keys of tenant's dial to the callee info: those of
// the rules ru has (none for a rule it lacks).
func (ru *rules) storeKeys(tenant string, info numbering.Info) storeKeys {
	var (
		buf [256]byte
		k   storeKeys
		n   int
	)
	b := buf[:0]
	if ru.seq != nil {
		spots, ns := runSpots(info)
		for _, sp := range spots[:ns] {
			b = ru.appendStoreKey(b, tenant, sp)
			k.ends[n] = len(b)
			n++
		}
	}
	k.nrun = n
	if ru.stride != nil {
		spots, ns := strideSpots(info)
		for _, sp := range spots[:ns] {
			b = ru.appendStrideStoreKey(b, tenant, info.Suffix, sp)
			k.ends[n] = len(b)
			n++
		}
	}
	k.all = string(b)
	return k
}

// key returns the i-th key of k.
func (k *storeKeys) key(i int) string {
	start := 0
	if i > 0 {
		start = k.ends[i-1]
	}
	return k.all[start:k.ends[i]]
}

// run returns the key of the i-th run spot.
func (k *storeKeys) run(i int) string { return k.key(i) }

// stride returns the key of the i-th stride spot.
func (k *storeKeys) stride(i int) string { return k.key(k.nrun + i) }

// The prefixes of the ids of a decision's records other than its first
// ("sweep:<id>", its record in its segment and its segment-rate
// reservation). They go before the decision id, not after it: with a
// suffix ("sweep:<id>~"), the record of decision X across the boundary was
// the record in its segment of a decision "X~", so that a Release of the id
// "X~" — no decision's, which a placed-call guard does not refuse — gave
// back decision X's record, and a decision whose id was "X~" recorded
// nothing (its id held). No prefix is a prefix of another, so every
// (prefix, decision id) pair names one id.
const (
	runAcrossPrefix    = "sweep~:"   // the record in the block across the nearest boundary
	stridePrefix       = "sweep/s:"  // the stride record
	strideAcrossPrefix = "sweep/s~:" // the stride record in the shifted block
)

// strideID is the shared run store's id of a decision's record in its
// stride spot: "sweep/s:<id>", "sweep/s~:<id>" for the shifted block.
func strideID(decisionID string, across bool) string {
	if across {
		return strideAcrossPrefix + decisionID
	}
	return stridePrefix + decisionID
}

// strideReason is the sweep.sequential reason, with evidence sweep.kind
// "stride", for a stride of n successive segments dialled with one suffix,
// found at the dial's segment seg. The suffix itself is not named: with
// the segment it would be the callee's number.
func (ru *rules) strideReason(seg string, n int) dialgate.Reason {
	s := ru.stride
	r := dialgate.Reason{
		Code: dialgate.CodeSweepSequential,
		Message: "numbers with the same last four digits were dialled in " + strconv.Itoa(n) +
			" successive segments up to segment " + seg + " (at most " + strconv.Itoa(s.MaxGap) + " segments skipped) within " +
			s.Window.String() + ": a stride sweep through the numbering plan; numbers with those last four digits are closed to the tenant for " +
			s.Window.String(),
		Evidence: []dialgate.Evidence{
			{Key: "sweep.kind", Value: "stride"},
			{Key: "sweep.segment", Value: seg},
			{Key: "sweep.run_length", Value: strconv.Itoa(n)},
			{Key: "sweep.min_run", Value: strconv.Itoa(s.MinRun)},
		},
	}
	if s.MaxStep != 0 {
		r.Message += " (a stride is successive segments, or segments a fixed step of up to " + strconv.Itoa(s.MaxStep) + " apart)"
		r.Evidence = append(r.Evidence, dialgate.Evidence{Key: "sweep.max_step", Value: strconv.Itoa(s.MaxStep)})
	}
	return r
}

// commitIDs are the ids Commit records a decision under — runID of each
// spot, strideID of each stride spot and the segment rate's reservation id
// "sweep:<id>" — cut from one string,
// "sweep:<id>sweep~:<id>sweep/s:<id>sweep/s~:<id>", built in one
// allocation.
type commitIDs struct {
	all string
	n   int // len(decisionID)
}

func newCommitIDs(decisionID string) commitIDs {
	return commitIDs{
		all: "sweep:" + decisionID + runAcrossPrefix + decisionID + stridePrefix + decisionID + strideAcrossPrefix + decisionID,
		n:   len(decisionID),
	}
}

// part returns the i-th id of all (0: "sweep:<id>", 1: runAcrossPrefix,
// 2: stridePrefix, 3: strideAcrossPrefix).
func (c commitIDs) part(i int) string {
	lens := [...]int{len("sweep:"), len(runAcrossPrefix), len(stridePrefix), len(strideAcrossPrefix)}
	start := 0
	for k := 0; k < i; k++ {
		start += lens[k] + c.n
	}
	return c.all[start : start+lens[i]+c.n]
}

// run is runID(decisionID, sp).
func (c commitIDs) run(sp runSpot) string {
	if sp.across {
		return c.part(1)
	}
	return c.part(0)
}

// stride is strideID(decisionID, across).
func (c commitIDs) stride(across bool) string {
	if across {
		return c.part(3)
	}
	return c.part(2)
}

// rate is the segment rate's reservation id, "sweep:<id>".
func (c commitIDs) rate() string { return c.part(0) }

// runID is the shared run store's id of a decision's record in its spot:
// "sweep:<id>", "sweep~:<id>" for the block across the nearest boundary.
func runID(decisionID string, sp runSpot) string {
	if sp.across {
		return runAcrossPrefix + decisionID
	}
	return "sweep:" + decisionID
}

// seqReason is the sweep.sequential reason for a run of n found in the
// dial's segment seg or, across, in the block across a boundary of it; with
// a max step, evidence sweep.max_step names it.
func (ru *rules) seqReason(seg string, n int, across bool) dialgate.Reason {
	s := ru.seq
	r := dialgate.Reason{
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
	if across {
		r.Message = "a run of " + strconv.Itoa(n) + " consecutive numbers reaching across a boundary of segment " + seg +
			" into the neighbouring segment (gaps of at most " + strconv.Itoa(s.MaxGap) + ") was dialled within " + s.Window.String() +
			": a sweep; the 10,000 numbers around that boundary are closed to the tenant for " + s.Window.String()
		r.Evidence = append(r.Evidence, dialgate.Evidence{Key: "sweep.across_boundary", Value: "true"})
	}
	if s.MaxStep != 0 {
		// The store reports a run's length, not whether the gaps or a
		// progression made it: the reason names the largest step counted.
		r.Message += " (a run is consecutive numbers, or numbers a fixed step of up to " + strconv.Itoa(s.MaxStep) + " apart)"
		r.Evidence = append(r.Evidence, dialgate.Evidence{Key: "sweep.max_step", Value: strconv.Itoa(s.MaxStep)})
	}
	return r
}

// Commit records the callee in its segment's run state and reserves it in the
// segment-rate counter, atomically re-checking both: the reasons are
// sweep.sequential or sweep.segment_rate when the dial would exceed them.
// It is idempotent by decisionID; when it returns reasons or an error nothing
// stays recorded for decisionID.
func (c *Check) Commit(ctx context.Context, d dialgate.Dial, decisionID string) ([]dialgate.Reason, error) {
	return c.commit(ctx, d, decisionID, false)
}

// recountMax is the segment-rate limit a recount reserves under: one no
// segment reaches, so that the call is counted whatever the rate says.
const recountMax = 1 << 30

// Recount implements dialgate.Recounter: it counts d under decisionID — a
// call placed after its decision was released — whatever the rules say,
// as the frequency caps do: the call happened, and counts for its whole
// window. It reserves the callee in its segment's rate over a full segment
// too, and records it in the segment's run state as Commit does (a run it
// completes closes the segment for the window, denying the next dials as a
// record would). It is idempotent by decisionID; an error may leave part of
// it recorded (a retry completes it).
func (c *Check) Recount(ctx context.Context, d dialgate.Dial, decisionID string) error {
	_, err := c.commit(ctx, d, decisionID, true)
	return err
}

// commit is Commit, or with recount Recount: a refusal then leaves
// recorded what was recorded and goes on, and the segment rate is reserved
// under recountMax.
func (c *Check) commit(ctx context.Context, d dialgate.Dial, decisionID string, recount bool) ([]dialgate.Reason, error) {
	ru := c.rulesOf(d.Tenant)
	if ru.seq == nil && ru.stride == nil && ru.rate == nil {
		return nil, nil
	}
	info := numbering.Classify(numbering.OverseasLine(d.To))
	if !info.Segment.IsValid() {
		return nil, nil
	}
	ids := newCommitIDs(decisionID)
	var keys storeKeys
	if c.store != nil {
		keys = ru.storeKeys(d.Tenant, info)
	}
	if ru.seq != nil {
		spots, ns := runSpots(info)
		for i, sp := range spots[:ns] {
			var (
				n  int
				ok bool
			)
			if c.store != nil {
				var err error
				if n, ok, err = c.store.RecordRun(ctx, ids.run(sp), keys.run(i), sp.x, d.At, ru.params); err != nil {
					// The record may have been made (a time-out after
					// the write): the Gate releases the decision.
					return nil, fmt.Errorf("sweep: sequential: %w", err)
				}
			} else {
				n, ok = ru.runs.Add(ids.run(sp), segKey{d.Tenant, sp.seg, sp.across}, sp.x, d.At.UnixNano())
			}
			if !ok && recount {
				continue // the run closed the key: it denies as a record would
			}
			if !ok {
				// Nothing may stay recorded: give back the first spot.
				if err := c.releaseRun(ctx, ru, decisionID); err != nil {
					return nil, err
				}
				return []dialgate.Reason{ru.seqReason(info.Segment.String(), n, sp.across)}, nil
			}
		}
	}
	if ru.stride != nil {
		spots, ns := strideSpots(info)
		for i, sp := range spots[:ns] {
			var (
				n  int
				ok bool
			)
			id := ids.stride(sp.across)
			if c.store != nil {
				var err error
				if n, ok, err = c.store.RecordRun(ctx, id, keys.stride(i), sp.x, d.At, ru.strParams); err != nil {
					return nil, fmt.Errorf("sweep: stride: %w", err)
				}
			} else {
				n, ok = ru.strRuns.Add(id, strideKey{d.Tenant, sp.block, info.Suffix, sp.across}, sp.x, d.At.UnixNano())
			}
			if !ok && recount {
				continue
			}
			if !ok {
				if err := c.releaseRun(ctx, ru, decisionID); err != nil {
					return nil, err
				}
				return []dialgate.Reason{ru.strideReason(info.Segment.String(), n)}, nil
			}
		}
	}
	if ru.rate == nil {
		return nil, c.syncRuns(ctx)
	}
	var buf [96]byte
	kb := append(buf[:0], ru.rateKey...)
	kb = info.Segment.AppendTo(kb)
	kb = append(kb, '/')
	kb = append(kb, d.Tenant...)
	key := string(kb)
	var mb [4]byte
	member := suffix4(mb[:], info.Suffix)
	// The second limit keeps the segment's entries storage.PruneMargin
	// past the window (storage.WithPruneMargin), so that a dial decided by
	// a clock behind this one (another host of a fleet, or a clock stepped
	// back) still counts every number its window holds.
	var lim [2]storage.Limit
	lim[0] = storage.Limit{Key: key, Member: member, Window: ru.rate.Window.Std(), Max: ru.rate.Max}
	if recount {
		lim[0].Max = recountMax
	}
	// Reservation ids are shared by every user of the store: namespace ours.
	ok, usage, err := c.counters.Reserve(ctx, ids.rate(), d.At, storage.WithPruneMargin(lim[:1]))
	if recount {
		if err != nil {
			return nil, fmt.Errorf("sweep: segment rate: %w", err)
		}
		if !ok {
			return nil, fmt.Errorf("sweep: segment rate: the store refused a recount without a limit that could be exceeded")
		}
		return nil, c.syncRuns(ctx)
	}
	if err != nil || !ok {
		// Give the run state back; should that fail, the Gate releases the
		// decision again (it does after every refusal or error).
		if rerr := c.releaseRun(ctx, ru, decisionID); rerr != nil && err != nil {
			err = errors.Join(err, rerr)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("sweep: segment rate: %w", err)
	}
	if ok {
		return nil, c.syncRuns(ctx)
	}
	r := ru.rate
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
	if len(usage) == 2 {
		reason.NextAllowedAt = usage[0].NextAt
		reason.Evidence = append(reason.Evidence, dialgate.Evidence{Key: "sweep.count", Value: strconv.Itoa(usage[0].Count)})
	}
	return []dialgate.Reason{reason}, nil
}

// syncRuns returns once the run state commit recorded is durable, when the
// store says when (storage.RunSyncer: storage/boltstore queues its records
// in the journal its counter reservations are written with, so that a dial
// costs no fsync of its own for them). An error leaves the records not
// known to be durable: commit's caller, the Gate, denies and releases the
// decision.
func (c *Check) syncRuns(ctx context.Context) error {
	if c.syncer == nil {
		return nil
	}
	if err := c.syncer.SyncRuns(ctx); err != nil {
		return fmt.Errorf("sweep: run state: %w", err)
	}
	return nil
}

// suffix4 formats a 0–9999 suffix as four digits in b.
func suffix4(b []byte, x int) string {
	b[0] = byte('0' + x/1000%10)
	b[1] = byte('0' + x/100%10)
	b[2] = byte('0' + x/10%10)
	b[3] = byte('0' + x%10)
	return string(b[:4])
}

// releaseRun gives back the run state Commit recorded for decisionID, in
// all its spots (sequential and stride): in the shared store, or in memory
// in ru's state (every rules' state when ru is nil: Release does not know
// the dial's tenant).
func (c *Check) releaseRun(ctx context.Context, ru *rules, decisionID string) error {
	if c.anySeq {
		for _, sp := range [...]runSpot{{}, {across: true}} {
			if err := c.releaseID(ctx, ru, runID(decisionID, sp), false); err != nil {
				return fmt.Errorf("sweep: sequential: %w", err)
			}
		}
	}
	if c.anyStride {
		for _, across := range [...]bool{false, true} {
			if err := c.releaseID(ctx, ru, strideID(decisionID, across), true); err != nil {
				return fmt.Errorf("sweep: stride: %w", err)
			}
		}
	}
	return nil
}

// releaseID gives back what id recorded: in the shared store, or in the
// sequential (stride: the stride) rule's memory of ru, or of every rules
// when ru is nil.
func (c *Check) releaseID(ctx context.Context, ru *rules, id string, stride bool) error {
	if c.store != nil {
		return c.store.ReleaseRun(ctx, id)
	}
	release := func(r *rules) {
		if stride {
			if r.strRuns != nil {
				r.strRuns.Release(id)
			}
		} else if r.runs != nil {
			r.runs.Release(id)
		}
	}
	if ru != nil {
		release(ru)
		return nil
	}
	release(&c.base)
	for _, t := range c.tenants {
		release(t)
	}
	return nil
}

// Release gives back what Commit recorded for decisionID. Unknown ids are not
// an error.
func (c *Check) Release(ctx context.Context, decisionID string) error {
	err := c.releaseRun(ctx, nil, decisionID)
	if c.counters != nil && c.HasSegmentRate() {
		if cerr := c.counters.Release(ctx, "sweep:"+decisionID); cerr != nil {
			err = errors.Join(err, fmt.Errorf("sweep: segment rate: %w", cerr))
		}
	}
	return err
}

// CountsSegments reports whether a segment_rate rule applies to tenant's
// dials (the tenant's own, else the profile's): whether its dials are
// counted in the store's segment counters.
func (c *Check) CountsSegments(tenant string) bool { return c.rulesOf(tenant).rate != nil }

// HasSegmentRate reports whether a segment_rate rule applies to any tenant
// (Config.HasSegmentRate).
func (c *Check) HasSegmentRate() bool { return c.cfg.HasSegmentRate() }

var _ dialgate.Recounter = (*Check)(nil)
