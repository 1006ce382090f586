package schedule_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/boltstore"
	"github.com/dialgate/dialgate/storage/memstore"
)

var (
	cst    = time.FixedZone("CST", 8*3600)
	start  = time.Date(2026, 12, 5, 9, 0, 0, 0, cst)
	callee = dialgate.MustParseNumber("+8613900139001")
	other  = dialgate.MustParseNumber("+8613900139002")
	from1  = dialgate.MustParseNumber("+861058001234")
	from2  = dialgate.MustParseNumber("+861058001235")
	testHK = []byte("0123456789abcdef-test-key")
)

func TestCapsConfigValidate(t *testing.T) {
	cite := dialgate.Citation{Source: dialgate.SourceConvention, Ref: "test"}
	day := dialgate.Duration(24 * time.Hour)
	cases := []struct {
		name  string
		cfg   schedule.CapsConfig
		field string // "" = valid
	}{
		{"zero", schedule.CapsConfig{}, ""},
		{"cn", schedule.CapsCN(), ""},
		{"us-fl", schedule.CapsUSFL(), ""},
		{"us-ok", schedule.CapsUSOK(), ""},
		{"us-collections", schedule.CapsUSCollections(), ""},
		{"fr", schedule.CapsFR(), ""},
		{"negative count", schedule.CapsConfig{Caps: []schedule.Cap{{Count: 1, Window: day, Cite: cite}, {Count: -1, Window: day, Cite: cite}}}, "frequency.caps[1].count"},
		{"zero count", schedule.CapsConfig{Caps: []schedule.Cap{{Window: day, Cite: cite}}}, "frequency.caps[0].count"},
		{"zero window", schedule.CapsConfig{Caps: []schedule.Cap{{Count: 2, Cite: cite}}}, "frequency.caps[0].window"},
		{"negative window", schedule.CapsConfig{Caps: []schedule.Cap{{Count: 2, Window: -day, Cite: cite}}}, "frequency.caps[0].window"},
		{"huge window", schedule.CapsConfig{Caps: []schedule.Cap{{Count: 2, Window: 400 * day, Cite: cite}}}, "frequency.caps[0].window"},
		{"bad purpose", schedule.CapsConfig{Caps: []schedule.Cap{{Count: 2, Window: day, Purposes: []dialgate.Purpose{"sales"}, Cite: cite}}}, "frequency.caps[0].purposes[0]"},
		{"duplicate purpose", schedule.CapsConfig{Caps: []schedule.Cap{{Count: 2, Window: day, Purposes: []dialgate.Purpose{"service", "service"}, Cite: cite}}}, "frequency.caps[0].purposes[1]"},
		{"bad scope", schedule.CapsConfig{Caps: []schedule.Cap{{Count: 2, Window: day, Per: "household", Cite: cite}}}, "frequency.caps[0].per"},
		{"missing cite", schedule.CapsConfig{Caps: []schedule.Cap{{Count: 2, Window: day}}}, "frequency.caps[0].cite.source"},
		{"pause zero window", schedule.CapsConfig{PauseAfterConversation: &schedule.ConversationPause{Cite: cite}}, "frequency.pause_after_conversation.window"},
		{"pause missing ref", schedule.CapsConfig{PauseAfterConversation: &schedule.ConversationPause{Window: day, Cite: dialgate.Citation{Source: "L"}}}, "frequency.pause_after_conversation.cite.ref"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				if _, err := schedule.NewCapCheck(tc.cfg, memstore.New()); err != nil {
					t.Fatalf("NewCapCheck: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate accepted %+v", tc.cfg)
			}
			if !errors.Is(err, schedule.ErrInvalidCaps) {
				t.Errorf("error %v does not wrap ErrInvalidCaps", err)
			}
			if !strings.HasPrefix(err.Error(), tc.field+":") {
				t.Errorf("error %q does not start with the field %q", err, tc.field)
			}
			if _, err := schedule.NewCapCheck(tc.cfg, memstore.New()); err == nil {
				t.Error("NewCapCheck accepted an invalid config")
			}
		})
	}
	if _, err := schedule.NewCapCheck(schedule.CapsCN(), nil); err == nil {
		t.Error("NewCapCheck accepted a nil store")
	}
	if _, err := schedule.NewCapCheck(schedule.CapsCN(), memstore.New(), schedule.WithCapHashKey([]byte("short"))); err == nil {
		t.Error("NewCapCheck accepted a 5-byte hash key")
	}
}

