package policy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage/memstore"
)

// builtin loads a built-in profile or fails the test.
func builtin(t *testing.T, name string) *Profile {
	t.Helper()
	p, err := Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBuiltinDNCHold checks that each profile keeps a do-not-call entry at
// least as long as REQUIREMENTS §2 and §4 say (an entry removed earlier lets
// the number be called again).
func TestBuiltinDNCHold(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		profile string
		want    time.Time
	}{
		{"cn", t0.AddDate(1, 0, 0)},           // §2: never released before 12 months [U]
		{"cn-insurance", t0.AddDate(0, 6, 0)}, // §2: DNC ≥ 6 months
		{"us", t0.AddDate(5, 0, 0)},           // §4: company DNC kept 5 years
		{"us-fl", t0.AddDate(5, 0, 0)},
		{"us-ok", t0.AddDate(5, 0, 0)},
		{"us-al", t0.AddDate(5, 0, 0)},
		{"us-la", t0.AddDate(5, 0, 0)},
		{"us-ms", t0.AddDate(5, 0, 0)},
		{"ca", t0.AddDate(3, 0, 14)}, // §4: internal DNC kept 3 years 14 days
	}
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			p := builtin(t, tt.profile)
			if p.DNC == nil {
				t.Fatalf("%s has no dnc section", tt.profile)
			}
			if got := p.DNC.Hold.Until(t0); got.Before(tt.want) {
				t.Errorf("%s: an entry added %s may be removed from %s, want not before %s",
					tt.profile, t0.Format(time.DateOnly), got.Format(time.DateOnly), tt.want.Format(time.DateOnly))
			}
		})
	}
}

// TestBuiltinDNCHoldRemoval checks the holds of TestBuiltinDNCHold through
// the check that enforces them: removing an entry a day before the period
// REQUIREMENTS names is refused with dnc.ErrHeld; a day after the profile's
// own hold (which may be longer: cn-insurance keeps cn's 12 months) the
// removal succeeds, so the hold is the period and not some longer one.
func TestBuiltinDNCHoldRemoval(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		profile   string
		min, hold time.Time // the required minimum, the profile's hold
	}{
		{"cn", t0.AddDate(1, 0, 0), t0.AddDate(1, 0, 0)},
		{"cn-insurance", t0.AddDate(0, 6, 0), t0.AddDate(1, 0, 0)},
		{"us", t0.AddDate(5, 0, 0), t0.AddDate(5, 0, 0)},
		{"us-ok", t0.AddDate(5, 0, 0), t0.AddDate(5, 0, 0)},
		{"us-collections", t0.AddDate(5, 0, 0), t0.AddDate(5, 0, 0)},
		{"ca", t0.AddDate(3, 0, 14), t0.AddDate(3, 0, 14)},
	}
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			ctx := context.Background()
			deps, err := StoreDeps(memstore.New(), []byte("0123456789abcdef0123456789abcdef"))
			if err != nil {
				t.Fatal(err)
			}
			checks, err := Checks(builtin(t, tt.profile), deps)
			if err != nil {
				t.Fatal(err)
			}
			var c *dnc.Check
			for _, ch := range checks {
				if x, ok := ch.(*dnc.Check); ok {
					c = x
				}
			}
			if c == nil {
				t.Fatalf("%s: no dnc check", tt.profile)
			}
			n := dialgate.MustParseNumber("+12125550142")
			scope, err := dnc.ParseScope("tenant:acme")
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Add(ctx, dnc.Entry{Number: n, Scope: scope, List: "opt_out", Source: "call", AddedAt: t0}); err != nil {
				t.Fatal(err)
			}
			for _, at := range []time.Time{t0, tt.min.AddDate(0, 0, -1), tt.min.Add(-time.Second)} {
				if err := c.Remove(ctx, n, scope, at); !errors.Is(err, dnc.ErrHeld) {
					t.Errorf("%s: remove at %s (entry added %s) = %v, want dnc.ErrHeld", tt.profile, at.Format(time.RFC3339), t0.Format(time.RFC3339), err)
				}
			}
			at := tt.hold.AddDate(0, 0, 1)
			if err := c.Remove(ctx, n, scope, at); err != nil {
				t.Errorf("%s: remove a day after the hold (%s) = %v, want removed", tt.profile, at.Format(time.RFC3339), err)
			}
		})
	}
}

