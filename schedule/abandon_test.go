package schedule_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
)

var abandonCite = dialgate.Citation{Source: dialgate.SourceLaw, Ref: "abandon test"}

// abandonUS is the us rule: 3 % of answered marketing calls per 30 days.
func abandonUS() schedule.AbandonConfig {
	return schedule.AbandonConfig{MaxRate: 0.03, Window: dialgate.Duration(720 * time.Hour),
		Purposes: []dialgate.Purpose{dialgate.PurposeMarketing}, Cite: abandonCite}
}

func TestAbandonConfigValidate(t *testing.T) {
	day := dialgate.Duration(24 * time.Hour)
	with := func(f func(c *schedule.AbandonConfig)) schedule.AbandonConfig {
		c := abandonUS()
		f(&c)
		return c
	}
	cases := []struct {
		name  string
		cfg   schedule.AbandonConfig
		field string // "" = valid
	}{
		{"us", abandonUS(), ""},
		{"every purpose, 24h", schedule.AbandonConfig{MaxRate: 0.03, Window: day, Cite: abandonCite}, ""},
		{"rate 1", with(func(c *schedule.AbandonConfig) { c.MaxRate = 1 }), ""},
		{"6 decimals", with(func(c *schedule.AbandonConfig) { c.MaxRate = 0.012345 }), ""},
		{"zero", schedule.AbandonConfig{}, "abandonment.max_rate"},
		{"zero rate", with(func(c *schedule.AbandonConfig) { c.MaxRate = 0 }), "abandonment.max_rate"},
		{"negative rate", with(func(c *schedule.AbandonConfig) { c.MaxRate = -0.03 }), "abandonment.max_rate"},
		{"percent for fraction", with(func(c *schedule.AbandonConfig) { c.MaxRate = 3 }), "abandonment.max_rate"},
		{"7 decimals", with(func(c *schedule.AbandonConfig) { c.MaxRate = 0.0123456 }), "abandonment.max_rate"},
		{"zero window", with(func(c *schedule.AbandonConfig) { c.Window = 0 }), "abandonment.window"},
		{"negative window", with(func(c *schedule.AbandonConfig) { c.Window = -day }), "abandonment.window"},
		{"huge window", with(func(c *schedule.AbandonConfig) { c.Window = 400 * day }), "abandonment.window"},
		{"bad purpose", with(func(c *schedule.AbandonConfig) { c.Purposes = []dialgate.Purpose{"sales"} }), "abandonment.purposes[0]"},
		{"duplicate purpose", with(func(c *schedule.AbandonConfig) { c.Purposes = []dialgate.Purpose{"marketing", "marketing"} }), "abandonment.purposes[1]"},
		{"missing cite", with(func(c *schedule.AbandonConfig) { c.Cite = dialgate.Citation{} }), "abandonment.cite.source"},
		{"missing ref", with(func(c *schedule.AbandonConfig) { c.Cite.Ref = "" }), "abandonment.cite.ref"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			_, nerr := schedule.NewAbandonCheck(tc.cfg, memstore.New())
			if tc.field == "" {
				if err != nil || nerr != nil {
					t.Fatalf("Validate: %v; NewAbandonCheck: %v", err, nerr)
				}
				return
			}
			if err == nil || nerr == nil {
				t.Fatalf("accepted %+v (Validate %v, NewAbandonCheck %v)", tc.cfg, err, nerr)
			}
			if !errors.Is(err, schedule.ErrInvalidAbandon) {
				t.Errorf("error %v does not wrap ErrInvalidAbandon", err)
			}
			if !strings.HasPrefix(err.Error(), tc.field+":") {
				t.Errorf("error %q does not start with the field %s", err, tc.field)
			}
		})
	}
	if _, err := schedule.NewAbandonCheck(abandonUS(), nil); !errors.Is(err, schedule.ErrInvalidAbandon) {
		t.Errorf("nil counters: %v", err)
	}
}

// abandonRig is a Gate with the abandon check alone.
type abandonRig struct {
	t     *testing.T
	gate  *dialgate.Gate
	clock *clock
	n     int    // outcomes reported, for decision ids
	ids   string // the prefix of the decision ids
}

func newAbandonRig(t *testing.T, cfg schedule.AbandonConfig, counters storage.Counters) *abandonRig {
	t.Helper()
	c, err := schedule.NewAbandonCheck(cfg, counters)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: start}
	g, err := dialgate.New([]dialgate.Checker{c}, dialgate.WithoutAuditLog(), dialgate.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	return &abandonRig{t: t, gate: g, clock: clk, ids: "dec-"}
}

// campaignDial is a marketing dial of tenant acme's campaign winter.
func campaignDial() dialgate.Dial {
	return dialgate.Dial{To: callee, From: from1, Purpose: dialgate.PurposeMarketing, Tenant: "acme", Campaign: "winter"}
}

