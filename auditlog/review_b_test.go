package auditlog

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// A clock that reads a year RFC 3339 cannot write (after 9999, or before
// year 0) must not make the log write a checkpoint that it, and Verify,
// cannot read back: the log would refuse to open for good.
func TestCheckpointTimeOutOfRFC3339Range(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		k := newTestKeys(t, "far")
		dir := t.TempDir()
		clock := &stepClock{t: at}
		opts := testOptions(k)
		opts.Now, opts.CheckpointEvery = clock.now, 2
		writeSeq(t, dir, opts, 0, 4)
		// The log opens again and verifies.
		writeSeq(t, dir, opts, 4, 6)
		files, err := LogFiles(dir)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Verify(context.Background(), files, VerifyOptions{Verifiers: k.verifiers})
		if err != nil {
			t.Fatalf("clock at %v: Verify: %v", at, err)
		}
		if !rep.LastTime.IsZero() {
			t.Fatalf("clock at %v: checkpoints dated %v, want undated", at, rep.LastTime)
		}
		// A clock back in range dates checkpoints again.
		clock.set(t0)
		writeSeq(t, dir, opts, 6, 8)
		rep, err = Verify(context.Background(), files, VerifyOptions{Verifiers: k.verifiers})
		if err != nil || !rep.LastTime.Equal(t0.UTC()) {
			t.Fatalf("clock back at %v: Verify: %+v, %v", t0, rep, err)
		}
	}
}

