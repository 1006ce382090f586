package policy

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/storage/memstore"
)

func TestCNCallerIDAndSweep(t *testing.T) {
	p, err := Builtin("cn")
	if err != nil {
		t.Fatal(err)
	}
	if p.CallerID == nil || p.Sweep == nil || p.Sweep.SegmentRate.Max != 50 || p.Sweep.Sequential.MinRun != 20 || p.Sweep.SegmentRate.Window.Std() != time.Hour {
		t.Fatalf("cn callerid/sweep sections: %+v %+v", p.CallerID, p.Sweep)
	}
	q := p.Clone()
	q.DNC, q.Schedule, q.Recording, q.Complaint, q.Frequency = nil, nil, nil, nil, nil
	q.Consent, q.Ring = nil, nil
	if _, err := Build(q, Deps{}, dialgate.WithoutAuditLog()); err == nil || !strings.Contains(err.Error(), "deps.Ledger: missing") {
		t.Fatalf("build without a ledger: %v", err)
	}
	ms := memstore.New()
	if _, err := Build(q, Deps{Ledger: ms}, dialgate.WithoutAuditLog()); err == nil || !strings.Contains(err.Error(), "deps.Counters: missing") {
		t.Fatalf("build without counters: %v", err)
	}
	ctx := context.Background()
	from := dialgate.MustParseNumber("+861058001234")
	if err := ms.PutLedger(ctx, callerid.Entry{Tenant: "acme", Number: from, Holder: "Acme Ltd", Purposes: []dialgate.Purpose{"service"}}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	g, err := Build(q, Deps{Ledger: ms, Counters: ms}, dialgate.WithoutAuditLog(), dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return at })))
	if err != nil {
		t.Fatal(err)
	}
	if names := strings.Join(g.CheckNames(), ","); !strings.HasPrefix(names, "callerid,sweep") {
		t.Fatalf("checks %s, want callerid and sweep first", names)
	}
	d := dialgate.Dial{To: dialgate.MustParseNumber("+8613900139000"), From: from, Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"}
	if dec, err := g.Check(ctx, d); err != nil || !dec.Allowed {
		t.Fatalf("%+v %v", dec, err)
	}
	d.LeadID = ""
	d.From = dialgate.MustParseNumber("+8613800138000")
	dec, _ := g.Check(ctx, d)
	for _, c := range []dialgate.Code{dialgate.CodeCallerIDSubscriber, dialgate.CodeSweepNoProvenance} {
		if !dec.Has(c) {
			t.Errorf("missing %s in %v", c, dec.Codes())
		}
	}
	var text []string
	for _, r := range Explain(p) {
		if r.Section == "callerid" || r.Section == "sweep" {
			text = append(text, r.Path)
		}
	}
	want := "callerid,callerid.ledger,callerid.subscriber_number,callerid.inbound_only,callerid.international_route,sweep.provenance,sweep.segment_rate,sweep.sequential,sweep.stride,sweep.coverage"
	if strings.Join(text, ",") != want {
		t.Errorf("explained rules %v, want %s", text, want)
	}
}