// report reports, at instant at, the outcome of a new decision of d: a
// person answered, and, when abandoned, no agent took the call.
func (r *abandonRig) report(at time.Time, d dialgate.Dial, abandoned bool) string {
	r.t.Helper()
	r.n++
	id := r.ids + strconv.Itoa(r.n)
	r.reportID(at, id, d, abandoned)
	return id
}

func (r *abandonRig) reportID(at time.Time, id string, d dialgate.Dial, abandoned bool) {
	r.t.Helper()
	r.clock.set(at)
	o := dialgate.Outcome{DecisionID: id, Dial: d, Answered: true, Abandoned: abandoned}
	if err := r.gate.ReportOutcome(context.Background(), o); err != nil {
		r.t.Fatalf("ReportOutcome: %v", err)
	}
}

// answered reports n answered calls of d, the first abandoned of them.
func (r *abandonRig) answered(at time.Time, d dialgate.Dial, n, abandoned int) {
	r.t.Helper()
	for i := range n {
		r.report(at, d, i < abandoned)
	}
}

func (r *abandonRig) check(at time.Time, d dialgate.Dial) dialgate.Decision {
	r.t.Helper()
	r.clock.set(at)
	dec, err := r.gate.Check(context.Background(), d)
	if err != nil {
		r.t.Fatalf("Check: %v", err)
	}
	return dec
}

func evidenceOf(ev []dialgate.Evidence, key string) string {
	for _, e := range ev {
		if e.Key == key {
			return e.Value
		}
	}
	return ""
}

// 1 abandoned of 40 answered (2.5 %) is under the us cap of 3 %; 2 of 40
// (5 %) is over it: a predictive dial of the campaign is denied with
// abandon.rate_exceeded and its evidence, a dial with an agent reserved is
// allowed, and so are the tenant's other campaigns, other tenants' campaign
// of the same name and purposes the rule does not cover.
func TestAbandonRateCap(t *testing.T) {
	r := newAbandonRig(t, abandonUS(), memstore.New())
	d := campaignDial()
	r.answered(start, d, 40, 1)
	at := start.Add(time.Hour)
	dec := r.check(at, d)
	if !dec.Allowed || len(dec.Reasons) != 0 {
		t.Fatalf("1 of 40: %+v", dec.Reasons)
	}
	if got, want := evidenceOf(dec.Evidence, "abandon.seen"), `1 abandoned of 40 answered (2.5%) in 30d, campaign "winter", cap 3%`; got != want {
		t.Errorf("abandon.seen %q, want %q", got, want)
	}

	// One more abandoned call of a call already counted as answered: 2 of 40.
	r.reportID(start.Add(2*time.Minute), "dec-40", d, true)
	dec = r.check(at, d)
	if dec.Allowed || !dec.Has(dialgate.CodeAbandonRateExceeded) || len(dec.Reasons) != 1 {
		t.Fatalf("2 of 40: allowed %v, reasons %+v", dec.Allowed, dec.Reasons)
	}
	rs := dec.Reasons[0]
	if rs.Check != "abandon" {
		t.Errorf("check %q", rs.Check)
	}
	for k, want := range map[string]string{
		"abandon.campaign": "winter", "abandon.answered": "40", "abandon.abandoned": "2",
		"abandon.rate": "0.0500", "abandon.max_rate": "0.03", "abandon.window": "30d",
		"abandon.cite": "abandon test [L]",
	} {
		if got := evidenceOf(rs.Evidence, k); got != want {
			t.Errorf("evidence %s = %q, want %q", k, got, want)
		}
	}
	if !strings.Contains(rs.Message, `campaign "winter" abandoned 2 of 40 answered calls in the last 30d (5%), above the cap of 3%`) {
		t.Errorf("message %q", rs.Message)
	}

	reserved := d
	reserved.AgentReserved = true
	dec = r.check(at, reserved)
	if !dec.Allowed || len(dec.Reasons) != 0 {
		t.Fatalf("agent reserved: %+v", dec.Reasons)
	}
	if got := evidenceOf(dec.Evidence, "abandon.agent_reserved"); !strings.HasPrefix(got, "true") {
		t.Errorf("agent reserved evidence %q", got)
	}

	for name, f := range map[string]func(d *dialgate.Dial){
		"other campaign":  func(d *dialgate.Dial) { d.Campaign = "spring" },
		"empty campaign":  func(d *dialgate.Dial) { d.Campaign = "" },
		"other tenant":    func(d *dialgate.Dial) { d.Tenant = "globex" },
		"service purpose": func(d *dialgate.Dial) { d.Purpose = dialgate.PurposeService },
		// Tenant and campaign are length-prefixed in the key: "acme|"+"winter"
		// is not "acme"+"|winter".
		"shifted separator": func(d *dialgate.Dial) { d.Tenant, d.Campaign = "acme|6:winter", "" },
	} {
		o := d
		f(&o)
		if dec := r.check(at, o); !dec.Allowed {
			t.Errorf("%s: denied %+v", name, dec.Reasons)
		}
	}

	// Answered calls bring the rate down: 2 of 67 is 2.99 %.
	r.answered(start.Add(2*time.Hour), reserved, 27, 0)
	if dec := r.check(start.Add(3*time.Hour), d); !dec.Allowed {
		t.Fatalf("2 of 67: %+v", dec.Reasons)
	}
}

