package dnc

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dialgate/dialgate/internal/textfold"

	"github.com/dialgate/dialgate"
)

var (
	t0   = time.Date(2026, 12, 5, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	cite = dialgate.Citation{Source: dialgate.SourceConvention, Ref: "test"}
)

func num(s string) dialgate.Number { return dialgate.MustParseNumber(s) }

func newTestCheck(t testing.TB, cfg Config, providers ...Provider) (*Check, *testStore) {
	t.Helper()
	st := newTestStore()
	l, err := NewLists(context.Background(), st, ListsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(cfg, l, providers...)
	if err != nil {
		t.Fatal(err)
	}
	return c, st
}

func codes(rs []dialgate.Reason) []dialgate.Code {
	var out []dialgate.Code
	for _, r := range rs {
		out = append(out, r.Code)
	}
	return out
}

func TestScopes(t *testing.T) {
	c, _ := newTestCheck(t, Config{})
	ctx := context.Background()
	add := func(n, scope string) {
		if err := c.Add(ctx, Entry{Number: num(n), Scope: MustParseScope(scope), List: "opt_out", Source: "call", AddedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	add("+8613800138000", "industry:finance")
	add("+8613800138001", "business:loans")
	add("+8613800138002", "tenant:acme")
	add("+8613800138003", "campaign:winter")
	add("+8613800138004", "global")
	base := dialgate.Dial{Purpose: dialgate.PurposeMarketing, Tenant: "acme", Industry: "finance", BusinessLine: "loans", Campaign: "winter", At: t0.Add(time.Minute)}
	tests := []struct {
		to     string
		mutate func(*dialgate.Dial)
		listed bool
	}{
		{"+8613800138000", nil, true},
		{"+8613800138000", func(d *dialgate.Dial) { d.Industry = "insurance" }, false},
		{"+8613800138001", nil, true},
		{"+8613800138001", func(d *dialgate.Dial) { d.BusinessLine = "cards" }, false},
		{"+8613800138002", nil, true},
		{"+8613800138002", func(d *dialgate.Dial) { d.Tenant = "other" }, false},
		{"+8613800138003", nil, true},
		{"+8613800138003", func(d *dialgate.Dial) { d.Campaign = "spring" }, false},
		// A dial that does not say its industry, business line, tenant or
		// campaign cannot be shown to be outside a scoped refusal: fail closed.
		{"+8613800138000", func(d *dialgate.Dial) { d.Industry = "" }, true},
		{"+8613800138001", func(d *dialgate.Dial) { d.BusinessLine = "" }, true},
		{"+8613800138002", func(d *dialgate.Dial) { d.Tenant = "" }, true},
		{"+8613800138003", func(d *dialgate.Dial) { d.Campaign = "" }, true},
		{"+8613800138004", func(d *dialgate.Dial) { *d = dialgate.Dial{Purpose: dialgate.PurposeService, At: t0} }, true},
		// A field of only white space says nothing either, and a refusal of
		// "finance" is one of "Finance" and " finance ": a dial may not
		// dodge a scoped refusal by spelling the scope's value differently.
		{"+8613800138000", func(d *dialgate.Dial) { d.Industry = " " }, true},
		{"+8613800138000", func(d *dialgate.Dial) { d.Industry = "Finance" }, true},
		{"+8613800138000", func(d *dialgate.Dial) { d.Industry = " finance " }, true},
		{"+8613800138001", func(d *dialgate.Dial) { d.BusinessLine = "LOANS" }, true},
		{"+8613800138002", func(d *dialgate.Dial) { d.Tenant = "acme " }, true},
		{"+8613800138003", func(d *dialgate.Dial) { d.Campaign = "  " }, true},
		{"+8613800138005", nil, false},
	}
	// A scope of no known kind (an entry read back damaged) is not skipped:
	// it matches every dial.
	if !(Scope{Kind: ScopeKind("bogus")}).Matches(base) || !(Scope{}).Matches(dialgate.Dial{}) {
		t.Error("a scope of unknown kind does not match: a damaged entry would let the dial through")
	}
	for i, tt := range tests {
		d := base
		if tt.mutate != nil {
			tt.mutate(&d)
		}
		d.To = num(tt.to)
		rs, err := c.Check(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if got := slices.Contains(codes(rs), dialgate.CodeDNCListed); got != tt.listed {
			t.Errorf("case %d (%s): listed = %v, want %v", i, tt.to, got, tt.listed)
		}
		for _, r := range rs {
			if strings.Contains(r.Message, d.To.Digits()[2:]) {
				t.Errorf("reason message leaks the callee number: %q", r.Message)
			}
			keys := map[string]bool{}
			for _, e := range r.Evidence {
				keys[e.Key] = true
				if strings.Contains(e.Value, d.To.Digits()[2:]) {
					t.Errorf("evidence leaks the callee number: %v", e)
				}
			}
			for _, k := range []string{"dnc.list", "dnc.scope", "dnc.added_at", "dnc.source"} {
				if !keys[k] {
					t.Errorf("dnc.listed evidence lacks %s: %v", k, r.Evidence)
				}
			}
		}
	}
}

func TestPurposes(t *testing.T) {
	c, _ := newTestCheck(t, Config{Purposes: []dialgate.Purpose{dialgate.PurposeMarketing}, PurposesCite: cite})
	ctx := context.Background()
	c.Add(ctx, Entry{Number: num("+12125550100"), Scope: GlobalScope, List: "company", AddedAt: t0})
	for p, want := range map[dialgate.Purpose]bool{dialgate.PurposeMarketing: true, dialgate.PurposeService: false} {
		rs, _ := c.Check(ctx, dialgate.Dial{To: num("+12125550100"), Purpose: p, At: t0})
		if got := len(rs) > 0; got != want {
			t.Errorf("purpose %s: listed %v, want %v", p, got, want)
		}
	}
}

func TestHold(t *testing.T) {
	c, _ := newTestCheck(t, Config{Hold: Hold{Months: 12, Cite: cite}})
	ctx := context.Background()
	n := num("+8613900139000")
	sc := MustParseScope("industry:finance")
	if err := c.Add(ctx, Entry{Number: n, Scope: sc, List: "opt_out", AddedAt: t0}); err != nil {
		t.Fatal(err)
	}
	err := c.Lists().Remove(ctx, n, sc, t0.AddDate(1, 0, 0).Add(-time.Second))
	if !errors.Is(err, ErrHeld) {
		t.Fatalf("remove before 12 months: %v, want ErrHeld", err)
	}
	d := dialgate.Dial{To: n, Purpose: dialgate.PurposeMarketing, Industry: "finance", At: t0.AddDate(1, 0, 0).Add(-time.Second)}
	if rs, _ := c.Check(ctx, d); len(rs) != 1 {
		t.Fatalf("still listed during hold: %v", rs)
	}
	if err := c.Lists().Remove(ctx, n, sc, t0.AddDate(0, 12, 0)); err != nil {
		t.Fatal(err)
	}
	d.At = t0.AddDate(0, 12, 1)
	if rs, _ := c.Check(ctx, d); len(rs) != 0 {
		t.Fatalf("listed after removal: %v", rs)
	}
	if err := c.Lists().Remove(ctx, n, sc, d.At); !errors.Is(err, ErrNotListed) {
		t.Fatalf("second remove: %v", err)
	}
}

type fataler interface {
	Helper()
	Fatal(args ...any)
}

func snapOf(t fataler, name, scope string, asOf time.Time, vs ...uint64) *Snapshot {
	t.Helper()
	s, err := NewSnapshot(Header{Name: name, Scope: scope, Source: "test", AsOf: asOf, CreatedAt: asOf}, NewSet(vs))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRegistryStaleness(t *testing.T) {
	reg, _ := NewRegistry("us-national")
	c, _ := newTestCheck(t, Config{Registries: []RegistryConfig{{Name: "us-national", MaxAge: dialgate.Duration(31 * 24 * time.Hour), Cite: cite}}}, reg)
	ctx := context.Background()
	d := dialgate.Dial{To: num("+12125550101"), Purpose: dialgate.PurposeMarketing, At: t0}
	rs, err := c.Check(ctx, d)
	if err != nil || !slices.Equal(codes(rs), []dialgate.Code{dialgate.CodeDNCRegistryStale}) {
		t.Fatalf("missing copy: %v %v, want registry_stale", rs, err)
	}
	reg.Swap(snapOf(t, "us-national", "", t0.AddDate(0, 0, -31), 12125550100))
	if rs, _ := c.Check(ctx, d); len(rs) != 0 {
		t.Fatalf("31-day-old copy: %v", rs)
	}
	rs, ev, _ := c.Attest(ctx, d)
	if len(rs) != 0 || len(ev) != 2 || ev[0].Key != "dnc.registry.us-national" || !strings.Contains(ev[0].Value, "age=31d") ||
		ev[1] != (dialgate.Evidence{Key: EvidenceLists, Value: "consulted"}) {
		t.Fatalf("attest: %v %v, want the registry's version and age and the stored lists consulted", rs, ev)
	}
	d.At = t0.Add(time.Hour)
	if rs, _ := c.Check(ctx, d); !slices.Equal(codes(rs), []dialgate.Code{dialgate.CodeDNCRegistryStale}) {
		t.Fatalf("copy older than 31 days: %v", rs)
	}
	reg.Swap(snapOf(t, "us-national", "", t0, 12125550100))
	d.To = num("+12125550100")
	if rs, _ := c.Check(ctx, d); !slices.Equal(codes(rs), []dialgate.Code{dialgate.CodeDNCListed}) {
		t.Fatalf("listed in fresh copy: %v", rs)
	}
	// A copy dated after the dial: within the clock-skew allowance it is
	// fresh; beyond it, its age cannot be trusted.
	d.To = num("+12125550101")
	reg.Swap(snapOf(t, "us-national", "", d.At.Add(FutureSkew), 12125550100))
	if rs, _ := c.Check(ctx, d); len(rs) != 0 {
		t.Fatalf("copy dated within the skew allowance: %v", rs)
	}
	reg.Swap(snapOf(t, "us-national", "", d.At.Add(FutureSkew+time.Second), 12125550100))
	if rs, _ := c.Check(ctx, d); !slices.Equal(codes(rs), []dialgate.Code{dialgate.CodeDNCRegistryStale}) || !strings.Contains(rs[0].Message, "after the dial") {
		t.Fatalf("copy from the future: %v", rs)
	}
}

func TestIndustryRegistry(t *testing.T) {
	// CN-S13: the platform's per-industry willingness as scoped snapshots.
	fin, _ := NewRegistry("cn-platform-finance")
	fin.Swap(snapOf(t, "cn-platform-finance", "industry:finance", t0, 8613800138000))
	c, _ := newTestCheck(t, Config{}, fin)
	for ind, want := range map[string]int{"finance": 1, "retail": 0, "": 1} {
		rs, err := c.Check(context.Background(), dialgate.Dial{To: num("+8613800138000"), Purpose: dialgate.PurposeMarketing, Industry: ind, At: t0})
		if err != nil || len(rs) != want {
			t.Errorf("industry %s: %v %v", ind, rs, err)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []Config{
		{Purposes: []dialgate.Purpose{"spam"}, PurposesCite: cite},
		{Purposes: []dialgate.Purpose{dialgate.PurposeMarketing}},
		{Hold: Hold{Months: 12}},
		{Hold: Hold{Months: -1, Cite: cite}},
		{Registries: []RegistryConfig{{Name: ""}}},
		{Registries: []RegistryConfig{{Name: "a", MaxAge: 1}}},
		{Registries: []RegistryConfig{{Name: "a"}, {Name: "a"}}},
	}
	for i, cfg := range bad {
		if err := cfg.Validate(); err == nil || !strings.HasPrefix(err.Error(), "dnc.") {
			t.Errorf("case %d: Validate = %v, want an error naming the field", i, err)
		}
	}
	if err := (Config{}).Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{Registries: []RegistryConfig{{Name: "x"}}}, nil); err == nil {
		t.Fatal("New accepted a registry without provider")
	}
}

// TestSwapWhileChecking swaps snapshots while many goroutines check: every
// check sees either the old or the new snapshot, a number in both is always
// listed, and the race detector sees no race.
func TestSwapWhileChecking(t *testing.T) {
	reg, _ := NewRegistry("r")
	both := uint64(8613800138000)
	reg.Swap(snapOf(t, "r", "", t0, both, 8613800138001))
	c, _ := newTestCheck(t, Config{}, reg)
	ctx := context.Background()
	var stop atomic.Bool
	var wg sync.WaitGroup
	var failures atomic.Int64
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				rs, err := c.Check(ctx, dialgate.Dial{To: num("+8613800138000"), Purpose: dialgate.PurposeMarketing, At: t0})
				if err != nil || len(rs) != 1 {
					failures.Add(1)
				}
			}
		}()
	}
	for i := 0; i < 200; i++ {
		reg.Swap(snapOf(t, "r", "", t0, both, 8613800138002+uint64(i)))
	}
	stop.Store(true)
	wg.Wait()
	if failures.Load() != 0 {
		t.Fatalf("%d checks did not see a number present in every snapshot", failures.Load())
	}
	if _, err := reg.Swap(nil); err == nil {
		t.Fatal("Swap(nil) accepted")
	}
}

type errStore struct{ testStore }

func (*errStore) DNCEntries(context.Context, dialgate.Number) ([]Entry, error) {
	return nil, errors.New("store down")
}

func TestStoreErrorFailsClosed(t *testing.T) {
	st := &errStore{testStore{m: map[uint64][]Entry{}}}
	l, _ := NewLists(context.Background(), st, ListsOptions{NoBloom: true})
	c, _ := New(Config{}, l)
	g, err := dialgate.New([]dialgate.Checker{c}, dialgate.WithoutAuditLog(), dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return t0 })))
	if err != nil {
		t.Fatal(err)
	}
	dec, _ := g.Check(context.Background(), dialgate.Dial{To: num("+8613800138000"), Purpose: dialgate.PurposeService})
	if dec.Allowed || !dec.Has(dialgate.UnavailableCode("dnc")) {
		t.Fatalf("store failure: %+v, want dnc.unavailable deny", dec)
	}
}

// A copy of another list loaded into a registry would pass the freshness
// check while leaving the registry's own numbers unlisted. Swap refuses it
// and keeps the copy it has.
func TestRegistrySwapRefusesAnotherList(t *testing.T) {
	reg, _ := NewRegistry("us-national-dnc")
	if _, err := reg.Swap(snapOf(t, "us-national-dnc", "", t0, 12125550100)); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Swap(snapOf(t, "uk-tps", "", t0.Add(time.Hour), 442079460000)); err == nil {
		t.Fatal("Swap accepted a snapshot of list uk-tps into registry us-national-dnc")
	}
	if s := reg.Snapshot(); s == nil || s.Header.Name != "us-national-dnc" {
		t.Fatalf("registry holds %+v after a refused swap", s)
	}
}

// swapOnLookup is a Registry whose next Lookup is preceded by a Swap, as a
// reload landing between the check's Status and Lookup calls would be.
type swapOnLookup struct {
	*Registry
	next *Snapshot
}

func (s *swapOnLookup) Lookup(ctx context.Context, d dialgate.Dial) (Hit, bool, error) {
	if s.next != nil {
		if _, err := s.Registry.Swap(s.next); err != nil {
			return Hit{}, false, err
		}
		s.next = nil
	}
	return s.Registry.Lookup(ctx, d)
}

// TestSwapBetweenStatusAndLookup: a fresh copy that lists the callee is
// replaced, between the check's Status and Lookup, by a stale copy that does
// not. The fresh copy's age must not vouch for the stale copy's answer: the
// check asks again and denies with dnc.registry_stale, and the evidence names
// the copy the decision used.
func TestSwapBetweenStatusAndLookup(t *testing.T) {
	reg, _ := NewRegistry("us-national")
	callee := uint64(12125550100)
	reg.Swap(snapOf(t, "us-national", "", t0.AddDate(0, 0, -1), callee))
	stale := snapOf(t, "us-national", "", t0.AddDate(0, 0, -60))
	p := &swapOnLookup{Registry: reg, next: stale}
	c, _ := newTestCheck(t, Config{Registries: []RegistryConfig{{Name: "us-national", MaxAge: dialgate.Duration(31 * 24 * time.Hour), Cite: cite}}}, p)
	rs, ev, err := c.Attest(context.Background(), dialgate.Dial{To: num("+12125550100"), Purpose: dialgate.PurposeMarketing, At: t0})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(codes(rs), []dialgate.Code{dialgate.CodeDNCRegistryStale}) {
		t.Fatalf("reasons %v, want dnc.registry_stale (the lookup was answered by the 60-day-old copy)", codes(rs))
	}
	if len(ev) != 2 || !strings.Contains(ev[0].Value, "version="+stale.Header.Version()) {
		t.Fatalf("evidence %v, want the version of the copy consulted (%s)", ev, stale.Header.Version())
	}
}

// churning is a Provider whose copy changes on every Status call.
type churning struct{ n int }

func (c *churning) Name() string { return "churn" }
func (c *churning) Status() (RegistryStatus, bool) {
	c.n++
	return RegistryStatus{Name: "churn", Version: strconv.Itoa(c.n), AsOf: t0}, true
}
func (c *churning) Lookup(context.Context, dialgate.Dial) (Hit, bool, error) {
	return Hit{}, false, nil
}

// TestRegistryThatNeverSettlesFailsClosed: a copy that changes during every
// lookup gives no answer to trust; the check errors (dnc.unavailable).
func TestRegistryThatNeverSettlesFailsClosed(t *testing.T) {
	c, _ := newTestCheck(t, Config{}, &churning{})
	if _, err := c.Check(context.Background(), dialgate.Dial{To: num("+12125550100"), Purpose: dialgate.PurposeMarketing, At: t0}); err == nil {
		t.Fatal("no error for a registry whose copy changed during every lookup")
	}
}

// TestScopeMatchesUnicodeVariants: a dial's field spelled with full-width
// letters (a Chinese input method left in full-width mode), a ligature or an
// invisible format character (a zero-width space, a soft hyphen, a byte-order
// mark pasted from a web page) names the same industry, business line,
// tenant or campaign as its plain spelling. Compared as code points, each
// would dodge a scoped refusal — an opt-out, or the CN platform's refusal of
// one industry's calls.
func TestScopeMatchesUnicodeVariants(t *testing.T) {
	fin := MustParseScope("industry:finance")
	for _, v := range []string{
		"ｆｉｎａｎｃｅ",       // full-width
		"ＦＩＮＡＮＣＥ",       // full-width capitals
		"\ufb01nance",   // "fi" ligature
		"fin\u200bance", // zero-width space
		"fi\u00adnance", // soft hyphen
		"\ufefffinance", // byte-order mark
		"finance\u3000", // ideographic space
		"fin\u200dance", // zero-width joiner
	} {
		if !fin.Matches(dialgate.Dial{Industry: v}) {
			t.Errorf("industry %+q does not match scope %s", v, fin)
		}
	}
	// The same on the entry's side, and non-Latin names still compare.
	if !MustParseScope("campaign:冬季").Matches(dialgate.Dial{Campaign: "冬季\u200b"}) {
		t.Error("campaign 冬季 with a zero-width space does not match campaign:冬季")
	}
	if !MustParseScope("industry:ｆｉｎａｎｃｅ").Matches(dialgate.Dial{Industry: "Finance"}) {
		t.Error("industry Finance does not match a full-width scope value")
	}
	for _, v := range []string{"insurance", "financ", "finance2", "金融"} {
		if fin.Matches(dialgate.Dial{Industry: v}) {
			t.Errorf("industry %q matches scope %s", v, fin)
		}
	}

	// Through a scoped registry (CN-S13, the platform's per-industry refusals).
	reg, _ := NewRegistry("cn-platform-finance")
	reg.Swap(snapOf(t, "cn-platform-finance", "industry:finance", t0, 8613800138000))
	c, _ := newTestCheck(t, Config{}, reg)
	rs, err := c.Check(context.Background(), dialgate.Dial{To: num("+8613800138000"), Purpose: dialgate.PurposeService, Industry: "ｆｉｎａｎｃｅ", At: t0})
	if err != nil || !slices.Equal(codes(rs), []dialgate.Code{dialgate.CodeDNCListed}) {
		t.Fatalf("full-width industry against the finance registry: %v %v, want dnc.listed", codes(rs), err)
	}
}

// TestScopeMatchesFullCaseFoldingAndIgnorables: case is folded in full, as
// Unicode defines it, not only letter by letter: a dialer that upper-cases
// "Straßenbau" with a full case mapping (Java, JavaScript, Python) sends
// "STRASSENBAU". Invisible characters that are not format characters
// (variation selectors, the combining grapheme joiner, Hangul fillers) are
// ignored like the format characters.
func TestScopeMatchesFullCaseFoldingAndIgnorables(t *testing.T) {
	for _, tt := range []struct{ scope, business string }{
		{"business:Straßenbau", "STRASSENBAU"},
		{"business:Straßenbau", "strassenbau"},
		{"business:STRASSENBAU", "Straßenbau"},
		{"business:straẞenbau", "Strassenbau"}, // capital sharp s
		{"business:finance", "finance\ufe0f"},  // variation selector 16
		{"business:finance", "fi\u034fnance"},  // combining grapheme joiner
		{"business:finance", "finance\u3164"},  // Hangul filler
		{"business:fi\ufe00nance", "finance"},  // on the entry's side too
	} {
		if !MustParseScope(tt.scope).Matches(dialgate.Dial{BusinessLine: tt.business}) {
			t.Errorf("business line %+q does not match scope %+q", tt.business, tt.scope)
		}
	}
	for _, tt := range []struct{ scope, business string }{
		{"business:Straßenbau", "Strasenbau"},
		{"business:Straßenbau", "Strassenbauer"},
		{"business:金融", "金融业"},
	} {
		if MustParseScope(tt.scope).Matches(dialgate.Dial{BusinessLine: tt.business}) {
			t.Errorf("business line %+q matches scope %+q", tt.business, tt.scope)
		}
	}
}

// TestCaselessNeedsNoFolding: the fast paths of Matches (caseless names
// compared without case folding) are exact: every rune that caseless calls
// caseless, in compatibility form, folds to itself, and every other rune
// folds to something caseless does not accept.
func TestCaselessNeedsNoFolding(t *testing.T) {
	n := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		x := textfold.Compat(string(r))
		if x == "" {
			continue
		}
		f := textfold.Fold(x)
		if !caseless(x) {
			if caseless(f) {
				t.Errorf("%U: %+q has a case and folds to the caseless %+q", r, x, f)
			}
			continue
		}
		n++
		if f != x {
			t.Errorf("%U: caseless %+q folds to %+q", r, x, f)
		}
	}
	if n < 100000 {
		t.Errorf("only %d caseless runes", n)
	}
}

func FuzzParseScope(f *testing.F) {
	for _, s := range []string{"global", "industry:finance", "business:loans", "tenant:acme", "campaign:winter",
		"industry:", "industry: x", "Global", "industry:金融", "campaign:a:b", "tenant:\x7f", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		sc, err := ParseScope(in)
		if err != nil {
			if sc != (Scope{}) {
				t.Fatalf("ParseScope(%q) returned %+v with an error", in, sc)
			}
			return
		}
		if !sc.IsValid() {
			t.Fatalf("ParseScope(%q) = %+v, not valid", in, sc)
		}
		if sc.String() != in {
			t.Fatalf("ParseScope(%q).String() = %q", in, sc.String())
		}
		var back Scope
		txt, _ := sc.MarshalText()
		if err := back.UnmarshalText(txt); err != nil || back != sc {
			t.Fatalf("text round trip of %q: %+v, %v", in, back, err)
		}
		// The scope matches a dial whose field is its value, and a dial
		// that leaves the field empty (fail closed).
		var d dialgate.Dial
		if !sc.Matches(d) {
			t.Fatalf("%q does not match a dial without the field", in)
		}
		switch sc.Kind {
		case ScopeIndustry:
			d.Industry = sc.Value
		case ScopeBusiness:
			d.BusinessLine = sc.Value
		case ScopeTenant:
			d.Tenant = sc.Value
		case ScopeCampaign:
			d.Campaign = sc.Value
		}
		if !sc.Matches(d) {
			t.Fatalf("%q does not match a dial naming its own value", in)
		}
	})
}