// clock is a settable Clock for the Gate.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// rig is a Gate with the cap check (and optionally others before it).
type rig struct {
	t     *testing.T
	gate  *dialgate.Gate
	clock *clock
	caps  *schedule.CapCheck
}

func newRig(t *testing.T, cfg schedule.CapsConfig, counters storage.Counters, before ...dialgate.Checker) *rig {
	t.Helper()
	caps, err := schedule.NewCapCheck(cfg, counters, schedule.WithCapHashKey(testHK))
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: start}
	g, err := dialgate.New(append(before, caps), dialgate.WithoutAuditLog(), dialgate.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	return &rig{t: t, gate: g, clock: clk, caps: caps}
}

func (r *rig) dial(at time.Time, d dialgate.Dial) dialgate.Decision {
	r.t.Helper()
	r.clock.set(at)
	if d.Purpose == "" {
		d.Purpose = dialgate.PurposeService
	}
	if d.Tenant == "" {
		d.Tenant = "acme"
	}
	dec, err := r.gate.Check(context.Background(), d)
	if err != nil {
		r.t.Fatalf("Check: %v", err)
	}
	return dec
}

func (r *rig) want(at time.Time, d dialgate.Dial, allowed bool) dialgate.Decision {
	r.t.Helper()
	dec := r.dial(at, d)
	if dec.Allowed != allowed {
		r.t.Fatalf("dial at %s: allowed = %v, want %v (reasons %+v)", at.Format(time.RFC3339), dec.Allowed, allowed, dec.Reasons)
	}
	if !allowed && !dec.Has(dialgate.CodeFrequencyCapped) {
		r.t.Fatalf("dial at %s denied without frequency.capped: %+v", at.Format(time.RFC3339), dec.Reasons)
	}
	return dec
}

func evidence(r dialgate.Reason, key string) string {
	for _, e := range r.Evidence {
		if e.Key == key {
			return e.Value
		}
	}
	return ""
}

func TestCNCapsThroughGate(t *testing.T) {
	r := newRig(t, schedule.CapsCN(), memstore.New())
	d := dialgate.Dial{To: callee, From: from1, Campaign: "winter"}

	dec := r.want(start, d, true)
	if len(dec.Evidence) != 3 || dec.Evidence[0].Key != "frequency.seen" || dec.Evidence[0].Value != "0 of 1 call per 5m per callee" {
		t.Errorf("evidence of a passing dial = %+v", dec.Evidence)
	}
	// Another caller ID and campaign of the same tenant count together.
	dec = r.want(start.Add(time.Minute), dialgate.Dial{To: callee, From: from2, Campaign: "spring"}, false)
	rs := dec.Reasons[0]
	// The cap counts over 5m plus the default allow lifetime (1m): the
	// first call may have been placed up to 1m after its decision.
	if want := start.Add(6 * time.Minute); !rs.NextAllowedAt.Equal(want) {
		t.Errorf("NextAllowedAt = %s, want %s", rs.NextAllowedAt, want)
	}
	if got := evidence(rs, "frequency.cap"); got != "1 call per 5m per callee" {
		t.Errorf("cap evidence = %q", got)
	}
	if got := evidence(rs, "frequency.count"); got != "1" {
		t.Errorf("count evidence = %q", got)
	}
	if got := evidence(rs, "frequency.next_allowed_at"); got != "2026-12-05T09:06:00+08:00" {
		t.Errorf("next_allowed_at evidence = %q", got)
	}
	if !strings.Contains(evidence(rs, "frequency.cite"), "337") {
		t.Errorf("cite evidence = %q", evidence(rs, "frequency.cite"))
	}
	// Start of the next counted window: allowed (window is (t-5m-1m, t]).
	r.want(start.Add(6*time.Minute), d, true)
	// Third call of the day: the 24-hour cap, until the first call leaves
	// it (counted over 24h1m).
	dec = r.want(start.Add(time.Hour), d, false)
	if want := start.Add(24*time.Hour + time.Minute); len(dec.Reasons) != 1 || !dec.Reasons[0].NextAllowedAt.Equal(want) {
		t.Errorf("reasons = %+v, want one 24-hour cap until %s", dec.Reasons, want)
	}
	// Another callee and another tenant are unaffected.
	r.want(start.Add(time.Hour), dialgate.Dial{To: other, From: from1}, true)
	r.want(start.Add(time.Hour), dialgate.Dial{To: callee, From: from1, Tenant: "globex"}, true)
	// Ten a month: two a day for five days, then the 30-day cap. Each
	// "day" is 24h1m, the 24-hour cap's counted window.
	day1 := 24*time.Hour + time.Minute
	for day := 1; day < 5; day++ {
		r.want(start.Add(time.Duration(day)*day1), d, true)
		r.want(start.Add(time.Duration(day)*day1+time.Hour), d, true)
	}
	dec = r.want(start.Add(5*day1), d, false)
	if want := start.Add(30*24*time.Hour + time.Minute); len(dec.Reasons) != 1 || !dec.Reasons[0].NextAllowedAt.Equal(want) {
		t.Errorf("reasons = %+v, want the 30-day cap until %s", dec.Reasons, want)
	}
	if next, ok := dec.NextAllowedAt(); !ok || !next.Equal(start.Add(30*24*time.Hour+time.Minute)) {
		t.Errorf("Decision.NextAllowedAt = %s, %v", next, ok)
	}
}

