package auditlog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// unchangedRecorder keeps the changes it is given.
type unchangedRecorder struct{ got []Change }

func (u *unchangedRecorder) RecordChange(_ context.Context, c Change) error {
	u.got = append(u.got, c)
	return nil
}

// TestApplyUnchanged: an apply returning an error wrapping ErrUnchanged is
// no failure: the request is recorded as applied with Unchanged, and no
// apply error is returned; any other outcome records Unchanged false.
func TestApplyUnchanged(t *testing.T) {
	ctx := context.Background()
	r := &unchangedRecorder{}
	c := &Change{Op: OpConsentRevoke, At: t0}
	unchanged := func() error { return fmt.Errorf("consent c-1: %w", ErrUnchanged) }
	if aerr, rerr := ApplyThenRecord(ctx, r, c, unchanged); aerr != nil || rerr != nil {
		t.Fatalf("ApplyThenRecord unchanged: %v %v", aerr, rerr)
	}
	if aerr, rerr := ApplyThenRecord(ctx, r, c, func() error { return nil }); aerr != nil || rerr != nil {
		t.Fatalf("ApplyThenRecord: %v %v", aerr, rerr)
	}
	code := func(error) string { return "Unknown" }
	g := Change{Op: OpConsentGrant, ChangeID: "chg-1", At: t0}
	if qerr, aerr, rerr := RecordThenApply(ctx, r, g, code, unchanged); qerr != nil || aerr != nil || rerr != nil {
		t.Fatalf("RecordThenApply unchanged: %v %v %v", qerr, aerr, rerr)
	}
	if qerr, aerr, rerr := RecordThenApply(ctx, r, g, code, func() error { return nil }); qerr != nil || aerr != nil || rerr != nil {
		t.Fatalf("RecordThenApply: %v %v %v", qerr, aerr, rerr)
	}
	var got []string
	for _, c := range r.got {
		got = append(got, fmt.Sprintf("%s %s %v", c.Op, c.Result, c.Unchanged))
	}
	want := "consent.revoke applied true,consent.revoke applied false," +
		"consent.grant requested false,consent.grant applied true,consent.grant requested false,consent.grant applied false"
	if strings.Join(got, ",") != want {
		t.Fatalf("recorded:\n %s\nwant\n %s", strings.Join(got, ","), want)
	}
}

// TestRecordChangeUnchanged: a change recorded as applied and unchanged
// verifies and reads back with the field; Unchanged on a requested or
// failed record is refused (ErrInvalidRecord) and such a line does not
// parse; a record without it is encoded as before the field existed.
func TestRecordChangeUnchanged(t *testing.T) {
	ctx := context.Background()
	k := newTestKeys(t, "change-unchanged")
	dir := t.TempDir()
	l := openTest(t, dir, testOptions(k))
	for _, c := range []Change{
		{Op: OpConsentRevoke, Result: ResultRequested, Unchanged: true, Actor: "ops", At: t0},
		{Op: OpConsentRevoke, Result: ResultFailed, Unchanged: true, Actor: "ops", At: t0, ErrorCode: "NotFound"},
	} {
		if err := l.RecordChange(ctx, c); !errors.Is(err, ErrInvalidRecord) {
			t.Errorf("%+v: err %v, want ErrInvalidRecord", c, err)
		}
	}
	at := t0.Add(time.Hour)
	for _, c := range []Change{
		{Op: OpConsentRevoke, Result: ResultApplied, ChangeID: "chg-1", Actor: "ops", ID: "c-1", At: at},
		{Op: OpConsentRevoke, Result: ResultApplied, Unchanged: true, ChangeID: "chg-2", Actor: "ops", ID: "c-1", At: at},
	} {
		if err := l.RecordChange(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	files, rep := sealVerified(t, l, dir, k)
	if rep.Changes != 2 {
		t.Fatalf("%d changes verified, want 2", rep.Changes)
	}
	got := changeLines(t, files)
	if len(got) != 2 || got[0].Unchanged || !got[1].Unchanged {
		t.Fatalf("records: %+v", got)
	}
	first := string(appendChangeBody(nil, &got[0]))
	if strings.Contains(first, "unchanged") {
		t.Errorf("a record without Unchanged is encoded with it: %s", first)
	}
	if second := string(appendChangeBody(nil, &got[1])); !strings.Contains(second, `"result":"applied","unchanged":true,`) {
		t.Errorf("unchanged record encoded as %s", second)
	}
	const head = `{"schema":"dialgate.audit.v1","seq":0,"kind":"change",`
	if _, err := ParseLine([]byte(head + `"change":{"op":"consent.grant","at":"2026-12-05T01:00:00Z","result":"requested","unchanged":true}}`)); err == nil ||
		!strings.Contains(err.Error(), "change.unchanged") {
		t.Errorf("requested and unchanged: err %v, want one naming change.unchanged", err)
	}
}
