package report_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/report"
	"github.com/dialgate/dialgate/storage/memstore"
)

var cst = time.FixedZone("CST", 8*3600)

func TestParseQuarter(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"2026Q4", "2026Q4", true}, {"2026q1", "2026Q1", true}, {"2026-Q2", "2026Q2", true},
		{"2026Q5", "", false}, {"2026Q0", "", false}, {"26Q4", "", false}, {"2026", "", false}, {"", "", false}, {"abcdQ1", "", false},
	} {
		q, err := report.ParseQuarter(tc.in)
		if (err == nil) != tc.ok || (tc.ok && q.String() != tc.want) {
			t.Errorf("ParseQuarter(%q) = %v, %v", tc.in, q, err)
		}
		if err != nil && !errors.Is(err, report.ErrInvalid) {
			t.Errorf("ParseQuarter(%q) error does not wrap ErrInvalid: %v", tc.in, err)
		}
	}
	from, to := report.Quarter{Year: 2026, Q: 4}.Bounds(cst)
	if !from.Equal(time.Date(2026, 10, 1, 0, 0, 0, 0, cst)) || !to.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, cst)) {
		t.Errorf("bounds %v %v", from, to)
	}
}

type hasher struct{}

func (hasher) HashCallee(n dialgate.Number) string {
	return auditlog.CalleeHMAC([]byte("0123456789abcdef"), n)
}

func FuzzParseQuarter(f *testing.F) {
	for _, s := range []string{"2026Q4", "2026Q5", "", "2026-q1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := report.ParseQuarter(s)
		if err != nil {
			return
		}
		back, err := report.ParseQuarter(q.String())
		if err != nil || back != q || q.Q < 1 || q.Q > 4 {
			t.Fatalf("%q → %v → %v, %v", s, q, back, err)
		}
	})
}