// countingStore wraps a store and records the keys it is given.
type countingStore struct {
	storage.Counters
	mu   sync.Mutex
	keys []string
}

func (c *countingStore) note(ls []storage.Limit) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range ls {
		c.keys = append(c.keys, l.Key)
	}
}

func (c *countingStore) Usage(ctx context.Context, t time.Time, ls []storage.Limit) ([]storage.Usage, error) {
	c.note(ls)
	return c.Counters.Usage(ctx, t, ls)
}

func (c *countingStore) Reserve(ctx context.Context, id string, t time.Time, ls []storage.Limit) (bool, []storage.Usage, error) {
	c.note(ls)
	return c.Counters.Reserve(ctx, id, t, ls)
}

func TestDeniedByAnotherCheckConsumesNothing(t *testing.T) {
	store := memstore.New()
	var deny atomic.Bool
	gatekeeper := dialgate.CheckerFunc("dnc", func(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, error) {
		if deny.Load() {
			return []dialgate.Reason{{Code: dialgate.CodeDNCListed}}, nil
		}
		return nil, nil
	})
	r := newRig(t, schedule.CapsCN(), store, gatekeeper)
	d := dialgate.Dial{To: callee, From: from1}
	deny.Store(true)
	for i := range 20 {
		dec := r.dial(start.Add(time.Duration(i)*time.Second), d)
		if dec.Allowed || !dec.Has(dialgate.CodeDNCListed) || dec.Has(dialgate.CodeFrequencyCapped) {
			t.Fatalf("dial %d: %+v", i, dec.Reasons)
		}
	}
	deny.Store(false)
	// Nothing was consumed: the first allowed dial passes every cap.
	r.want(start.Add(time.Minute), d, true)
	r.want(start.Add(2*time.Minute), d, false)
}

func TestReleaseGivesBack(t *testing.T) {
	r := newRig(t, schedule.CapsCN(), memstore.New())
	d := dialgate.Dial{To: callee, From: from1}
	dec := r.want(start, d, true)
	r.want(start.Add(time.Minute), d, false)
	if err := r.gate.Release(context.Background(), dec); err != nil {
		t.Fatal(err)
	}
	if err := r.gate.Release(context.Background(), dec); err != nil {
		t.Fatalf("second Release: %v", err)
	}
	r.want(start.Add(time.Minute), d, true)
}

func TestCommitIdempotent(t *testing.T) {
	store := memstore.New()
	caps, err := schedule.NewCapCheck(schedule.CapsCN(), store)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d := dialgate.Dial{To: callee, Purpose: dialgate.PurposeService, At: start}
	for i := range 3 {
		if rs, err := caps.Commit(ctx, d, "dg-1"); err != nil || rs != nil {
			t.Fatalf("Commit %d = %+v, %v", i, rs, err)
		}
	}
	d.At = start.Add(6 * time.Minute) // the 5m cap counts over 6m
	if rs, err := caps.Commit(ctx, d, "dg-2"); err != nil || rs != nil {
		t.Fatalf("Commit dg-2 = %+v, %v (dg-1 counted more than once?)", rs, err)
	}
	d.At = start.Add(12 * time.Minute)
	if rs, err := caps.Commit(ctx, d, "dg-3"); err != nil || len(rs) != 1 || rs[0].Code != dialgate.CodeFrequencyCapped {
		t.Fatalf("Commit dg-3 = %+v, %v; want the 24-hour cap", rs, err)
	}
}

