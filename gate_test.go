package dialgate_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

var (
	callee = dialgate.MustParseNumber("+8613800138000")
	caller = dialgate.MustParseNumber("+861058001234")
	noon   = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
)

func fixedClock(t time.Time) dialgate.Clock { return dialgate.ClockFunc(func() time.Time { return t }) }

func serviceDial() dialgate.Dial {
	return dialgate.Dial{To: callee, From: caller, Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"}
}

// memLog is an in-memory AuditLog for tests.
type memLog struct {
	mu        sync.Mutex
	decisions []dialgate.Decision
	outcomes  []dialgate.Outcome
	fail      atomic.Bool
}

func (l *memLog) RecordDecision(_ context.Context, d dialgate.Decision) error {
	if l.fail.Load() {
		return errors.New("disk full")
	}
	l.mu.Lock()
	l.decisions = append(l.decisions, d)
	l.mu.Unlock()
	return nil
}

func (l *memLog) RecordOutcome(_ context.Context, o dialgate.Outcome) error {
	if l.fail.Load() {
		return errors.New("disk full")
	}
	l.mu.Lock()
	l.outcomes = append(l.outcomes, o)
	l.mu.Unlock()
	return nil
}

func deny(name string, code dialgate.Code) dialgate.Checker {
	return dialgate.CheckerFunc(name, func(context.Context, dialgate.Dial) ([]dialgate.Reason, error) {
		return []dialgate.Reason{{Code: code, Message: name + " says no"}}, nil
	})
}

func pass(name string) dialgate.Checker {
	return dialgate.CheckerFunc(name, func(context.Context, dialgate.Dial) ([]dialgate.Reason, error) { return nil, nil })
}

func mustGate(t testing.TB, checks []dialgate.Checker, opts ...dialgate.Option) *dialgate.Gate {
	t.Helper()
	g, err := dialgate.New(checks, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func codes(d dialgate.Decision) string {
	var s []string
	for _, c := range d.Codes() {
		s = append(s, string(c))
	}
	return strings.Join(s, ",")
}

func TestZeroDecisionDenies(t *testing.T) {
	var d dialgate.Decision
	if d.Allowed || d.Compliant() {
		t.Fatal("zero Decision allows")
	}
}

func TestCheckAllowsAndRecords(t *testing.T) {
	log := &memLog{}
	g := mustGate(t, []dialgate.Checker{pass("a"), pass("b")}, dialgate.WithClock(fixedClock(noon)),
		dialgate.WithAuditLog(log), dialgate.WithPolicyVersion("cn@test"))
	d := serviceDial()
	d.At = noon.Add(-time.Hour) // overwritten by the gate
	dec, err := g.Check(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if !dec.Allowed || !dec.Compliant() || dec.ID == "" || !dec.At.Equal(noon) || !dec.Dial.At.Equal(noon) || dec.PolicyVersion != "cn@test" {
		t.Fatalf("unexpected decision %+v", dec)
	}
	if len(log.decisions) != 1 || log.decisions[0].ID != dec.ID {
		t.Fatalf("audit log has %d decisions", len(log.decisions))
	}
}

func TestEveryFailingCheckReportedInOrder(t *testing.T) {
	g := mustGate(t, []dialgate.Checker{
		deny("dnc", dialgate.CodeDNCListed), pass("consent"),
		dialgate.CheckerFunc("schedule", func(context.Context, dialgate.Dial) ([]dialgate.Reason, error) {
			return []dialgate.Reason{
				{Code: dialgate.CodeOutsideWindow, NextAllowedAt: noon.Add(time.Hour)},
				{Code: dialgate.CodeHoliday, NextAllowedAt: noon.Add(2 * time.Hour)},
			}, nil
		}),
	}, dialgate.WithoutAuditLog(), dialgate.WithClock(fixedClock(noon)))
	for range 5 {
		dec, err := g.Check(context.Background(), serviceDial())
		if err != nil {
			t.Fatal(err)
		}
		if dec.Allowed {
			t.Fatal("allowed despite failing checks")
		}
		if got, want := codes(dec), "dnc.listed,schedule.outside_window,schedule.holiday"; got != want {
			t.Fatalf("codes %s, want %s", got, want)
		}
		if dec.Reasons[0].Check != "dnc" || dec.Reasons[2].Check != "schedule" {
			t.Fatalf("check names not filled: %+v", dec.Reasons)
		}
		if _, ok := dec.NextAllowedAt(); ok {
			t.Fatal("NextAllowedAt reported although dnc.listed has none")
		}
	}
}

func TestInvalidDial(t *testing.T) {
	log := &memLog{}
	g := mustGate(t, []dialgate.Checker{pass("a")}, dialgate.WithClock(fixedClock(noon)), dialgate.WithAuditLog(log))
	for _, tc := range []struct {
		name  string
		mod   func(*dialgate.Dial)
		field string
	}{
		{"no callee", func(d *dialgate.Dial) { d.To = dialgate.Number{} }, "to"},
		{"no purpose", func(d *dialgate.Dial) { d.Purpose = "" }, "purpose"},
		{"bad purpose", func(d *dialgate.Dial) { d.Purpose = "spam" }, "purpose"},
		{"bad route", func(d *dialgate.Dial) { d.Route = "moon" }, "route"},
		{"callback without trigger", func(d *dialgate.Dial) { d.Purpose = dialgate.PurposeCallback }, "trigger_at"},
		{"callback trigger in future", func(d *dialgate.Dial) {
			d.Purpose = dialgate.PurposeCallback
			d.TriggerAt = noon.Add(time.Minute)
		}, "trigger_at"},
		{"trigger in future as provenance", func(d *dialgate.Dial) {
			d.LeadID = ""
			d.TriggerAt = noon.Add(time.Minute)
		}, "trigger_at"},
		{"control char", func(d *dialgate.Dial) { d.Campaign = "a\nb" }, "campaign"},
		{"too long", func(d *dialgate.Dial) { d.LeadID = strings.Repeat("x", 300) }, "lead_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := serviceDial()
			tc.mod(&d)
			dec, err := g.Check(context.Background(), d)
			if !errors.Is(err, dialgate.ErrInvalidDial) {
				t.Fatalf("err = %v, want ErrInvalidDial", err)
			}
			var fe *dialgate.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Fatalf("err = %v, want field %s", err, tc.field)
			}
			if dec.Allowed || codes(dec) != "dial.invalid" {
				t.Fatalf("decision %+v", dec)
			}
		})
	}
	if len(log.decisions) != 9 {
		t.Fatalf("invalid dials not audited: %d records", len(log.decisions))
	}
}

func TestCallbackWithPastTriggerIsValid(t *testing.T) {
	g := mustGate(t, nil, dialgate.WithoutAuditLog(), dialgate.WithClock(fixedClock(noon)))
	d := serviceDial()
	d.Purpose = dialgate.PurposeCallback
	d.TriggerAt = noon.Add(-time.Minute)
	if dec, err := g.Check(context.Background(), d); err != nil || !dec.Allowed {
		t.Fatalf("%+v %v", dec, err)
	}
}

func TestFailingChecksFailClosed(t *testing.T) {
	boom := dialgate.CheckerFunc("store", func(context.Context, dialgate.Dial) ([]dialgate.Reason, error) {
		return nil, errors.New("connection refused")
	})
	panicky := dialgate.CheckerFunc("buggy", func(context.Context, dialgate.Dial) ([]dialgate.Reason, error) {
		var m map[string]int
		//lint:ignore SA5000 the check must panic, to show the Gate turns a panic into a deny
		m["x"]++
		return nil, nil
	})
	hangs := dialgate.CheckerFunc("slow", func(ctx context.Context, _ dialgate.Dial) ([]dialgate.Reason, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	late := dialgate.CheckerFunc("late", func(context.Context, dialgate.Dial) ([]dialgate.Reason, error) {
		time.Sleep(30 * time.Millisecond) // ignores ctx, answers after the deadline
		return nil, nil
	})
	nocode := dialgate.CheckerFunc("nocode", func(context.Context, dialgate.Dial) ([]dialgate.Reason, error) {
		return []dialgate.Reason{{Message: "forgot the code"}}, nil
	})
	for _, tc := range []struct {
		c    dialgate.Checker
		want string
	}{
		{boom, "store.unavailable"},
		{panicky, "buggy.unavailable"},
		{hangs, "slow.unavailable"},
		{late, "late.unavailable"},
		{nocode, "nocode.unavailable"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			g := mustGate(t, []dialgate.Checker{tc.c}, dialgate.WithoutAuditLog(), dialgate.WithCheckTimeout(10*time.Millisecond))
			dec, err := g.Check(context.Background(), serviceDial())
			if err != nil {
				t.Fatalf("a failing check must deny, not error: %v", err)
			}
			if dec.Allowed || codes(dec) != tc.want || !dec.Reasons[0].Code.IsUnavailable() {
				t.Fatalf("decision %s allowed=%v", codes(dec), dec.Allowed)
			}
		})
	}
}

func TestCancelledContextDenies(t *testing.T) {
	g := mustGate(t, []dialgate.Checker{pass("a")}, dialgate.WithoutAuditLog())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dec, _ := g.Check(ctx, serviceDial())
	if dec.Allowed {
		t.Fatalf("cancelled context allowed: %s", codes(dec))
	}
}

func TestAuditFailureDenies(t *testing.T) {
	log := &memLog{}
	log.fail.Store(true)
	capc := newCapacity("frequency", 1)
	g := mustGate(t, []dialgate.Checker{capc}, dialgate.WithAuditLog(log), dialgate.WithShadowMode(true))
	dec, err := g.Check(context.Background(), serviceDial())
	if !errors.Is(err, dialgate.ErrAuditUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if dec.Allowed || !dec.Has(dialgate.CodeAuditUnavailable) {
		t.Fatalf("decision %+v", dec)
	}
	if capc.used() != 0 {
		t.Fatal("capacity kept for a decision that could not be recorded")
	}
}

func TestShadowModeRecordsButDoesNotEnforce(t *testing.T) {
	log := &memLog{}
	checks := []dialgate.Checker{deny("dnc", dialgate.CodeDNCListed)}
	enforcing := mustGate(t, checks, dialgate.WithoutAuditLog())
	shadow := mustGate(t, checks, dialgate.WithShadowMode(true), dialgate.WithAuditLog(log))
	e, _ := enforcing.Check(context.Background(), serviceDial())
	s, err := shadow.Check(context.Background(), serviceDial())
	if err != nil {
		t.Fatal(err)
	}
	if e.Allowed || e.Shadow {
		t.Fatalf("enforcing decision %+v", e)
	}
	if !s.Allowed || !s.Shadow || s.Compliant() || codes(s) != codes(e) {
		t.Fatalf("shadow decision %+v", s)
	}
	if !shadow.Shadow() || !log.decisions[0].Shadow {
		t.Fatal("shadow mode not visible")
	}
	if _, err := shadow.Check(context.Background(), dialgate.Dial{}); !errors.Is(err, dialgate.ErrInvalidDial) {
		t.Fatalf("invalid dial in shadow mode: %v", err)
	}
}

type attester struct{ dialgate.Checker }

func (a attester) Attest(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, []dialgate.Evidence, error) {
	return nil, []dialgate.Evidence{{Key: "consent.id", Value: d.ConsentID}}, nil
}

func TestAttesterEvidence(t *testing.T) {
	g := mustGate(t, []dialgate.Checker{attester{pass("consent")}}, dialgate.WithoutAuditLog())
	d := serviceDial()
	d.ConsentID = "c-1"
	dec, err := g.Check(context.Background(), d)
	if err != nil || !dec.Allowed || len(dec.Evidence) != 1 || dec.Evidence[0].Value != "c-1" {
		t.Fatalf("%+v %v", dec, err)
	}
}

// capacity is a Committer with a fixed number of slots.
type capacity struct {
	dialgate.Checker
	mu       sync.Mutex
	max      int
	held     map[string]bool
	fail     bool
	commits  int
	released int
}

func newCapacity(name string, max int) *capacity {
	return &capacity{Checker: pass(name), max: max, held: map[string]bool{}}
}

func (c *capacity) Commit(_ context.Context, _ dialgate.Dial, id string) ([]dialgate.Reason, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.commits++
	if c.fail {
		return nil, errors.New("store down")
	}
	if c.held[id] {
		return nil, nil
	}
	if len(c.held) >= c.max {
		return []dialgate.Reason{{Code: dialgate.CodeFrequencyCapped}}, nil
	}
	c.held[id] = true
	return nil, nil
}

func (c *capacity) Release(_ context.Context, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held[id] {
		c.released++
	}
	delete(c.held, id)
	return nil
}

func (c *capacity) used() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.held)
}

func TestCommitOnlyWhenAllChecksPass(t *testing.T) {
	capc := newCapacity("frequency", 10)
	g := mustGate(t, []dialgate.Checker{deny("dnc", dialgate.CodeDNCListed), capc}, dialgate.WithoutAuditLog())
	dec, _ := g.Check(context.Background(), serviceDial())
	if dec.Allowed || capc.commits != 0 {
		t.Fatalf("a denied dial consumed capacity: commits=%d", capc.commits)
	}
}

func TestFailedCommitReleasesEarlierCommits(t *testing.T) {
	first := newCapacity("first", 10)
	second := newCapacity("second", 0) // always full
	g := mustGate(t, []dialgate.Checker{first, second}, dialgate.WithoutAuditLog())
	dec, err := g.Check(context.Background(), serviceDial())
	if err != nil || dec.Allowed || codes(dec) != "frequency.capped" || dec.Reasons[0].Check != "second" {
		t.Fatalf("%+v %v", dec, err)
	}
	if first.used() != 0 || first.released != 1 {
		t.Fatalf("first committer still holds %d (released %d)", first.used(), first.released)
	}
	second.fail = true
	second.max = 10
	dec, _ = g.Check(context.Background(), serviceDial())
	if dec.Allowed || codes(dec) != "second.unavailable" || first.used() != 0 {
		t.Fatalf("commit error: %s, first holds %d", codes(dec), first.used())
	}
}

// panickyRelease is a Committer whose Release panics.
type panickyRelease struct{ *capacity }

func (panickyRelease) Release(context.Context, string) error { panic("release bug") }

// A Release that panics — on Check's own deny path (a later committer
// refused) or through Gate.Release — is an error, not a crash.
func TestPanickingReleaseDoesNotCrash(t *testing.T) {
	first := panickyRelease{newCapacity("first", 10)}
	second := newCapacity("second", 0) // always full: Check releases first
	g := mustGate(t, []dialgate.Checker{first, second}, dialgate.WithoutAuditLog())
	dec, err := g.Check(context.Background(), serviceDial())
	if err != nil || dec.Allowed || codes(dec) != "frequency.capped" {
		t.Fatalf("%+v %v", dec, err)
	}
	if err := g.Release(context.Background(), dec); err == nil || !strings.Contains(err.Error(), "panic in release") {
		t.Fatalf("Release with a panicking committer: %v", err)
	}
}

func TestReleaseGivesCapacityBack(t *testing.T) {
	log := &memLog{}
	capc := newCapacity("frequency", 1)
	g := mustGate(t, []dialgate.Checker{capc}, dialgate.WithAuditLog(log))
	ctx := context.Background()
	d1, _ := g.Check(ctx, serviceDial())
	d2, _ := g.Check(ctx, serviceDial())
	if !d1.Allowed || d2.Allowed {
		t.Fatalf("cap of 1: %v %v", d1.Allowed, d2.Allowed)
	}
	if err := g.Release(ctx, d1); err != nil {
		t.Fatal(err)
	}
	if err := g.Release(ctx, d1); err != nil { // idempotent
		t.Fatal(err)
	}
	if d3, _ := g.Check(ctx, serviceDial()); !d3.Allowed {
		t.Fatal("released capacity not available")
	}
	if len(log.outcomes) != 2 || !log.outcomes[0].Released || log.outcomes[0].DecisionID != d1.ID {
		t.Fatalf("release not audited: %+v", log.outcomes)
	}
	if err := g.Release(ctx, dialgate.Decision{}); !errors.Is(err, dialgate.ErrInvalidOutcome) {
		t.Fatalf("release of zero decision: %v", err)
	}
}

func TestConcurrentChecksNeverOvercommit(t *testing.T) {
	const workers, slots = 64, 7
	capc := newCapacity("frequency", slots)
	log := &memLog{}
	g := mustGate(t, []dialgate.Checker{pass("schedule"), capc}, dialgate.WithAuditLog(log))
	var allowed atomic.Int64
	ids := sync.Map{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			dec, err := g.Check(context.Background(), serviceDial())
			if err != nil {
				t.Error(err)
				return
			}
			if _, dup := ids.LoadOrStore(dec.ID, true); dup {
				t.Errorf("duplicate decision id %s", dec.ID)
			}
			if dec.Allowed {
				allowed.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	if allowed.Load() != slots {
		t.Fatalf("%d allowed, want exactly %d", allowed.Load(), slots)
	}
	if len(log.decisions) != workers {
		t.Fatalf("%d audit records, want %d", len(log.decisions), workers)
	}
}

type observer struct {
	dialgate.Checker
	got []dialgate.Outcome
	err error
}

func (o *observer) ObserveOutcome(_ context.Context, out dialgate.Outcome) error {
	o.got = append(o.got, out)
	return o.err
}

func TestReportOutcome(t *testing.T) {
	log := &memLog{}
	obs := &observer{Checker: pass("frequency")}
	g := mustGate(t, []dialgate.Checker{obs}, dialgate.WithAuditLog(log), dialgate.WithClock(fixedClock(noon)))
	ctx := context.Background()
	dec, _ := g.Check(ctx, serviceDial())
	err := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Answered: true, Conversation: true, RingDuration: 8 * time.Second, RecordingID: "r-1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(obs.got) != 1 || !obs.got[0].At.Equal(noon) || len(log.outcomes) != 1 || log.outcomes[0].RecordingID != "r-1" {
		t.Fatalf("outcome not delivered: %+v / %+v", obs.got, log.outcomes)
	}
	if err := g.ReportOutcome(ctx, dialgate.Outcome{}); !errors.Is(err, dialgate.ErrInvalidOutcome) {
		t.Fatalf("missing decision id: %v", err)
	}
	if err := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: "x", RingDuration: -1}); !errors.Is(err, dialgate.ErrInvalidOutcome) {
		t.Fatalf("negative ring: %v", err)
	}
	// A recorded message belongs to an abandoned call: without Abandoned the
	// outcome is invalid, names the field and is neither observed nor recorded.
	var fe *dialgate.FieldError
	err = g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Answered: true, AbandonMessage: true})
	if !errors.Is(err, dialgate.ErrInvalidOutcome) || !errors.As(err, &fe) || fe.Field != "abandon_message" || len(obs.got) != 1 || len(log.outcomes) != 1 {
		t.Fatalf("abandon_message without abandoned: %v (observed %d, recorded %d)", err, len(obs.got), len(log.outcomes))
	}
	if err := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, Abandoned: true, AbandonMessage: true}); err != nil {
		t.Fatalf("abandoned with a message: %v", err)
	}
	if len(log.outcomes) != 2 || !log.outcomes[1].AbandonMessage {
		t.Fatalf("abandoned with a message not recorded as such: %+v", log.outcomes)
	}
	obs.err = errors.New("store down")
	if err := g.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID}); err == nil || len(log.outcomes) != 3 {
		t.Fatalf("observer error must be returned and the outcome still recorded: %v, %d", err, len(log.outcomes))
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	unrecorded := []dialgate.Option{dialgate.WithoutAuditLog()}
	for _, tc := range []struct {
		name   string
		checks []dialgate.Checker
		opts   []dialgate.Option
	}{
		{"nil check", []dialgate.Checker{nil}, unrecorded},
		{"bad name", []dialgate.Checker{pass("Bad Name")}, unrecorded},
		{"reserved name", []dialgate.Checker{pass("audit")}, unrecorded},
		{"duplicate", []dialgate.Checker{pass("a"), pass("a")}, unrecorded},
		{"nil clock", nil, []dialgate.Option{dialgate.WithoutAuditLog(), dialgate.WithClock(nil)}},
		{"nil log", nil, []dialgate.Option{dialgate.WithAuditLog(nil)}},
		{"no audit log", []dialgate.Checker{pass("a")}, nil},
		{"log and no log", nil, []dialgate.Option{dialgate.WithAuditLog(&memLog{}), dialgate.WithoutAuditLog()}},
		{"no log and log", nil, []dialgate.Option{dialgate.WithoutAuditLog(), dialgate.WithAuditLog(&memLog{})}},
		{"zero timeout", nil, []dialgate.Option{dialgate.WithoutAuditLog(), dialgate.WithCheckTimeout(0)}},
		{"nil ids", nil, []dialgate.Option{dialgate.WithoutAuditLog(), dialgate.WithDecisionIDs(nil)}},
		{"nil logger", nil, []dialgate.Option{dialgate.WithoutAuditLog(), dialgate.WithLogger(nil)}},
		{"nil option", nil, []dialgate.Option{dialgate.WithoutAuditLog(), nil}},
	} {
		if _, err := dialgate.New(tc.checks, tc.opts...); !errors.Is(err, dialgate.ErrInvalidConfig) {
			t.Errorf("%s: err = %v, want ErrInvalidConfig", tc.name, err)
		}
	}
}