// openTestLog opens a signed audit log in a new directory.
func openTestLog(t *testing.T) (*auditlog.Log, string) {
	t.Helper()
	dir := t.TempDir()
	skey, _, err := auditlog.GenerateKey(rand.Reader, "test-log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auditlog.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	log, err := auditlog.Open(context.Background(), dir, auditlog.Options{HMACKey: []byte("0123456789abcdef"), HMACKeyID: "k1", Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	return log, dir
}

func TestBuild(t *testing.T) {
	ctx := context.Background()
	log, dir := openTestLog(t)
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	clock := dialgate.ClockFunc(func() time.Time { return now })
	listed := dialgate.MustParseNumber("+8613800138000")
	deny := dialgate.CheckerFunc("dnc", func(_ context.Context, d dialgate.Dial) ([]dialgate.Reason, error) {
		if d.To == listed {
			return []dialgate.Reason{{Code: dialgate.CodeDNCListed}}, nil
		}
		return nil, nil
	})
	g, err := dialgate.New([]dialgate.Checker{deny}, dialgate.WithClock(clock), dialgate.WithAuditLog(log), dialgate.WithPolicyVersion("cn@abc"))
	if err != nil {
		t.Fatal(err)
	}
	other := dialgate.MustParseNumber("+8613900139000")
	for i, to := range []dialgate.Number{listed, other, other, listed} {
		dec, err := g.Check(ctx, dialgate.Dial{To: to, Purpose: dialgate.PurposeService, LeadID: "l", Tenant: "acme"})
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			if err := g.Release(ctx, dec); err != nil {
				t.Fatal(err)
			}
		}
	}
	now = time.Date(2027, 1, 5, 10, 0, 0, 0, cst) // next quarter: not counted
	if _, err := g.Check(ctx, dialgate.Dial{To: other, Purpose: dialgate.PurposeService, LeadID: "l", Tenant: "acme"}); err != nil {
		t.Fatal(err)
	}
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}

	st := memstore.New()
	q4 := time.Date(2026, 11, 3, 9, 0, 0, 0, cst)
	if err := st.AddDNC(ctx,
		dnc.Entry{Number: listed, Scope: dnc.GlobalScope, List: "opt_out", Source: "call", AddedAt: q4},
		dnc.Entry{Number: other, Scope: dnc.GlobalScope, List: "complaints", Source: "complaint", AddedAt: q4},
		dnc.Entry{Number: dialgate.MustParseNumber("+8613900139001"), Scope: dnc.GlobalScope, List: "opt_out", Source: "call", AddedAt: q4.AddDate(0, -3, 0)},
	); err != nil {
		t.Fatal(err)
	}
	recs, _ := recording.NewManager(recording.Config{}, st, nil, hasher{})
	for _, id := range []string{"r1", "r2", "r3"} {
		if _, err := recs.Register(ctx, q4, recording.Registration{ID: id, Callee: other, StartedAt: q4.AddDate(0, 0, -1), Tenant: "acme"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := recs.Hold(ctx, "r1", recording.Hold{ID: "h", PlacedAt: q4}); err != nil {
		t.Fatal(err)
	}
	if err := recs.Delete(ctx, "r2", q4.AddDate(0, 0, 40)); err != nil {
		t.Fatal(err)
	}
	lists, _ := dnc.NewLists(ctx, st, dnc.ListsOptions{})
	check, _ := dnc.New(dnc.Config{}, lists)
	desk, _ := complaint.NewDesk(complaint.Config{}, st, check, recs, hasher{}, nil, cst)
	if _, err := desk.File(ctx, q4, complaint.Filing{ID: "cp1", Number: other, Channel: complaint.ChannelPhone, Tenant: "acme"}); err != nil {
		t.Fatal(err)
	}
	files, err := auditlog.LogFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := report.Build(ctx, report.Quarter{Year: 2026, Q: 4}, cst, time.Date(2027, 1, 10, 0, 0, 0, 0, cst),
		report.Sources{AuditFiles: files, DNC: st, Complaints: st, Recordings: st})
	if err != nil {
		t.Fatal(err)
	}
	d := r.Decisions
	if d.Total != 4 || d.Allowed != 2 || d.Denied != 2 || d.Released != 1 || len(d.ByReason) != 1 || d.ByReason[0] != (report.Count{Key: "dnc.listed", Count: 2}) {
		t.Errorf("decisions %+v", d)
	}
	if r.DNCAdditions.Total != 2 { // the complaint re-lists a number already listed globally: kept once
		t.Errorf("dnc additions %+v", r.DNCAdditions)
	}
	if r.Complaints.Received != 1 || r.Complaints.Overdue != 1 {
		t.Errorf("complaints %+v", r.Complaints)
	}
	if r.Recordings.KeptAtEnd != 2 || r.Recordings.HeldAtEnd != 2 || r.Recordings.Deleted != 1 {
		t.Errorf("recordings %+v", r.Recordings)
	}
	if len(r.PolicyVersions) != 1 || r.PolicyVersions[0].Version != "cn@abc" || r.PolicyVersions[0].Decisions != 4 {
		t.Errorf("policy versions %+v", r.PolicyVersions)
	}
	var js, cs, hs bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back report.Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Decisions.Total != 4 {
		t.Fatalf("JSON round trip: %v", err)
	}
	if err := r.WriteCSV(&cs); err != nil || !strings.Contains(cs.String(), "denials_by_reason,dnc.listed,2") {
		t.Errorf("CSV: %v\n%s", err, cs.String())
	}
	if err := r.WriteHTML(&hs); err != nil {
		t.Fatal(err)
	}
	html := hs.String()
	for _, want := range []string{"<svg", "dnc.listed", "Quarterly report 2026Q4", "cn@abc"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	for _, raw := range []string{listed.Digits(), other.Digits()} {
		for _, out := range []string{js.String(), cs.String(), html} {
			if strings.Contains(out, raw) {
				t.Fatalf("raw number %s in the report", raw)
			}
		}
	}
}

func TestBuildRejectsBadInput(t *testing.T) {
	if _, err := report.Build(context.Background(), report.Quarter{Year: 2026, Q: 4}, cst, time.Now(), report.Sources{}); !errors.Is(err, report.ErrInvalid) {
		t.Fatalf("no audit files: %v", err)
	}
}