func TestKeysHoldNoRawNumber(t *testing.T) {
	store := &countingStore{Counters: memstore.New()}
	cfg := schedule.CapsCN()
	cfg.Caps = append(cfg.Caps, schedule.CapsUSCollections().Caps...)
	cfg.PauseAfterConversation = schedule.CapsUSCollections().PauseAfterConversation
	r := newRig(t, cfg, store)
	r.want(start, dialgate.Dial{To: callee, From: from1, Purpose: dialgate.PurposeCollections, Subject: "debt-7"}, true)
	r.want(start.Add(time.Hour), dialgate.Dial{To: other, From: from1}, true)
	if len(store.keys) == 0 {
		t.Fatal("no keys seen")
	}
	for _, k := range store.keys {
		for _, n := range []dialgate.Number{callee, other} {
			for _, s := range []string{n.Digits(), n.National(), n.National()[3:]} {
				if strings.Contains(k, s) {
					t.Errorf("counter key %q contains the callee's digits %q", k, s)
				}
			}
		}
		if strings.Contains(k, "debt-7") {
			t.Errorf("counter key %q contains the raw subject", k)
		}
	}
}

func TestPurposesAndScopes(t *testing.T) {
	t.Run("fr counts marketing only", func(t *testing.T) {
		r := newRig(t, schedule.CapsFR(), memstore.New())
		m := dialgate.Dial{To: callee, From: from1, Purpose: dialgate.PurposeMarketing}
		for i := range 4 {
			r.want(start.Add(time.Duration(i)*24*time.Hour), m, true)
		}
		dec := r.want(start.Add(4*24*time.Hour), m, false)
		// Counted over 30d plus the allow lifetime (1m).
		if !dec.Reasons[0].NextAllowedAt.Equal(start.Add(30*24*time.Hour + time.Minute)) {
			t.Errorf("NextAllowedAt = %s", dec.Reasons[0].NextAllowedAt)
		}
		r.want(start.Add(4*24*time.Hour), dialgate.Dial{To: callee, From: from1, Purpose: dialgate.PurposeService}, true)
		r.want(start.Add(30*24*time.Hour+time.Minute), m, true)
	})
	t.Run("us-fl three per subject per callee", func(t *testing.T) {
		r := newRig(t, schedule.CapsUSFL(), memstore.New())
		m := dialgate.Dial{To: callee, From: from1, Purpose: dialgate.PurposeMarketing, Subject: "solar"}
		for i := range 3 {
			r.want(start.Add(time.Duration(i)*time.Hour), m, true)
		}
		r.want(start.Add(3*time.Hour), m, false)
		r.want(start.Add(3*time.Hour), dialgate.Dial{To: callee, From: from2, Purpose: dialgate.PurposeMarketing, Subject: "roofing"}, true)
		r.want(start.Add(3*time.Hour), dialgate.Dial{To: other, From: from1, Purpose: dialgate.PurposeMarketing, Subject: "solar"}, true)
		r.want(start.Add(24*time.Hour+time.Minute), m, true) // counted over 24h1m
	})
	t.Run("us-fl without subject cannot be counted", func(t *testing.T) {
		// Three calls about solar, then calls without a subject: counted in a
		// counter of their own they would be three more calls to the same
		// person, perhaps on the same subject. The matter is unknown, so the
		// dial is denied (fail closed).
		r := newRig(t, schedule.CapsUSFL(), memstore.New())
		m := dialgate.Dial{To: callee, From: from1, Purpose: dialgate.PurposeMarketing, Subject: "solar"}
		for i := range 3 {
			r.want(start.Add(time.Duration(i)*time.Hour), m, true)
		}
		m.Subject = ""
		wantNoSubject(t, r.dial(start.Add(3*time.Hour), m))
		// A rule per callee only needs no subject.
		r.want(start.Add(3*time.Hour), dialgate.Dial{To: callee, From: from1, Purpose: dialgate.PurposeService}, true)
	})
}

