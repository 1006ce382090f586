package report_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/report"
)

// A dialer that retries a Release (Gate.Release is idempotent, and records a
// release outcome each time) has released one decision: Released counts the
// allowed decisions not placed, not the release records.
func TestReleaseRetriedCountsOnce(t *testing.T) {
	ctx := context.Background()
	log, dir := openTestLog(t)
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	g := clockGate(t, log, &now)
	dec, err := g.Check(ctx, dialgate.Dial{To: dialgate.MustParseNumber("+8613900139000"), Purpose: dialgate.PurposeService, LeadID: "l", Campaign: "winter"})
	if err != nil || !dec.Allowed {
		t.Fatalf("check: %+v %v", dec, err)
	}
	for range 2 {
		if err := g.Release(ctx, dec); err != nil {
			t.Fatal(err)
		}
	}
	r := closeAndBuildQ4(t, log, dir)
	if r.Decisions.Released != 1 {
		t.Errorf("released %d, want 1: one decision released twice is one dial not placed", r.Decisions.Released)
	}
	if r.Decisions.Outcomes != 2 {
		t.Errorf("outcomes %d, want 2 (the outcome records)", r.Decisions.Outcomes)
	}
}

// Denials by reason count decisions: a decision denied with two reasons of
// the same code (two lists that hold the number) is one denial under that
// code, and one under each of its other codes.
func TestReasonCountedOncePerDecision(t *testing.T) {
	ctx := context.Background()
	log, dir := openTestLog(t)
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	deny := dialgate.CheckerFunc("dnc", func(context.Context, dialgate.Dial) ([]dialgate.Reason, error) {
		return []dialgate.Reason{
			{Code: dialgate.CodeDNCListed, Message: "list opt_out"},
			{Code: dialgate.CodeDNCListed, Message: "list complaints"},
		}, nil
	})
	deny2 := dialgate.CheckerFunc("window", func(context.Context, dialgate.Dial) ([]dialgate.Reason, error) {
		return []dialgate.Reason{{Code: dialgate.CodeOutsideWindow}}, nil
	})
	g := clockGate(t, log, &now, deny, deny2)
	dec, err := g.Check(ctx, dialgate.Dial{To: dialgate.MustParseNumber("+8613900139000"), Purpose: dialgate.PurposeService, LeadID: "l"})
	if err != nil || dec.Allowed || len(dec.Reasons) != 3 {
		t.Fatalf("check: %+v %v", dec, err)
	}
	r := closeAndBuildQ4(t, log, dir)
	want := []report.Count{{Key: string(dialgate.CodeDNCListed), Count: 1}, {Key: string(dialgate.CodeOutsideWindow), Count: 1}}
	if len(r.Decisions.ByReason) != 2 || r.Decisions.ByReason[0] != want[0] || r.Decisions.ByReason[1] != want[1] {
		t.Errorf("by reason %+v, want %+v (one denied decision)", r.Decisions.ByReason, want)
	}
}

// Campaign names, tenants and other values from the log are data, not
// formulas: a CSV cell starting with =, +, - or @ (or a tab or carriage
// return) is opened as a formula by spreadsheets (CSV injection). Such a cell
// is written with a leading apostrophe.
func TestCSVInjection(t *testing.T) {
	log, dir := openTestLog(t)
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	g := clockGate(t, log, &now)
	bad := []string{`=HYPERLINK("http://example.invalid","x")`, "+1+1", "-2+3", "@SUM(A1)"}
	for i, c := range bad {
		callWith(t, g, "+86139001390"+string(rune('0'+i))+"0", c, dialgate.Outcome{Answered: true})
	}
	r := closeAndBuildQ4(t, log, dir)
	if len(r.Abandonment) != len(bad) {
		t.Fatalf("abandonment %+v", r.Abandonment)
	}
	var b bytes.Buffer
	if err := r.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, row := range rows {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("row %q: cell %q starts a formula", row, cell)
			}
			for _, c := range bad {
				if cell == "'"+c {
					seen++
				}
			}
		}
	}
	if seen < len(bad) {
		t.Errorf("found %d escaped campaign cells, want at least %d (the names kept, behind an apostrophe)", seen, len(bad))
	}
}

// HTML output escapes values from the log.
func TestHTMLEscapesCampaign(t *testing.T) {
	log, dir := openTestLog(t)
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	g := clockGate(t, log, &now)
	callWith(t, g, "+8613900139000", `<script>alert(1)</script>`, dialgate.Outcome{Answered: true})
	r := closeAndBuildQ4(t, log, dir)
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<script>") || !strings.Contains(b.String(), "&lt;script&gt;") {
		t.Errorf("campaign not escaped in HTML")
	}
}

