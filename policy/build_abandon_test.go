package policy

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage/memstore"
)

// The abandoned-call rate caps of REQUIREMENTS §4: us 3 % of the marketing
// calls answered per campaign per 30 days (TSR and FCC rules on
// telemarketing), inherited by its overlays; uk 3 % per 24 h for every
// purpose (Ofcom); none elsewhere.
func TestBuiltinAbandonment(t *testing.T) {
	want := map[string]schedule.AbandonConfig{
		"us": {MaxRate: 0.03, Window: dialgate.Duration(720 * time.Hour), Purposes: []dialgate.Purpose{dialgate.PurposeMarketing}},
		"uk": {MaxRate: 0.03, Window: dialgate.Duration(24 * time.Hour)},
	}
	for _, name := range Builtins() {
		p := builtin(t, name)
		w, ok := want[name]
		if strings.HasPrefix(name, "us-") {
			w, ok = want["us"], true
		}
		a := p.Abandonment
		if !ok {
			if a != nil {
				t.Errorf("%s: abandonment %+v, want none", name, *a)
			}
			continue
		}
		if a == nil {
			t.Errorf("%s: no abandonment section", name)
			continue
		}
		if a.MaxRate != w.MaxRate || a.Window != w.Window || !slices.Equal(a.Purposes, w.Purposes) {
			t.Errorf("%s: abandonment %v %v %v, want %v %v %v", name, a.MaxRate, a.Window, a.Purposes, w.MaxRate, w.Window, w.Purposes)
		}
		if !isLaw(a.Cite) {
			t.Errorf("%s: abandonment cite %v is not a law or a regulator's", name, a.Cite)
		}
		checks, err := Checks(p, testDeps(t))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := CheckOf[*schedule.AbandonCheck](checks); !ok {
			t.Errorf("%s: no abandon check", name)
		}
	}
	us := builtin(t, "us")
	only := &Profile{Schema: Schema, Name: "us-abandonment", Abandonment: us.Abandonment}
	if _, err := Checks(only, Deps{}); err == nil || !strings.Contains(err.Error(), "abandonment: deps.Counters: missing") {
		// us has no frequency section: the abandonment section alone needs the counters.
		t.Errorf("us without counters: %v", err)
	}
}

func testDeps(t *testing.T) Deps {
	t.Helper()
	deps, err := StoreDeps(memstore.New(), []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	return deps
}

// A malformed abandonment section is invalid, the error naming the field.
func TestAbandonmentParseErrors(t *testing.T) {
	head := "schema: dialgate.profile.v1\nname: x\n"
	cite := ", cite: {source: L, ref: r}"
	for _, tt := range []struct{ src, want string }{
		{"abandonment: {window: 24h" + cite + "}", "abandonment.max_rate: missing or 0"},
		{"abandonment: {max_rate: 3, window: 24h" + cite + "}", "abandonment.max_rate: 3 is more than 1"},
		{"abandonment: {max_rate: -0.1, window: 24h" + cite + "}", "abandonment.max_rate: -0.1 is negative"},
		{"abandonment: {max_rate: 0.03" + cite + "}", "abandonment.window: missing or zero"},
		{"abandonment: {max_rate: 0.03, window: 400d" + cite + "}", "abandonment.window: 400d is longer than 366 days"},
		{"abandonment: {max_rate: 0.03, window: 24h, purposes: [sales]" + cite + "}", `abandonment.purposes[0]: unknown purpose "sales"`},
		{"abandonment: {max_rate: 0.03, window: 24h}", "abandonment.cite.source: missing"},
		{"abandonment: {max_rate: 0.03, window: 24h, rate: 1" + cite + "}", `unknown key "rate"`},
	} {
		_, err := Parse("p.yaml", []byte(head+tt.src+"\n"))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want an error containing %q", tt.src, err, tt.want)
		}
	}
}

// Through a whole us profile: a campaign's marketing dials are denied once 2
// of its 40 answered calls were abandoned, except those with an agent
// reserved; its service dials and other campaigns are not.
func TestUSAbandonedRateCap(t *testing.T) {
	r := newPauseRig(t, "us", time.Date(2026, 6, 5, 0, 0, 0, 0, time.UTC))
	d := dialgate.Dial{To: dialgate.MustParseNumber("+12125550100"), From: dialgate.MustParseNumber("+12125550199"),
		Tenant: "acme", Purpose: dialgate.PurposeService, Campaign: "spring", LeadID: "crm-1"}
	const at = "2026-06-10T10:00:00-04:00"
	for i := range 40 {
		r.report(at, dialgate.Outcome{DecisionID: "d" + strconv.Itoa(i), Dial: withPurpose(d, dialgate.PurposeMarketing), Answered: true, Abandoned: i < 2})
	}
	r.set(at)
	check := func(d dialgate.Dial) dialgate.Decision {
		t.Helper()
		dec, err := r.gate.Check(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		return dec
	}
	if dec := check(d); !dec.Allowed {
		t.Errorf("service dial: %v", dec.Codes())
	}
	// A marketing dial needs consent under us: the abandon check's reason
	// stands beside consent's.
	m := withPurpose(d, dialgate.PurposeMarketing)
	if dec := check(m); !dec.Has(dialgate.CodeAbandonRateExceeded) {
		t.Errorf("marketing dial at 2 of 40: %v", dec.Codes())
	}
	m.AgentReserved = true
	if dec := check(m); dec.Has(dialgate.CodeAbandonRateExceeded) {
		t.Errorf("marketing dial with an agent reserved: %v", dec.Codes())
	}
	m.AgentReserved, m.Campaign = false, "summer"
	if dec := check(m); dec.Has(dialgate.CodeAbandonRateExceeded) {
		t.Errorf("other campaign: %v", dec.Codes())
	}
}

func withPurpose(d dialgate.Dial, p dialgate.Purpose) dialgate.Dial {
	d.Purpose = p
	return d
}
