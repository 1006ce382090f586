package policy

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage/memstore"
)

// pauseRig is a Gate built from a whole built-in profile (every section), on
// a memstore, with a settable clock and fresh copies of the profile's
// do-not-call registries.
type pauseRig struct {
	t    *testing.T
	gate *dialgate.Gate
	mu   sync.Mutex
	now  time.Time
}

func newPauseRig(t *testing.T, profile string, registriesAsOf time.Time) *pauseRig {
	t.Helper()
	p := builtin(t, profile)
	deps, err := StoreDeps(memstore.New(), []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	if p.DNC != nil {
		for _, rc := range p.DNC.Registries {
			reg, err := dnc.NewRegistry(rc.Name)
			if err != nil {
				t.Fatal(err)
			}
			s, err := dnc.NewSnapshot(dnc.Header{Name: rc.Name, Source: "test", AsOf: registriesAsOf, CreatedAt: registriesAsOf}, dnc.NewSet(nil))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := reg.Swap(s); err != nil {
				t.Fatal(err)
			}
			deps.DNCRegistries = append(deps.DNCRegistries, reg)
		}
	}
	r := &pauseRig{t: t}
	r.gate, err = Build(p, deps, dialgate.WithoutAuditLog(), dialgate.WithClock(dialgate.ClockFunc(func() time.Time {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.now
	})))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *pauseRig) set(at string) {
	r.t.Helper()
	tm, err := time.Parse(time.RFC3339, at)
	if err != nil {
		r.t.Fatal(err)
	}
	r.mu.Lock()
	r.now = tm
	r.mu.Unlock()
}

// want dials d at instant at and checks the verdict; a denial must be the
// frequency check's pause alone (not the calling window or a holiday).
func (r *pauseRig) want(at string, d dialgate.Dial, allowed bool, pauseMsg string) dialgate.Decision {
	r.t.Helper()
	r.set(at)
	dec, err := r.gate.Check(context.Background(), d)
	if err != nil {
		r.t.Fatalf("Check at %s: %v", at, err)
	}
	if dec.Allowed != allowed {
		r.t.Fatalf("dial at %s: allowed = %v, want %v (%v: %+v)", at, dec.Allowed, allowed, dec.Codes(), dec.Reasons)
	}
	if !allowed && (len(dec.Reasons) != 1 || dec.Reasons[0].Code != dialgate.CodeFrequencyCapped || !strings.HasPrefix(dec.Reasons[0].Message, pauseMsg)) {
		r.t.Fatalf("dial at %s: reasons %+v, want only frequency.capped %q", at, dec.Reasons, pauseMsg)
	}
	return dec
}

func (r *pauseRig) report(at string, o dialgate.Outcome) {
	r.t.Helper()
	r.set(at)
	if err := r.gate.ReportOutcome(context.Background(), o); err != nil {
		r.t.Fatalf("ReportOutcome at %s: %v", at, err)
	}
}

// uk (REQUIREMENTS §4): no re-call within 72 h after an abandoned call. The
// window is 09:00–21:00 every day, so the instants below (Wednesday 10:00,
// Saturday 09:00 and 11:00 BST) are all inside it.
func TestUKNoRecallWithin72HoursAfterAbandoned(t *testing.T) {
	r := newPauseRig(t, "uk", time.Date(2026, 6, 5, 0, 0, 0, 0, time.UTC))
	d := dialgate.Dial{To: dialgate.MustParseNumber("+442071234160"), From: dialgate.MustParseNumber("+442079460000"),
		Tenant: "acme", Purpose: dialgate.PurposeMarketing, LeadID: "crm-1"}
	placed := r.want("2026-06-10T10:00:00+01:00", d, true, "")
	r.report("2026-06-10T10:00:00+01:00", dialgate.Outcome{DecisionID: placed.ID, Dial: placed.Dial, Answered: true, Abandoned: true})

	const msg = "a call was abandoned within the pause"
	dec := r.want("2026-06-13T09:00:00+01:00", d, false, msg) // 71 h later
	if cite := dec.Reasons[0].Evidence[len(dec.Reasons[0].Evidence)-1].Value; !strings.Contains(cite, "Ofcom") || !strings.HasSuffix(cite, "[R]") {
		t.Errorf("cite %q, want Ofcom's persistent-misuse policy tagged [R]", cite)
	}
	if want := time.Date(2026, 6, 13, 9, 0, 0, 0, time.UTC); !dec.Reasons[0].NextAllowedAt.Equal(want) {
		t.Errorf("NextAllowedAt = %s, want %s (72 h after the report)", dec.Reasons[0].NextAllowedAt, want)
	}
	// Every purpose, every caller ID and campaign of the tenant.
	svc := d
	svc.Purpose, svc.From, svc.Campaign = dialgate.PurposeService, dialgate.MustParseNumber("+442079460001"), "billing"
	r.want("2026-06-13T09:00:00+01:00", svc, false, msg)
	// Other callees are not paused.
	other := d
	other.To = dialgate.MustParseNumber("+442071234161")
	r.want("2026-06-13T09:00:00+01:00", other, true, "")
	r.want("2026-06-13T11:00:00+01:00", d, true, "") // 73 h later
}

// fr (REQUIREMENTS §4): 60 days' silence after a refusal — sixty full
// calendar days from it, which dialgate pauses as 61 × 24 h. The instants are
// weekdays inside 10:00–13:00, not French public holidays (Friday 10 April,
// Monday 8, Tuesday 9 and Wednesday 10 June 2026), and before consent becomes
// required (2026-08-11), so the pause is the only rule in play.
func TestFRSilenceAfterRefusal(t *testing.T) {
	r := newPauseRig(t, "fr", time.Time{})
	d := dialgate.Dial{To: dialgate.MustParseNumber("+33140000001"), From: dialgate.MustParseNumber("+33140009999"),
		Tenant: "acme", Purpose: dialgate.PurposeMarketing, LeadID: "l-1"}
	placed := r.want("2026-04-10T11:00:00+02:00", d, true, "")
	r.report("2026-04-10T11:05:00+02:00", dialgate.Outcome{DecisionID: placed.ID, Dial: placed.Dial, Answered: true, Conversation: true, Refused: true})

	const msg = "the callee refused within the pause"
	dec := r.want("2026-06-08T11:05:00+02:00", d, false, msg) // 59 days later
	if cite := dec.Reasons[0].Evidence[len(dec.Reasons[0].Evidence)-1].Value; !strings.Contains(cite, "décret n° 2022-1313") || !strings.HasSuffix(cite, "[L]") {
		t.Errorf("cite %q, want the décret tagged [L]", cite)
	}
	// The sixtieth day after the refusal is still inside the sixty full
	// calendar days.
	r.want("2026-06-09T19:59:00+02:00", d, false, msg)
	// Service calls are not canvassing.
	svc := d
	svc.Purpose = dialgate.PurposeService
	r.want("2026-06-08T11:05:00+02:00", svc, true, "")
	r.want("2026-06-10T11:05:00+02:00", d, true, "") // 61 days later
}
