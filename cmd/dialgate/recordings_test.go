package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/internal/sidecar"

	"github.com/dialgate/dialgate/recording"
)

func TestRecordingsLifecycle(t *testing.T) {
	data := t.TempDir()
	media := t.TempDir()
	if err := os.WriteFile(filepath.Join(media, "r-1.wav"), []byte("RIFF"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, "", append([]string{"--data", data}, args...)...)
	}
	// Sweeps run as of the real clock or earlier (never later), so the
	// recording is dated relative to now: started 40 days ago, its retention
	// ended 10 days ago.
	cst := time.FixedZone("CST", 8*3600)
	now := time.Now().In(cst).Truncate(time.Second)
	ts := func(days int) string { return now.AddDate(0, 0, days).Format(time.RFC3339) }
	steps := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"recordings", "register", "--id", "r-1", "--number", "+8613900139000", "--started-at", ts(-40),
			"--ended-at", now.AddDate(0, 0, -40).Add(3 * time.Minute).Format(time.RFC3339),
			"--at", now.AddDate(0, 0, -40).Add(5 * time.Minute).Format(time.RFC3339), "--media-uri", "file:r-1.wav", "--media-root", media},
			0, "kept until " + now.AddDate(0, 0, -10).Add(3*time.Minute).Format(time.RFC3339), ""},
		{[]string{"recordings", "register", "--id", "r-2", "--number", "+8613900139000", "--started-at", ts(-40), "--retention", "7d"}, 2, "", "--retention: 7d is below the 30-day floor"},
		{[]string{"recordings", "register", "--id", "r-3", "--number", "+86abc", "--started-at", ts(-40)}, 2, "", "--number: invalid number"},
		{[]string{"recordings", "register", "--id", "r-4", "--number", "+8613900139000", "--started-at", ts(-40), "--retention", "-1"}, 2, "", "--retention"},
		{[]string{"recordings", "sweep", "--at", ts(-11), "--media-root", media}, 0, "deleted 0", ""},
		// Empty lists are [] in JSON, never null.
		{[]string{"recordings", "sweep", "--at", ts(-11), "--media-root", media, "--json"}, 0, "{\n  \"deleted\": [],\n  \"skipped\": []\n}\n", ""},
		{[]string{"recordings", "hold", "r-1", "--hold", "litigation-1", "--at", ts(-11)}, 0, "held r-1", ""},
		{[]string{"recordings", "hold", "r-9", "--hold", "x"}, 1, "", "not found"},
		{[]string{"recordings", "sweep", "--media-root", media}, 0, "skipped r-1: held", ""},
		{[]string{"recordings", "release", "r-1", "--hold", "litigation-1"}, 0, "released hold", ""},
		{[]string{"recordings", "sweep", "--media-root", media, "--json"}, 0, `"deleted": [
    "r-1"
  ],
  "skipped": []`, ""},
		{[]string{"recordings", "show", "r-1"}, 1, "", "not found"},
	}
	for i, s := range steps {
		code, out, errs := run(s.args...)
		if code != s.code || !strings.Contains(out, s.stdout) || !strings.Contains(errs, s.stderr) {
			t.Fatalf("step %d %v: exit %d\nstdout: %s\nstderr: %s", i, s.args, code, out, errs)
		}
	}
	if _, err := os.Stat(filepath.Join(media, "r-1.wav")); !os.IsNotExist(err) {
		t.Fatalf("media not deleted: %v", err)
	}
	raw, _ := os.ReadFile(filepath.Join(data, "dialgate.db"))
	if strings.Contains(string(raw), "8613900139000") {
		t.Fatal("raw callee number in the store file")
	}
}

