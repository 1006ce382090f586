package auditlog

import (
	"bytes"
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// changeLines returns the change records of files, in order.
func changeLines(t *testing.T, files []string) []ChangeRecord {
	t.Helper()
	var out []ChangeRecord
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
			l, err := ParseLine(line)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			if l.Change != nil {
				out = append(out, *l.Change)
			}
		}
	}
	return out
}

// TestRecordChangeMixedLog checks that change records join the log between
// decisions and outcomes, verify, are counted, carry the callee only as its
// keyed hash and segment, and that the log holds no raw number.
func TestRecordChangeMixedLog(t *testing.T) {
	ctx := context.Background()
	l, dir, k, d := logWithDecision(t, "change-mixed")
	n := dialgate.MustParseNumber("+8613900139001")
	at := t0.Add(time.Hour)
	changes := []Change{
		{Op: OpDNCAdd, Result: ResultApplied, ChangeID: "chg-1", Actor: "ops", Scope: "global", Number: n, Source: "agent", At: at, EffectiveAt: at.Add(-time.Minute)},
		{Op: OpDNCRemove, Result: ResultRequested, ChangeID: "chg-2", Actor: "ops", Scope: "tenant:acme", Number: n, At: at.Add(time.Minute)},
		{Op: OpDNCRemove, Result: ResultFailed, ChangeID: "chg-2", Actor: "ops", Scope: "tenant:acme", Number: n, At: at.Add(time.Minute), ErrorCode: "FailedPrecondition"},
		{Op: OpConsentRevoke, Result: ResultApplied, ChangeID: "chg-3", Actor: "ops", ID: "c-1", At: at.Add(2 * time.Minute)},
		{Op: OpRecordingHold, Result: ResultApplied, ChangeID: "chg-4", Actor: "ops", ID: "rec-1", HoldID: "legal", At: at.Add(3 * time.Minute)},
	}
	for i, c := range changes {
		if err := l.RecordChange(ctx, c); err != nil {
			t.Fatalf("change %d: %v", i, err)
		}
		if i == 2 {
			if err := l.RecordOutcome(ctx, dialgate.Outcome{DecisionID: d.ID, At: at, Answered: true, Dial: d.Dial}); err != nil {
				t.Fatal(err)
			}
		}
	}
	files, rep := sealVerified(t, l, dir, k)
	if rep.Changes != int64(len(changes)) || rep.Decisions != 1 || rep.Outcomes != 1 || rep.Records != int64(len(changes))+2 {
		t.Fatalf("report: %d records, %d decisions, %d outcomes, %d changes", rep.Records, rep.Decisions, rep.Outcomes, rep.Changes)
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if bytes.Contains(b, []byte("13900139001")) {
			t.Fatalf("%s holds the raw number", f)
		}
	}
	got := changeLines(t, files)
	if len(got) != len(changes) {
		t.Fatalf("%d change records, want %d", len(got), len(changes))
	}
	wantCallee := Callee{HMAC: CalleeHMAC(testKey, n), KeyID: "k-test", CountryCode: 86, Segment: "1390013"}
	add := got[0]
	if add.Op != OpDNCAdd || add.Result != ResultApplied || add.ChangeID != "chg-1" || add.Actor != "ops" || add.Scope != "global" ||
		add.Source != "agent" || !add.At.Equal(at) || add.At.Location() != time.UTC || !add.EffectiveAt.Equal(at.Add(-time.Minute)) ||
		add.Callee == nil || *add.Callee != wantCallee {
		t.Fatalf("dnc.add record: %+v (callee %+v)", add, add.Callee)
	}
	if rm := got[2]; rm.Op != OpDNCRemove || rm.Result != ResultFailed || rm.ChangeID != "chg-2" || rm.ErrorCode != "FailedPrecondition" {
		t.Fatalf("dnc.remove result record: %+v", rm)
	}
	if rv := got[3]; rv.Callee != nil || rv.ID != "c-1" || rv.Redacted != nil {
		t.Fatalf("consent.revoke record: %+v", rv)
	}
	if h := got[4]; h.ID != "rec-1" || h.HoldID != "legal" {
		t.Fatalf("recording.hold record: %+v", h)
	}
}

// TestRedactorChangeScrubs checks that a change's free text holding its
// number is replaced, and, for a change that names no number, any text that
// may be one.
func TestRedactorChangeScrubs(t *testing.T) {
	red, err := NewRedactor(testKey, "k-test", "")
	if err != nil {
		t.Fatal(err)
	}
	n := dialgate.MustParseNumber("+8613900139001")
	rec, err := red.Change(Change{Op: OpConsentGrant, Result: ResultRequested, ChangeID: "chg-20261205T090000Z-1", Actor: "ops", Number: n, At: t0,
		ID: "consent-139 0013 9001", Tenant: "acme", Source: "web"})
	if err != nil {
		t.Fatal(err)
	}
	if rec.ID != redactedMark || rec.Tenant != "acme" || rec.ChangeID != "chg-20261205T090000Z-1" {
		t.Fatalf("record: %+v", rec)
	}
	if !slices.Contains(rec.Redacted, "id: contained the callee number") || !slices.Contains(rec.Redacted, redactedChangeCallee) {
		t.Fatalf("redacted: %q", rec.Redacted)
	}
	rec, err = red.Change(Change{Op: OpRecordingHold, Result: ResultApplied, ChangeID: "chg-x", Actor: "ops", At: t0, ID: "rec-13900139001", HoldID: "legal"})
	if err != nil {
		t.Fatal(err)
	}
	if rec.ID != redactedMark || rec.HoldID != "legal" || rec.Callee != nil || len(rec.Redacted) != 1 ||
		!strings.Contains(rec.Redacted[0], "the change named no number") {
		t.Fatalf("record: %+v", rec)
	}
}