func TestDecisionIDsOption(t *testing.T) {
	var n atomic.Int64
	g := mustGate(t, nil, dialgate.WithoutAuditLog(), dialgate.WithDecisionIDs(func() string { return "id-" + itoa(int(n.Add(1))) }))
	dec, _ := g.Check(context.Background(), serviceDial())
	if dec.ID != "id-1" {
		t.Fatalf("id %q", dec.ID)
	}
}

func TestCodeHelpers(t *testing.T) {
	if c := dialgate.UnavailableCode("dnc"); c != "dnc.unavailable" || !c.IsUnavailable() || c.Check() != "dnc" {
		t.Fatal(c)
	}
	if dialgate.CodeDNCListed.IsUnavailable() {
		t.Fatal("dnc.listed is not unavailable")
	}
	if err := (dialgate.Citation{Source: "X", Ref: "r"}).Validate("cite"); err == nil {
		t.Fatal("bad tag accepted")
	}
	if err := (dialgate.Citation{Source: dialgate.SourceLaw}).Validate("cite"); err == nil || !strings.Contains(err.Error(), "cite.ref") {
		t.Fatal(err)
	}
	if err := (dialgate.Citation{Source: dialgate.SourceConvention, Ref: "337号"}).Validate("cite"); err != nil {
		t.Fatal(err)
	}
}

