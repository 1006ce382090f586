package sweep

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/numbering"
)

// Finding is a set of reasons a listed number may not be dialled. The zero
// Finding means allowed.
type Finding uint8

// The findings of Screen, each with its code (Finding.Codes).
const (
	FindingInvalid    Finding = 1 << iota // "list.invalid": the line is not a valid number
	FindingDuplicate                      // "list.duplicate": the number is listed on an earlier line
	FindingDNC                            // "dnc.listed": the number is on a do-not-call list
	FindingSequential                     // "sweep.sequential": part of a run through its segment
	FindingCoverage                       // "sweep.segment_coverage": its segment is covered too densely
)

var findingCodes = [...]string{"list.invalid", "list.duplicate", "dnc.listed", "sweep.sequential", "sweep.segment_coverage"}

// Codes returns the codes of the findings in f, in a fixed order.
func (f Finding) Codes() []string {
	var out []string
	for i, c := range findingCodes {
		if f&(1<<i) != 0 {
			out = append(out, c)
		}
	}
	return out
}

// Result is the verdict on one line of a dial list.
type Result struct {
	Line     int               // the line in the file
	Number   dialgate.Number   // the number; zero when invalid
	Segment  numbering.Segment // the number's segment (an overseas line's under numbering.OverseasLine); zero for service codes and invalid lines
	Findings Finding           // zero: allowed
	Run      int               // length of the (longest) run the number is part of, when FindingSequential: a sequential run or a stride
	Err      error             // why the line is invalid, when FindingInvalid
}

// Allowed reports whether the number may be dialled as far as the list is
// concerned (no findings).
func (r Result) Allowed() bool { return r.Findings == 0 }

// SegmentSummary sums up one segment of a list.
type SegmentSummary struct {
	Segment    string `json:"segment"`     // the segment (号段) as numbering.Segment.String writes it
	Numbers    int    `json:"numbers"`     // distinct numbers of the list in the segment
	InRuns     int    `json:"in_runs"`     // of which part of a sequential run
	LongestRun int    `json:"longest_run"` // the longest run's length (a run may reach into a neighbouring segment)
	Covered    bool   `json:"covered"`     // more numbers than the coverage rule allows
}

// Report is the outcome of screening a list.
type Report struct {
	// Results has one entry per number line, in file order.
	Results []Result
	// Segments sums up every segment with a finding (a run or too dense
	// coverage), the largest first.
	Segments []SegmentSummary
	// Counts.
	Total, Allowed, Invalid, Duplicate, DNC, Sequential, Coverage int
	// SegmentCount is the number of distinct segments in the list.
	SegmentCount int
}

// Listed reports whether a number is on a do-not-call list that applies to
// the campaign. It must be safe for concurrent use.
type Listed func(n dialgate.Number) (bool, error)

