package auditlog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// randString returns strings that exercise every escaping rule.
func randString(r *rand.Rand) string {
	pieces := []string{"", "a", "acme", "<", ">", "&", "\"", "\\", "\n", "\t", "\x00", "\x1f", "\x7f", "é", "号段",
		"\u2028", "\u2029", "\xff", "\xe2\x82", "💡", " ", "+86", "/", "=", "\b", "\f", "\r"}
	n := r.IntN(5)
	var b strings.Builder
	for range n {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

func randEvidence(r *rand.Rand) []Evidence {
	if r.IntN(3) == 0 {
		return nil
	}
	ev := make([]Evidence, r.IntN(3)+1)
	for i := range ev {
		ev[i] = Evidence{Key: randString(r), Value: randString(r)}
	}
	return ev
}

func randTime(r *rand.Rand) time.Time {
	if r.IntN(4) == 0 {
		return time.Time{}
	}
	return time.Unix(r.Int64N(4e9), r.Int64N(1e9)*int64(r.IntN(2))).UTC()
}

func randDecisionRecord(r *rand.Rand) *DecisionRecord {
	d := &DecisionRecord{
		ID: randString(r) + "x", At: randTime(r).Add(time.Second), Tenant: randString(r), Campaign: randString(r),
		Purpose: randString(r), Industry: randString(r), BusinessLine: randString(r), LeadID: randString(r),
		TriggerAt: randTime(r), Route: randString(r), CalleeZone: randString(r), AgentReserved: r.IntN(2) == 0, CallerID: randString(r), CallerIDLedger: randEvidence(r),
		Zone: randString(r), Window: WindowInside, Lists: randEvidence(r), Counters: randEvidence(r),
		Evidence: randEvidence(r), Profile: randString(r), PolicyVersion: randString(r),
		Allowed: r.IntN(2) == 0, Shadow: r.IntN(2) == 0, Redacted: []string{},
	}
	if r.IntN(2) == 0 || d.Allowed {
		d.Callee = &Callee{HMAC: strings.Repeat("ab", 32), KeyID: randString(r) + "k", CountryCode: r.IntN(999), Segment: randString(r)}
	}
	if r.IntN(2) == 0 {
		d.Consent = &Consent{ID: randString(r), EvidenceSHA256: randString(r)}
	}
	for range r.IntN(3) {
		d.Reasons = append(d.Reasons, ReasonRecord{Code: randString(r) + "c", Check: randString(r), Message: randString(r),
			NextAllowedAt: randTime(r), Evidence: randEvidence(r)})
	}
	for range r.IntN(3) {
		d.Redacted = append(d.Redacted, randString(r))
	}
	return d
}

func randOutcomeRecord(r *rand.Rand) *OutcomeRecord {
	o := &OutcomeRecord{DecisionID: randString(r) + "d", At: randTime(r).Add(time.Second),
		Released: r.IntN(2) == 0, Answered: r.IntN(2) == 0, Conversation: r.IntN(2) == 0, Abandoned: r.IntN(2) == 0, Refused: r.IntN(2) == 0,
		RingMillis: r.Int64N(100000) * int64(r.IntN(2)), Disposition: randString(r), RecordingID: randString(r)}
	o.AbandonMessage = o.Abandoned && r.IntN(2) == 0 // only valid on an abandoned call
	for range r.IntN(3) {
		o.Redacted = append(o.Redacted, randString(r))
	}
	return o
}

func randChangeRecord(r *rand.Rand) *ChangeRecord {
	ops := []string{OpDNCAdd, OpDNCRemove, OpConsentGrant, OpRecordingReleaseHold, "future.op"}
	results := []string{ResultApplied, ResultRequested, ResultFailed}
	opt := func() string {
		if r.IntN(2) == 0 {
			return ""
		}
		return randString(r)
	}
	c := &ChangeRecord{Op: ops[r.IntN(len(ops))], At: randTime(r).Add(time.Second), Result: results[r.IntN(len(results))],
		ChangeID: opt(), Actor: opt(), Tenant: opt(), Scope: opt(), ID: opt(), HoldID: opt(), DecisionID: opt(),
		Source: opt(), CallerID: opt(), Replace: r.IntN(2) == 0, ErrorCode: opt()}
	if r.IntN(2) == 0 {
		c.EffectiveAt = randTime(r).Add(time.Second)
	}
	c.Unchanged = c.Result == ResultApplied && r.IntN(2) == 0
	if r.IntN(2) == 0 {
		c.Callee = &Callee{HMAC: strings.Repeat("ab", 32), KeyID: "k" + randString(r), CountryCode: r.IntN(999) + 1, Segment: opt()}
	}
	if r.IntN(2) == 0 {
		c.ActorCert = &ClientCert{Subject: randString(r), Issuer: randString(r), Serial: opt(), SHA256: strings.Repeat("cd", 32), URI: opt()}
	}
	switch r.IntN(3) {
	case 0:
		e := &LedgerEntry{Type: randString(r), Holder: randString(r), Access: opt(), Qualification: opt(),
			ValidFrom: randTime(r), ValidUntil: randTime(r), OfficeUseOnly: r.IntN(2) == 0}
		for range r.IntN(3) {
			e.Purposes = append(e.Purposes, randString(r))
		}
		c.Replaced = e
	case 1:
		c.ReplacedUnreadable = r.IntN(2) == 0
	}
	for range r.IntN(3) {
		rp := LedgerReplacement{CallerID: "+" + randString(r)}
		if r.IntN(2) == 0 {
			rp.Replaced = &LedgerEntry{Type: randString(r), Holder: randString(r), Access: opt(), Qualification: opt(),
				Purposes: []string{randString(r)}, ValidFrom: randTime(r), OfficeUseOnly: r.IntN(2) == 0}
		} else {
			rp.ReplacedUnreadable = true
		}
		c.ReplacedEntries = append(c.ReplacedEntries, rp)
	}
	for range r.IntN(3) {
		c.Redacted = append(c.Redacted, randString(r))
	}
	return c
}

// TestEncoderMatchesEncodingJSON checks that the hand-written encoder writes
// exactly what encoding/json writes, and that ParseLine reads it back.
func TestEncoderMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		var got, body []byte
		var want any
		switch i % 4 {
		case 3:
			c := randChangeRecord(r)
			body = appendChangeBody(nil, c)
			want = struct {
				Kind   Kind          `json:"kind"`
				Change *ChangeRecord `json:"change"`
			}{KindChange, c}
		case 0:
			d := randDecisionRecord(r)
			body = appendDecisionBody(nil, d)
			want = struct {
				Kind     Kind            `json:"kind"`
				Decision *DecisionRecord `json:"decision"`
			}{KindDecision, d}
		case 1:
			o := randOutcomeRecord(r)
			body = appendOutcomeBody(nil, o)
			want = struct {
				Kind    Kind           `json:"kind"`
				Outcome *OutcomeRecord `json:"outcome"`
			}{KindOutcome, o}
		case 2:
			rp := &RepairRecord{File: randString(r) + "f", Offset: r.Int64N(1e9), CutBytes: r.Int64N(1e6) + 1, CutSHA256: randString(r) + "s", SavedAs: randString(r)}
			body = appendRepairBody(nil, rp)
			want = struct {
				Kind   Kind          `json:"kind"`
				Repair *RepairRecord `json:"repair"`
			}{KindRepair, rp}
		}
		wantBytes, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(body, wantBytes) {
			t.Fatalf("case %d:\n got %s\nwant %s", i, body, wantBytes)
		}
		seq := int64(i)
		prev := tlog.RecordHash([]byte{byte(i)})
		got = appendRecordLine(nil, seq, prev, body)
		l, err := ParseLine(got)
		if err != nil {
			t.Fatalf("case %d: ParseLine(%s): %v", i, got, err)
		}
		again, err := encodeLine(l)
		if err != nil {
			t.Fatal(err)
		}
		// Invalid UTF-8 became U+FFFD, so compare values, not bytes.
		l2, err := ParseLine(again)
		if err != nil {
			t.Fatalf("case %d: re-encoded line does not parse: %v", i, err)
		}
		if normalize(l) != normalize(l2) {
			t.Fatalf("case %d: re-encoding differs:\n got %s\nwant %s", i, again, got)
		}
	}
}