func TestComplaintAndQuarterlyReport(t *testing.T) {
	data := t.TempDir()
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, "", append([]string{"--data", data}, args...)...)
	}
	ctx := context.Background()
	// Decisions in the audit log, as `dialgate serve` would write them.
	keys, err := sidecar.LoadKeys(data)
	if err != nil {
		t.Fatal(err)
	}
	log, err := auditlog.Open(ctx, filepath.Join(data, sidecar.AuditDir), auditlog.Options{HMACKey: keys.HMAC, HMACKeyID: keys.HMACKeyID, Signer: keys.Signer})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	g, err := dialgate.New([]dialgate.Checker{dialgate.CheckerFunc("dnc", func(context.Context, dialgate.Dial) ([]dialgate.Reason, error) {
		return []dialgate.Reason{{Code: dialgate.CodeDNCListed}}, nil
	})}, dialgate.WithAuditLog(log), dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return at })), dialgate.WithPolicyVersion("cn@test"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Check(ctx, dialgate.Dial{To: dialgate.MustParseNumber("+8613900139000"), Purpose: dialgate.PurposeService, LeadID: "l"}); err != nil {
		t.Fatal(err)
	}
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}

	if code, out, errs := run("recordings", "register", "--id", "r-c", "--number", "+8613900139000", "--started-at", "2026-11-02T10:00:00+08:00"); code != 0 {
		t.Fatalf("recordings register: %d %s %s", code, out, errs)
	}
	code, out, errs := run("complaint", "add", "--number", "+8613900139000", "--id", "cp-1", "--at", "2026-11-03T10:00:00+08:00")
	if code != 0 || !strings.Contains(out, "complaint cp-1 filed: number listed (global)") {
		t.Fatalf("complaint add: %d %s %s", code, out, errs)
	}
	// The complaint's hold on the callee's recording stays until it is answered.
	if code, _, errs := run("recordings", "release", "r-c", "--hold", "complaint:cp-1"); code != 1 || !strings.Contains(errs, "released once the complaint is answered") {
		t.Fatalf("release of an open complaint's hold: exit %d, stderr %q", code, errs)
	}
	code, out, _ = run("dnc", "lookup", "+8613900139000")
	if code != 1 && !strings.Contains(out, "complaints") {
		t.Fatalf("dnc lookup after complaint: %d %s", code, out)
	}
	if !strings.Contains(out, "complaint") {
		t.Fatalf("number not listed by the complaint: %s", out)
	}
	code, out, _ = run("complaint", "list", "--overdue", "--at", "2026-12-30T10:00:00+08:00")
	if code != 0 || !strings.Contains(out, "OVERDUE: forward, handle") {
		t.Fatalf("complaint list: %d %s", code, out)
	}
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"complaint", "resolve", "cp-1"}, 2, "--resolution: missing"},
		{[]string{"complaint", "answer", "cp-1"}, 1, "wrong status"},
		{[]string{"complaint", "resolve", "cp-1", "--resolution", "verified; number kept on the list"}, 0, ""},
		{[]string{"complaint", "answer", "cp-1"}, 0, ""},
		{[]string{"recordings", "release", "r-c", "--hold", "complaint:cp-1"}, 0, ""},
		{[]string{"complaint", "add", "--number", "+8613900139000", "--channel", "fax"}, 2, "channel"},
		{[]string{"complaint", "list", "--status", "lost"}, 2, "--status"},
		{[]string{"report", "quarterly", "--quarter", "2026Q5"}, 2, "--quarter"},
		{[]string{"report", "quarterly", "--quarter", "2026Q4", "--format", "pdf"}, 2, "--format"},
	} {
		code, _, errs := run(c.args...)
		if code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, errs)
		}
	}
	code, out, errs = run("report", "quarterly", "--quarter", "2026Q4", "--at", "2027-01-10T00:00:00+08:00")
	if code != 0 {
		t.Fatalf("report: %d %s", code, errs)
	}
	var r struct {
		Decisions struct {
			Total  int `json:"total"`
			Denied int `json:"denied"`
		} `json:"decisions"`
		Complaints struct {
			Received int `json:"received"`
		} `json:"complaints"`
		DNC struct {
			Total int `json:"total"`
		} `json:"dnc_additions"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("report JSON: %v\n%s", err, out)
	}
	if r.Decisions.Total != 1 || r.Decisions.Denied != 1 || r.Complaints.Received != 1 || r.DNC.Total != 1 {
		t.Fatalf("report %+v", r)
	}
	// --json is --format json, the default: the same report.
	if code, js, errs := run("report", "quarterly", "--quarter", "2026Q4", "--at", "2027-01-10T00:00:00+08:00", "--json"); code != 0 || js != out {
		t.Fatalf("report --json: exit %d, stderr %q; differs from the default:\n%s", code, errs, js)
	}
	if code, js, _ := run("report", "quarterly", "--quarter", "2026Q4", "--at", "2027-01-10T00:00:00+08:00", "--json", "--format", "json"); code != 0 || js != out {
		t.Fatalf("report --json --format json: exit %d", code)
	}
	if code, js, errs := run("report", "quarterly", "--quarter", "2026Q4", "--json", "--format", "csv"); code != 2 || js != "" || !strings.Contains(errs, "choose one") {
		t.Fatalf("report --json --format csv: exit %d, stdout %q, stderr %q", code, js, errs)
	}
	html := filepath.Join(t.TempDir(), "q4.html")
	if code, _, errs := run("report", "quarterly", "--quarter", "2026Q4", "--format", "html", "--out", html); code != 0 {
		t.Fatalf("html report: %s", errs)
	}
	b, _ := os.ReadFile(html)
	if !strings.Contains(string(b), "<svg") || strings.Contains(string(b), "8613900139000") {
		t.Fatal("html report lacks a chart or holds a raw number")
	}
}

// TestRecordingsSweepFutureAt: `recordings sweep --at` with an instant after
// the real clock would really delete recordings whose 30-day retention is not
// over (337号 CN-S6) and write tombstones dated in the future. It is refused
// (exit 2) and nothing is deleted.
func TestRecordingsSweepFutureAt(t *testing.T) {
	data := t.TempDir()
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, "", append([]string{"--data", data}, args...)...)
	}
	now := time.Now()
	started := now.Add(-time.Hour).Format(time.RFC3339)
	if code, out, errs := run("recordings", "register", "--id", "r-f", "--number", "+8613900139000", "--started-at", started); code != 0 {
		t.Fatalf("register: exit %d\n%s\n%s", code, out, errs)
	}
	future := now.Add(31 * 24 * time.Hour).Format(time.RFC3339)
	code, out, errs := run("recordings", "sweep", "--at", future)
	if code != 2 || !strings.Contains(errs, "--at") {
		t.Errorf("sweep --at %s (31 days ahead): exit %d\nstdout: %s\nstderr: %s", future, code, out, errs)
	}
	if code, out, errs := run("recordings", "show", "r-f"); code != 0 {
		t.Fatalf("r-f deleted 29 days before its retention is over: exit %d\n%s\n%s", code, out, errs)
	}
	// The real clock (no --at) deletes nothing either.
	if code, out, errs := run("recordings", "sweep"); code != 0 || !strings.Contains(out, "deleted 0") {
		t.Fatalf("sweep: exit %d\n%s\n%s", code, out, errs)
	}
}

// TestComplaintDeadlinesWithoutCalendar: the cn profile has calendars for
// 2026 only (each year's holidays are set by a State Council notice), so a
// complaint filed in another year — 2025 here, as a complaint cannot be filed
// in the future — cannot know its make-up working days: every day counts as a
// working day and each deadline comes no later than the rules allow (Monday
// to Friday would put the first on Wednesday 5 February).
func TestComplaintDeadlinesWithoutCalendar(t *testing.T) {
	code, out, errs := runCLI(t, "", "complaint", "add", "--number", "+8613900139000", "--id", "cp-1", "--at", "2025-01-31T10:00:00+08:00")
	want := "forward by 2025-02-04T00:00:00+08:00, handle by 2025-02-19T00:00:00+08:00, answer by 2025-02-22T00:00:00+08:00"
	if code != 0 || !strings.Contains(out, want) {
		t.Fatalf("complaint add on Friday 2025-01-31: %d %q %s, want %q", code, out, errs, want)
	}
	// In 2026 the calendar decides: Saturday 28 February is a make-up working day.
	code, out, errs = runCLI(t, "", "complaint", "add", "--number", "+8613900139000", "--id", "cp-2", "--at", "2026-02-25T10:00:00+08:00")
	if want := "forward by 2026-03-01T00:00:00+08:00"; code != 0 || !strings.Contains(out, want) {
		t.Fatalf("complaint add on Wednesday 2026-02-25: %d %q %s, want %q", code, out, errs, want)
	}
}

// TestComplaintStepBeforeThePreviousStep: a step dated before the one it
// follows (a typo in --at) is bad input and changes nothing. It used to be
// stored: a complaint forwarded before it was received, answered before it
// was handled, its deadlines met on paper.
func TestComplaintStepBeforeThePreviousStep(t *testing.T) {
	data := t.TempDir()
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, "", append([]string{"--data", data}, args...)...)
	}
	if code, _, errs := run("complaint", "add", "--number", "+8613900139000", "--id", "cp-1", "--at", "2026-11-03T10:00:00+08:00"); code != 0 {
		t.Fatalf("complaint add: exit %d %s", code, errs)
	}
	steps := []struct {
		step, early, ok string
		extra           []string
	}{
		{"forward", "2026-11-02T10:00:00+08:00", "2026-11-04T10:00:00+08:00", nil},
		{"resolve", "2026-11-03T10:00:00+08:00", "2026-11-05T10:00:00+08:00", []string{"--resolution", "kept on the list"}},
		{"answer", "2026-11-04T10:00:00+08:00", "2026-11-06T10:00:00+08:00", nil},
	}
	for _, s := range steps {
		args := append([]string{"complaint", s.step, "cp-1", "--at", s.early}, s.extra...)
		if code, out, errs := run(args...); code != 2 || !strings.Contains(errs, "at: "+s.early+" is before complaint cp-1 was") {
			t.Errorf("%s at %s: exit %d %q %q", s.step, s.early, code, out, errs)
		}
		args = append([]string{"complaint", s.step, "cp-1", "--at", s.ok}, s.extra...)
		if code, out, errs := run(args...); code != 0 {
			t.Fatalf("%s at %s: exit %d %q %q", s.step, s.ok, code, out, errs)
		}
	}
	code, out, errs := run("complaint", "list", "--json", "--at", "2026-11-07T10:00:00+08:00")
	var got []struct {
		ForwardedAt time.Time `json:"forwarded_at"`
		AnsweredAt  time.Time `json:"answered_at"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("complaint list --json: %v\n%s", err, out)
	}
	if code != 0 || len(got) != 1 || !got[0].ForwardedAt.Equal(mustTime(t, "2026-11-04T10:00:00+08:00")) || !got[0].AnsweredAt.Equal(mustTime(t, "2026-11-06T10:00:00+08:00")) {
		t.Fatalf("complaint after the refused steps: exit %d %s %s", code, out, errs)
	}
}