// A log whose hash chain is broken (a record edited after it was written, or
// one deleted from a file) is not counted from: Build fails naming the file
// and line, as it does for a line that does not parse.
func TestBrokenChainRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(lines [][]byte) [][]byte
	}{
		{"edited", func(lines [][]byte) [][]byte {
			lines[0] = bytes.Replace(lines[0], []byte(`"winter"`), []byte(`"summer"`), 1)
			return lines
		}},
		{"deleted", func(lines [][]byte) [][]byte {
			return append(lines[:1:1], lines[2:]...)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files, lines, now := threeWinterDecisions(t)
			if !bytes.Contains(lines[0], []byte(`"winter"`)) {
				t.Fatalf("first line is not a decision of campaign winter: %s", lines[0])
			}
			if err := os.WriteFile(files[0], bytes.Join(tc.edit(lines), nil), 0o600); err != nil {
				t.Fatal(err)
			}
			r, err := report.Build(context.Background(), report.Quarter{Year: 2026, Q: 4}, cst, now, report.Sources{AuditFiles: files})
			if err == nil {
				t.Fatalf("Build counted %d decisions from a log with a broken hash chain; want an error", r.Decisions.Total)
			}
			if !errors.Is(err, report.ErrAuditChain) || !strings.Contains(err.Error(), files[0]+":2") {
				t.Errorf("error %v: want ErrAuditChain naming %s:2", err, files[0])
			}
		})
	}
}

// In shadow mode a decision is allowed although a rule failed: its reasons
// are no denial. The report's denials by reason (by_reason; CSV
// "denials_by_reason", HTML "Reasons for denial") count the denied decisions
// only, and the reasons shadow mode did not enforce are counted apart.
func TestShadowReasonsAreNotDenials(t *testing.T) {
	ctx := context.Background()
	log, dir := openTestLog(t)
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	deny := dialgate.CheckerFunc("dnc", func(context.Context, dialgate.Dial) ([]dialgate.Reason, error) {
		return []dialgate.Reason{{Code: dialgate.CodeDNCListed}}, nil
	})
	g, err := dialgate.New([]dialgate.Checker{deny}, dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return now })),
		dialgate.WithAuditLog(log), dialgate.WithShadowMode(true))
	if err != nil {
		t.Fatal(err)
	}
	dec, err := g.Check(ctx, dialgate.Dial{To: dialgate.MustParseNumber("+8613900139000"), Purpose: dialgate.PurposeService, LeadID: "l"})
	if err != nil || !dec.Allowed {
		t.Fatalf("check: %+v %v; want allowed in shadow mode", dec, err)
	}
	r := closeAndBuildQ4(t, log, dir)
	if r.Decisions.Denied != 0 || r.Decisions.ShadowNonCompliant != 1 {
		t.Fatalf("decisions %+v", r.Decisions)
	}
	if len(r.Decisions.ByReason) != 0 {
		t.Errorf("by reason %+v: an allowed decision counted as a denial", r.Decisions.ByReason)
	}
	if want := (report.Count{Key: string(dialgate.CodeDNCListed), Count: 1}); len(r.Decisions.ShadowByReason) != 1 || r.Decisions.ShadowByReason[0] != want {
		t.Errorf("shadow by reason %+v, want [%+v]", r.Decisions.ShadowByReason, want)
	}
	var b bytes.Buffer
	if err := r.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "denials_by_reason") || !strings.Contains(b.String(), "shadow_by_reason,dnc.listed,1") {
		t.Errorf("CSV:\n%s", b.String())
	}
}

// A conversation or a refusal says a person answered (Outcome: a call no one
// answered has Answered, Abandoned, Conversation and Refused all false), even
// when the dialer did not also set Answered: such a call is in the campaign's
// answered calls, the denominator of its abandoned-call rate, as it is left
// out of the unanswered calls RingTime judges.
func TestConversationIsAnAnsweredCall(t *testing.T) {
	log, dir := openTestLog(t)
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	g := clockGate(t, log, &now)
	callWith(t, g, "+8613900139000", "winter", dialgate.Outcome{Abandoned: true})
	callWith(t, g, "+8613900139010", "winter", dialgate.Outcome{Conversation: true})
	callWith(t, g, "+8613900139020", "winter", dialgate.Outcome{Refused: true})
	callWith(t, g, "+8613900139030", "winter", dialgate.Outcome{Answered: true})
	r := closeAndBuildQ4(t, log, dir)
	if len(r.Abandonment) != 1 {
		t.Fatalf("abandonment %+v", r.Abandonment)
	}
	if a := r.Abandonment[0]; a.Answered != 4 || a.Abandoned != 1 || a.Percent != 25 {
		t.Errorf("abandonment %+v: want 1 abandoned of 4 answered (25%%)", a)
	}
}