// TestRecordChangeRejects checks that a change without a valid op, result
// or instant is refused (ErrInvalidRecord) and nothing is written.
func TestRecordChangeRejects(t *testing.T) {
	ctx := context.Background()
	k := newTestKeys(t, "change-rejects")
	dir := t.TempDir()
	l := openTest(t, dir, testOptions(k))
	for _, c := range []Change{
		{Op: "", Result: ResultApplied, Actor: "ops", At: t0},
		{Op: "DNC.Remove", Result: ResultApplied, Actor: "ops", At: t0},
		{Op: "dnc", Result: ResultApplied, Actor: "ops", At: t0},
		{Op: OpDNCRemove, Result: "done", Actor: "ops", At: t0},
		{Op: OpDNCRemove, Result: ResultApplied, Actor: "ops"},
		{Op: OpDNCRemove, Result: ResultApplied, Actor: "ops", At: t0, EffectiveAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		if err := l.RecordChange(ctx, c); !errors.Is(err, ErrInvalidRecord) {
			t.Errorf("%+v: err %v, want ErrInvalidRecord", c, err)
		}
	}
	_, rep := sealVerified(t, l, dir, k)
	if rep.Records != 0 {
		t.Fatalf("%d records written", rep.Records)
	}
}

// TestParseLineChange checks ParseLine's rules for change lines.
func TestParseLineChange(t *testing.T) {
	const head = `{"schema":"dialgate.audit.v1","seq":0,"kind":"change",`
	ok := head + `"change":{"op":"dnc.remove","at":"2026-12-05T01:00:00Z","result":"requested","change_id":"chg-1"}}`
	if _, err := ParseLine([]byte(ok)); err != nil {
		t.Fatalf("valid line: %v", err)
	}
	if _, err := ParseLine([]byte(head + `"change":{"op":"later.kind_of_op","at":"2026-12-05T01:00:00Z","result":"applied"}}`)); err != nil {
		t.Fatalf("an op this build does not write must verify: %v", err)
	}
	for _, bad := range []struct{ line, want string }{
		{head + `"change":{"op":"dnc.remove","result":"applied"}}`, "change.at: missing"},
		{head + `"change":{"at":"2026-12-05T01:00:00Z","result":"applied"}}`, "change.op"},
		{head + `"change":{"op":"dnc.remove","at":"2026-12-05T01:00:00Z","result":"maybe"}}`, "change.result"},
		{head + `"change":{"op":"dnc.remove","at":"2026-12-05T01:00:00Z","result":"applied","callee":{"hmac":"13900139001","key_id":"k"}}}`, "change.callee.hmac"},
		{head + `"change":{"op":"dnc.remove","at":"2026-12-05T01:00:00Z","result":"applied","number":"+8613900139001"}}`, "unknown field"},
		{head + `"change":{"op":"dnc.remove","at":"2026-12-05T01:00:00Z","result":"applied"},"repair":{"file":"f","offset":0,"cut_bytes":1,"cut_sha256":"x"}}`, "exactly one"},
		{`{"schema":"dialgate.audit.v1","seq":0,"kind":"decision","change":{"op":"dnc.remove","at":"2026-12-05T01:00:00Z","result":"applied"}}`, "decision: missing"},
	} {
		_, err := ParseLine([]byte(bad.line))
		if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: err %v, want one naming %q", bad.line, err, bad.want)
		}
	}
}

// TestRecordChangeBulk checks that a bulk change (dnc.import) records its
// count and digest, verifies, reads back, and that a malformed digest or a
// negative count is refused with ErrInvalidRecord and writes nothing.
func TestRecordChangeBulk(t *testing.T) {
	ctx := context.Background()
	l, dir, k, _ := logWithDecision(t, "change-bulk")
	at := t0.Add(time.Hour)
	sum := strings.Repeat("0123456789abcdef", 4)
	for _, bad := range []Change{
		{Op: OpDNCImport, Result: ResultApplied, Actor: "ops", At: at, Count: -1},
		{Op: OpDNCImport, Result: ResultApplied, Actor: "ops", At: at, SHA256: "ABC"},
		{Op: OpDNCImport, Result: ResultApplied, Actor: "ops", At: at, SHA256: strings.ToUpper(sum)},
	} {
		if err := l.RecordChange(ctx, bad); !errors.Is(err, ErrInvalidRecord) {
			t.Fatalf("%+v: err %v, want ErrInvalidRecord", bad, err)
		}
	}
	c := Change{Op: OpDNCImport, Result: ResultApplied, ChangeID: "chg-9", Actor: "ops", Scope: "global", Source: "import:list.csv", At: at, Count: 1000000, SHA256: sum}
	if err := l.RecordChange(ctx, c); err != nil {
		t.Fatal(err)
	}
	files, rep := sealVerified(t, l, dir, k)
	if rep.Changes != 1 {
		t.Fatalf("%d change records, want 1", rep.Changes)
	}
	got := changeLines(t, files)
	if len(got) != 1 || got[0].Op != OpDNCImport || got[0].Count != 1000000 || got[0].SHA256 != sum || got[0].Callee != nil || got[0].Scope != "global" || len(got[0].Redacted) != 0 {
		t.Fatalf("records %+v", got)
	}
}