// TestRecordingsRegisterEndedAt: --ended-at counts the retention from the
// end of the call, so a two-hour call is not swept 30 days after its start
// but 30 days after its end; without it the registration time stands for
// the end; a bad --ended-at is bad input naming it.
func TestRecordingsRegisterEndedAt(t *testing.T) {
	data := t.TempDir()
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, "", append([]string{"--data", data}, args...)...)
	}
	rfc := func(t time.Time) string { return t.Format(time.RFC3339) }
	now := time.Now().UTC().Truncate(time.Second)
	started := now.AddDate(0, 0, -40)
	ended := started.Add(2 * time.Hour)
	code, out, errs := run("recordings", "register", "--json", "--id", "r-long", "--number", "+8613900139000",
		"--started-at", rfc(started), "--ended-at", rfc(ended), "--at", rfc(ended.Add(5*time.Minute)))
	var reg recRegistered
	decodeJSON(t, out, &reg)
	if code != 0 || !reg.EndedAt.Equal(ended) || !reg.RetainUntil.Equal(ended.AddDate(0, 0, 30)) {
		t.Fatalf("register --ended-at: exit %d %+v %s; want ended_at %s, retain_until 30 days after it", code, reg, errs, ended)
	}
	if code, out, errs := run("recordings", "show", "r-long"); code != 0 || !strings.Contains(out, "ended "+rfc(ended)) {
		t.Errorf("show: exit %d %q %s; want the end", code, out, errs)
	}
	// Without --ended-at: from the registration (--at), an hour after the start.
	at := started.Add(time.Hour)
	code, out, errs = run("recordings", "register", "--json", "--id", "r-late", "--number", "+8613900139001",
		"--started-at", rfc(started), "--at", rfc(at))
	reg = recRegistered{}
	decodeJSON(t, out, &reg)
	if code != 0 || !reg.EndedAt.IsZero() || !reg.RetainUntil.Equal(at.AddDate(0, 0, 30)) || strings.Contains(out, "ended_at") {
		t.Fatalf("register without --ended-at: exit %d %s %s; want retain_until 30 days after --at", code, out, errs)
	}
	for _, s := range []struct {
		at      time.Time
		deleted string
	}{
		// A sweep deletes an hour (recording.SweepMargin) past retain_until.
		{started.AddDate(0, 0, 30).Add(30 * time.Minute), "deleted 0"},
		{at.AddDate(0, 0, 30), "deleted 0"},
		{at.AddDate(0, 0, 30).Add(recording.SweepMargin), "deleted 1: r-late"},
		{started.AddDate(0, 0, 30).Add(2*time.Hour + 59*time.Minute), "deleted 0"},
		{ended.AddDate(0, 0, 30).Add(recording.SweepMargin), "deleted 1: r-long"},
	} {
		if code, out, errs := run("recordings", "sweep", "--at", rfc(s.at)); code != 0 || !strings.Contains(out, s.deleted) {
			t.Fatalf("sweep at %s: exit %d %q %s; want %q", s.at, code, out, errs, s.deleted)
		}
	}
	for _, bad := range []struct {
		ended, at, want string
	}{
		{rfc(started.Add(-time.Second)), "", "ended_at"},      // before --started-at
		{rfc(now.Add(time.Hour)), "", "--ended-at"},           // in the future
		{rfc(ended), rfc(started.Add(time.Hour)), "ended_at"}, // after the registration (--at)
		{"yesterday", "", "--ended-at"},                       // not RFC 3339
		{"1970-01-01T00:00:00Z", "", "--ended-at"},            // a zero instant
	} {
		args := []string{"recordings", "register", "--id", "r-bad", "--number", "+8613900139002", "--started-at", rfc(started), "--ended-at", bad.ended}
		if bad.at != "" {
			args = append(args, "--at", bad.at)
		}
		if code, out, errs := run(args...); code != 2 || !strings.Contains(errs, bad.want) {
			t.Errorf("--ended-at %s: exit %d %q %q; want exit 2 naming %s", bad.ended, code, out, errs, bad.want)
		}
	}
	if code, _, _ := run("recordings", "show", "r-bad"); code != 1 {
		t.Errorf("a refused registration was stored (show exit %d)", code)
	}
}