// A Quarter built by hand rather than by ParseQuarter is checked: "2026Q5"
// would otherwise be reported on as the first quarter of 2027 under the
// wrong name.
func TestBuildRejectsBadQuarter(t *testing.T) {
	log, dir := openTestLog(t)
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	files, err := auditlog.LogFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []report.Quarter{{Year: 2026, Q: 5}, {Year: 2026, Q: 0}, {Year: 0, Q: 1}, {Year: 12026, Q: 1}} {
		r, err := report.Build(context.Background(), q, cst, time.Date(2026, 11, 2, 0, 0, 0, 0, cst), report.Sources{AuditFiles: files})
		if !errors.Is(err, report.ErrInvalid) || !strings.Contains(err.Error(), "quarter") {
			t.Errorf("Build(%+v) = %+v, %v; want ErrInvalid naming the quarter", q, r, err)
		}
	}
}

// The HTML page shows every table the JSON and CSV carry: decisions by
// purpose, do-not-call additions by list and complaints by channel were in
// JSON and CSV only.
func TestHTMLHasEveryTable(t *testing.T) {
	r := &report.Report{Schema: report.Schema, Quarter: "2026Q4"}
	r.Decisions.ByPurpose = []report.Count{{Key: "purpose-x", Count: 2}}
	r.Decisions.ByReason = []report.Count{{Key: "reason-x", Count: 2}}
	r.Decisions.ShadowByReason = []report.Count{{Key: "shadow-x", Count: 2}}
	r.DNCAdditions.BySource = []report.Count{{Key: "source-x", Count: 1}}
	r.DNCAdditions.ByList = []report.Count{{Key: "list-x", Count: 1}}
	r.Complaints.ByStatus = []report.Count{{Key: "status-x", Count: 1}}
	r.Complaints.ByChannel = []report.Count{{Key: "channel-x", Count: 1}}
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"purpose-x", "reason-x", "shadow-x", "source-x", "list-x", "status-x", "channel-x"} {
		if !strings.Contains(b.String(), ">"+k+"<") {
			t.Errorf("HTML lacks %s", k)
		}
	}
}

// A log with a torn tail that Repair cut (a crash mid-write) keeps its hash
// chain: the report reads it, counts the repair and every decision.
func TestRepairedLogKeepsChain(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	skey, _, err := auditlog.GenerateKey(rand.Reader, "test-log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auditlog.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	// Small files: the log continues in a new file every few records, so
	// the chain is checked from one file to the next too.
	opts := auditlog.Options{HMACKey: []byte("0123456789abcdef"), HMACKeyID: "k1", Signer: signer, MaxFileBytes: 600}
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	write := func(from, n int) {
		log, err := auditlog.Open(ctx, dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		g := clockGate(t, log, &now)
		for i := from; i < from+n; i++ {
			callWith(t, g, "+86139001390"+string(rune('0'+i))+"0", "winter", dialgate.Outcome{Answered: true})
		}
		if err := log.Close(); err != nil {
			t.Fatal(err)
		}
	}
	write(0, 2)
	files, err := auditlog.LogFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(files[len(files)-1], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"schema":"dialgate.audit.v1","seq":4,"prev":"cra`); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := auditlog.Repair(ctx, dir, opts); err != nil {
		t.Fatal(err)
	}
	write(2, 2)
	files, err = auditlog.LogFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := report.Build(ctx, report.Quarter{Year: 2026, Q: 4}, cst, now, report.Sources{AuditFiles: files})
	if err != nil {
		t.Fatalf("Build of a repaired log: %v", err)
	}
	if r.Decisions.Total != 4 || r.Repairs != 1 || len(files) < 3 {
		t.Errorf("decisions %d repairs %d files %d, want 4, 1 and several files", r.Decisions.Total, r.Repairs, len(files))
	}
}

// A file deleted from the middle of a log directory breaks the chain from
// one file to the next of that directory: the report refuses it. (A file
// that starts another directory's log may start anywhere.)
func TestDeletedFileRefused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	log := smallFileLog(t, dir)
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	g := clockGate(t, log, &now)
	for i := range 6 {
		callWith(t, g, "+86139001390"+string(rune('0'+i))+"0", "winter", dialgate.Outcome{Answered: true})
	}
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	files, err := auditlog.LogFiles(dir)
	if err != nil || len(files) < 3 {
		t.Fatalf("files %v %v, want at least 3", files, err)
	}
	if err := os.Remove(files[1]); err != nil {
		t.Fatal(err)
	}
	files = append(files[:1:1], files[2:]...)
	r, err := report.Build(ctx, report.Quarter{Year: 2026, Q: 4}, cst, now, report.Sources{AuditFiles: files})
	if !errors.Is(err, report.ErrAuditChain) {
		t.Fatalf("Build without the log's second file: %+v, %v; want ErrAuditChain", r, err)
	}
	// Nor are the remaining files given as two directories' logs: the
	// second starts at a record after 0, dated in the quarter, so the
	// records before it (the deleted file's, of the quarter) are missing.
	other := t.TempDir()
	moved := filepath.Join(other, filepath.Base(files[1]))
	if err := os.Rename(files[1], moved); err != nil {
		t.Fatal(err)
	}
	if r, err := report.Build(ctx, report.Quarter{Year: 2026, Q: 4}, cst, now, report.Sources{AuditFiles: []string{files[0], moved}}); !errors.Is(err, report.ErrAuditChain) {
		t.Errorf("Build of the files left as two directories' logs: %+v, %v; want ErrAuditChain", r, err)
	}
}

// The policy versions' first and last decisions are shown in the quarter's
// zone, like its bounds: a decision at 00:30 on 1 October in Shanghai was
// shown in HTML as "2026-09-30 16:30" (UTC without a zone), outside the
// quarter it is counted in.
func TestPolicyVersionTimesInQuarterZone(t *testing.T) {
	log, dir := openTestLog(t)
	now := time.Date(2026, 10, 1, 0, 30, 0, 0, cst)
	g := clockGate(t, log, &now)
	callWith(t, g, "+8613900139000", "winter")
	r := closeAndBuildQ4(t, log, dir)
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "<td>2026-10-01 00:30</td>") {
		t.Errorf("HTML policy versions do not show the decision at 2026-10-01 00:30 (the quarter's zone):\n%s", b.String()[strings.Index(b.String(), "Policy versions"):])
	}
	if len(r.PolicyVersions) != 1 || r.PolicyVersions[0].First.Location() != r.From.Location() {
		t.Errorf("policy versions %+v: want times in the quarter's zone", r.PolicyVersions)
	}
}