// The rate at the cap is allowed: 3 abandoned of 100 answered is 3 %, not
// above it (no rounding error in 0.03 × 100).
func TestAbandonRateAtCap(t *testing.T) {
	r := newAbandonRig(t, abandonUS(), memstore.New())
	d := campaignDial()
	r.answered(start, d, 100, 3)
	if dec := r.check(start.Add(time.Minute), d); !dec.Allowed {
		t.Fatalf("3 of 100: %+v", dec.Reasons)
	}
	r.report(start, d, true)
	if dec := r.check(start.Add(time.Minute), d); dec.Allowed {
		t.Fatal("4 of 101 allowed")
	}
}

// An outcome reported twice counts once, in answered and in abandoned; so
// does a call reported answered, then abandoned.
func TestAbandonOutcomeCountsOnce(t *testing.T) {
	r := newAbandonRig(t, abandonUS(), memstore.New())
	d := campaignDial()
	r.answered(start, d, 39, 0)
	id := r.report(start, d, true) // 1 of 40
	for range 3 {
		r.reportID(start.Add(time.Minute), id, d, true)
	}
	dec := r.check(start.Add(time.Hour), d)
	if !dec.Allowed {
		t.Fatalf("abandoned outcome reported 4 times counted more than once: %+v", dec.Reasons)
	}
	if got := evidenceOf(dec.Evidence, "abandon.seen"); !strings.HasPrefix(got, "1 abandoned of 40 answered") {
		t.Errorf("abandon.seen %q", got)
	}
	// A conversation and a refusal say a person answered, once per decision.
	r.clock.set(start.Add(2 * time.Minute))
	for _, o := range []dialgate.Outcome{
		{DecisionID: "dec-1", Dial: d, Conversation: true},
		{DecisionID: "dec-1", Dial: d, Refused: true},
		{DecisionID: "dec-conv", Dial: d, Conversation: true},
		{DecisionID: "dec-ref", Dial: d, Refused: true},
		{DecisionID: "dec-none", Dial: d, RingDuration: 20 * time.Second}, // no one answered
		{DecisionID: "dec-rel", Dial: d, Released: true},
	} {
		if err := r.gate.ReportOutcome(context.Background(), o); err != nil {
			t.Fatalf("ReportOutcome %+v: %v", o, err)
		}
	}
	dec = r.check(start.Add(time.Hour), d)
	if got := evidenceOf(dec.Evidence, "abandon.seen"); !strings.HasPrefix(got, "1 abandoned of 42 answered") {
		t.Errorf("abandon.seen %q, want 1 of 42", got)
	}
}

// The window slides: abandoned calls reported 30 days or more before a dial
// no longer count (nor do the answered calls reported with them).
func TestAbandonWindowSlides(t *testing.T) {
	r := newAbandonRig(t, abandonUS(), memstore.New())
	d := campaignDial()
	r.answered(start, d, 10, 2) // 20 %
	later := start.Add(24 * time.Hour)
	r.answered(later, d, 40, 1) // 3 of 50 within the window: 6 %
	end := start.Add(720 * time.Hour)
	if dec := r.check(end.Add(-time.Nanosecond), d); dec.Allowed {
		t.Fatal("allowed just before the first outcomes left the window")
	}
	dec := r.check(end, d)
	if !dec.Allowed {
		t.Fatalf("denied once the first outcomes left the window: %+v", dec.Reasons)
	}
	if got := evidenceOf(dec.Evidence, "abandon.seen"); !strings.HasPrefix(got, "1 abandoned of 40 answered") {
		t.Errorf("abandon.seen %q", got)
	}
}