// An undated checkpoint (the clock out of range) does not make the log
// forget the last checkpoint's time: a clock back before it is clamped.
func TestCheckpointOutOfRangeKeepsLastTime(t *testing.T) {
	k := newTestKeys(t, "keep")
	dir := t.TempDir()
	clock := &stepClock{t: t0}
	opts := testOptions(k)
	opts.Now, opts.CheckpointEvery = clock.now, 2
	l := openTest(t, dir, opts)
	for i, at := range []time.Time{t0, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), t0.Add(-time.Hour)} {
		clock.set(at)
		for j := 2 * i; j < 2*i+2; j++ {
			if err := l.RecordDecision(context.Background(), sampleDecision(j)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := LogFiles(dir)
	if _, err := Verify(context.Background(), files, VerifyOptions{Verifiers: k.verifiers}); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

// A checkpoint line whose signed text does not parse (damaged on disk) did
// not stop Open before checkpoints carried a log id and time. Since Open
// verifies every checkpoint (session 20: a planted one had the log's key
// sign its log id and time), a damaged one is refused like a forged one,
// naming its file and line and saying what to do (CheckpointError): the
// sidecar does not start on a log it cannot trust. Verify reports it too;
// with the line removed (checkpoints are outside the hash chain) the log
// opens again and keeps its identity.
func TestOpenDamagedCheckpoint(t *testing.T) {
	k := newTestKeys(t, "dmg")
	dir := t.TempDir()
	clock := &stepClock{t: t0}
	opts := testOptions(k)
	opts.LogID, opts.Now, opts.CheckpointEvery = "sidecar-a", clock.now, 2
	writeSeq(t, dir, opts, 0, 4)
	files, _ := LogFiles(dir)
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	// Damage the last checkpoint's time line (the JSON stays valid).
	i := bytes.LastIndex(b, []byte(`\ntime 2026`))
	if i < 0 {
		t.Fatalf("no time line in\n%s", b)
	}
	copy(b[i+len(`\ntime `):], "X")
	if err := os.WriteFile(files[0], b, 0o600); err != nil {
		t.Fatal(err)
	}
	o2 := opts
	o2.LogID = ""
	_, err = Open(context.Background(), dir, o2)
	var ce *CheckpointError
	if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) || ce.File != files[0] || ce.Line != 6 || !strings.Contains(err.Error(), "delete that line") {
		t.Fatalf("Open of a damaged checkpoint: %v, want a *CheckpointError at %s:6 saying what to do", err, files[0])
	}
	_, err = Verify(context.Background(), files, VerifyOptions{Verifiers: k.verifiers})
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Problem != ProblemBadSignature && ve.Problem != ProblemEdited {
		t.Fatalf("Verify of a damaged checkpoint: %v, want a problem", err)
	}
	// The way out the error gives: the line deleted (a copy kept).
	lines := bytes.SplitAfter(b, []byte("\n"))
	if err := os.WriteFile(files[0], bytes.Join(append(lines[:5:5], lines[6:]...), nil), 0o600); err != nil {
		t.Fatal(err)
	}
	writeSeq(t, dir, o2, 4, 6)
	if _, err := Verify(context.Background(), files, VerifyOptions{Verifiers: k.verifiers, LogID: "sidecar-a"}); err != nil {
		t.Fatalf("Verify with the damaged checkpoint removed: %v", err)
	}
	// The log kept its identity (from the earlier checkpoint).
	if _, err := Open(context.Background(), dir, Options{HMACKey: testKey, HMACKeyID: "k-test", Signer: k.signer, LogID: "sidecar-b"}); !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("Open with another log id after the damage: %v, want ErrInvalidOptions", err)
	}
}

// A repair of a log none of whose checkpoints carries a log id (a sidecar
// that crashed before its first checkpoint, or one upgraded from a build
// before log ids) must not give the log an identity of its own choosing:
// `dialgate audit repair` is not given the sidecar's audit_log_id, and the
// sidecar, configured with one, would then refuse to start on the log.
func TestRepairLeavesTheLogIDToTheSidecar(t *testing.T) {
	k := newTestKeys(t, "rep")
	dir := t.TempDir()
	torn := []byte(`{"schema":"dialgate.audit.v1","seq":0,"kind":"deci`)
	if err := os.WriteFile(dir+"/audit-000001.jsonl", torn, 0o600); err != nil {
		t.Fatal(err)
	}
	recs, err := Repair(context.Background(), dir, testOptions(k))
	if err != nil || len(recs) != 1 {
		t.Fatalf("Repair: %v, %v", recs, err)
	}
	opts := testOptions(k)
	opts.LogID, opts.CheckpointEvery = "host-a", 1
	writeSeq(t, dir, opts, 1, 3)
	files, _ := LogFiles(dir)
	rep, err := Verify(context.Background(), files, VerifyOptions{Verifiers: k.verifiers, LogID: "host-a", Dir: dir})
	if err != nil || rep.LogID != "host-a" {
		t.Fatalf("Verify: %+v, %v", rep, err)
	}
}

// Without the dial, a number written with spaced dashes, slashes or
// full-width digits (a Chinese input method in full-width mode) is as much a
// phone number as "138 0013 8077", and must not reach the log.
func TestOutcomeWithoutDialScrubsOtherSpellings(t *testing.T) {
	r, err := NewRedactor(testKey, "k-test", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{
		"call back on 138 - 0013 - 8077",
		"call back on 138/0013/8077",
		"回拨 １３８００１３８０７７",
		"回拨 １３８ ００１３ ８０７７",
		"tel (212)  555 - 0100",
	} {
		rec, err := r.Outcome(dialgate.Outcome{DecisionID: "dg-1", At: t0, Disposition: v})
		if err != nil {
			t.Fatal(err)
		}
		if rec.Disposition != redactedMark {
			t.Errorf("disposition %q recorded as sent", v)
		}
	}
	for _, v := range []string{"no answer", "left message at 10:30", "rec-123456", "busy - 3 tries - 2 left"} {
		rec, err := r.Outcome(dialgate.Outcome{DecisionID: "dg-1", At: t0, Disposition: v})
		if err != nil {
			t.Fatal(err)
		}
		if rec.Disposition != v {
			t.Errorf("disposition %q recorded as %q", v, rec.Disposition)
		}
	}
}

// With the dial, the callee's number in full-width digits is found as in
// ASCII ones.
func TestScrubFullWidthCallee(t *testing.T) {
	r, err := NewRedactor(testKey, "k-test", "")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := r.Outcome(dialgate.Outcome{DecisionID: "dg-1", At: t0, Dial: dialgate.Dial{To: dialgate.MustParseNumber("+8613800138077")},
		Disposition: "回拨 １３８ ００１３ ８０７７"})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Disposition != redactedMark {
		t.Errorf("disposition recorded as %q", rec.Disposition)
	}
}