// TestRecordingsEnd: a recording registered at its call's start is given its
// end, and kept 30 days after it.
func TestRecordingsEnd(t *testing.T) {
	data := t.TempDir()
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, "", append([]string{"--data", data}, args...)...)
	}
	rfc := func(t time.Time) string { return t.Format(time.RFC3339) }
	started := time.Now().UTC().Truncate(time.Second).AddDate(0, 0, -40)
	ended := started.Add(2 * time.Hour)
	if code, out, errs := run("recordings", "register", "--id", "r-open", "--number", "+8613900139000",
		"--started-at", rfc(started), "--at", rfc(started)); code != 0 {
		t.Fatalf("register: exit %d %s %s", code, out, errs)
	}
	code, out, errs := run("recordings", "end", "r-open", "--ended-at", rfc(ended), "--at", rfc(ended), "--json")
	var r recording.Recording
	decodeJSON(t, out, &r)
	if code != 0 || !r.EndedAt.Equal(ended) || !r.RetainUntil.Equal(ended.AddDate(0, 0, 30)) {
		t.Fatalf("end: exit %d %+v %s; want ended_at %s, retain_until 30 days after it", code, r, errs, ended)
	}
	if code, out, errs := run("recordings", "sweep", "--at", rfc(started.AddDate(0, 0, 30).Add(time.Hour))); code != 0 || !strings.Contains(out, "deleted 0") {
		t.Fatalf("sweep 30 days after the start: exit %d %q %s; want nothing deleted", code, out, errs)
	}
	for _, bad := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"r-open"}, 2, "--ended-at: missing"},
		{[]string{"r-open", "--ended-at", rfc(started.Add(-time.Second))}, 2, "ended_at"},
		{[]string{"r-open", "--ended-at", rfc(time.Now().Add(time.Hour))}, 2, "--ended-at"},
		{[]string{"r-none", "--ended-at", rfc(ended)}, 1, "r-none"},
	} {
		if code, out, errs := run(append([]string{"recordings", "end"}, bad.args...)...); code != bad.code || !strings.Contains(errs, bad.want) {
			t.Errorf("end %v: exit %d %q %q; want exit %d naming %s", bad.args, code, out, errs, bad.code, bad.want)
		}
	}
}

