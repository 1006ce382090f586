package policy

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage/memstore"
	"github.com/dialgate/dialgate/sweep"
)

// The tests in this file prove REQUIREMENTS defaults of the built-in profiles
// that no scenario file can show (docs/requirements-trace.md): each fails
// when the profile's value is changed.

// TestCNComplaintDeadlines (CN-S15): a complaint filed under cn is forwarded
// within 3 working days, handled within 15 more and answered within 3 after
// that (after the 2020 MIIT draft [S]), counted on the cn-2026 calendar with
// its make-up working days, in Beijing time.
func TestCNComplaintDeadlines(t *testing.T) {
	ctx := context.Background()
	cst := time.FixedZone("CST", 8*3600)
	for _, name := range []string{"cn", "cn-insurance"} {
		t.Run(name, func(t *testing.T) {
			p := builtin(t, name)
			ms := memstore.New()
			lists, err := dnc.NewLists(ctx, ms, dnc.ListsOptions{})
			if err != nil {
				t.Fatal(err)
			}
			desk, err := NewComplaintDesk(p, ms, lists, nil, testHasher{})
			if err != nil {
				t.Fatal(err)
			}
			// Tuesday 2026-09-29, before National Day (10-01..10-07 off,
			// Saturday 10-10 a make-up working day).
			c, err := desk.File(ctx, time.Date(2026, 9, 29, 10, 0, 0, 0, cst), complaint.Filing{
				ID: "cp-1", Number: dialgate.MustParseNumber("+8613900139070"), Channel: complaint.ChannelPhone,
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range []struct {
				what      string
				got, want time.Time
			}{
				// 09-30, 10-08, 10-09: forwarded by the end of 10-09.
				{"forward_by", c.ForwardBy, time.Date(2026, 10, 10, 0, 0, 0, 0, cst)},
				// 10-10 (make-up), 10-12..16, 10-19..23, 10-26..29: 15 working days.
				{"handle_by", c.HandleBy, time.Date(2026, 10, 30, 0, 0, 0, 0, cst)},
				// 10-30, 11-02, 11-03.
				{"answer_by", c.AnswerBy, time.Date(2026, 11, 4, 0, 0, 0, 0, cst)},
			} {
				if !d.got.Equal(d.want) {
					t.Errorf("%s: %s = %s, want %s", name, d.what, d.got.In(cst).Format(time.RFC3339), d.want.Format(time.RFC3339))
				}
			}
		})
	}
}

// TestCNScreenThresholds (REQUIREMENTS §3, blind-dial heuristic 2): screening
// a dial list with cn's rules flags a run of 20 numbers of one 号段 whose
// neighbours are at most 2 numbers apart, not one of 19, and 20 numbers a
// fixed step of 4 to 100 apart (max_step), not a step of 101; and flags a
// list holding more than 200 (random) numbers of one 号段 (coverage), not
// one holding 200.
func TestCNScreenThresholds(t *testing.T) {
	cfg := *builtin(t, "cn").Sweep
	list := func(segment string, n, step int) []sweep.Item {
		items := make([]sweep.Item, n)
		for i := range items {
			items[i] = sweep.Item{Line: i + 1, Number: dialgate.MustParseNumber(fmt.Sprintf("+86%s%04d", segment, i*step))}
		}
		return items
	}
	// random returns n random numbers of segment.
	random := func(segment string, n int) []sweep.Item {
		items := make([]sweep.Item, n)
		for i, x := range rand.New(rand.NewPCG(3, 4)).Perm(10000)[:n] {
			items[i] = sweep.Item{Line: i + 1, Number: dialgate.MustParseNumber(fmt.Sprintf("+86%s%04d", segment, x))}
		}
		return items
	}
	for _, tc := range []struct {
		name                 string
		items                []sweep.Item
		sequential, coverage int
	}{
		{"run of 20, gaps of 2", list("1390004", 20, 3), 20, 0},
		{"run of 19, gaps of 2", list("1390004", 19, 3), 0, 0},
		{"20 by a step of 4", list("1390004", 20, 4), 20, 0},
		{"20 by a step of 100", list("1390004", 20, 100), 20, 0},
		{"19 by a step of 100", list("1390004", 19, 100), 0, 0},
		{"20 by a step of 101", list("1390004", 20, 101), 0, 0},
		{"200 of one segment", random("1390005", 200), 0, 0},
		{"201 of one segment", random("1390005", 201), 0, 201},
	} {
		rep, err := sweep.Screen(context.Background(), tc.items, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Sequential != tc.sequential || rep.Coverage != tc.coverage {
			t.Errorf("%s: sequential %d coverage %d, want %d and %d", tc.name, rep.Sequential, rep.Coverage, tc.sequential, tc.coverage)
		}
	}
}

// TestUSOKSequential (REQUIREMENTS §3; 15 O.S. §755.1(D)): us-ok denies a
// run of 10 numbers of one NPA-NXX whose neighbours are at most 2 numbers
// apart, counting up or down, for every purpose (dialgate cannot tell an
// automatic dial announcing device from a live-agent dialer) and for toll-free
// numbers too, and 10 numbers a fixed step of 4 to 100 apart (max_step); a
// run of 9, or a step of 101, passes.
// Screening a list applies the same thresholds. The federal us profile has no
// sweep rule.
func TestUSOKSequential(t *testing.T) {
	ctx := context.Background()
	if s := builtin(t, "us").Sweep; s != nil {
		t.Fatalf("us has a sweep section %+v; the us scenario sweep-sequential-us.yaml assumes none", s)
	}
	cfg := *builtin(t, "us-ok").Sweep
	if cfg.Provenance == nil || cfg.Provenance.Cite.Source != dialgate.SourceLaw || cfg.SegmentRate != nil || cfg.Coverage != nil {
		t.Errorf("us-ok sweep: want the provenance rule [L] (random number dialing) and the sequential rule, got %+v", cfg)
	}
	// numbers returns n numbers of NPA-NXX npanxx from suffix first, step apart.
	numbers := func(npanxx string, first, n, step int) []dialgate.Number {
		ns := make([]dialgate.Number, n)
		for i := range ns {
			ns[i] = dialgate.MustParseNumber(fmt.Sprintf("+1%s%04d", npanxx, first+i*step))
		}
		return ns
	}
	at := time.Date(2026, 6, 10, 14, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		nums    []dialgate.Number
		purpose dialgate.Purpose
		denied  int // index of the first denied dial, -1 for none
	}{
		{"up by one, marketing", numbers("405555", 100, 12, 1), dialgate.PurposeMarketing, 9},
		{"down by one, collections", numbers("405555", 111, 12, -1), dialgate.PurposeCollections, 9},
		{"up by three, survey", numbers("918555", 0, 12, 3), dialgate.PurposeSurvey, 9},
		{"toll-free, service", numbers("800555", 100, 12, 1), dialgate.PurposeService, 9},
		{"up by four", numbers("405555", 5000, 20, 4), dialgate.PurposeMarketing, 9},
		{"down by seven", numbers("405555", 5000, 20, -7), dialgate.PurposeMarketing, 9},
		{"up by 100", numbers("405555", 0, 20, 100), dialgate.PurposeMarketing, 9},
		{"up by 101", numbers("405555", 0, 20, 101), dialgate.PurposeMarketing, -1},
		{"nine, then another NXX", append(numbers("405555", 100, 9, 1), numbers("405556", 109, 3, 1)...), dialgate.PurposeMarketing, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chk, err := sweep.New(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			first := -1
			for i, n := range tc.nums {
				d := dialgate.Dial{To: n, Purpose: tc.purpose, Tenant: "acme", LeadID: "l", At: at.Add(time.Duration(i) * time.Minute)}
				rs, err := chk.Check(ctx, d)
				if err == nil && len(rs) == 0 {
					rs, err = chk.Commit(ctx, d, fmt.Sprintf("d-%d", i))
				}
				if err != nil {
					t.Fatal(err)
				}
				if len(rs) > 0 {
					if rs[0].Code != dialgate.CodeSweepSequential {
						t.Fatalf("dial %d: %v", i, rs)
					}
					if first < 0 {
						first = i
					}
				} else if first >= 0 {
					t.Fatalf("dial %d allowed after the run was denied at dial %d", i, first)
				}
			}
			if first != tc.denied {
				t.Fatalf("first denied dial %d, want %d", first, tc.denied)
			}
		})
	}
	// Screening: the same thresholds on a whole list.
	items := func(ns []dialgate.Number) []sweep.Item {
		its := make([]sweep.Item, len(ns))
		for i, n := range ns {
			its[i] = sweep.Item{Line: i + 1, Number: n}
		}
		return its
	}
	for _, tc := range []struct {
		name string
		nums []dialgate.Number
		want int
	}{
		{"run of 10, gaps of 2", numbers("405555", 0, 10, 3), 10},
		{"run of 9, gaps of 2", numbers("405555", 0, 9, 3), 0},
		{"10 by a step of 4", numbers("405555", 0, 10, 4), 10},
		{"9 by a step of 7", numbers("405555", 0, 9, 7), 0},
		{"10 by a step of 101", numbers("405555", 0, 10, 101), 0},
		{"toll-free run of 10", numbers("888555", 9990, 10, -1), 10},
	} {
		rep, err := sweep.Screen(ctx, items(tc.nums), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Sequential != tc.want {
			t.Errorf("screen %s: sequential %d, want %d", tc.name, rep.Sequential, tc.want)
		}
	}
}

// TestUSOKSequentialRandomList: us-ok's run of 10 is not tripped by numbers
// that are not a sweep. 100,000 random numbers spread over 200 NPA-NXX codes
// of Oklahoma's area codes (500 numbers, 5 % of each code, in one day and one
// tenant — far denser than a real lead list) hold no run.
func TestUSOKSequentialRandomList(t *testing.T) {
	cfg := *builtin(t, "us-ok").Sweep
	rng := rand.New(rand.NewPCG(1, 2))
	npas := []uint64{405, 539, 580, 918}
	var its []sweep.Item
	for c := range 200 {
		npanxx := npas[c%len(npas)]*1000 + 200 + uint64(c)
		for _, s := range rng.Perm(10000)[:500] {
			n, err := dialgate.NumberFromUint64(1e10 + npanxx*1e4 + uint64(s))
			if err != nil {
				t.Fatal(err)
			}
			its = append(its, sweep.Item{Line: len(its) + 1, Number: n})
		}
	}
	rep, err := sweep.Screen(context.Background(), its, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sequential != 0 || rep.Invalid != 0 {
		t.Fatalf("%d numbers falsely in sequential runs, %d invalid", rep.Sequential, rep.Invalid)
	}
}

// TestRecordingRequired (REQUIREMENTS §2): cn-insurance records every call,
// so a Gate without a recording store denies recording.not_configured; cn
// does not require recording.
func TestRecordingRequired(t *testing.T) {
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	for _, tc := range []struct {
		profile    string
		recordings bool
		want       bool // recording.not_configured among the reasons
	}{
		{"cn-insurance", false, true},
		{"cn-insurance", true, false},
		{"cn", false, false},
	} {
		p := &Profile{Schema: Schema, Name: tc.profile, Recording: builtin(t, tc.profile).Recording}
		deps := Deps{CalleeHasher: testHasher{}}
		if tc.recordings {
			deps.Recordings = memstore.New()
		}
		g, err := Build(p, deps, dialgate.WithoutAuditLog(), dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return at })))
		if err != nil {
			t.Fatal(err)
		}
		dec, err := g.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber("+8613900139080"), Purpose: dialgate.PurposeService, LeadID: "crm-80"})
		if err != nil {
			t.Fatal(err)
		}
		if got := dec.Has(dialgate.CodeRecordingNotConfigured); got != tc.want {
			t.Errorf("%s (recording store %v): %v, want recording.not_configured %v", tc.profile, tc.recordings, dec.Codes(), tc.want)
		}
	}
}