// wantNoSubject asserts a deny because a per-subject rule applies and the dial
// names no subject.
func wantNoSubject(t *testing.T, dec dialgate.Decision) {
	t.Helper()
	if dec.Allowed || !dec.Has(dialgate.UnavailableCode("frequency")) || !strings.Contains(dec.Reasons[0].Message, "subject") {
		t.Fatalf("dial without a subject under a per-subject rule: allowed=%v reasons=%+v", dec.Allowed, dec.Reasons)
	}
}

// Regulation F: no call within 7 days after a conversation about the debt. A
// dial that leaves out the subject must not slip past the pause (or the 7 in
// 7 days) by being counted per callee in a counter of its own.
func TestUSCollectionsNoSubjectDoesNotDodge(t *testing.T) {
	r := newRig(t, schedule.CapsUSCollections(), memstore.New())
	placed := r.want(start, dialgate.Dial{To: other, From: from1, Purpose: dialgate.PurposeCollections, Subject: "debt-3"}, true)
	r.clock.set(start.Add(5 * time.Minute))
	if err := r.gate.ReportOutcome(context.Background(), dialgate.Outcome{DecisionID: placed.ID, Dial: placed.Dial, Answered: true, Conversation: true}); err != nil {
		t.Fatal(err)
	}
	wantNoSubject(t, r.dial(start.Add(24*time.Hour), dialgate.Dial{To: other, From: from1, Purpose: dialgate.PurposeCollections}))
	// A conversation outcome whose dial has no subject cannot start the pause
	// of the right debt: an error, not a silent pause of nothing.
	d := placed.Dial
	d.Subject = ""
	err := r.gate.ReportOutcome(context.Background(), dialgate.Outcome{DecisionID: placed.ID, Dial: d, Answered: true, Conversation: true})
	var fe *dialgate.FieldError
	if !errors.As(err, &fe) || fe.Field != "dial.subject" || !errors.Is(err, dialgate.ErrInvalidOutcome) {
		t.Fatalf("conversation without a subject: %v, want a dial.subject FieldError", err)
	}
}

func TestUSCollectionsCapAndPause(t *testing.T) {
	r := newRig(t, schedule.CapsUSCollections(), memstore.New())
	numbers := []dialgate.Number{callee, other, dialgate.MustParseNumber("+12125550101")}
	debt := func(n dialgate.Number, subject string) dialgate.Dial {
		return dialgate.Dial{To: n, From: from1, Purpose: dialgate.PurposeCollections, Subject: subject}
	}
	// Seven calls in seven days about one debt, whichever number is called.
	for i := range 7 {
		r.want(start.Add(time.Duration(i)*time.Hour), debt(numbers[i%3], "debt-1"), true)
	}
	dec := r.want(start.Add(8*time.Hour), debt(callee, "debt-1"), false)
	if !dec.Reasons[0].NextAllowedAt.Equal(start.Add(7*24*time.Hour + time.Minute)) { // counted over 7d1m
		t.Errorf("NextAllowedAt = %s", dec.Reasons[0].NextAllowedAt)
	}
	r.want(start.Add(8*time.Hour), debt(callee, "debt-2"), true)
	r.want(start.Add(8*time.Hour), dialgate.Dial{To: callee, From: from1, Purpose: dialgate.PurposeService}, true)

	// A conversation about debt-3 pauses calls about it for 7 days.
	placed := r.want(start.Add(9*time.Hour), debt(other, "debt-3"), true)
	r.clock.set(start.Add(9*time.Hour + 5*time.Minute))
	err := r.gate.ReportOutcome(context.Background(), dialgate.Outcome{DecisionID: placed.ID, Dial: placed.Dial, Answered: true, Conversation: true})
	if err != nil {
		t.Fatal(err)
	}
	dec = r.want(start.Add(10*time.Hour), debt(other, "debt-3"), false)
	pauseEnd := start.Add(9*time.Hour + 5*time.Minute + 7*24*time.Hour)
	if !dec.Reasons[0].NextAllowedAt.Equal(pauseEnd) || !strings.Contains(dec.Reasons[0].Message, "conversation") {
		t.Errorf("reason = %+v, want the pause until %s", dec.Reasons[0], pauseEnd)
	}
	if !strings.Contains(evidence(dec.Reasons[0], "frequency.cite"), "1006.14(b)(2)(i)(B)") {
		t.Errorf("pause cite = %q", evidence(dec.Reasons[0], "frequency.cite"))
	}
	r.want(pauseEnd.Add(-time.Second), debt(other, "debt-3"), false)
	r.want(pauseEnd, debt(other, "debt-3"), true)
	// A conversation outcome without the dial cannot be attributed.
	r.clock.set(pauseEnd)
	err = r.gate.ReportOutcome(context.Background(), dialgate.Outcome{DecisionID: "dg-x", Conversation: true})
	if !errors.Is(err, dialgate.ErrInvalidOutcome) {
		t.Errorf("ReportOutcome without the dial = %v, want ErrInvalidOutcome", err)
	}
}

