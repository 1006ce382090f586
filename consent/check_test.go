package consent

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

var (
	callee  = dialgate.MustParseNumber("+8613900139000")
	callee2 = dialgate.MustParseNumber("+8613900139001")
)

func cnConfig() Config {
	return Config{Require: []Requirement{{
		Purposes: []dialgate.Purpose{dialgate.PurposeMarketing},
		Cite:     dialgate.Citation{Source: dialgate.SourceLaw, Ref: "工信厅信管函〔2018〕337号 (CN-S3)"},
	}}}
}

func marketing(at time.Time) dialgate.Dial {
	return dialgate.Dial{To: callee, Purpose: dialgate.PurposeMarketing, Industry: "finance",
		BusinessLine: "loans", Campaign: "winter", Tenant: "acme", At: at}
}

func mustCheck(t testing.TB, cfg Config, s Store, opts ...CheckOption) *Check {
	t.Helper()
	c, err := NewCheck(cfg, s, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustAdd(t testing.TB, s Store, r Record) {
	t.Helper()
	if err := s.AddConsent(context.Background(), r); err != nil {
		t.Fatal(err)
	}
}

func codes(rs []dialgate.Reason) string {
	var out []string
	for _, r := range rs {
		out = append(out, string(r.Code))
	}
	return strings.Join(out, ",")
}

func evValue(ev []dialgate.Evidence, key string) string {
	for _, e := range ev {
		if e.Key == key {
			return e.Value
		}
	}
	return ""
}

func TestCheckCodes(t *testing.T) {
	ctx := context.Background()
	at := t0.Add(24 * time.Hour)
	rec := func(id string, edit func(r *Record)) Record {
		r := goodRecord()
		r.ID = id
		if edit != nil {
			edit(&r)
		}
		return r
	}
	tests := []struct {
		name    string
		recs    []Record
		revoke  []string
		dial    func(d *dialgate.Dial)
		want    string // codes, "" = allowed
		wantID  string // consent.id in evidence
		wantMsg string
		hidden  bool // the reason must not name the record (another tenant's): no evidence, no id or tenant in the message
		// namedHidden: the dial named another tenant's record; the reason
		// may name the id the dial gave (consent.id), nothing else of it.
		namedHidden bool
	}{
		{name: "no records", want: "consent.missing", wantMsg: "no consent record"},
		{name: "valid in scope, searched", recs: []Record{rec("c-1", nil)}, wantID: "c-1"},
		{name: "valid in scope, named", recs: []Record{rec("c-1", nil)}, dial: func(d *dialgate.Dial) { d.ConsentID = "c-1" }, wantID: "c-1"},
		{name: "service needs none", dial: func(d *dialgate.Dial) { d.Purpose = dialgate.PurposeService }},
		{name: "named unknown", dial: func(d *dialgate.Dial) { d.ConsentID = "c-404" }, want: "consent.missing", wantMsg: "does not exist", wantID: "c-404"},
		{name: "named other number", recs: []Record{rec("c-9", func(r *Record) { r.Number = callee2 })},
			dial: func(d *dialgate.Dial) { d.ConsentID = "c-9" }, want: "consent.missing", wantMsg: "another number"},
		{name: "revoked, named", recs: []Record{rec("c-1", nil)}, revoke: []string{"c-1"},
			dial: func(d *dialgate.Dial) { d.ConsentID = "c-1" }, want: "consent.revoked", wantID: "c-1"},
		{name: "revoked, searched", recs: []Record{rec("c-1", nil)}, revoke: []string{"c-1"}, want: "consent.revoked", wantID: "c-1"},
		{name: "expired", recs: []Record{rec("c-1", func(r *Record) { r.ExpiresAt = t0.Add(time.Hour) })}, want: "consent.expired", wantID: "c-1"},
		{name: "expires exactly now", recs: []Record{rec("c-1", func(r *Record) { r.ExpiresAt = at })}, want: "consent.expired"},
		{name: "not yet granted", recs: []Record{rec("c-1", func(r *Record) { r.GrantedAt = at.Add(time.Minute); r.ExpiresAt = time.Time{} })}, want: "consent.missing", wantMsg: "granted only from"},
		{name: "other industry", recs: []Record{rec("c-1", func(r *Record) { r.Scope = "industry:insurance" })}, want: "consent.scope_mismatch", wantID: "c-1"},
		{name: "other industry, named", recs: []Record{rec("c-1", func(r *Record) { r.Scope = "industry:insurance" })},
			dial: func(d *dialgate.Dial) { d.ConsentID = "c-1" }, want: "consent.scope_mismatch"},
		{name: "business scope", recs: []Record{rec("c-1", func(r *Record) { r.Scope = "business:loans" })}, wantID: "c-1"},
		{name: "business scope, other line", recs: []Record{rec("c-1", func(r *Record) { r.Scope = "business:loans" })},
			dial: func(d *dialgate.Dial) { d.BusinessLine = "cards" }, want: "consent.scope_mismatch"},
		{name: "campaign scope", recs: []Record{rec("c-1", func(r *Record) { r.Scope = "campaign:winter" })}, wantID: "c-1"},
		{name: "tenant scope, other tenant", recs: []Record{rec("c-1", func(r *Record) { r.Scope = "tenant:beta" })}, want: "consent.scope_mismatch"},
		{name: "dial without industry", recs: []Record{rec("c-1", nil)}, dial: func(d *dialgate.Dial) { d.Industry = "" }, want: "consent.scope_mismatch"},
		// The revocations below are at t0+2h: a re-consent is granted after.
		{name: "re-consent after revocation", recs: []Record{rec("c-1", nil), rec("c-2", func(r *Record) { r.GrantedAt = t0.Add(3 * time.Hour) })},
			revoke: []string{"c-1"}, wantID: "c-2"},
		{name: "consent granted before the revocation is withdrawn with it", recs: []Record{rec("c-1", nil), rec("c-2", func(r *Record) { r.GrantedAt = t0.Add(time.Hour) })},
			revoke: []string{"c-1"}, want: "consent.revoked", wantID: "c-1"},
		{name: "re-consent, dial still names the old record", recs: []Record{rec("c-1", nil), rec("c-2", func(r *Record) { r.GrantedAt = t0.Add(3 * time.Hour) })},
			revoke: []string{"c-1"}, dial: func(d *dialgate.Dial) { d.ConsentID = "c-1" }, want: "consent.revoked"},
		{name: "revoked beats scope mismatch", recs: []Record{rec("c-1", nil), rec("c-2", func(r *Record) { r.Scope = "industry:insurance" })},
			revoke: []string{"c-1"}, want: "consent.revoked", wantID: "c-1"},
		{name: "other scope valid does not help", recs: []Record{rec("c-2", func(r *Record) { r.Scope = "industry:insurance" })},
			want: "consent.scope_mismatch", wantID: "c-2"},
		{name: "newest valid relied on", recs: []Record{rec("c-1", nil), rec("c-2", func(r *Record) { r.GrantedAt = t0.Add(time.Hour) })}, wantID: "c-2"},
		{name: "another callee's record is not searched", recs: []Record{rec("c-9", func(r *Record) { r.Number = callee2 })}, want: "consent.missing"},
		// A record of another scope or another tenant is only ever a
		// scope_mismatch when searched: its withdrawal or expiry says
		// nothing about this dial.
		{name: "other scope revoked, searched", recs: []Record{rec("c-1", func(r *Record) { r.Scope = "industry:insurance" })},
			revoke: []string{"c-1"}, want: "consent.scope_mismatch", wantID: "c-1"},
		{name: "other scope expired, searched", recs: []Record{rec("c-1", func(r *Record) { r.Scope = "industry:insurance"; r.ExpiresAt = t0.Add(time.Hour) })},
			want: "consent.scope_mismatch", wantID: "c-1"},
		{name: "other scope revoked, named", recs: []Record{rec("c-1", func(r *Record) { r.Scope = "industry:insurance" })},
			revoke: []string{"c-1"}, dial: func(d *dialgate.Dial) { d.ConsentID = "c-1" }, want: "consent.revoked", wantID: "c-1"},
		// Tenants (the dial is acme's): a record tied to a tenant covers only
		// that tenant's dials; a record without one covers every tenant's.
		{name: "own tenant", recs: []Record{rec("c-1", func(r *Record) { r.Tenant = "acme" })}, wantID: "c-1"},
		{name: "own tenant, named", recs: []Record{rec("c-1", func(r *Record) { r.Tenant = "acme" })},
			dial: func(d *dialgate.Dial) { d.ConsentID = "c-1" }, wantID: "c-1"},
		{name: "other tenant", recs: []Record{rec("c-1", func(r *Record) { r.Tenant = "beta" })},
			want: "consent.scope_mismatch", wantMsg: "no consent record of this dial's tenant covers it", hidden: true},
		// Named, another tenant's record is refused naming only the id the
		// dial gave: not its tenant, scope or state.
		{name: "other tenant, named", recs: []Record{rec("c-1", func(r *Record) { r.Tenant = "beta" })},
			dial: func(d *dialgate.Dial) { d.ConsentID = "c-1" }, want: "consent.scope_mismatch", wantID: "c-1", namedHidden: true},
		{name: "other tenant revoked, named", recs: []Record{rec("c-1", func(r *Record) { r.Tenant = "beta" })}, revoke: []string{"c-1"},
			dial: func(d *dialgate.Dial) { d.ConsentID = "c-1" }, want: "consent.scope_mismatch", wantID: "c-1", namedHidden: true},
		{name: "other tenant expired, named", recs: []Record{rec("c-1", func(r *Record) { r.Tenant = "beta"; r.ExpiresAt = t0.Add(time.Hour) })},
			dial: func(d *dialgate.Dial) { d.ConsentID = "c-1" }, want: "consent.scope_mismatch", wantID: "c-1", namedHidden: true},
		{name: "other tenant not yet granted, named", recs: []Record{rec("c-1", func(r *Record) { r.Tenant = "beta"; r.GrantedAt = t0.Add(48 * time.Hour) })},
			dial: func(d *dialgate.Dial) { d.ConsentID = "c-1" }, want: "consent.scope_mismatch", wantID: "c-1", namedHidden: true},
		{name: "other tenant's tenant scope, named", recs: []Record{rec("c-1", func(r *Record) { r.Scope = "tenant:beta" })},
			dial: func(d *dialgate.Dial) { d.ConsentID = "c-1" }, want: "consent.scope_mismatch", wantID: "c-1", namedHidden: true},
		{name: "other tenant's tenant scope revoked, named", recs: []Record{rec("c-1", func(r *Record) { r.Scope = "tenant:beta" })}, revoke: []string{"c-1"},
			dial: func(d *dialgate.Dial) { d.ConsentID = "c-1" }, want: "consent.scope_mismatch", wantID: "c-1", namedHidden: true},
		{name: "other tenant, dial of no tenant", recs: []Record{rec("c-1", func(r *Record) { r.Tenant = "beta" })},
			dial: func(d *dialgate.Dial) { d.Tenant = "" }, want: "consent.scope_mismatch", hidden: true},
		{name: "other tenant, named, dial of no tenant", recs: []Record{rec("c-1", func(r *Record) { r.Tenant = "beta" })},
			dial: func(d *dialgate.Dial) { d.Tenant = ""; d.ConsentID = "c-1" }, want: "consent.scope_mismatch", wantID: "c-1", namedHidden: true},
		{name: "other tenant's tenant scope", recs: []Record{rec("c-1", func(r *Record) { r.Scope = "tenant:beta" })},
			want: "consent.scope_mismatch", hidden: true},
		{name: "other tenant, case differs", recs: []Record{rec("c-1", func(r *Record) { r.Tenant = "Acme" })}, want: "consent.scope_mismatch", hidden: true},
		{name: "other tenant and other scope", recs: []Record{rec("c-1", func(r *Record) { r.Tenant = "beta"; r.Scope = "industry:insurance" })},
			want: "consent.scope_mismatch", hidden: true},
		{name: "other tenant and other scope, named", recs: []Record{rec("c-1", func(r *Record) { r.Tenant = "beta"; r.Scope = "industry:insurance" })},
			dial: func(d *dialgate.Dial) { d.ConsentID = "c-1" }, want: "consent.scope_mismatch", wantID: "c-1", namedHidden: true},
		{name: "own tenant, other scope, named", recs: []Record{rec("c-1", func(r *Record) { r.Tenant = "acme"; r.Scope = "industry:insurance" })},
			dial: func(d *dialgate.Dial) { d.ConsentID = "c-1" }, want: "consent.scope_mismatch", wantID: "c-1", wantMsg: "covers industry:insurance, which this dial is not in"},
		{name: "no tenant covers every tenant", recs: []Record{rec("c-1", nil)}, dial: func(d *dialgate.Dial) { d.Tenant = "beta" }, wantID: "c-1"},
		{name: "other tenant revoked, searched", recs: []Record{rec("c-1", func(r *Record) { r.Tenant = "beta" })},
			revoke: []string{"c-1"}, want: "consent.scope_mismatch", hidden: true},
		{name: "own scope mismatch named before other tenant's", recs: []Record{rec("c-1", func(r *Record) { r.Tenant = "acme"; r.Scope = "industry:insurance" }),
			rec("c-2", func(r *Record) { r.Tenant = "beta" })}, want: "consent.scope_mismatch", wantID: "c-1"},
		{name: "other tenant's newer record does not hide own", recs: []Record{rec("c-1", func(r *Record) { r.Tenant = "acme" }),
			rec("c-2", func(r *Record) { r.Tenant = "beta"; r.GrantedAt = t0.Add(time.Hour) })}, wantID: "c-1"},
		{name: "own tenant revoked beats other tenant valid", recs: []Record{rec("c-1", func(r *Record) { r.Tenant = "acme" }),
			rec("c-2", func(r *Record) { r.Tenant = "beta" })}, revoke: []string{"c-1"}, want: "consent.revoked", wantID: "c-1"},
	}
	for _, tc := range tests {
		for _, size := range []int{0, 16} {
			t.Run(fmt.Sprintf("%s/cache=%d", tc.name, size), func(t *testing.T) {
				s := newFakeStore()
				for _, r := range tc.recs {
					mustAdd(t, s, r)
				}
				c := mustCheck(t, cnConfig(), s, WithCacheSize(size))
				d := marketing(at)
				if tc.dial != nil {
					tc.dial(&d)
				}
				// Warm the cache before the revocations, so they must invalidate it.
				if _, _, err := c.Attest(ctx, d); err != nil {
					t.Fatal(err)
				}
				for _, id := range tc.revoke {
					if _, err := s.RevokeConsent(ctx, id, t0.Add(2*time.Hour), "sms"); err != nil {
						t.Fatal(err)
					}
				}
				rs, ev, err := c.Attest(ctx, d)
				if err != nil {
					t.Fatal(err)
				}
				if got := codes(rs); got != tc.want {
					t.Fatalf("codes = %q, want %q (reasons %+v)", got, tc.want, rs)
				}
				if tc.want == "" {
					if len(rs) != 0 {
						t.Fatalf("reasons %+v", rs)
					}
					if tc.wantID != "" {
						if evValue(ev, EvidenceID) != tc.wantID || evValue(ev, EvidenceDisclosure) != hashA {
							t.Errorf("evidence = %+v, want id %s and disclosure hash", ev, tc.wantID)
						}
					}
					return
				}
				if ev != nil {
					t.Errorf("evidence on a deny: %+v", ev)
				}
				if tc.wantID != "" && evValue(rs[0].Evidence, EvidenceID) != tc.wantID {
					t.Errorf("reason evidence = %+v, want consent.id %s", rs[0].Evidence, tc.wantID)
				}
				if tc.wantMsg != "" && !strings.Contains(rs[0].Message, tc.wantMsg) {
					t.Errorf("message = %q, want %q", rs[0].Message, tc.wantMsg)
				}
				if tc.hidden && (len(rs[0].Evidence) != 0 || strings.Contains(rs[0].Message, "c-1") || strings.Contains(rs[0].Message, "beta")) {
					t.Errorf("reason %+v names another tenant's record to this dial's dialer", rs[0])
				}
				if tc.namedHidden {
					if len(rs[0].Evidence) != 1 || rs[0].Evidence[0] != (dialgate.Evidence{Key: EvidenceID, Value: "c-1"}) {
						t.Errorf("reason %+v: evidence other than the named id of another tenant's record", rs[0])
					}
					for _, leak := range []string{"beta", "insurance", "finance", "revoked", "expired", "granted", "2026"} {
						if strings.Contains(rs[0].Message, leak) {
							t.Errorf("reason %+v tells this dial's dialer %q of another tenant's record", rs[0], leak)
						}
					}
				}
				if strings.Contains(rs[0].Message, callee.Digits()) || strings.Contains(fmt.Sprint(rs[0].Evidence), callee.Digits()) {
					t.Errorf("reason leaks the callee number: %+v", rs[0])
				}
			})
		}
	}
}

// TestCheckTenant: in a sidecar dialling for several sellers, a consent
// tied to seller acme in scope industry:finance allows acme's finance dials
// only, never beta's (PIPL, the TCPA: consent is given to one seller); a
// consent tied to no seller allows both.
func TestCheckTenant(t *testing.T) {
	ctx := context.Background()
	at := t0.Add(24 * time.Hour)
	dialOf := func(tenant, consentID string) dialgate.Dial {
		d := marketing(at)
		d.Tenant, d.ConsentID = tenant, consentID
		return d
	}
	for _, size := range []int{0, 16} {
		s := newFakeStore()
		tied := goodRecord()
		tied.ID, tied.Tenant = "c-acme", "acme"
		mustAdd(t, s, tied)
		free := goodRecord()
		free.ID, free.Number = "c-any", callee2
		mustAdd(t, s, free)
		c := mustCheck(t, cnConfig(), s, WithCacheSize(size))
		for _, tc := range []struct {
			d       dialgate.Dial
			want    string
			wantTen string // consent.tenant evidence
		}{
			{dialOf("acme", ""), "", "acme"},
			{dialOf("acme", "c-acme"), "", "acme"},
			{dialOf("beta", ""), "consent.scope_mismatch", ""},       // searched: acme's record is not named
			{dialOf("beta", "c-acme"), "consent.scope_mismatch", ""}, // named: only the id the dial gave
			{dialOf("", ""), "consent.scope_mismatch", ""},
		} {
			rs, ev, err := c.Attest(ctx, tc.d)
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("cache=%d: tenant %q, consent id %q", size, tc.d.Tenant, tc.d.ConsentID)
			if got := codes(rs); got != tc.want {
				t.Errorf("%s: codes = %q, want %q (%+v)", name, got, tc.want, rs)
				continue
			}
			if tc.want == "" {
				if evValue(ev, EvidenceID) != "c-acme" || evValue(ev, EvidenceTenant) != tc.wantTen {
					t.Errorf("%s: evidence %+v, want c-acme of tenant %s", name, ev, tc.wantTen)
				}
				continue
			}
			if tc.wantTen == "" {
				if len(rs[0].Evidence) > 1 || len(rs[0].Evidence) == 1 && rs[0].Evidence[0].Value != tc.d.ConsentID ||
					strings.Contains(strings.ReplaceAll(rs[0].Message, "consent "+tc.d.ConsentID+" ", ""), "acme") {
					t.Errorf("%s: reason %+v names another tenant's record", name, rs[0])
				}
				continue
			}
			if evValue(rs[0].Evidence, EvidenceTenant) != tc.wantTen || !strings.Contains(rs[0].Message, `tenant "acme"`) {
				t.Errorf("%s: reason %+v, want the message and evidence to name tenant acme", name, rs[0])
			}
		}
		for _, tenant := range []string{"acme", "beta", ""} {
			d := dialOf(tenant, "")
			d.To = callee2
			rs, ev, err := c.Attest(ctx, d)
			if err != nil || len(rs) != 0 {
				t.Errorf("cache=%d: untenanted consent, dial of tenant %q: %+v, %v; want allowed", size, tenant, rs, err)
			}
			if evValue(ev, EvidenceID) != "c-any" || evValue(ev, EvidenceTenant) != "" {
				t.Errorf("cache=%d: untenanted consent, dial of tenant %q: evidence %+v", size, tenant, ev)
			}
		}
	}
}

func TestCheckEffectiveDateAndMethods(t *testing.T) {
	ctx := context.Background()
	from := time.Date(2026, 8, 11, 0, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	fr := Config{Require: []Requirement{{
		Purposes: []dialgate.Purpose{dialgate.PurposeMarketing}, EffectiveFrom: from,
		Cite: dialgate.Citation{Source: dialgate.SourceLaw, Ref: "Code de la consommation art. L223-1"},
	}}}
	s := newFakeStore()
	c := mustCheck(t, fr, s)
	if rs, _, err := c.Attest(ctx, marketing(from.Add(-time.Second))); err != nil || len(rs) != 0 {
		t.Errorf("before the effective date: %v %v, want allowed", rs, err)
	}
	if rs, _, err := c.Attest(ctx, marketing(from)); err != nil || codes(rs) != "consent.missing" {
		t.Errorf("at the effective date: %v %v, want consent.missing", rs, err)
	}

	us := Config{Require: []Requirement{{
		Purposes: []dialgate.Purpose{dialgate.PurposeMarketing}, Methods: []Method{MethodWritten, MethodWebForm},
		RequireDisclosure: true, RequireEvidenceURI: true,
		Cite: dialgate.Citation{Source: dialgate.SourceLaw, Ref: "47 CFR 64.1200(f)(9)"},
	}}}
	s = newFakeStore()
	r := goodRecord()
	r.Method = MethodRecordedVerbal
	mustAdd(t, s, r)
	r2 := goodRecord()
	r2.ID, r2.Method, r2.DisclosureSHA256 = "c-2", MethodWritten, ""
	mustAdd(t, s, r2)
	c = mustCheck(t, us, s)
	d := marketing(t0.Add(time.Hour))
	d.ConsentID = "c-1"
	rs, _, err := c.Attest(ctx, d)
	if err != nil || codes(rs) != "consent.missing" || !strings.Contains(rs[0].Message, "method recorded_verbal is not accepted") {
		t.Errorf("verbal under us: %+v %v", rs, err)
	}
	d.ConsentID = "c-2"
	rs, _, err = c.Attest(ctx, d)
	if err != nil || codes(rs) != "consent.missing" || !strings.Contains(rs[0].Message, "no disclosure hash") {
		t.Errorf("written without disclosure under us: %+v %v", rs, err)
	}
	r3 := goodRecord()
	r3.ID, r3.Method, r3.GrantedAt = "c-3", MethodWritten, t0.Add(time.Minute)
	mustAdd(t, s, r3)
	d.ConsentID = ""
	rs, ev, err := c.Attest(ctx, d)
	if err != nil || len(rs) != 0 || evValue(ev, EvidenceID) != "c-3" {
		t.Errorf("written with disclosure under us: %+v %+v %v", rs, ev, err)
	}
}

func TestCheckStoreErrorsFailClosed(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("disk on fire")
	for _, size := range []int{0, 16} {
		s := newFakeStore()
		c := mustCheck(t, cnConfig(), s, WithCacheSize(size))
		s.fail = boom
		if _, _, err := c.Attest(ctx, marketing(t0)); !errors.Is(err, boom) {
			t.Errorf("cache=%d: err = %v, want the store error", size, err)
		}
	}
	// Through a Gate the error becomes consent.unavailable, a deny.
	s := newFakeStore()
	c := mustCheck(t, cnConfig(), s)
	s.fail = boom
	g, err := dialgate.New([]dialgate.Checker{c}, dialgate.WithoutAuditLog(), dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return t0 })))
	if err != nil {
		t.Fatal(err)
	}
	dec, err := g.Check(ctx, marketing(t0))
	if err != nil || dec.Allowed || !dec.Has(dialgate.UnavailableCode("consent")) {
		t.Fatalf("decision %+v, %v; want consent.unavailable", dec, err)
	}
}

