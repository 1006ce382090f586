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

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// stepClock is a clock for Options.Now that tests move by hand.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// writeSeq appends decisions from..to-1 in order and closes the log.
func writeSeq(t *testing.T, dir string, opts Options, from, to int) {
	t.Helper()
	l := openTest(t, dir, opts)
	for i := from; i < to; i++ {
		if err := l.RecordDecision(context.Background(), sampleDecision(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// checkpointLines returns the indexes (in the lines of file) and parsed
// lines of its checkpoints.
func checkpointLines(t *testing.T, file string) (lines [][]byte, at []int) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines = bytes.SplitAfter(b, []byte("\n"))
	for i, line := range lines {
		if bytes.Contains(line, []byte(`"kind":"checkpoint"`)) {
			at = append(at, i)
		}
	}
	return lines, at
}

// resign replaces checkpoint line i of file by a checkpoint of the same tree
// for logID at time when, signed by signer: what someone holding the key
// (another sidecar sharing it) can make.
func resign(t *testing.T, file string, i int, logID string, when time.Time, signer note.Signer) {
	t.Helper()
	lines, _ := checkpointLines(t, file)
	l, err := ParseLine(bytes.TrimSuffix(lines[i], []byte("\n")))
	if err != nil || l.Kind != KindCheckpoint {
		t.Fatalf("line %d is not a checkpoint: %v", i, err)
	}
	cp, err := unverifiedCheckpoint([]byte(l.Note))
	if err != nil {
		t.Fatal(err)
	}
	signed, err := signCheckpoint(cp.Tree, logID, when, signer)
	if err != nil {
		t.Fatal(err)
	}
	lines[i] = append(appendCheckpointLine(nil, signed), '\n')
	if err := os.WriteFile(file, bytes.Join(lines, nil), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Checkpoints carry the log's identity and their time in the signed text:
// Verify reports them, and an edit of either breaks the signature.
func TestCheckpointIdentityAndTime(t *testing.T) {
	k := newTestKeys(t, "test-log")
	dir := t.TempDir()
	clock := &stepClock{t: t0}
	opts := testOptions(k)
	opts.LogID, opts.Now, opts.CheckpointEvery = "sidecar-a", clock.now, 4
	writeSeq(t, dir, opts, 0, 10)
	files, _ := LogFiles(dir)
	rep, err := Verify(context.Background(), files, VerifyOptions{Verifiers: k.verifiers, LogID: "sidecar-a"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.LogID != "sidecar-a" || rep.CheckpointsWithoutLogID != 0 || !rep.FirstTime.Equal(t0) || !rep.LastTime.Equal(t0) {
		t.Fatalf("report: log id %q (%d without), times %v to %v", rep.LogID, rep.CheckpointsWithoutLogID, rep.FirstTime, rep.LastTime)
	}
	b, _ := os.ReadFile(files[0])
	if !strings.Contains(string(b), `\nlog-id sidecar-a\ntime 2026-12-05T01:00:00Z\n\n`) {
		t.Fatalf("the checkpoint text lacks the log id and time lines:\n%s", b)
	}

	// The clock steps back: the next checkpoint is dated as the last one,
	// and a reopened log (which forgot nothing) keeps its identity.
	clock.set(t0.Add(-time.Hour))
	o2 := opts
	o2.LogID = ""
	writeSeq(t, dir, o2, 10, 13)
	clock.set(t0.Add(time.Hour))
	writeSeq(t, dir, o2, 13, 14)
	rep, err = Verify(context.Background(), files, VerifyOptions{Verifiers: k.verifiers})
	if err != nil || rep.LogID != "sidecar-a" || !rep.LastTime.Equal(t0.Add(time.Hour).UTC()) || rep.Checkpoints != 5 {
		t.Fatalf("Verify after a clock step back: %+v, %v", rep, err)
	}

	// A log keeps one identity.
	o3 := opts
	o3.LogID = "sidecar-b"
	if _, err := Open(context.Background(), dir, o3); !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), "sidecar-a") {
		t.Fatalf("Open with another log id: %v, want ErrInvalidOptions", err)
	}

	// Editing the identity or the time in the signed text breaks the
	// signature: both are signed.
	for _, edit := range [][2]string{{`log-id sidecar-a`, `log-id sidecar-b`}, {`time 2026-12-05T01:00:00Z`, `time 2026-12-05T02:00:00Z`}} {
		bad := strings.Replace(string(b), edit[0], edit[1], 1)
		if err := os.WriteFile(files[0], []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Verify(context.Background(), files, VerifyOptions{Verifiers: k.verifiers})
		var ve *VerifyError
		if !errors.As(err, &ve) || ve.Problem != ProblemBadSignature {
			t.Fatalf("Verify with %q edited to %q: %v, want bad signature", edit[0], edit[1], err)
		}
	}
}

// With one key shared by several logs, Verify tells them apart: a checkpoint
// of another log (carrying its identity) fails, so does a checkpoint dated
// before the one before it, and a required identity that is not the log's.
func TestVerifyCheckpointIdentityMismatch(t *testing.T) {
	k := newTestKeys(t, "fleet")
	clock := &stepClock{t: t0}
	opts := testOptions(k)
	opts.LogID, opts.Now, opts.CheckpointEvery = "sidecar-a", clock.now, 4
	setup := func() []string {
		dir := t.TempDir()
		writeSeq(t, dir, opts, 0, 4)
		clock.set(t0.Add(time.Minute))
		writeSeq(t, dir, opts, 4, 8)
		files, _ := LogFiles(dir)
		return files
	}
	for _, tc := range []struct {
		name    string
		change  func(file string)
		want    Problem
		inLine  bool
		options VerifyOptions
	}{
		{"another log's checkpoint", func(f string) {
			_, at := checkpointLines(t, f)
			resign(t, f, at[1], "sidecar-b", t0.Add(time.Minute), k.signer)
		}, ProblemWrongLog, true, VerifyOptions{}},
		{"a checkpoint dated before the previous one", func(f string) {
			_, at := checkpointLines(t, f)
			resign(t, f, at[1], "sidecar-a", t0.Add(-time.Minute), k.signer)
		}, ProblemReordered, true, VerifyOptions{}},
		{"another identity required", func(string) {}, ProblemWrongLog, true, VerifyOptions{LogID: "sidecar-b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := setup()
			if _, err := Verify(context.Background(), files, VerifyOptions{Verifiers: k.verifiers}); err != nil {
				t.Fatal(err)
			}
			tc.change(files[0])
			vo := tc.options
			vo.Verifiers = k.verifiers
			_, err := Verify(context.Background(), files, vo)
			var ve *VerifyError
			if !errors.As(err, &ve) || ve.Problem != tc.want || (tc.inLine && ve.Line == 0) {
				t.Fatalf("Verify: %v, want %s at a checkpoint line", err, tc.want)
			}
		})
	}
	// A trusted checkpoint of another log.
	files := setup()
	b, _ := os.ReadFile(filepath.Join(filepath.Dir(files[0]), CheckpointFile))
	cp, err := unverifiedCheckpoint(b)
	if err != nil {
		t.Fatal(err)
	}
	other, err := signCheckpoint(cp.Tree, "sidecar-b", cp.Time, k.signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(context.Background(), files, VerifyOptions{Verifiers: k.verifiers, Trusted: b}); err != nil {
		t.Fatalf("Verify with the log's own trusted checkpoint: %v", err)
	}
	_, err = Verify(context.Background(), files, VerifyOptions{Verifiers: k.verifiers, Trusted: other})
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Problem != ProblemWrongLog {
		t.Fatalf("Verify with another log's trusted checkpoint: %v, want wrong log", err)
	}
}

// oldOpenCheckpoint is how builds before checkpoints carried a log identity
// and a time read a checkpoint (verify.go's openCheckpoint then): note.Open,
// then tlog.ParseTree of the text.
func oldOpenCheckpoint(msg []byte, known note.Verifiers) (tlog.Tree, error) {
	n, err := note.Open(msg, known)
	if err != nil {
		return tlog.Tree{}, err
	}
	return tlog.ParseTree([]byte(n.Text))
}

// Old verifiers accept the new checkpoints: the extra lines come after the
// three tlog.ParseTree reads, and it ignores them. And old logs (whose
// checkpoints have neither line) verify unchanged; new checkpoints appended
// to such a log carry an identity from then on.
func TestCheckpointCompatibility(t *testing.T) {
	k := newTestKeys(t, "test-log")
	dir := t.TempDir()
	opts := testOptions(k)
	opts.LogID, opts.CheckpointEvery = "sidecar-a", 3
	l := openTest(t, dir, opts)
	for i := range 4 {
		if err := l.RecordDecision(context.Background(), sampleDecision(i)); err != nil {
			t.Fatal(err)
		}
	}
	signed, err := l.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	tree, err := oldOpenCheckpoint(signed, k.verifiers)
	if err != nil || tree.N != 4 {
		t.Fatalf("an old build reads the new checkpoint as %+v, %v", tree, err)
	}
	if !bytes.Contains(signed, []byte("\nlog-id sidecar-a\n")) {
		t.Fatalf("checkpoint without a log id:\n%s", signed)
	}

	// An old log (testdata/pre-refused, written by commit d2a145f) verifies
	// unchanged, with no identity and no time.
	oldFile, v := preRefusedLog(t)
	old := []string{oldFile}
	rep, err := Verify(context.Background(), old, VerifyOptions{Verifiers: note.VerifierList(v)})
	if err != nil || rep.Checkpoints == 0 || rep.LogID != "" || rep.CheckpointsWithoutLogID != rep.Checkpoints || !rep.FirstTime.IsZero() || len(rep.Signers) != 1 {
		t.Fatalf("Verify of an old log: %+v, %v", rep, err)
	}
	_, err = Verify(context.Background(), old, VerifyOptions{Verifiers: note.VerifierList(v), LogID: "sidecar-a"})
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Problem != ProblemWrongLog {
		t.Fatalf("Verify of an old log requiring a log id: %v, want wrong log", err)
	}

	// A log an old build wrote (checkpoints of the bare tree), continued by
	// this one, then by an old build again (a rollback), then by this one:
	// it keeps the identity it was given first.
	dir = t.TempDir()
	opts = testOptions(k)
	opts.CheckpointEvery = 1000
	writeSeq(t, dir, opts, 0, 3)
	files, _ := LogFiles(dir)
	_, at := checkpointLines(t, files[0])
	resign(t, files[0], at[0], "", time.Time{}, k.signer) // as an old build signed it
	writeSeq(t, dir, opts, 3, 5)
	writeSeq(t, dir, opts, 5, 6)
	_, at = checkpointLines(t, files[0])
	resign(t, files[0], at[2], "", time.Time{}, k.signer)
	writeSeq(t, dir, opts, 6, 7)
	rep, err = Verify(context.Background(), files, VerifyOptions{Verifiers: k.verifiers})
	if err != nil || rep.Checkpoints != 4 || rep.CheckpointsWithoutLogID != 2 || !strings.HasPrefix(rep.LogID, "dlg-") {
		t.Fatalf("Verify of a log continued across versions: %+v, %v", rep, err)
	}
}

// Verify says which key signed which checkpoints, and a KeyRule makes a
// retired key that signs after the rotation fail verification.
func TestVerifySignersAndKeyRules(t *testing.T) {
	k1, k2 := newTestKeys(t, "audit-2025"), newTestKeys(t, "audit-2026")
	both := note.VerifierList(mustVerifier(t, k1.vkey), mustVerifier(t, k2.vkey))
	dir := t.TempDir()
	clock := &stepClock{t: t0}
	o1, o2 := testOptions(k1), testOptions(k2)
	o1.Now, o2.Now = clock.now, clock.now
	o1.CheckpointEvery, o2.CheckpointEvery = 5, 5
	// Open accepts the other key's checkpoints in the log only when told
	// to trust it (Options.Verifiers): after the rotation, K2's options
	// list the retired K1.
	o2.Verifiers = []note.Verifier{mustVerifier(t, k1.vkey)}
	o1.Verifiers = []note.Verifier{mustVerifier(t, k2.vkey)}
	writeSeq(t, dir, o1, 0, 10) // K1 signs records 0–9 (two checkpoints)
	rotated := t0.Add(24 * time.Hour)
	clock.set(rotated)
	writeSeq(t, dir, o2, 10, 17) // K2 from record 10: 10–14, 15–16
	files, _ := LogFiles(dir)
	id1, id2 := KeyName(k1.signer.Name(), k1.signer.KeyHash()), KeyName(k2.signer.Name(), k2.signer.KeyHash())
	r1 := KeyRule{Name: k2.signer.Name(), Hash: k2.signer.KeyHash(), FromSeq: 10}
	r2 := KeyRule{Name: k2.signer.Name(), Hash: k2.signer.KeyHash(), FromTime: rotated}
	rep, err := Verify(context.Background(), files, VerifyOptions{Verifiers: both, KeyRules: []KeyRule{r1, r2}})
	if err != nil {
		t.Fatal(err)
	}
	want := []SignerSummary{
		{Key: id1, Checkpoints: 2, FirstSeq: 0, LastSeq: 9, FirstTime: t0.UTC(), LastTime: t0.UTC()},
		{Key: id2, Checkpoints: 2, FirstSeq: 10, LastSeq: 16, FirstTime: rotated.UTC(), LastTime: rotated.UTC()},
	}
	if len(rep.Signers) != 2 || rep.Signers[0] != want[0] || rep.Signers[1] != want[1] {
		t.Fatalf("signers: %+v, want %+v", rep.Signers, want)
	}

	// The retired key (leaked, say) signs again: accepted as before without
	// a rule, but visible in the summary; refused by either rule.
	clock.set(rotated.Add(time.Hour))
	writeSeq(t, dir, o1, 17, 19)
	rep, err = Verify(context.Background(), files, VerifyOptions{Verifiers: both})
	if err != nil || rep.Signers[0].LastSeq != 18 || rep.Signers[0].Checkpoints != 3 {
		t.Fatalf("Verify without a rule: %+v, %v", rep.Signers, err)
	}
	for _, r := range []KeyRule{r1, r2} {
		_, err := Verify(context.Background(), files, VerifyOptions{Verifiers: both, KeyRules: []KeyRule{r}})
		var ve *VerifyError
		if !errors.As(err, &ve) || ve.Problem != ProblemBadSignature || ve.Line == 0 || !strings.Contains(ve.Detail, id1) || !strings.Contains(ve.Detail, id2) {
			t.Fatalf("Verify with rule %v: %v, want bad signature naming both keys", r, err)
		}
	}
	// The rule's key must be one Verify trusts.
	if _, err := Verify(context.Background(), files, VerifyOptions{Verifiers: k1.verifiers, KeyRules: []KeyRule{r1}}); err == nil || errors.Is(err, ErrVerify) {
		t.Fatalf("Verify with a rule for a key not among the verifiers: %v, want an input error", err)
	}
}

// A time rule on checkpoints without a time (written before checkpoints
// carried one): one is taken as before the rule's time only when a later
// checkpoint is dated before it.
func TestKeyRuleUndatedCheckpoints(t *testing.T) {
	k1, k2 := newTestKeys(t, "audit-2025"), newTestKeys(t, "audit-2026")
	cp := func(n int64, when time.Time, k testKeys) checkpointAt {
		return checkpointAt{cp: Checkpoint{Tree: tlog.Tree{N: n}, Time: when, Signers: []string{KeyName(k.signer.Name(), k.signer.KeyHash())}}, file: "f", line: int(n)}
	}
	rotated := t0.Add(time.Hour)
	rule := []KeyRule{{Name: k2.signer.Name(), Hash: k2.signer.KeyHash(), FromTime: rotated}}
	// Undated by K1, then dated before the rotation by K1, then K2: fine.
	if verr := checkKeyRules([]checkpointAt{cp(5, time.Time{}, k1), cp(10, t0, k1), cp(15, rotated, k2)}, rule); verr != nil {
		t.Fatalf("undated checkpoint before a checkpoint dated before the rotation: %v", verr)
	}
	// Undated by K1 after a checkpoint dated before the rotation, and no
	// later dated one: it may be after the rotation.
	verr := checkKeyRules([]checkpointAt{cp(5, t0, k1), cp(10, time.Time{}, k1)}, rule)
	if verr == nil || verr.Line != 10 || !strings.Contains(verr.Detail, "undated") {
		t.Fatalf("undated checkpoint at the end: %v, want refused", verr)
	}
}

func mustVerifier(t *testing.T, vkey string) note.Verifier {
	t.Helper()
	v, err := NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