// Check.Remove keeps the configured hold from added_at even when the stored
// entry's own hold is shorter or missing, and removes only the scope asked.
func TestRemoveKeepsConfiguredHold(t *testing.T) {
	c, st := newTestCheck(t, Config{Hold: Hold{Months: 12, Cite: cite}})
	ctx := context.Background()
	n := num("+8613900139000")
	fin, ins := MustParseScope("industry:finance"), MustParseScope("industry:insurance")
	// Added around Check.Add: no HoldUntil.
	if err := c.Lists().Add(ctx, Entry{Number: n, Scope: fin, List: "opt_out", AddedAt: t0},
		Entry{Number: n, Scope: ins, List: "opt_out", AddedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := c.Remove(ctx, n, fin, t0.AddDate(0, 6, 0)); !errors.Is(err, ErrHeld) {
		t.Fatalf("remove 6 months in: %v, want ErrHeld", err)
	}
	// To the second: one second before the 12 months end it is still held.
	if err := c.Remove(ctx, n, fin, t0.AddDate(0, 12, 0).Add(-time.Second)); !errors.Is(err, ErrHeld) {
		t.Fatalf("remove 1 s before 12 months: %v, want ErrHeld", err)
	}
	if err := c.Remove(ctx, n, MustParseScope("industry:loans"), t0.AddDate(2, 0, 0)); !errors.Is(err, ErrNotListed) {
		t.Fatalf("remove of a scope not listed: %v, want ErrNotListed", err)
	}
	if err := c.Remove(ctx, n, fin, t0.AddDate(0, 12, 0)); err != nil {
		t.Fatal(err)
	}
	es, _ := st.DNCEntries(ctx, n)
	if len(es) != 1 || es[0].Scope != ins {
		t.Fatalf("entries after removing %s: %v, want only %s", fin, es, ins)
	}
	d := dialgate.Dial{To: n, Purpose: dialgate.PurposeMarketing, Industry: "insurance", At: t0.AddDate(0, 12, 1)}
	if rs, _ := c.Check(ctx, d); len(rs) != 1 {
		t.Fatalf("the other scope's entry no longer denies: %v", rs)
	}
}

// Check.Remove decides on the entry it read: an opt-out removed and taken
// again between that read and the removal (Lists.Add sets no hold) is a new
// refusal whose hold has not begun to run, and must not be removed with the
// old one's decision.
func TestRemoveKeepsEntryReAddedMeanwhile(t *testing.T) {
	c, st := newTestCheck(t, Config{Hold: Hold{Months: 12, Cite: cite}})
	ctx := context.Background()
	n := num("+8613900139000")
	fin := MustParseScope("industry:finance")
	if err := c.Lists().Add(ctx, Entry{Number: n, Scope: fin, List: "opt_out", AddedAt: t0}); err != nil {
		t.Fatal(err)
	}
	now := t0.AddDate(0, 13, 0) // the first refusal's hold has ended
	st.afterRead = func() {
		// Another admin removes the old entry and the callee refuses again.
		if err := c.Lists().Remove(ctx, n, fin, now); err != nil {
			t.Error(err)
		}
		if err := c.Lists().Add(ctx, Entry{Number: n, Scope: fin, List: "opt_out", Source: "call", AddedAt: now}); err != nil {
			t.Error(err)
		}
	}
	if err := c.Remove(ctx, n, fin, now.Add(time.Minute)); !errors.Is(err, ErrHeld) {
		t.Fatalf("remove racing a new refusal: %v, want ErrHeld", err)
	}
	es, _ := st.DNCEntries(ctx, n)
	if len(es) != 1 || !es[0].AddedAt.Equal(now) {
		t.Fatalf("entries after the racing removal: %v, want the new refusal of %s", es, now)
	}
}