// The uk rule covers every purpose over 24 hours.
func TestAbandonEveryPurpose(t *testing.T) {
	cfg := schedule.AbandonConfig{MaxRate: 0.03, Window: dialgate.Duration(24 * time.Hour), Cite: abandonCite}
	r := newAbandonRig(t, cfg, memstore.New())
	d := campaignDial()
	d.Purpose = dialgate.PurposeCollections
	r.answered(start, d, 10, 1)
	svc := d
	svc.Purpose = dialgate.PurposeService
	if dec := r.check(start.Add(time.Hour), svc); dec.Allowed || !dec.Has(dialgate.CodeAbandonRateExceeded) {
		t.Fatalf("service dial of a campaign at 10 %%: %+v", dec.Reasons)
	}
	if dec := r.check(start.Add(24*time.Hour), svc); !dec.Allowed {
		t.Fatalf("24 h later: %+v", dec.Reasons)
	}
}

// A store that fails denies with abandon.unavailable (fail closed), and an
// outcome it cannot record is an error of ReportOutcome. A dial with an
// agent reserved is denied too: whether the campaign's reserved calls were
// reported abandoned (TestAbandonAgentReservedAbandoned) cannot be read.
func TestAbandonUnavailable(t *testing.T) {
	st := memstore.New()
	r := newAbandonRig(t, abandonUS(), st)
	d := campaignDial()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	dec := r.check(start, d)
	if dec.Allowed || !dec.Has(dialgate.UnavailableCode("abandon")) {
		t.Fatalf("closed store: allowed %v, reasons %+v", dec.Allowed, dec.Reasons)
	}
	reserved := d
	reserved.AgentReserved = true
	if dec := r.check(start, reserved); dec.Allowed || !dec.Has(dialgate.UnavailableCode("abandon")) {
		t.Errorf("agent reserved on a closed store: allowed %v, reasons %+v", dec.Allowed, dec.Reasons)
	}
	r.clock.set(start)
	err := r.gate.ReportOutcome(context.Background(), dialgate.Outcome{DecisionID: "x", Dial: d, Answered: true, Abandoned: true})
	if !errors.Is(err, storage.ErrClosed) {
		t.Errorf("ReportOutcome on a closed store: %v", err)
	}
}

// An answered call's outcome needs the dial: without it the campaign (and
// the purpose) is unknown, and ignoring it would understate the rate.
func TestAbandonOutcomeNeedsDial(t *testing.T) {
	r := newAbandonRig(t, abandonUS(), memstore.New())
	ctx := context.Background()
	for name, c := range map[string]struct {
		o     dialgate.Outcome
		field string
	}{
		"no dial":    {dialgate.Outcome{DecisionID: "a", Answered: true}, "dial.to"},
		"no purpose": {dialgate.Outcome{DecisionID: "b", Abandoned: true, Dial: dialgate.Dial{To: callee}}, "dial.purpose"},
	} {
		err := r.gate.ReportOutcome(ctx, c.o)
		var fe *dialgate.FieldError
		if !errors.Is(err, dialgate.ErrInvalidOutcome) || !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s: %v, want ErrInvalidOutcome naming %s", name, err, c.field)
		}
	}
	// An unanswered call needs nothing.
	if err := r.gate.ReportOutcome(ctx, dialgate.Outcome{DecisionID: "c", RingDuration: time.Second}); err != nil {
		t.Errorf("unanswered without dial: %v", err)
	}
}

// Two Gates on one store (two hosts of a fleet) count one campaign: the
// abandoned calls reported through one deny the predictive dials of the
// other.
func TestAbandonSharedStore(t *testing.T) {
	st := memstore.New()
	a := newAbandonRig(t, abandonUS(), st)
	b := newAbandonRig(t, abandonUS(), st)
	b.ids = "host-b-"
	d := campaignDial()
	a.answered(start, d, 20, 1)
	if dec := b.check(start.Add(time.Minute), d); dec.Allowed {
		t.Fatal("the other gate did not see 1 of 20")
	}
	b.answered(start, d, 20, 0)
	if dec := a.check(start.Add(time.Minute), d); !dec.Allowed {
		t.Fatalf("1 of 40 across both gates: %+v", dec.Reasons)
	}
}

// BenchmarkAbandonAttest is the abandon check of one dial on a memstore
// holding 1,000 answered calls of its campaign, 20 abandoned.
func BenchmarkAbandonAttest(b *testing.B) {
	ctx := context.Background()
	c, err := schedule.NewAbandonCheck(abandonUS(), memstore.New())
	if err != nil {
		b.Fatal(err)
	}
	d := campaignDial()
	for i := range 1000 {
		o := dialgate.Outcome{DecisionID: "seed-" + strconv.Itoa(i), Dial: d, At: start, Answered: true, Abandoned: i%50 == 0}
		if err := c.ObserveOutcome(ctx, o); err != nil {
			b.Fatal(err)
		}
	}
	d.At = start.Add(time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if rs, _, err := c.Attest(ctx, d); err != nil || rs != nil {
			b.Fatal(rs, err)
		}
	}
}
