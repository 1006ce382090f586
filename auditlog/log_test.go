package auditlog

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"golang.org/x/mod/sumdb/tlog"
)

// writeLog writes n decisions (and an outcome for every fifth) from several
// goroutines, closes the log and returns its files.
func writeLog(t *testing.T, dir string, opts Options, n int) []string {
	t.Helper()
	l := openTest(t, dir, opts)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += 8 {
				if err := l.RecordDecision(ctx, sampleDecision(i)); err != nil {
					errs <- err
					return
				}
				if i%5 == 0 {
					o := dialgate.Outcome{DecisionID: sampleDecision(i).ID, At: t0.Add(time.Minute), Answered: true, RingDuration: 7 * time.Second}
					if err := l.RecordOutcome(ctx, o); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	files, err := LogFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestWriteVerify(t *testing.T) {
	k := newTestKeys(t, "test-log")
	dir := t.TempDir()
	opts := testOptions(k)
	opts.CheckpointEvery = 50
	var published [][]byte
	opts.OnCheckpoint = func(b []byte) { published = append(published, b) }
	files := writeLog(t, dir, opts, 400)
	trusted, err := os.ReadFile(filepath.Join(dir, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(published) == 0 || !bytes.Equal(published[len(published)-1], trusted) {
		t.Fatalf("OnCheckpoint got %d checkpoints, last differs from the checkpoint file", len(published))
	}
	rep, err := Verify(context.Background(), files, VerifyOptions{Verifiers: k.verifiers, Trusted: trusted})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Records != 480 || rep.Decisions != 400 || rep.Outcomes != 80 {
		t.Fatalf("report %+v, want 480 records: 400 decisions, 80 outcomes", rep)
	}
	if rep.Unsealed != 0 || rep.Tree.N != 480 || rep.Checkpoints < 9 {
		t.Fatalf("report %+v: want every record sealed, at least 9 checkpoints", rep)
	}

	// Reopen and continue: the chain and tree go on.
	l := openTest(t, dir, opts)
	if err := l.RecordDecision(context.Background(), sampleDecision(1000)); err != nil {
		t.Fatal(err)
	}
	signed, err := l.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(signed), "\n481\n") {
		t.Fatalf("checkpoint after reopening:\n%s\nwant tree size 481", signed)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	rep2, err := Verify(context.Background(), files, VerifyOptions{Verifiers: k.verifiers, Trusted: signed})
	if err != nil {
		t.Fatal(err)
	}
	// The old checkpoint is consistent with the new one (tlog proofs).
	p, err := rep2.ProveTree(481, 480)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckTree(p, 481, rep2.Tree.Hash, 480, rep.Tree.Hash); err != nil {
		t.Fatalf("tree proof: %v", err)
	}
	h, err := rep2.RecordHash(17)
	if err != nil {
		t.Fatal(err)
	}
	rp, err := rep2.ProveRecord(17, 481)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckRecord(rp, 481, rep2.Tree.Hash, 17, h); err != nil {
		t.Fatalf("record proof: %v", err)
	}
}

func TestRotation(t *testing.T) {
	k := newTestKeys(t, "test-log")
	dir := t.TempDir()
	opts := testOptions(k)
	opts.MaxFileBytes = 8 << 10
	files := writeLog(t, dir, opts, 300)
	if len(files) < 5 {
		t.Fatalf("%d files, want rotation into at least 5", len(files))
	}
	// Every full file ends with a checkpoint that seals it.
	for _, f := range files[:len(files)-1] {
		b, _ := os.ReadFile(f)
		lines := bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
		if !bytes.Contains(lines[len(lines)-1], []byte(`"kind":"checkpoint"`)) {
			t.Fatalf("%s does not end with a checkpoint", f)
		}
	}
	if _, err := Verify(context.Background(), files, VerifyOptions{Verifiers: k.verifiers}); err != nil {
		t.Fatal(err)
	}
	// A missing middle file is caught by Verify (deleted) and by Open.
	_, err := Verify(context.Background(), append(files[:1:1], files[2:]...), VerifyOptions{Verifiers: k.verifiers})
	assertProblem(t, err, ProblemDeleted, "missing")
	if err := os.Remove(files[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), dir, opts); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open with a file missing: %v, want ErrCorrupt", err)
	}
}

func TestOptionsAndRecordErrors(t *testing.T) {
	k := newTestKeys(t, "test-log")
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		mod  func(*Options)
		want string
	}{
		{"short key", func(o *Options) { o.HMACKey = []byte("short") }, "hmac key"},
		{"no key id", func(o *Options) { o.HMACKeyID = "" }, "hmac key id"},
		{"no signer", func(o *Options) { o.Signer = nil }, "signer"},
		{"negative", func(o *Options) { o.MaxFileBytes = -1 }, "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := testOptions(k)
			tc.mod(&o)
			_, err := Open(ctx, t.TempDir(), o)
			if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open: %v, want ErrInvalidOptions naming %q", err, tc.want)
			}
		})
	}
	dir := t.TempDir()
	l := openTest(t, dir, testOptions(k))
	if _, err := Open(ctx, dir, testOptions(k)); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	if err := l.RecordDecision(ctx, dialgate.Decision{At: t0}); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("decision without id: %v", err)
	}
	if err := l.RecordDecision(ctx, dialgate.Decision{ID: "x"}); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("decision without instant: %v", err)
	}
	if err := l.RecordOutcome(ctx, dialgate.Outcome{At: t0}); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("outcome without decision id: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := l.RecordDecision(ctx, sampleDecision(0)); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v, want ErrClosed", err)
	}
}