func TestNewCheckRejectsBadInput(t *testing.T) {
	s := newFakeStore()
	if _, err := NewCheck(Config{}, s); err == nil || !strings.Contains(err.Error(), "consent.require") {
		t.Errorf("empty config: %v", err)
	}
	if _, err := NewCheck(cnConfig(), nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil store: %v", err)
	}
	if _, err := NewCheck(cnConfig(), s, WithCacheSize(-1)); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative cache: %v", err)
	}
	if _, err := NewCheck(cnConfig(), s, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil option: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	cite := dialgate.Citation{Source: dialgate.SourceLaw, Ref: "x"}
	for _, tc := range []struct {
		cfg   Config
		field string
	}{
		{Config{}, "consent.require"},
		{Config{Require: []Requirement{{Cite: cite}}}, "consent.require[0].purposes"},
		{Config{Require: []Requirement{{Purposes: []dialgate.Purpose{"marketing", "spam"}, Cite: cite}}}, "consent.require[0].purposes[1]"},
		{Config{Require: []Requirement{{Purposes: []dialgate.Purpose{"marketing"}, Methods: []Method{"fax"}, Cite: cite}}}, "consent.require[0].methods[0]"},
		{Config{Require: []Requirement{{Purposes: []dialgate.Purpose{"marketing"}, Cite: cite}, {Purposes: []dialgate.Purpose{"survey"}}}}, "consent.require[1].cite"},
	} {
		err := tc.cfg.Validate()
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("Validate(%+v) = %v, want field %s", tc.cfg, err, tc.field)
		}
	}
	if err := cnConfig().Validate(); err != nil {
		t.Error(err)
	}
}