// TestBuiltinCallerIDRequired checks that profiles whose rules make caller ID
// mandatory (REQUIREMENTS §4: uk "caller ID mandatory", au "caller ID on",
// us 47 CFR 64.1601(e)(1) and 16 CFR 310.4(a)(8); cn CN-S10/11) deny a dial
// that presents none. us-fl and us-collections pin that the overlays inherit
// the us section (us-collections deliberately keeps it: fail closed).
func TestBuiltinCallerIDRequired(t *testing.T) {
	for _, tt := range []struct{ profile, to, at string }{
		{"cn", "+8613800138000", "2026-06-10T10:00:00+08:00"},
		{"uk", "+447700900123", "2026-06-10T10:00:00+01:00"},
		{"au", "+61412345678", "2026-06-10T10:00:00+10:00"},
		{"us", "+12025550123", "2026-06-10T10:00:00-04:00"},
		{"us-fl", "+13055550123", "2026-06-10T10:00:00-04:00"},
		{"us-collections", "+12025550123", "2026-06-10T10:00:00-04:00"},
	} {
		t.Run(tt.profile, func(t *testing.T) {
			p := builtin(t, tt.profile)
			at, err := time.Parse(time.RFC3339, tt.at)
			if err != nil {
				t.Fatal(err)
			}
			ms := memstore.New()
			g, err := Build(p, Deps{DNC: ms, Ledger: ms, Counters: ms, Consents: ms, Recordings: ms, CalleeHasher: testHasher{}},
				dialgate.WithoutAuditLog(), dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return at })))
			if err != nil {
				t.Fatal(err)
			}
			dec, err := g.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber(tt.to), Purpose: dialgate.PurposeService, LeadID: "crm-1"})
			if err != nil {
				t.Fatal(err)
			}
			if !dec.Has(dialgate.CodeCallerIDMissing) {
				t.Errorf("%s: a dial without caller ID got %v, want %s among them", tt.profile, dec.Codes(), dialgate.CodeCallerIDMissing)
			}
		})
	}
}

type testHasher struct{}

func (testHasher) HashCallee(n dialgate.Number) string { return "h:" + n.String() }

// TestExplainCallerIDSaysWhatIsChecked: the caller-ID check requires a valid
// Chinese number only of +86 caller IDs; explain must not claim more.
func TestExplainCallerIDSaysWhatIsChecked(t *testing.T) {
	for _, name := range []string{"cn", "uk", "au", "us"} {
		for _, r := range Explain(builtin(t, name)) {
			if r.Path == "callerid" && !strings.Contains(r.Text, "a +86 caller ID") {
				t.Errorf("%s: explain says %q; the check requires a valid Chinese voice number of +86 caller IDs only", name, r.Text)
			}
		}
	}
}

// TestCNInsuranceKeepsCNRestHours: the insurance overlay adds the
// 21:00–09:00 ban (REQUIREMENTS §2) to cn; it must not call in the rest hours
// cn itself keeps free (12:00–14:00).
func TestCNInsuranceKeepsCNRestHours(t *testing.T) {
	to := dialgate.MustParseNumber("+8613800138000")
	for _, at := range []string{"2026-06-10T12:00:00+08:00", "2026-06-10T13:59:59+08:00", "2026-06-10T21:00:00+08:00", "2026-06-10T08:59:59+08:00"} {
		tm, err := time.Parse(time.RFC3339, at)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"cn", "cn-insurance"} {
			c, err := schedule.NewWindowCheck(*builtin(t, name).Schedule)
			if err != nil {
				t.Fatal(err)
			}
			rs, err := c.Check(context.Background(), dialgate.Dial{To: to, Purpose: dialgate.PurposeMarketing, At: tm})
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) == 0 {
				t.Errorf("%s allows a call at %s", name, at)
			}
		}
	}
}

// TestUSFLWindowCitation: Florida's 8 a.m.–8 p.m. rule is Fla. Stat.
// § 501.616(6)(a) (as amended 2021); § 501.059 is the telephone-solicitation
// section (definitions, the state no-call list, consent), not the hours.
func TestUSFLWindowCitation(t *testing.T) {
	p := builtin(t, "us-fl")
	for i, w := range p.Schedule.Windows {
		if !strings.Contains(w.Cite.Ref, "501.616(6)(a)") {
			t.Errorf("us-fl schedule.windows[%d] cites %q, want Fla. Stat. § 501.616(6)(a)", i, w.Cite.Ref)
		}
	}
}