// TestWriteFailureIsSticky: after a failed write, every call fails (the Gate
// then denies with audit.unavailable) until the log is reopened.
func TestWriteFailureIsSticky(t *testing.T) {
	k := newTestKeys(t, "test-log")
	l := openTest(t, t.TempDir(), testOptions(k))
	ctx := context.Background()
	if err := l.RecordDecision(ctx, sampleDecision(0)); err != nil {
		t.Fatal(err)
	}
	l.w.f.Close() // the disk goes away
	if err := l.RecordDecision(ctx, sampleDecision(1)); !errors.Is(err, ErrFailed) {
		t.Fatalf("write to a closed file: %v, want ErrFailed", err)
	}
	if err := l.RecordDecision(ctx, sampleDecision(2)); !errors.Is(err, ErrFailed) {
		t.Fatalf("after a failure: %v, want ErrFailed", err)
	}
	l.Close()
}

func TestContextCancelled(t *testing.T) {
	k := newTestKeys(t, "test-log")
	l := openTest(t, t.TempDir(), testOptions(k))
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// Either the record was durable before the context was looked at, or the
	// call reports the cancellation; it never hangs.
	if err := l.RecordDecision(ctx, sampleDecision(0)); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestTornTailAndRepair(t *testing.T) {
	k := newTestKeys(t, "test-log")
	dir := t.TempDir()
	opts := testOptions(k)
	opts.CheckpointEvery = 10
	files := writeLog(t, dir, opts, 25)
	// A crash in the middle of a write: append half a record without newline.
	half := []byte(`{"schema":"dialgate.audit.v1","seq":30,"prev":"abc","kind":"deci`)
	appendToFile(t, files[0], half)
	info, _ := os.Stat(files[0])

	_, err := Open(context.Background(), dir, opts)
	var torn *TornError
	if !errors.As(err, &torn) || !errors.Is(err, ErrTorn) {
		t.Fatalf("Open after a torn write: %v, want *TornError", err)
	}
	if torn.Bytes != int64(len(half)) || torn.Offset != info.Size()-int64(len(half)) {
		t.Fatalf("torn %+v, want %d bytes at %d", torn, len(half), info.Size()-int64(len(half)))
	}
	_, err = Verify(context.Background(), files, VerifyOptions{Verifiers: k.verifiers})
	assertProblem(t, err, ProblemTruncated, "incomplete")

	recs, err := Repair(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].CutBytes != int64(len(half)) || recs[0].Offset != torn.Offset || recs[0].File != filepath.Base(files[0]) {
		t.Fatalf("repair records %+v", recs)
	}
	rec := recs[0]
	saved, err := os.ReadFile(filepath.Join(dir, rec.SavedAs))
	if err != nil || !bytes.Equal(saved, half) {
		t.Fatalf("saved cut bytes %q, %v", saved, err)
	}
	rep, err := Verify(context.Background(), files, VerifyOptions{Verifiers: k.verifiers})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Repairs != 1 || rep.Unsealed != 0 {
		t.Fatalf("report %+v, want 1 repair record, sealed", rep)
	}
	// Nothing left to repair; the log opens and goes on.
	if rec, err := Repair(context.Background(), dir, opts); rec != nil || err != nil {
		t.Fatalf("second Repair: %+v, %v", rec, err)
	}
	l := openTest(t, dir, opts)
	if err := l.RecordDecision(context.Background(), sampleDecision(99)); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if _, err := Verify(context.Background(), files, VerifyOptions{Verifiers: k.verifiers}); err != nil {
		t.Fatal(err)
	}
}

func assertProblem(t *testing.T, err error, p Problem, detail string) *VerifyError {
	t.Helper()
	var ve *VerifyError
	if !errors.As(err, &ve) || !errors.Is(err, ErrVerify) {
		t.Fatalf("error %v, want a *VerifyError (%s)", err, p)
	}
	if ve.Problem != p || !strings.Contains(ve.Error(), detail) {
		t.Fatalf("error %q, want problem %q with %q", ve, p, detail)
	}
	return ve
}

// TestDurableOnReturn: when RecordDecision returns, its record is in the
// file (written and synced by the group commit), before any Close.
func TestDurableOnReturn(t *testing.T) {
	k := newTestKeys(t, "test-log")
	dir := t.TempDir()
	l := openTest(t, dir, testOptions(k))
	defer l.Close()
	for i := range 20 {
		d := sampleDecision(i)
		if err := l.RecordDecision(context.Background(), d); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, fileName(1)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(`"id":"`+d.ID+`"`)) || !bytes.HasSuffix(b, []byte("\n")) {
			t.Fatalf("decision %s returned but is not in the file", d.ID)
		}
	}
	if st := l.Stats(); st.Records != 20 || st.Batches != 20 {
		t.Fatalf("stats %+v, want 20 records in 20 batches (one caller at a time)", st)
	}
}