// An id source that returns "" would make every decision share one
// reservation id: Counters treat a held id as already reserved, so every
// Commit after the first would reserve nothing and caps would stop counting.
// The Gate denies instead.
func TestEmptyDecisionIDDenies(t *testing.T) {
	capc := newCapacity("frequency", 1)
	log := &memLog{}
	g := mustGate(t, []dialgate.Checker{capc}, dialgate.WithAuditLog(log), dialgate.WithDecisionIDs(func() string { return "" }))
	ctx := context.Background()
	for i := range 3 {
		dec, err := g.Check(ctx, serviceDial())
		if dec.Allowed || !errors.Is(err, dialgate.ErrInvalidConfig) || !dec.Has(dialgate.CodeAuditUnavailable) {
			t.Fatalf("check %d with an empty decision id: allowed=%v codes=%s err=%v", i, dec.Allowed, codes(dec), err)
		}
	}
	if capc.commits != 0 || len(log.decisions) != 0 {
		t.Fatalf("commits %d, audit records %d; want none for a decision without an id", capc.commits, len(log.decisions))
	}
}

// A Clock that reads the zero time or before 2000 (a clock reset to 1970)
// gives the checks no true instant (a consent rule with a start date would
// look not yet in force, the window would be judged at the wrong hour): the
// Gate denies before any check runs, even one that would allow.
func TestZeroClockDenies(t *testing.T) {
	for _, at := range []time.Time{{}, time.Unix(0, 0), time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC)} {
		capc := newCapacity("frequency", 1)
		log := &memLog{}
		g := mustGate(t, []dialgate.Checker{capc}, dialgate.WithAuditLog(log), dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return at })))
		dec, err := g.Check(context.Background(), serviceDial())
		if dec.Allowed || !errors.Is(err, dialgate.ErrInvalidConfig) || !dec.Has(dialgate.CodeAuditUnavailable) {
			t.Fatalf("check with the clock at %v: allowed=%v codes=%s err=%v", at, dec.Allowed, codes(dec), err)
		}
		if capc.commits != 0 || len(log.decisions) != 0 {
			t.Fatalf("clock at %v: commits %d, audit records %d; want none", at, capc.commits, len(log.decisions))
		}
	}
	// 2000 itself is trusted.
	g := mustGate(t, nil, dialgate.WithoutAuditLog(), dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) })))
	if _, err := g.Check(context.Background(), serviceDial()); err != nil {
		t.Fatalf("clock at 2000-01-01: %v", err)
	}
}

