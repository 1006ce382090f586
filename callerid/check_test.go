package callerid

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

var (
	cite     = dialgate.Citation{Source: dialgate.SourceLaw, Ref: "工信厅信管函〔2018〕337号 (CN-S2, CN-S7, CN-S8)"}
	convCite = dialgate.Citation{Source: dialgate.SourceConvention, Ref: "dialgate convention: 400/800 are inbound-only"}
	cnConfig = Config{
		Cite:               dialgate.Citation{Source: dialgate.SourceLaw, Ref: "工信厅信管函〔2018〕337号 (CN-S10/11)"},
		Ledger:             &Rule{Cite: cite},
		SubscriberNumber:   &Rule{Cite: cite},
		InboundOnly:        &Rule{Cite: convCite},
		InternationalRoute: &Rule{Cite: dialgate.Citation{Source: dialgate.SourceLaw, Ref: "工信厅信管函〔2018〕337号 (CN-S10/11)"}},
	}
	t0 = time.Date(2026, 12, 5, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
)

const (
	fixedLine = "+861058001234"
	mobileBiz = "+8613800138001"
	mobileSub = "+8613800138002"
	num400    = "+864001234567"
	num800    = "+868001234567"
	num95     = "+8695566"
)

func ledger() []Entry {
	return []Entry{
		{Tenant: "acme", Number: dialgate.MustParseNumber(fixedLine), Holder: "Acme Ltd", Purposes: []dialgate.Purpose{"marketing", "service"},
			ValidFrom: t0.AddDate(-1, 0, 0), ValidUntil: t0.AddDate(1, 0, 0)},
		{Tenant: "acme", Number: dialgate.MustParseNumber(mobileBiz), Type: TypeMobileBusiness, Holder: "Acme Ltd", Purposes: []dialgate.Purpose{"service"}},
		{Tenant: "acme", Number: dialgate.MustParseNumber(num400), Holder: "Acme Ltd", Purposes: []dialgate.Purpose{"service"}},
		{Tenant: "acme", Number: dialgate.MustParseNumber(num95), Holder: "Acme Ltd", Purposes: []dialgate.Purpose{"service", "collections"}},
		{Tenant: "acme", Number: dialgate.MustParseNumber("+861058001235"), Holder: "Acme Ltd", Purposes: []dialgate.Purpose{"service"}, OfficeUseOnly: true},
		{Tenant: "acme", Number: dialgate.MustParseNumber("+861058001236"), Holder: "Acme Ltd", Purposes: []dialgate.Purpose{"service"}, ValidUntil: t0},
		{Tenant: "acme", Number: dialgate.MustParseNumber("+861058001237"), Holder: "Acme Ltd", Purposes: []dialgate.Purpose{"service"}, ValidFrom: t0.Add(time.Hour)},
	}
}

func dial(from string, purpose dialgate.Purpose) dialgate.Dial {
	d := dialgate.Dial{To: dialgate.MustParseNumber("+8613900139000"), Purpose: purpose, Tenant: "acme", LeadID: "l-1", At: t0}
	if from != "" {
		d.From = dialgate.MustParseNumber(from)
	}
	return d
}

func TestCheck(t *testing.T) {
	c, err := New(cnConfig, newFakeStore(ledger()...))
	if err != nil {
		t.Fatal(err)
	}
	intl := dial(fixedLine, "service")
	intl.Route = dialgate.RouteInternational
	other := dial(fixedLine, "service")
	other.Tenant = "globex"
	tests := []struct {
		name string
		d    dialgate.Dial
		want []dialgate.Code
	}{
		{"ledger fixed line", dial(fixedLine, "marketing"), nil},
		{"ledger 95", dial(num95, "collections"), nil},
		{"mobile business line", dial(mobileBiz, "service"), nil},
		{"missing", dial("", "service"), []dialgate.Code{dialgate.CodeCallerIDMissing}},
		{"not a CN number class", dial("+86123456", "service"), []dialgate.Code{dialgate.CodeCallerIDInvalid}},
		{"SMS port", dial("+86106901234567", "service"), []dialgate.Code{dialgate.CodeCallerIDInvalid}},
		{"+86 on international route", intl, []dialgate.Code{dialgate.CodeCallerIDInvalid}},
		{"subscriber mobile", dial(mobileSub, "service"), []dialgate.Code{dialgate.CodeCallerIDSubscriber, dialgate.CodeCallerIDNotInLedger}},
		{"400 in ledger", dial(num400, "service"), []dialgate.Code{dialgate.CodeCallerIDInboundOnly}},
		{"800 not in ledger", dial(num800, "service"), []dialgate.Code{dialgate.CodeCallerIDInboundOnly, dialgate.CodeCallerIDNotInLedger}},
		{"not in ledger", dial("+861058009999", "service"), []dialgate.Code{dialgate.CodeCallerIDNotInLedger}},
		{"other tenant's number", other, []dialgate.Code{dialgate.CodeCallerIDNotInLedger}},
		{"foreign caller ID", dial("+12125550100", "service"), []dialgate.Code{dialgate.CodeCallerIDNotInLedger}},
		{"purpose mismatch", dial(mobileBiz, "marketing"), []dialgate.Code{dialgate.CodeCallerIDPurposeMismatch}},
		{"office use only", dial("+861058001235", "service"), []dialgate.Code{dialgate.CodeCallerIDPurposeMismatch}},
		{"expired at valid_until", dial("+861058001236", "service"), []dialgate.Code{dialgate.CodeCallerIDExpired}},
		{"not yet valid", dial("+861058001237", "service"), []dialgate.Code{dialgate.CodeCallerIDExpired}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { attestWant(t, c, tt.d, tt.want) })
	}
}

// attestWant checks that c denies d with exactly the codes want (nil:
// passes with evidence), in messages that never hold the callee number.
func attestWant(t *testing.T, c *Check, d dialgate.Dial, want []dialgate.Code) {
	t.Helper()
	rs, ev, err := c.Attest(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	var got []dialgate.Code
	for _, r := range rs {
		got = append(got, r.Code)
		if r.Message == "" {
			t.Errorf("%s: empty message", r.Code)
		}
		if strings.Contains(r.Message, d.To.Digits()) {
			t.Errorf("%s: message %q holds the callee number", r.Code, r.Message)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("codes = %v, want %v (reasons %+v)", got, want, rs)
	}
	if want == nil && len(ev) == 0 {
		t.Error("no evidence for a passing dial")
	}
	if want != nil && ev != nil {
		t.Error("evidence for a denied dial")
	}
}

func TestCheckNotYetValidNextAllowed(t *testing.T) {
	c, _ := New(cnConfig, newFakeStore(ledger()...))
	rs, _ := c.Check(context.Background(), dial("+861058001237", "service"))
	if len(rs) != 1 || !rs[0].NextAllowedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("reasons %+v, want one with NextAllowedAt %v", rs, t0.Add(time.Hour))
	}
}

func TestCheckRulesOff(t *testing.T) {
	cfg := cnConfig
	cfg.InboundOnly = nil
	cfg.SubscriberNumber = nil
	cfg.InternationalRoute = nil
	c, err := New(cfg, newFakeStore(ledger()...))
	if err != nil {
		t.Fatal(err)
	}
	intl := dial(fixedLine, "service")
	intl.Route = dialgate.RouteInternational
	for _, d := range []dialgate.Dial{dial(num400, "service"), intl} {
		if rs, err := c.Check(context.Background(), d); err != nil || rs != nil {
			t.Errorf("%v: reasons %v, err %v; want none", d.From, rs, err)
		}
	}
	rs, _ := c.Check(context.Background(), dial(mobileSub, "service"))
	if len(rs) != 1 || rs[0].Code != dialgate.CodeCallerIDNotInLedger {
		t.Errorf("subscriber with rule off: %v, want only not_in_ledger", rs)
	}

	// Without ledger rules no store is needed; format rules still apply.
	cfg.Ledger = nil
	c, err = New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rs, _ := c.Check(context.Background(), dial(mobileSub, "service")); rs != nil {
		t.Errorf("all ledger rules off: %v", rs)
	}
	if rs, _ := c.Check(context.Background(), dial("", "service")); len(rs) != 1 || rs[0].Code != dialgate.CodeCallerIDMissing {
		t.Errorf("missing caller ID with rules off: %v", rs)
	}
}

func TestNewErrors(t *testing.T) {
	bad := cnConfig
	bad.Ledger = &Rule{}
	for name, tc := range map[string]struct {
		cfg   Config
		store Store
		opts  []Option
		want  string
	}{
		"zero":         {Config{}, newFakeStore(), nil, "callerid.cite.source"},
		"no cite":      {bad, newFakeStore(), nil, "callerid.ledger.cite.source"},
		"no store":     {cnConfig, nil, nil, "store is required"},
		"bad interval": {cnConfig, newFakeStore(), []Option{WithRefreshInterval(0)}, "must be positive"},
		"nil option":   {cnConfig, newFakeStore(), []Option{nil}, "nil option"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(tc.cfg, tc.store, tc.opts...)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, dialgate.ErrInvalidConfig) {
				t.Fatalf("err = %v, want one containing %q wrapping ErrInvalidConfig", err, tc.want)
			}
		})
	}
}