func TestStoreFailureDenies(t *testing.T) {
	store := memstore.New()
	r := newRig(t, schedule.CapsCN(), store)
	store.Close()
	dec := r.dial(start, dialgate.Dial{To: callee, From: from1})
	if dec.Allowed || !dec.Has(dialgate.UnavailableCode("frequency")) {
		t.Fatalf("closed store: %+v, want frequency.unavailable", dec.Reasons)
	}
}

// Sixty-four goroutines dial one callee at the same instant through a Gate:
// exactly the cap's number are allowed.
func TestRace64ThroughGate(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(t *testing.T) storage.Counters
	}{
		{"memstore", func(t *testing.T) storage.Counters { return memstore.New() }},
		{"boltstore", func(t *testing.T) storage.Counters {
			s, err := boltstore.Open(filepath.Join(t.TempDir(), "caps.db"), boltstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := schedule.CapsCN()
			cfg.Caps[0].Count = 3 // 3 per 5 minutes, so "exactly 3 of 64"
			r := newRig(t, cfg, tc.open(t))
			var (
				wg      sync.WaitGroup
				allowed atomic.Int32
				startCh = make(chan struct{})
			)
			for i := range 64 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-startCh
					dec, err := r.gate.Check(context.Background(), dialgate.Dial{
						To: callee, From: from1, Purpose: dialgate.PurposeService, Tenant: "acme", Campaign: "c" + strconv.Itoa(i)})
					if err != nil {
						t.Error(err)
					}
					if dec.Allowed {
						allowed.Add(1)
					} else if !dec.Has(dialgate.CodeFrequencyCapped) {
						t.Errorf("denied without frequency.capped: %+v", dec.Reasons)
					}
				}()
			}
			close(startCh)
			wg.Wait()
			if got := allowed.Load(); got != 2 {
				// 3 per 5 minutes, but 2 per 24 hours binds first.
				t.Fatalf("64 concurrent dials: %d allowed, want exactly 2 (the 24-hour cap)", got)
			}
		})
	}
}

func TestCapsSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "caps.db")
	open := func() *boltstore.Store {
		s, err := boltstore.Open(path, boltstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	r := newRig(t, schedule.CapsCN(), s)
	d := dialgate.Dial{To: callee, From: from1}
	r.want(start, d, true)
	r.want(start.Add(10*time.Minute), d, true)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open()
	defer s.Close()
	r = newRig(t, schedule.CapsCN(), s)
	dec := r.want(start.Add(time.Hour), d, false)
	if !dec.Reasons[0].NextAllowedAt.Equal(start.Add(24*time.Hour + time.Minute)) { // counted over 24h1m
		t.Errorf("after restart: %+v", dec.Reasons)
	}
}

func ExampleNewCapCheck() {
	caps, err := schedule.NewCapCheck(schedule.CapsCN(), memstore.New(), schedule.WithCapHashKey([]byte("a-secret-key-of-32-bytes........")))
	if err != nil {
		panic(err)
	}
	at := time.Date(2026, 12, 5, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	g, err := dialgate.New([]dialgate.Checker{caps}, dialgate.WithoutAuditLog(), dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return at })))
	if err != nil {
		panic(err)
	}
	d := dialgate.Dial{To: dialgate.MustParseNumber("+8613900139001"), Purpose: dialgate.PurposeService, Tenant: "acme"}
	first, _ := g.Check(context.Background(), d)
	second, _ := g.Check(context.Background(), d)
	fmt.Println(first.Allowed, second.Allowed, second.Codes())
	fmt.Println(second.Reasons[0].NextAllowedAt.Format(time.RFC3339))
	// Output:
	// true false [frequency.capped]
	// 2026-12-05T09:06:00+08:00
}