func TestParseLineRejects(t *testing.T) {
	good := appendRecordLine(nil, 0, tlog.Hash{}, appendOutcomeBody(nil, &OutcomeRecord{DecisionID: "d", At: t0}))
	if _, err := ParseLine(good); err != nil {
		t.Fatalf("good line: %v", err)
	}
	for _, tc := range []struct{ name, line, want string }{
		{"empty", ``, "not a JSON object"},
		{"array", `[1]`, "not a JSON object"},
		{"unknown field", `{"schema":"dialgate.audit.v1","seq":0,"kind":"outcome","outcome":{"decision_id":"d","at":"2026-01-01T00:00:00Z"},"x":1}`, `unknown field "x"`},
		{"wrong schema", `{"schema":"dialgate.audit.v2","seq":0,"kind":"outcome","outcome":{"decision_id":"d","at":"2026-01-01T00:00:00Z"}}`, "schema"},
		{"trailing data", string(good) + ` {}`, "after the JSON object"},
		{"no seq", `{"schema":"dialgate.audit.v1","kind":"outcome","outcome":{"decision_id":"d","at":"2026-01-01T00:00:00Z"}}`, "seq: missing"},
		{"negative seq", `{"schema":"dialgate.audit.v1","seq":-1,"kind":"outcome","outcome":{"decision_id":"d","at":"2026-01-01T00:00:00Z"}}`, "seq: negative"},
		{"prev missing", `{"schema":"dialgate.audit.v1","seq":3,"kind":"outcome","outcome":{"decision_id":"d","at":"2026-01-01T00:00:00Z"}}`, "prev: missing"},
		{"prev bad", `{"schema":"dialgate.audit.v1","seq":3,"prev":"xx","kind":"outcome","outcome":{"decision_id":"d","at":"2026-01-01T00:00:00Z"}}`, "prev:"},
		{"kind mismatch", `{"schema":"dialgate.audit.v1","seq":0,"kind":"decision","outcome":{"decision_id":"d","at":"2026-01-01T00:00:00Z"}}`, "decision: missing"},
		{"two bodies", `{"schema":"dialgate.audit.v1","seq":0,"kind":"outcome","note":"x","outcome":{"decision_id":"d","at":"2026-01-01T00:00:00Z"}}`, "exactly one"},
		{"checkpoint seq", `{"schema":"dialgate.audit.v1","seq":0,"kind":"checkpoint","note":"x"}`, "seq and prev not allowed"},
		{"bad hmac", `{"schema":"dialgate.audit.v1","seq":0,"kind":"decision","decision":{"id":"d","at":"2026-01-01T00:00:00Z","tenant":"","callee":{"hmac":"+8613800138000","key_id":"k","country_code":86},"window":"inside","allowed":true,"redacted":[]}}`, "callee.hmac"},
		{"no redacted", `{"schema":"dialgate.audit.v1","seq":0,"kind":"decision","decision":{"id":"d","at":"2026-01-01T00:00:00Z","tenant":"","window":"inside","allowed":false}}`, "redacted: missing"},
		{"message without abandoned", `{"schema":"dialgate.audit.v1","seq":0,"kind":"outcome","outcome":{"decision_id":"d","at":"2026-01-01T00:00:00Z","answered":true,"abandon_message":true}}`, "outcome.abandon_message"},
		{"bad window", `{"schema":"dialgate.audit.v1","seq":0,"kind":"decision","decision":{"id":"d","at":"2026-01-01T00:00:00Z","tenant":"","window":"maybe","allowed":false,"redacted":[]}}`, "window"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseLine([]byte(tc.line))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParseLine: error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func FuzzParseLine(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 8 {
		f.Add(appendRecordLine(nil, int64(i), tlog.RecordHash([]byte{1}), appendDecisionBody(nil, randDecisionRecord(r))))
	}
	f.Add(appendRecordLine(nil, 0, tlog.Hash{}, appendOutcomeBody(nil, randOutcomeRecord(r))))
	for i := range 4 {
		f.Add(appendRecordLine(nil, int64(i), tlog.RecordHash([]byte{2}), appendChangeBody(nil, randChangeRecord(r))))
	}
	f.Add(appendRecordLine(nil, 0, tlog.Hash{}, appendOutcomeBody(nil, &OutcomeRecord{DecisionID: "d", At: t0, Abandoned: true, AbandonMessage: true})))
	f.Add(appendCheckpointLine(nil, []byte("go.sum database tree\n1\nAAAA\n\n— k abc\n")))
	f.Add([]byte(`{"schema":"dialgate.audit.v1","seq":1e400}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		l, err := ParseLine(line)
		if err != nil {
			if l != nil {
				t.Fatal("non-nil line with an error")
			}
			return
		}
		// A line that parses re-encodes to a line that parses to the same value.
		enc, err := encodeLine(l)
		if err != nil {
			t.Fatalf("encodeLine: %v", err)
		}
		l2, err := ParseLine(enc)
		if err != nil {
			t.Fatalf("re-encoded line does not parse: %v\n%s", err, enc)
		}
		if !reflect.DeepEqual(normalize(l), normalize(l2)) {
			t.Fatalf("round trip changed the line:\n%+v\n%+v", l, l2)
		}
	})
}

// normalize makes parsed lines comparable: times compare by instant, and
// invalid UTF-8 is replaced as the encoder replaces it.
func normalize(l *Line) string {
	b, _ := json.Marshal(l)
	return string(b)
}

// FuzzVerify feeds arbitrary file contents to Verify: it must return a
// report or an error, never panic, and accept nothing that has no valid record.
func FuzzVerify(f *testing.F) {
	k, good, _ := fuzzSealedLog(f)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("{}\n"))
	verify := verifyBytes(f, VerifyOptions{Verifiers: k.verifiers})
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := verify(t, data)
		if err == nil && rep.Records > 0 && rep.Checkpoints > 0 && !bytes.Contains(data, []byte(`"kind":"checkpoint"`)) {
			t.Fatal("verified checkpoints that are not there")
		}
	})
}

// TestFrontierMatchesTlog checks the allocation-free frontier against
// tlog's own stored hashes and tree hash at every size up to 300.
func TestFrontierMatchesTlog(t *testing.T) {
	var f frontier
	var s hashStore
	for i := 0; i < 300; i++ {
		h := tlog.RecordHash([]byte(fmt.Sprintf("record %d", i)))
		if err := f.add(h); err != nil {
			t.Fatal(err)
		}
		if err := s.add(h); err != nil {
			t.Fatal(err)
		}
		got, err := f.root()
		if err != nil {
			t.Fatal(err)
		}
		want, err := tlog.TreeHash(s.n, &s)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("tree of %d records: frontier root %v, tlog %v", i+1, got, want)
		}
	}
}