func TestRefreshOnChange(t *testing.T) {
	s := newFakeStore(ledger()...)
	c, err := New(cnConfig, s, WithRefreshInterval(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	n := dialgate.MustParseNumber("+861058007777")
	d := dial(n.String(), "service")
	if rs, _ := c.Check(ctx, d); len(rs) != 1 || rs[0].Code != dialgate.CodeCallerIDNotInLedger {
		t.Fatalf("before add: %v", rs)
	}
	if err := s.PutLedger(ctx, Entry{Tenant: "acme", Number: n, Holder: "Acme", Purposes: []dialgate.Purpose{"service"}}); err != nil {
		t.Fatal(err)
	}
	// Within the interval the cached ledger is used...
	d.At = t0.Add(30 * time.Second)
	if rs, _ := c.Check(ctx, d); len(rs) != 1 {
		t.Fatalf("within interval: %v, want the cached not_in_ledger", rs)
	}
	// ...after it, the changed version is seen and the ledger reloaded.
	d.At = t0.Add(61 * time.Second)
	if rs, _ := c.Check(ctx, d); rs != nil {
		t.Fatalf("after interval: %v, want allowed", rs)
	}
	lists := s.lists
	d.At = t0.Add(200 * time.Second)
	c.Check(ctx, d)
	if s.lists != lists {
		t.Error("ledger reloaded although its version did not change")
	}
	// A dial whose instant goes back in time polls too.
	if err := s.DeleteLedgerEntry(ctx, "acme", n); err != nil {
		t.Fatal(err)
	}
	d.At = t0
	if rs, _ := c.Check(ctx, d); len(rs) != 1 {
		t.Fatalf("after delete, earlier instant: %v", rs)
	}
	// Refresh reloads at once.
	if err := s.PutLedger(ctx, Entry{Tenant: "acme", Number: n, Holder: "Acme", Purposes: []dialgate.Purpose{"service"}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if rs, _ := c.Check(ctx, d); rs != nil {
		t.Fatalf("after Refresh: %v", rs)
	}
	// With a clock that stands still, a removal is still seen within
	// pollEveryDials dials.
	if err := s.DeleteLedgerEntry(ctx, "acme", n); err != nil {
		t.Fatal(err)
	}
	denied := false
	for i := 0; i <= pollEveryDials && !denied; i++ {
		rs, _ := c.Check(ctx, d)
		denied = len(rs) == 1
	}
	if !denied {
		t.Fatalf("a removed ledger entry still allowed after %d dials at one instant", pollEveryDials+1)
	}
}

func TestStoreFailureIsAnError(t *testing.T) {
	s := newFakeStore(ledger()...)
	s.fail = errors.New("disk on fire")
	c, _ := New(cnConfig, s)
	if _, err := c.Check(context.Background(), dial(fixedLine, "service")); err == nil {
		t.Fatal("no error with a failing store; the gate must get callerid.unavailable")
	}
}

func TestGateIntegration(t *testing.T) {
	c, _ := New(cnConfig, newFakeStore(ledger()...))
	g, err := dialgate.New([]dialgate.Checker{c}, dialgate.WithoutAuditLog(), dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return t0 })))
	if err != nil {
		t.Fatal(err)
	}
	dec, err := g.Check(context.Background(), dial(fixedLine, "service"))
	if err != nil || !dec.Allowed {
		t.Fatalf("allowed dial: %+v %v", dec, err)
	}
	if !slices.Contains(dec.Evidence, dialgate.Evidence{Key: "callerid.holder", Value: "Acme Ltd"}) {
		t.Errorf("evidence %v lacks the ledger holder", dec.Evidence)
	}
	dec, _ = g.Check(context.Background(), dial(mobileSub, "service"))
	if dec.Allowed || !dec.Has(dialgate.CodeCallerIDSubscriber) {
		t.Fatalf("subscriber caller ID: %+v", dec)
	}
}

func BenchmarkCheck(b *testing.B) {
	es := ledger()
	// A ledger of realistic size: 10,000 fixed lines over 10 tenants.
	for i := range 10000 {
		es = append(es, Entry{Tenant: "t" + string(rune('0'+i%10)), Number: dialgate.MustParseNumber("+862158" + pad6(i)), Holder: "H", Purposes: []dialgate.Purpose{"service"}})
	}
	c, err := New(cnConfig, newFakeStore(es...))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("allowed", func(b *testing.B) {
		d := dial(fixedLine, "service")
		b.ReportAllocs()
		for b.Loop() {
			if rs, _, err := c.Attest(ctx, d); rs != nil || err != nil {
				b.Fatal(rs, err)
			}
		}
	})
	b.Run("denied", func(b *testing.B) {
		d := dial(mobileSub, "service")
		b.ReportAllocs()
		for b.Loop() {
			if rs, _, _ := c.Attest(ctx, d); rs == nil {
				b.Fatal("allowed")
			}
		}
	})
}

func pad6(i int) string {
	s := "000000" + itoa(i)
	return s[len(s)-6:]
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

// TestSubscriberRuleOutsideValidity: with subscriber_number on and the ledger
// rule off, a mobile number is a business line only while its ledger entry is
// valid; before valid_from or from valid_until on it is a subscriber number
// again (mobile numbers are recycled to subscribers).
func TestSubscriberRuleOutsideValidity(t *testing.T) {
	cfg := Config{Cite: cnConfig.Cite, SubscriberNumber: &Rule{Cite: cite}}
	biz := dialgate.MustParseNumber(mobileBiz)
	c, err := New(cfg, newFakeStore(Entry{Tenant: "acme", Number: biz, Type: TypeMobileBusiness, Holder: "Acme Ltd",
		Purposes: []dialgate.Purpose{"service"}, ValidFrom: t0.AddDate(-1, 0, 0), ValidUntil: t0.AddDate(0, 1, 0)}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		at   time.Time
		want []dialgate.Code
	}{
		{"valid", t0, nil},
		{"before valid_from", t0.AddDate(-2, 0, 0), []dialgate.Code{dialgate.CodeCallerIDSubscriber}},
		{"at valid_until", t0.AddDate(0, 1, 0), []dialgate.Code{dialgate.CodeCallerIDSubscriber}},
		{"after valid_until", t0.AddDate(1, 0, 0), []dialgate.Code{dialgate.CodeCallerIDSubscriber}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := dial(mobileBiz, "service")
			d.At = tc.at
			if err := c.Refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
			rs, err := c.Check(context.Background(), d)
			if err != nil {
				t.Fatal(err)
			}
			var got []dialgate.Code
			for _, r := range rs {
				got = append(got, r.Code)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("codes = %v, want %v (%v)", got, tc.want, rs)
			}
		})
	}
}

// The callee's own number as caller ID is spoofed, ledger or not (under
// uk, au and us there is no ledger to catch it), and the message does not
// repeat the number.
func TestCallerIDIsTheCallee(t *testing.T) {
	cfg := cnConfig
	cfg.Ledger, cfg.InboundOnly, cfg.SubscriberNumber, cfg.InternationalRoute = nil, nil, nil, nil
	c, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := dial(fixedLine, "service")
	d.To = d.From
	rs, err := c.Check(context.Background(), d)
	if err != nil || len(rs) != 1 || rs[0].Code != dialgate.CodeCallerIDInvalid {
		t.Fatalf("caller ID = callee: %v %v, want callerid.invalid", rs, err)
	}
	if strings.Contains(rs[0].Message, d.To.National()) {
		t.Errorf("message %q repeats the callee's number", rs[0].Message)
	}
	// A French overseas line's two spellings are one line: the callee's
	// number under its other spelling is the callee's own number too.
	for _, p := range [][2]string{{"+596596000101", "+33596000101"}, {"+33596000101", "+596596000101"}} {
		d.To, d.From = dialgate.MustParseNumber(p[0]), dialgate.MustParseNumber(p[1])
		rs, err := c.Check(context.Background(), d)
		if err != nil || len(rs) != 1 || rs[0].Code != dialgate.CodeCallerIDInvalid {
			t.Errorf("caller ID %s to %s (one line): %v %v, want callerid.invalid", p[1], p[0], rs, err)
		}
	}
}

// TestRefreshFailureDropsLedger: a writer that stored a change (a
// revocation: the entry made office-use only) calls Refresh so that the
// next check decides on it; when that reload fails, the check must not go
// on deciding on the ledger it read before the change until its next poll
// (allowing the revoked caller ID meanwhile): the next check reloads, and
// is unavailable while it cannot.
func TestRefreshFailureDropsLedger(t *testing.T) {
	s := newFakeStore(ledger()...)
	c, err := New(cnConfig, s, WithRefreshInterval(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d := dial(fixedLine, "marketing")
	if rs, err := c.Check(ctx, d); rs != nil || err != nil {
		t.Fatalf("before the revocation: %v, %v; want allowed", rs, err)
	}
	revoked := ledger()[0]
	revoked.OfficeUseOnly = true
	if err := s.PutLedger(ctx, revoked); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.fail = errors.New("connection reset")
	s.mu.Unlock()
	if err := c.Refresh(ctx); err == nil {
		t.Fatal("Refresh on a failing store: nil error")
	}
	if rs, err := c.Check(ctx, d); err == nil {
		t.Fatalf("after a failed Refresh, within the poll interval: %v, nil error; want an error (callerid.unavailable), not the ledger read before the revocation", rs)
	}
	s.mu.Lock()
	s.fail = nil
	s.mu.Unlock()
	rs, err := c.Check(ctx, d)
	if err != nil || len(rs) != 1 || rs[0].Code != dialgate.CodeCallerIDPurposeMismatch {
		t.Fatalf("once the store answers: %v, %v; want callerid.purpose_mismatch (office use only)", rs, err)
	}
}