// Screen screens a dial list with the rules of cfg: Sequential (runs of at
// least MinRun numbers, gaps of at most MaxGap, over the whole list whatever
// its order, within one segment or across the boundary between two; with
// MaxStep, also MinRun or more numbers a fixed step apart, the step above
// MaxGap+1 and at most MaxStep), Stride
// (numbers with one suffix in at least MinRun successive segments of one
// kind, at most MaxGap segments skipped; with MaxStep, also in MinRun or
// more segments of one kind a fixed step apart; flagged sweep.sequential
// too) and Coverage (more than MaxPerSegment distinct
// numbers of one segment); listed, when not nil, is the do-not-call lookup.
// Lines with errors, and numbers no dial can be made to
// (dialgate.Dial.Validate refuses them as callees: a mobile with an
// extension digit, a national number cut short), are reported as invalid
// and the rest is screened. The first
// occurrence of a number is screened, later ones are duplicates. A French
// overseas line is one number in both its spellings (+33 596… and +596 596…,
// numbering.OverseasLine): a second spelling is a duplicate, and runs,
// segments and coverage count the line under the spelling OverseasLine
// gives.
func Screen(ctx context.Context, items []Item, cfg Config, listed Listed) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rep := &Report{Results: make([]Result, len(items))}
	type ref struct {
		v   uint64
		idx int32
	}
	refs := make([]ref, 0, len(items))
	for i, it := range items {
		r := &rep.Results[i]
		r.Line, r.Number, r.Err = it.Line, it.Number, it.Err
		if it.Err != nil || !it.Number.IsValid() {
			r.Findings |= FindingInvalid
			if r.Err == nil {
				r.Err = fmt.Errorf("line %d: no number", it.Line)
			}
			continue
		}
		if err := dialgate.CheckCallee(it.Number); err != nil {
			// Gate.Check refuses it as dial.invalid: it is not the line
			// the dialer would reach, and has no segment to count.
			r.Number, r.Findings, r.Err = dialgate.Number{}, FindingInvalid, fmt.Errorf("line %d: %w", it.Line, err)
			continue
		}
		refs = append(refs, ref{numbering.OverseasLine(it.Number).Uint64(), int32(i)})
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(refs, func(a, b ref) int { return cmp.Or(cmp.Compare(a.v, b.v), cmp.Compare(a.idx, b.idx)) })
	// line is the number of result i as it is counted: a French overseas
	// line under one of its two spellings (numbering.OverseasLine).
	line := func(i int32) dialgate.Number { return numbering.OverseasLine(rep.Results[i].Number) }
	// Distinct lines, in ascending order; later occurrences (in either
	// spelling) are duplicates.
	distinct := make([]ref, 0, len(refs))
	for i, x := range refs {
		if i > 0 && refs[i-1].v == x.v {
			rep.Results[x.idx].Findings |= FindingDuplicate
			continue
		}
		distinct = append(distinct, x)
	}
	// Runs are found over every number with a segment, in ascending order,
	// whatever its segment: a run may straddle the boundary between two
	// segments (…139990 to …140009 are successive integers, 15 O.S.
	// §755.1(D)).
	if seq := cfg.Sequential; seq != nil {
		step := uint64(seq.MaxGap + 1)
		inRun := make([]ref, 0, len(distinct))
		flush := func() {
			if n := len(inRun); n >= seq.MinRun {
				for _, x := range inRun {
					rep.Results[x.idx].Findings |= FindingSequential
					rep.Results[x.idx].Run = n
				}
			}
			inRun = inRun[:0]
		}
		// The distinct numbers with a segment, ascending, and their
		// results: the values progressions are found among.
		var valid []uint64
		var validIdx []int32
		if seq.MaxStep != 0 {
			valid, validIdx = make([]uint64, 0, len(distinct)), make([]int32, 0, len(distinct))
		}
		for _, x := range distinct {
			if !numbering.Classify(line(x.idx)).Segment.IsValid() {
				flush()
				continue
			}
			if seq.MaxStep != 0 {
				valid, validIdx = append(valid, x.v), append(validIdx, x.idx)
			}
			if len(inRun) > 0 && x.v-inRun[len(inRun)-1].v > step {
				flush()
			}
			inRun = append(inRun, x)
		}
		flush()
		// Progressions: numbers a fixed step apart, step above MaxGap+1
		// and at most MaxStep, over the same ascending numbers (a
		// progression across a segment boundary is one, as a run is).
		if seq.MaxStep != 0 {
			err := progressions(ctx, valid, step, uint64(seq.MaxStep), seq.MinRun, func(k, n int) {
				r := &rep.Results[validIdx[k]]
				r.Findings |= FindingSequential
				r.Run = max(r.Run, n)
			})
			if err != nil {
				return nil, err
			}
		}
	}
	if st := cfg.Stride; st != nil {
		idxs := make([]int32, len(distinct))
		for i, x := range distinct {
			idxs[i] = x.idx
		}
		if err := screenStrides(ctx, rep, idxs, line, st); err != nil {
			return nil, err
		}
	}
	// Segments are contiguous in ascending order.
	for i := 0; i < len(distinct); {
		if i&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		info := numbering.Classify(line(distinct[i].idx))
		rep.Results[distinct[i].idx].Segment = info.Segment
		if !info.Segment.IsValid() {
			i++
			continue
		}
		j := i + 1
		for j < len(distinct) {
			if distinct[j].v/1e4 != distinct[i].v/1e4 {
				break
			}
			inf := numbering.Classify(line(distinct[j].idx))
			if inf.Segment != info.Segment {
				break
			}
			rep.Results[distinct[j].idx].Segment = inf.Segment
			j++
		}
		group := distinct[i:j]
		rep.SegmentCount++
		sum := SegmentSummary{Numbers: len(group)}
		if cfg.Coverage != nil && len(group) > cfg.Coverage.MaxPerSegment {
			sum.Covered = true
			for _, x := range group {
				rep.Results[x.idx].Findings |= FindingCoverage
			}
		}
		for _, x := range group {
			if r := rep.Results[x.idx]; r.Findings&FindingSequential != 0 {
				sum.InRuns++
				sum.LongestRun = max(sum.LongestRun, r.Run)
			}
		}
		if sum.Covered || sum.InRuns > 0 {
			sum.Segment = info.Segment.String()
			rep.Segments = append(rep.Segments, sum)
		}
		i = j
	}
	if listed != nil {
		for k, x := range distinct {
			if k&0xffff == 0 {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
			on, err := listed(rep.Results[x.idx].Number)
			if err != nil {
				return nil, fmt.Errorf("sweep: screen: do-not-call lookup: %w", err)
			}
			if on {
				rep.Results[x.idx].Findings |= FindingDNC
			}
		}
	}
	slices.SortStableFunc(rep.Segments, func(a, b SegmentSummary) int {
		return cmp.Or(cmp.Compare(b.Numbers, a.Numbers), cmp.Compare(a.Segment, b.Segment))
	})
	for _, r := range rep.Results {
		rep.Total++
		f := r.Findings
		if f == 0 {
			rep.Allowed++
		}
		if f&FindingInvalid != 0 {
			rep.Invalid++
		}
		if f&FindingDuplicate != 0 {
			rep.Duplicate++
		}
		if f&FindingDNC != 0 {
			rep.DNC++
		}
		if f&FindingSequential != 0 {
			rep.Sequential++
		}
		if f&FindingCoverage != 0 {
			rep.Coverage++
		}
	}
	return rep, nil
}

// screenStrides flags, as FindingSequential, the numbers of every stride in
// the list: one suffix in st.MinRun or more successive segments of one kind
// (numbering.Segment.SameKind), at most st.MaxGap segments skipped between
// neighbours, or with st.MaxStep in st.MinRun or more segments of one kind
// a fixed step apart (above st.MaxGap+1, at most st.MaxStep), as the rule
// judges dials. idxs are the results of the distinct lines; line gives a
// result's number as counted. A number's Run becomes the longest of its
// runs.
func screenStrides(ctx context.Context, rep *Report, idxs []int32, line func(int32) dialgate.Number, st *Sequential) error {
	type sref struct {
		seg    numbering.Segment
		suffix int
		head   uint64 // the number without its suffix (country code included)
		len    int    // the number's digits
		idx    int32
	}
	refs := make([]sref, 0, len(idxs))
	for _, i := range idxs {
		n := line(i)
		info := numbering.Classify(n)
		if info.Segment.IsValid() {
			refs = append(refs, sref{info.Segment, info.Suffix, n.Uint64() / 1e4, n.Len(), i})
		}
	}
	// By suffix, then the number without it: a stride's members are
	// neighbours (numbers of one length and prefix are of one kind).
	slices.SortFunc(refs, func(a, b sref) int {
		return cmp.Or(cmp.Compare(a.suffix, b.suffix), cmp.Compare(a.len, b.len),
			cmp.Compare(a.head, b.head), cmp.Compare(a.idx, b.idx))
	})
	step := uint64(st.MaxGap + 1)
	flag := func(r *Result, n int) {
		r.Findings |= FindingSequential
		r.Run = max(r.Run, n)
	}
	start := 0
	flush := func(end int) {
		if n := end - start; n >= st.MinRun {
			for _, x := range refs[start:end] {
				flag(&rep.Results[x.idx], n)
			}
		}
		start = end
	}
	for i := 1; i < len(refs); i++ {
		a, b := refs[i-1], refs[i]
		if a.suffix != b.suffix || !a.seg.SameKind(b.seg) || b.seg.Uint64()-a.seg.Uint64() > step {
			flush(i)
		}
	}
	flush(len(refs))
	if st.MaxStep == 0 {
		return nil
	}
	// Progressions among the segments of one suffix and kind (ascending,
	// distinct: the lines are).
	var segs []uint64
	for lo := 0; lo < len(refs); {
		hi := lo + 1
		for hi < len(refs) && refs[hi].suffix == refs[lo].suffix && refs[hi-1].seg.SameKind(refs[hi].seg) {
			hi++
		}
		if hi-lo >= st.MinRun {
			group := refs[lo:hi]
			segs = segs[:0]
			for _, x := range group {
				segs = append(segs, x.seg.Uint64())
			}
			if err := progressions(ctx, segs, step, uint64(st.MaxStep), st.MinRun, func(k, n int) {
				flag(&rep.Results[group[k].idx], n)
			}); err != nil {
				return err
			}
		}
		lo = hi
	}
	return nil
}

// progressions calls flag(k, n) for every member k of every arithmetic
// progression of minRun or more values of vs (ascending, distinct) with a
// common step above step and at most maxStep, n its length, up to step-1
// (MaxGap) members in a row missing between two of its values, as the run
// rule reads them (storage.Runs); a value of several progressions is
// flagged once for each. Each is walked from its first member: a value a
// and a step s joining it to a value above within step×s (the distance
// over k, k from 1 to step), with none of a-s, …, a-step×s in vs; the walk
// takes each time the nearest value at most step members on. It returns
// ctx's error when ctx ends.
func progressions(ctx context.Context, vs []uint64, step, maxStep uint64, minRun int, flag func(k, n int)) error {
	find := func(lo int, v uint64) int {
		hi := len(vs)
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if vs[m] < v {
				lo = m + 1
			} else {
				hi = m
			}
		}
		if lo < len(vs) && vs[lo] == v {
			return lo
		}
		return -1
	}
	// tried[s] is i+1 once step s was tried from vs[i].
	tried := make([]int, maxStep+1)
	members := make([]int, 0, 2*minRun)
	reach := step * maxStep
	for i, a := range vs {
		if i&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		for j := i + 1; j < len(vs) && vs[j]-a <= reach; j++ {
			d := vs[j] - a
			for k := uint64(1); k <= step; k++ {
				s := d / k
				if s <= step {
					break
				}
				if d%k != 0 || s > maxStep || tried[s] == i+1 {
					continue
				}
				tried[s] = i + 1
				first := true
				for m := uint64(1); m <= step && a >= m*s; m++ {
					if find(0, a-m*s) >= 0 {
						first = false
						break
					}
				}
				if !first {
					continue
				}
				members = append(members[:0], i)
				for last := i; ; {
					next := -1
					for m := uint64(1); m <= step; m++ {
						if next = find(last+1, vs[last]+m*s); next >= 0 {
							break
						}
					}
					if next < 0 {
						break
					}
					members = append(members, next)
					last = next
				}
				if n := len(members); n >= minRun {
					for _, k := range members {
						flag(k, n)
					}
				}
			}
		}
	}
	return nil
}