// Another committer reserving in the same store under the bare decision id
// (as a segment-rate guard might) does not make the caps' reservation a
// no-op: the caps use ids of their own.
func TestSharedStoreOtherCommitter(t *testing.T) {
	store := memstore.New()
	other := &rawCommitter{store: store}
	r := newRig(t, schedule.CapsCN(), store, other)
	d := dialgate.Dial{To: callee, From: from1}
	dec := r.want(start, d, true)
	r.want(start.Add(time.Minute), d, false)
	if err := r.gate.Release(context.Background(), dec); err != nil {
		t.Fatal(err)
	}
	r.want(start.Add(2*time.Minute), d, true)
}

type rawCommitter struct{ store storage.Counters }

func (c *rawCommitter) Name() string { return "segment" }
func (c *rawCommitter) Check(context.Context, dialgate.Dial) ([]dialgate.Reason, error) {
	return nil, nil
}
func (c *rawCommitter) Commit(ctx context.Context, d dialgate.Dial, id string) ([]dialgate.Reason, error) {
	_, _, err := c.store.Reserve(ctx, id, d.At, []storage.Limit{{Key: "segment|1390013", Member: "m", Window: time.Hour, Max: 1000}})
	return nil, err
}
func (c *rawCommitter) Release(ctx context.Context, id string) error { return c.store.Release(ctx, id) }

// TestSharedStoreDifferentWindows: a Gate whose caps have only a short window
// shares the counter store with a Gate that also counts over 30 days. Reserving
// through the short one prunes what is older than its window; it must never
// prune the 30-day history the other still counts.
func TestSharedStoreDifferentWindows(t *testing.T) {
	store := memstore.New()
	cite := dialgate.Citation{Source: dialgate.SourceConvention, Ref: "test"}
	long := newRig(t, schedule.CapsConfig{Caps: []schedule.Cap{
		{Count: 100, Window: dialgate.Duration(5 * time.Minute), Cite: cite},
		{Count: 2, Window: dialgate.Duration(30 * 24 * time.Hour), Cite: cite},
	}}, store)
	short := newRig(t, schedule.CapsConfig{Caps: []schedule.Cap{
		{Count: 100, Window: dialgate.Duration(5 * time.Minute), Cite: cite},
	}}, store)
	d := dialgate.Dial{To: callee, From: from1}
	long.want(start, d, true)
	long.want(start.Add(24*time.Hour), d, true)
	// Days later the short-window Gate reserves for the same callee; it may
	// prune entries older than 5 minutes under its own key only.
	short.want(start.Add(10*24*time.Hour), d, true)
	// The 30-day cap still sees its two calls.
	long.want(start.Add(11*24*time.Hour), d, false)
}

// A conversation reported under a decision id with another dial (a mistake,
// or another tenant's guessed decision id) must not use up the decision's own
// report: the real conversation still starts the pause of its debt.
func TestConversationReportCannotBePreempted(t *testing.T) {
	r := newRig(t, schedule.CapsUSCollections(), memstore.New())
	placed := r.want(start, dialgate.Dial{To: other, From: from1, Purpose: dialgate.PurposeCollections, Subject: "debt-9"}, true)
	r.clock.set(start.Add(5 * time.Minute))
	wrong := dialgate.Dial{To: callee, From: from1, Purpose: dialgate.PurposeCollections, Subject: "debt-8"}
	for _, d := range []dialgate.Dial{wrong, placed.Dial} {
		if err := r.gate.ReportOutcome(context.Background(), dialgate.Outcome{DecisionID: placed.ID, Dial: d, Answered: true, Conversation: true}); err != nil {
			t.Fatal(err)
		}
	}
	dec := r.want(start.Add(time.Hour), placed.Dial, false)
	if !strings.Contains(dec.Reasons[0].Message, "conversation") {
		t.Fatalf("after the real conversation: %+v, want the pause", dec.Reasons)
	}
}
