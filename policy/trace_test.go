package policy

import (
	"context"
	"fmt"
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
// neighbours are at most 2 numbers apart, not one of 19 nor one with 3
// numbers between neighbours, and flags a list holding more than 200 numbers
// of one 号段 (coverage), not one holding 200.
func TestCNScreenThresholds(t *testing.T) {
	cfg := *builtin(t, "cn").Sweep
	list := func(segment string, n, step int) []sweep.Item {
		items := make([]sweep.Item, n)
		for i := range items {
			items[i] = sweep.Item{Line: i + 1, Number: dialgate.MustParseNumber(fmt.Sprintf("+86%s%04d", segment, i*step))}
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
		{"20 with gaps of 3", list("1390004", 20, 4), 0, 0},
		{"200 of one segment", list("1390005", 200, 40), 0, 0},
		{"201 of one segment", list("1390005", 201, 40), 0, 201},
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