// Two policy versions first used at the same instant (two sidecars on
// different versions) are listed in the same order in every report of the
// quarter: by version.
func TestPolicyVersionsOrderStable(t *testing.T) {
	ctx := context.Background()
	log, dir := openTestLog(t)
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	for i, v := range []string{"cn@b", "cn@a", "cn@c"} {
		g, err := dialgate.New(nil, dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return now })), dialgate.WithAuditLog(log), dialgate.WithPolicyVersion(v))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := g.Check(ctx, dialgate.Dial{To: dialgate.MustParseNumber("+86139001390" + string(rune('0'+i)) + "0"), Purpose: dialgate.PurposeService, LeadID: "l"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	files, err := auditlog.LogFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		r, err := report.Build(ctx, report.Quarter{Year: 2026, Q: 4}, cst, now, report.Sources{AuditFiles: files})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, pv := range r.PolicyVersions {
			got = append(got, pv.Version)
		}
		if strings.Join(got, ",") != "cn@a,cn@b,cn@c" {
			t.Fatalf("policy versions in order %v, want cn@a,cn@b,cn@c", got)
		}
	}
}

// A line too long to be a record fails the report naming its file and line,
// as any other line that is not a record does.
func TestOverlongLineNamed(t *testing.T) {
	log, dir := openTestLog(t)
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	g := clockGate(t, log, &now)
	callWith(t, g, "+8613900139000", "winter")
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	files, err := auditlog.LogFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	line := files[0] + ":" + strconv.Itoa(bytes.Count(data, []byte("\n"))+1)
	f, err := os.OpenFile(files[0], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("{" + strings.Repeat("x", auditlog.MaxLineBytes+10) + "}\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = report.Build(context.Background(), report.Quarter{Year: 2026, Q: 4}, cst, now, report.Sources{AuditFiles: files})
	if err == nil || !strings.Contains(err.Error(), line+":") {
		t.Errorf("Build: %v, want an error naming %s", err, line)
	}
}

// threeWinterDecisions logs three allowed decisions of campaign winter on
// 2026-11-02 in a closed test log and returns its files, the first file's
// lines (each with its newline) and the test clock's instant.
func threeWinterDecisions(t *testing.T) ([]string, [][]byte, time.Time) {
	t.Helper()
	log, dir := openTestLog(t)
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, cst)
	g := clockGate(t, log, &now)
	for i := range 3 {
		callWith(t, g, "+86139001390"+string(rune('0'+i))+"0", "winter")
	}
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	files, err := auditlog.LogFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	return files, lines, now
}

// smallFileLog opens a signed log in dir whose files hold a few records
// each (600 bytes), so that the log continues in new files and the chain
// is checked from one file to the next.
func smallFileLog(t *testing.T, dir string) *auditlog.Log {
	t.Helper()
	skey, _, err := auditlog.GenerateKey(rand.Reader, "test-log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auditlog.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	log, err := auditlog.Open(context.Background(), dir, auditlog.Options{HMACKey: []byte("0123456789abcdef"), HMACKeyID: "k1", Signer: signer, MaxFileBytes: 600})
	if err != nil {
		t.Fatal(err)
	}
	return log
}