// The default decision ids are unique and unpredictable: a dialer that sees
// its own ids must not be able to name another tenant's decision (the
// sidecar's Release and ReportOutcome). Consecutive ids of a counter-based
// scheme share a long prefix; these share nothing beyond "dg-".
func TestDefaultDecisionIDsUnpredictable(t *testing.T) {
	idRE := regexp.MustCompile(`^dg-[a-z2-7]{26}$`)
	seen := make(map[string]bool)
	prefixes := make(map[string]int)
	for _, g := range []*dialgate.Gate{
		mustGate(t, nil, dialgate.WithoutAuditLog()),
		mustGate(t, nil, dialgate.WithoutAuditLog()),
	} {
		for range 500 {
			dec, err := g.Check(context.Background(), serviceDial())
			if err != nil {
				t.Fatal(err)
			}
			if !idRE.MatchString(dec.ID) || seen[dec.ID] {
				t.Fatalf("id %q: malformed or repeated", dec.ID)
			}
			seen[dec.ID] = true
			prefixes[dec.ID[:3+4]]++
		}
	}
	// 1,000 ids over 32⁴ four-character prefixes: a prefix shared by more
	// than 4 would be a pattern (the chance at random is below 10⁻⁶).
	for p, n := range prefixes {
		if n > 4 {
			t.Fatalf("%d of 1000 ids start with %q", n, p)
		}
	}
}
