package report_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/report"
)

// `report quarterly --audit A --audit B` concatenates the sidecars' logs: a
// decision made through host A and released through host B is counted with
// its release whichever log is read first.
func TestOutcomeInAnotherSidecarsLog(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	clock := dialgate.ClockFunc(func() time.Time { return now })
	open := func(dir string) *auditlog.Log {
		skey, _, err := auditlog.GenerateKey(rand.Reader, "log")
		if err != nil {
			t.Fatal(err)
		}
		signer, err := auditlog.NewSigner(skey)
		if err != nil {
			t.Fatal(err)
		}
		l, err := auditlog.Open(ctx, dir, auditlog.Options{HMACKey: []byte("0123456789abcdef"), HMACKeyID: "k1", Signer: signer})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	dirA, dirB := t.TempDir(), t.TempDir()
	la, lb := open(dirA), open(dirB)
	ga, err := dialgate.New(nil, dialgate.WithClock(clock), dialgate.WithAuditLog(la))
	if err != nil {
		t.Fatal(err)
	}
	gb, err := dialgate.New(nil, dialgate.WithClock(clock), dialgate.WithAuditLog(lb))
	if err != nil {
		t.Fatal(err)
	}
	dec, err := ga.Check(ctx, dialgate.Dial{To: dialgate.MustParseNumber("+8613900139000"), Purpose: dialgate.PurposeService, LeadID: "l"})
	if err != nil || !dec.Allowed {
		t.Fatal(dec, err)
	}
	if err := gb.Release(ctx, dec); err != nil {
		t.Fatal(err)
	}
	la.Close()
	lb.Close()
	fa, _ := auditlog.LogFiles(dirA)
	fb, _ := auditlog.LogFiles(dirB)
	q, _ := report.ParseQuarter("2026Q4")
	for _, order := range [][]string{append(append([]string{}, fa...), fb...), append(append([]string{}, fb...), fa...)} {
		r, err := report.Build(ctx, q, cst, now, report.Sources{AuditFiles: order})
		if err != nil {
			t.Fatal(err)
		}
		if r.Decisions.Released != 1 || r.Decisions.Outcomes != 1 {
			t.Errorf("files %v: outcomes %d released %d; want 1 and 1 whatever the order of --audit", order, r.Decisions.Outcomes, r.Decisions.Released)
		}
	}
}
