package schedule_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage/memstore"
)

// A dial with an agent reserved cannot be abandoned, so the campaign's rate
// does not stop it. A dial that said so and whose call was then reported
// abandoned shows the claim does not hold for the campaign: from that
// outcome on, for the rule's window, the campaign's agent_reserved dials are
// judged by the rate like the others (abandon.rate_exceeded, evidence
// abandon.reserved_abandoned), so a dialer that marks every dial
// agent_reserved cannot go on abandoning calls over the cap. Under the cap
// they are allowed; the mark is per tenant and campaign, and leaves the
// window with the outcome.
func TestAbandonAgentReservedAbandoned(t *testing.T) {
	r := newAbandonRig(t, abandonUS(), memstore.New())
	d := campaignDial()
	r.answered(start, d, 10, 2) // 2 of 10: over the cap
	reserved := d
	reserved.AgentReserved = true
	at := start.Add(time.Hour)
	if dec := r.check(at, reserved); !dec.Allowed {
		t.Fatalf("agent reserved before any abandoned reserved call: %+v", dec.Reasons)
	}
	r.report(at.Add(time.Minute), reserved, true) // the reserved call was abandoned all the same
	dec := r.check(at.Add(2*time.Minute), reserved)
	if dec.Allowed || !dec.Has(dialgate.CodeAbandonRateExceeded) {
		t.Fatalf("agent reserved after a reserved call was abandoned: allowed %v, reasons %+v", dec.Allowed, dec.Reasons)
	}
	rs := dec.Reasons[0]
	if got := evidenceOf(rs.Evidence, "abandon.reserved_abandoned"); got != "1" {
		t.Errorf("evidence abandon.reserved_abandoned = %q, want 1", got)
	}
	if !strings.Contains(rs.Message, "agent_reserved") {
		t.Errorf("message %q does not say why agent_reserved did not exempt the dial", rs.Message)
	}
	for name, f := range map[string]func(d *dialgate.Dial){
		"other campaign": func(d *dialgate.Dial) { d.Campaign = "spring" },
		"other tenant":   func(d *dialgate.Dial) { d.Tenant = "globex" },
	} {
		o := reserved
		f(&o)
		if dec := r.check(at.Add(2*time.Minute), o); !dec.Allowed {
			t.Errorf("%s: denied %+v", name, dec.Reasons)
		}
	}
	// Under the cap the campaign's dials are allowed, reserved or not.
	r.answered(at.Add(3*time.Minute), d, 200, 0) // 3 of 211
	if dec := r.check(at.Add(4*time.Minute), reserved); !dec.Allowed {
		t.Fatalf("under the cap: %+v", dec.Reasons)
	}
	// Over the cap again, after the window: the mark has left it with the
	// outcome, and agent_reserved exempts again.
	later := at.Add(721 * time.Hour)
	r.answered(later, d, 10, 2)
	if dec := r.check(later.Add(time.Minute), d); dec.Allowed {
		t.Fatal("2 of 10 after the window: allowed")
	}
	if dec := r.check(later.Add(time.Minute), reserved); !dec.Allowed {
		t.Fatalf("agent reserved after the mark left the window: %+v", dec.Reasons)
	}
}