// TestRecordingsSweepAtWithinSkew: `recordings sweep --at` a few seconds
// after the real clock, within the minute the other commands' --at may be
// ahead (parsePast), deleted a recording whose 30-day retention ends
// between now and --at: deleted before its retention was over by the
// clock of the host that deletes it (337号 CN-S6). A sweep's --at may not
// be after the real clock at all (exit 2), and nothing is deleted.
func TestRecordingsSweepAtWithinSkew(t *testing.T) {
	data := t.TempDir()
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, "", append([]string{"--data", data}, args...)...)
	}
	now := time.Now().Truncate(time.Second)
	// The call ended 30 days less 20 seconds ago: kept 20 more seconds.
	ended := now.Add(-recording.MinRetention + 20*time.Second)
	if code, out, errs := run("recordings", "register", "--id", "r-edge", "--number", "+8613900139000",
		"--started-at", ended.Add(-time.Minute).Format(time.RFC3339), "--ended-at", ended.Format(time.RFC3339),
		"--at", ended.Format(time.RFC3339)); code != 0 {
		t.Fatalf("register: exit %d\n%s\n%s", code, out, errs)
	}
	at := now.Add(45 * time.Second).Format(time.RFC3339)
	code, out, errs := run("recordings", "sweep", "--at", at)
	if code != 2 || !strings.Contains(errs, "--at") {
		t.Errorf("sweep --at %s (45 s ahead): exit %d, want 2\nstdout: %s\nstderr: %s", at, code, out, errs)
	}
	if code, out, errs := run("recordings", "show", "r-edge"); code != 0 {
		t.Fatalf("r-edge deleted before its 30-day retention was over: exit %d\n%s\n%s", code, out, errs)
	}
}