// TestCNConventionsCitedAsConventions (REQUIREMENTS preamble: "Every [U]
// default must be configurable, documented as a convention, and cited as
// such in the profile"; §2: "No national rule defines 日常休息时段: the
// profile says so"): each cn default that REQUIREMENTS tags [U] carries
// source U, and the calling window's note says that no national rule defines
// the rest hours.
func TestCNConventionsCitedAsConventions(t *testing.T) {
	p := builtin(t, "cn")
	byPath := map[string]dialgate.Citation{}
	for _, c := range Citations(p) {
		byPath[c.Path] = c.Cite
	}
	for _, path := range []string{
		"dnc.hold.cite",              // 12 months [U]
		"callerid.inbound_only.cite", // 400/800 not as caller ID [U]
		"sweep.segment_rate.cite",    // §3 heuristics [U]
		"sweep.sequential.cite",      //
		"sweep.stride.cite",          //
		"sweep.coverage.cite",        //
		"schedule.windows[0].cite",   // 09–12, 14–21 [U]
		"schedule.callback.cite",     // trigger ≤ 30 min [U]
		"frequency.caps[0].cite",     // 1/5 min [U]
		"frequency.caps[1].cite",     // 2/24 h [U]
		"frequency.caps[2].cite",     // 10/30 d [U]
		"ring.cite",                  // 15 s [U for CN]
	} {
		c, ok := byPath[path]
		if !ok {
			t.Errorf("cn: no citation at %s", path)
			continue
		}
		if c.Source != "U" {
			t.Errorf("cn %s: source %s, want U (dialgate's convention)", path, c.Source)
		}
	}
	if note := byPath["schedule.windows[0].cite"].Note; !strings.Contains(note, "No national rule defines 日常休息时段") {
		t.Errorf("cn schedule.windows[0] note %q does not say that no national rule defines 日常休息时段", note)
	}
}
