package auditlog

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
)

// TestCalleeNeverInFile writes decisions and outcomes whose callee also leaks
// into reason messages, evidence, lead ids and dispositions (a careless check
// or dialer), and greps the file bytes for the callee's digits in several
// forms.
func TestCalleeNeverInFile(t *testing.T) {
	k := newTestKeys(t, "redact-log")
	dir := t.TempDir()
	l := openTest(t, dir, testOptions(k))
	ctx := context.Background()
	callee := dialgate.MustParseNumber("+8613800138077")
	forms := []string{
		"+8613800138077", "8613800138077", "13800138077", "138-0013-8077", "138 0013 8077",
		"+86 138 0013 8077", "0013800138077", "1380013807", // without the last digit too
	}
	leaky := []string{"callee +8613800138077 is listed", "number 138-0013-8077", "tel:13800138077", "+86 138 0013 8077"}
	for i, leak := range leaky {
		d := sampleDecision(i)
		d.Dial.To = callee
		d.Dial.LeadID = "crm-" + leak
		d.Dial.Subject = "debt of " + leak
		d.Reasons = []dialgate.Reason{{Code: dialgate.CodeDNCListed, Check: "dnc", Message: leak,
			Evidence: []dialgate.Evidence{{Key: "dnc.number", Value: leak}}}}
		d.Evidence = append(d.Evidence, dialgate.Evidence{Key: "schedule.note", Value: leak})
		if err := l.RecordDecision(ctx, d); err != nil {
			t.Fatal(err)
		}
		o := dialgate.Outcome{DecisionID: d.ID, Dial: d.Dial, At: t0, Disposition: "called " + leak}
		if err := l.RecordOutcome(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	files, _ := LogFiles(dir)
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range forms {
		if bytes.Contains(data, []byte(f)) {
			t.Errorf("the log file contains the callee as %q", f)
		}
	}
	// What was done is said: the hash, the segment, the redactions.
	for _, want := range []string{
		`"hmac":"` + CalleeHMAC(testKey, callee) + `"`, `"segment":"1380013"`,
		`reasons[0].message: contained the callee number`, `subject: omitted`, `disposition: contained the callee number`,
	} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("the log file lacks %s", want)
		}
	}
	if _, err := Verify(ctx, files, VerifyOptions{Verifiers: k.verifiers}); err != nil {
		t.Fatal(err)
	}
}

func TestDecisionRecordFields(t *testing.T) {
	r, err := NewRedactor(testKey, "k-test", "")
	if err != nil {
		t.Fatal(err)
	}
	d := sampleDecision(1) // outside the window
	rec, err := r.Decision(d)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Callee == nil || rec.Callee.Segment != "1390013" || rec.Callee.CountryCode != 86 || rec.Callee.KeyID != "k-test" {
		t.Errorf("callee %+v", rec.Callee)
	}
	if rec.Consent == nil || rec.Consent.ID != "c-1" || !strings.HasPrefix(rec.Consent.EvidenceSHA256, "9f86d0") {
		t.Errorf("consent %+v", rec.Consent)
	}
	if rec.Window != WindowOutside || rec.Zone != "Asia/Shanghai" || rec.Profile != "cn" || rec.PolicyVersion != "cn@sha256:abc" {
		t.Errorf("window %q zone %q profile %q version %q", rec.Window, rec.Zone, rec.Profile, rec.PolicyVersion)
	}
	if len(rec.Lists) != 1 || rec.Lists[0].Key != "dnc.list" || len(rec.Counters) != 1 || rec.CallerID != "+861058001234" {
		t.Errorf("lists %v counters %v caller %q", rec.Lists, rec.Counters, rec.CallerID)
	}
	if !rec.At.Equal(d.At) || rec.At.Location() != nil && rec.At.Location().String() != "UTC" {
		t.Errorf("at %v, want %v in UTC", rec.At, d.At)
	}
	if len(rec.Reasons) != 1 || rec.Reasons[0].Code != "schedule.outside_window" || rec.Reasons[0].NextAllowedAt.IsZero() {
		t.Errorf("reasons %+v", rec.Reasons)
	}
	for _, tc := range []struct {
		name    string
		reasons []dialgate.Reason
		ev      []dialgate.Evidence
		want    string
	}{
		{"inside", nil, []dialgate.Evidence{{Key: "schedule.zone", Value: "Asia/Shanghai"}}, WindowInside},
		{"not checked", nil, nil, WindowNotChecked},
		{"unavailable", []dialgate.Reason{{Code: dialgate.UnavailableCode("schedule"), Check: "schedule"}}, nil, WindowUnavailable},
		{"holiday", []dialgate.Reason{{Code: dialgate.CodeHoliday, Check: "schedule"}}, nil, WindowOutside},
	} {
		d := sampleDecision(0)
		d.Reasons, d.Evidence = tc.reasons, tc.ev
		rec, err := r.Decision(d)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Window != tc.want {
			t.Errorf("%s: window %q, want %q", tc.name, rec.Window, tc.want)
		}
	}
	for n, want := range map[string]string{"+12125550123": "+1 212555", "+861058001234": "010-5800", "+8613800138000": "1380013"} {
		if got := Segment(dialgate.MustParseNumber(n)); got != want {
			t.Errorf("Segment(%s) = %q, want %q", n, got, want)
		}
	}
}

// An outcome reported without its dial gives no callee to look for: its free
// text (disposition, recording id) is scrubbed of anything that may be a phone
// number, and what holds no such run of digits is kept as sent.
func TestOutcomeWithoutDialScrubsNumbers(t *testing.T) {
	r, err := NewRedactor(testKey, "k-test", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		disposition, recording string
		redactDisp, redactRec  bool
	}{
		{"callback at 138 0013 8077", "rec-7", true, false},
		{"asked for (212) 555-0100", "out-13800138077.wav", true, true},
		{"no answer", "1733389212.1234", false, true},                // an Asterisk uniqueid looks like a number too
		{"busy, retry 2026-12-05", "rec-2026-12-05-001", true, true}, // dates too: send the dial
		{"busy, retry tomorrow", "rec-20261205", false, true},
		{"left message", "rec-123456", false, false},
		{"voicemail", "", false, false},
	} {
		rec, err := r.Outcome(dialgate.Outcome{DecisionID: "dg-1234567", At: t0, Disposition: tc.disposition, RecordingID: tc.recording})
		if err != nil {
			t.Fatal(err)
		}
		if rec.DecisionID != "dg-1234567" {
			t.Errorf("decision id %q changed", rec.DecisionID)
		}
		if got := rec.Disposition == redactedMark; got != tc.redactDisp {
			t.Errorf("disposition %q recorded as %q", tc.disposition, rec.Disposition)
		}
		if got := rec.RecordingID == redactedMark; got != tc.redactRec {
			t.Errorf("recording id %q recorded as %q", tc.recording, rec.RecordingID)
		}
		if (tc.redactDisp || tc.redactRec) != (len(rec.Redacted) > 0) {
			t.Errorf("%q/%q: redaction notes %v", tc.disposition, tc.recording, rec.Redacted)
		}
	}
	// With the dial only the callee's own digits are looked for.
	rec, err := r.Outcome(dialgate.Outcome{DecisionID: "d", At: t0, Dial: dialgate.Dial{To: dialgate.MustParseNumber("+8613800138077")},
		Disposition: "transferred to 400 800 1234", RecordingID: "1733389212.1234"})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Disposition == redactedMark || rec.RecordingID == redactedMark {
		t.Errorf("with the dial: %q, %q redacted", rec.Disposition, rec.RecordingID)
	}
}