// Through a Gate, an allowed marketing dial's decision points to its proof.
func TestGateEvidence(t *testing.T) {
	ctx := context.Background()
	s := newFakeStore()
	mustAdd(t, s, goodRecord())
	c := mustCheck(t, cnConfig(), s)
	at := t0.Add(time.Hour)
	g, err := dialgate.New([]dialgate.Checker{c}, dialgate.WithoutAuditLog(), dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return at })))
	if err != nil {
		t.Fatal(err)
	}
	dec, err := g.Check(ctx, marketing(time.Time{}))
	if err != nil || !dec.Allowed {
		t.Fatalf("%+v %v", dec, err)
	}
	if evValue(dec.Evidence, "consent.id") != "c-1" || evValue(dec.Evidence, "consent.disclosure_sha256") != hashA {
		t.Errorf("evidence %+v", dec.Evidence)
	}
}

// TestNoInstantFailsClosed: a rule with an effective date is "not yet in
// force" at the zero instant, so a dial without At (a Gate whose Clock reads
// zero, a caller that forgot it) needed no consent. The check must not
// decide without the instant; purposes without a rule still need none.
func TestNoInstantFailsClosed(t *testing.T) {
	cfg := cnConfig()
	cfg.Require[0].EffectiveFrom = t0
	c := mustCheck(t, cfg, newFakeStore())
	d := marketing(time.Time{})
	if rs, err := c.Check(context.Background(), d); !errors.Is(err, ErrNoInstant) {
		t.Fatalf("marketing dial without At: reasons %v, err %v; want ErrNoInstant", codes(rs), err)
	}
	d.Purpose = dialgate.PurposeService
	if rs, err := c.Check(context.Background(), d); err != nil || len(rs) != 0 {
		t.Fatalf("service dial (no consent rule) without At: reasons %v, err %v; want allowed", codes(rs), err)
	}
}
