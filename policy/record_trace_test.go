package policy_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/audittest"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/storage/memstore"
)

const (
	traceKey  = "0123456789abcdef0123456789abcdef"
	traceHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
)

// evidenceHas reports whether some entry of ev has the key and a value
// containing want.
func evidenceHas(ev []auditlog.Evidence, key, want string) bool {
	for _, e := range ev {
		if e.Key == key && strings.Contains(e.Value, want) {
			return true
		}
	}
	return false
}

// TestDecisionRecordRequirements (REQUIREMENTS §5): the record of a decision
// taken by a Gate built from a built-in profile holds every field §5 lists —
// decision id, instant in UTC, tenant, campaign, purpose, industry, business
// line, callee as keyed hash (never raw), callee zone and segment, caller ID
// and its ledger entry, consent id and evidence hash, each registry checked
// with its snapshot version and age, window result, counters seen, profile and
// policy version, outcome and every reason code — and the call's outcome
// (answered, ring duration, abandoned, disposition, recording id) is linked to
// the decision id.
func TestDecisionRecordRequirements(t *testing.T) {
	ctx := context.Background()
	t.Run("cn allowed", func(t *testing.T) {
		cst := time.FixedZone("CST", 8*3600)
		at := time.Date(2026, 12, 5, 10, 0, 0, 0, cst)
		ms := memstore.New()
		from := dialgate.MustParseNumber("+861058001234")
		to := dialgate.MustParseNumber("+8613900139090")
		if err := ms.PutLedger(ctx, callerid.Entry{Tenant: "acme", Number: from, Type: callerid.TypeFixed, Holder: "Acme Ltd",
			Purposes: []dialgate.Purpose{dialgate.PurposeMarketing}}); err != nil {
			t.Fatal(err)
		}
		if err := ms.AddConsent(ctx, consent.Record{ID: "c-90", Number: to, Scope: "industry:finance", Tenant: "acme",
			Method: consent.MethodWebForm, DisclosureSHA256: traceHash, GrantedAt: at.AddDate(0, -1, 0)}); err != nil {
			t.Fatal(err)
		}
		log := &audittest.Log{}
		g := buildTraceGate(t, "cn", ms, nil, log, at)
		dec, err := g.Check(ctx, dialgate.Dial{To: to, From: from, Tenant: "acme", Purpose: dialgate.PurposeMarketing,
			Industry: "finance", BusinessLine: "loans", Campaign: "winter", ConsentID: "c-90"})
		if err != nil || !dec.Allowed {
			t.Fatalf("dial: allowed %v %v %v", dec.Allowed, dec.Codes(), err)
		}
		rec := redact(t, log, dec.ID, "cn")
		if rec.ID != dec.ID || rec.ID == "" || !rec.At.Equal(at) || rec.At.Location() != time.UTC {
			t.Errorf("id %q at %v, want %q at %v in UTC", rec.ID, rec.At, dec.ID, at)
		}
		if rec.Tenant != "acme" || rec.Campaign != "winter" || rec.Purpose != "marketing" || rec.Industry != "finance" || rec.BusinessLine != "loans" {
			t.Errorf("tenant %q campaign %q purpose %q industry %q business line %q", rec.Tenant, rec.Campaign, rec.Purpose, rec.Industry, rec.BusinessLine)
		}
		if rec.Callee == nil || rec.Callee.HMAC == "" || rec.Callee.Segment != "1390013" || rec.Zone != "Asia/Shanghai" {
			t.Errorf("callee %+v zone %q", rec.Callee, rec.Zone)
		}
		if rec.CallerID != from.String() || !evidenceHas(rec.CallerIDLedger, "callerid.holder", "Acme Ltd") || !evidenceHas(rec.CallerIDLedger, "callerid.ledger_version", "") {
			t.Errorf("caller ID %q ledger %v", rec.CallerID, rec.CallerIDLedger)
		}
		if rec.Consent == nil || rec.Consent.ID != "c-90" || rec.Consent.EvidenceSHA256 != traceHash {
			t.Errorf("consent %+v", rec.Consent)
		}
		if !evidenceHas(rec.Lists, "dnc.lists", "consulted") {
			t.Errorf("lists %v, want the stored do-not-call lists named as consulted", rec.Lists)
		}
		if rec.Window != auditlog.WindowInside || !evidenceHas(rec.Counters, "frequency.seen", "") {
			t.Errorf("window %q counters %v", rec.Window, rec.Counters)
		}
		if rec.Profile != "cn" || !strings.HasPrefix(rec.PolicyVersion, "cn@") || !rec.Allowed || len(rec.Reasons) != 0 {
			t.Errorf("profile %q version %q allowed %v reasons %v", rec.Profile, rec.PolicyVersion, rec.Allowed, rec.Reasons)
		}
		raw, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), "13900139090") {
			t.Errorf("the record holds the raw callee number: %s", raw)
		}

		// The call's result, linked to the decision id.
		o := dialgate.Outcome{DecisionID: dec.ID, Dial: dec.Dial, At: at.Add(time.Minute), Answered: true,
			RingDuration: 12 * time.Second, Disposition: "sale", RecordingID: "rec-90"}
		if err := g.ReportOutcome(ctx, o); err != nil {
			t.Fatal(err)
		}
		outs := log.OutcomesFor(dec.ID)
		if len(outs) != 1 {
			t.Fatalf("outcomes for %s: %d, want 1", dec.ID, len(outs))
		}
		r, err := auditlog.NewRedactor([]byte(traceKey), "k-trace", "cn")
		if err != nil {
			t.Fatal(err)
		}
		or, err := r.Outcome(outs[0])
		if err != nil {
			t.Fatal(err)
		}
		if or.DecisionID != dec.ID || !or.Answered || or.RingMillis != 12000 || or.Abandoned || or.Disposition != "sale" || or.RecordingID != "rec-90" {
			t.Errorf("outcome record %+v", or)
		}
	})
	t.Run("cn denied", func(t *testing.T) {
		at := time.Date(2026, 12, 5, 22, 30, 0, 0, time.FixedZone("CST", 8*3600))
		log := &audittest.Log{}
		g := buildTraceGate(t, "cn", memstore.New(), nil, log, at)
		// Outside the window, no caller ID, no consent, no provenance.
		dec, err := g.Check(ctx, dialgate.Dial{To: dialgate.MustParseNumber("+8613900139091"), Tenant: "acme", Purpose: dialgate.PurposeMarketing})
		if err != nil || dec.Allowed {
			t.Fatalf("dial: allowed %v %v", dec.Allowed, err)
		}
		rec := redact(t, log, dec.ID, "cn")
		var got []string
		for _, r := range rec.Reasons {
			got = append(got, r.Code)
		}
		for _, want := range dec.Codes() {
			if !strings.Contains(strings.Join(got, " "), string(want)) {
				t.Errorf("record reasons %v lack %s", got, want)
			}
		}
		if len(got) < 4 || rec.Allowed || rec.Window != auditlog.WindowOutside {
			t.Errorf("record reasons %v allowed %v window %q, want every reason (≥ 4), a denial, outside", got, rec.Allowed, rec.Window)
		}
	})
	t.Run("us registry version and age", func(t *testing.T) {
		at := time.Date(2026, 6, 10, 10, 0, 0, 0, time.FixedZone("EDT", -4*3600))
		reg, err := dnc.NewRegistry("us-national-dnc")
		if err != nil {
			t.Fatal(err)
		}
		asOf := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
		s, err := dnc.NewSnapshot(dnc.Header{Name: "us-national-dnc", Source: "test", AsOf: asOf, CreatedAt: asOf}, dnc.NewSet(nil))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := reg.Swap(s); err != nil {
			t.Fatal(err)
		}
		log := &audittest.Log{}
		g := buildTraceGate(t, "us", memstore.New(), []dnc.Provider{reg}, log, at)
		dec, err := g.Check(ctx, dialgate.Dial{To: dialgate.MustParseNumber("+12125550190"), From: dialgate.MustParseNumber("+12025550123"), Tenant: "acme", Purpose: dialgate.PurposeService, LeadID: "crm-190"})
		if err != nil || !dec.Allowed {
			t.Fatalf("dial: allowed %v %v %v", dec.Allowed, dec.Codes(), err)
		}
		rec := redact(t, log, dec.ID, "us")
		if !evidenceHas(rec.Lists, "dnc.registry.us-national-dnc", "version=") || !evidenceHas(rec.Lists, "dnc.registry.us-national-dnc", "age=230h") {
			t.Errorf("lists %v, want the us-national-dnc copy with its version and age (230 h)", rec.Lists)
		}
		if rec.Zone != "America/New_York" || rec.Callee == nil || rec.Callee.Segment == "" {
			t.Errorf("zone %q callee %+v", rec.Zone, rec.Callee)
		}
	})
}

func buildTraceGate(t *testing.T, name string, ms *memstore.Store, regs []dnc.Provider, log *audittest.Log, at time.Time) *dialgate.Gate {
	t.Helper()
	p, err := policy.Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	deps, err := policy.StoreDeps(ms, []byte(traceKey))
	if err != nil {
		t.Fatal(err)
	}
	deps.DNCRegistries = regs
	g, err := policy.Build(p, deps, dialgate.WithAuditLog(log), dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return at })))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func redact(t *testing.T, log *audittest.Log, id, profile string) *auditlog.DecisionRecord {
	t.Helper()
	d, ok := log.Decision(id)
	if !ok {
		t.Fatalf("decision %s was not recorded", id)
	}
	r, err := auditlog.NewRedactor([]byte(traceKey), "k-trace", profile)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := r.Decision(d)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}