// TestRecycledRecords: records are encoded through recycled buffers; every
// line must still be exactly the encoding of its own decision.
func TestRecycledRecords(t *testing.T) {
	k := newTestKeys(t, "test-log")
	dir := t.TempDir()
	l := openTest(t, dir, testOptions(k))
	red, _ := NewRedactor(testKey, "k-test", "")
	var want [][]byte
	for i := range 30 {
		d := sampleDecision(i)
		if i%4 == 0 { // no evidence, no consent
			d.Evidence, d.Dial.ConsentID = nil, ""
		}
		if err := l.RecordDecision(context.Background(), d); err != nil {
			t.Fatal(err)
		}
		rec, err := red.Decision(d)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, appendDecisionBody(nil, rec))
	}
	l.Close()
	b, _ := os.ReadFile(filepath.Join(dir, fileName(1)))
	i := 0
	for _, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
		pl, err := ParseLine(line)
		if err != nil {
			t.Fatal(err)
		}
		if pl.Kind != KindDecision {
			continue
		}
		if !bytes.HasSuffix(line, want[i][1:]) {
			t.Fatalf("record %d:\n got %s\nwant …%s", i, line, want[i][1:])
		}
		i++
	}
	if i != 30 {
		t.Fatalf("%d decision records, want 30", i)
	}
}
