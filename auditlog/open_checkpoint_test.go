package auditlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// plantCheckpoint appends to file a checkpoint line signing tree for logID
// at when with k's key: what anyone with write access to the directory can
// add (with a key of their own, or a key shared by a fleet).
func plantCheckpoint(t *testing.T, file string, tree tlog.Tree, logID string, when time.Time, k testKeys) {
	t.Helper()
	signed, err := signCheckpoint(tree, logID, when, k.signer)
	if err != nil {
		t.Fatal(err)
	}
	appendToFile(t, file, append(appendCheckpointLine(nil, signed), '\n'))
}

// lastCheckpoint returns what the last checkpoint line of file states
// (unverified) and the number of lines of file.
func lastCheckpoint(t *testing.T, file string) (Checkpoint, int) {
	t.Helper()
	lines, at := checkpointLines(t, file)
	if len(at) == 0 {
		t.Fatalf("%s has no checkpoint", file)
	}
	l, err := ParseLine(bytes.TrimSuffix(lines[at[len(at)-1]], []byte("\n")))
	if err != nil {
		t.Fatal(err)
	}
	cp, err := unverifiedCheckpoint([]byte(l.Note))
	if err != nil {
		t.Fatal(err)
	}
	return cp, len(lines) - 1 // SplitAfter leaves "" after the last newline
}

// TestOpenRefusesPlantedCheckpoint: Open took the log identity and the
// latest time from the checkpoint lines it found without checking them, so
// a checkpoint line planted by someone with write access (and no key) made
// the real key sign the attacker's log id and a date in year 9000 at the
// next checkpoint the process wrote. Open now verifies every checkpoint
// line: signed by the log's key (or a key Options.Verifiers still trusts),
// signing the tree of the records before it, not dated after the clock
// (beyond CheckpointClockSkew). One that fails is an error naming the file
// and line; nothing is signed.
func TestOpenRefusesPlantedCheckpoint(t *testing.T) {
	ctx := context.Background()
	k := newTestKeys(t, "test-log")
	attacker := newTestKeys(t, "test-log") // the same name, another key
	year9000 := time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)
	now := t0.Add(time.Hour)

	setup := func(t *testing.T) (string, string, Options, Checkpoint) {
		dir := t.TempDir()
		opts := testOptions(k)
		opts.Now = func() time.Time { return now }
		writeSeq(t, dir, opts, 0, 5)
		files, err := LogFiles(dir)
		if err != nil {
			t.Fatal(err)
		}
		cp, _ := lastCheckpoint(t, files[0])
		if cp.LogID == "" || cp.Tree.N != 5 {
			t.Fatalf("the log's checkpoint: %+v", cp)
		}
		return dir, files[0], opts, cp
	}
	otherTree := func(cp Checkpoint) tlog.Tree {
		tree := cp.Tree
		tree.Hash[0] ^= 1
		return tree
	}

	cases := []struct {
		name  string
		plant func(t *testing.T, file string, cp Checkpoint)
		want  string
	}{
		{"another key, another log id, year 9000", func(t *testing.T, file string, cp Checkpoint) {
			plantCheckpoint(t, file, cp.Tree, "attacker", year9000, attacker)
		}, "not by the log's key"},
		{"another key, the log's own text", func(t *testing.T, file string, cp Checkpoint) {
			plantCheckpoint(t, file, cp.Tree, cp.LogID, cp.Time, attacker)
		}, "not by the log's key"},
		{"the log's key, year 9000", func(t *testing.T, file string, cp Checkpoint) {
			plantCheckpoint(t, file, cp.Tree, cp.LogID, year9000, k)
		}, "future"},
		{"the log's key, another log's tree (a fleet sharing the key)", func(t *testing.T, file string, cp Checkpoint) {
			plantCheckpoint(t, file, otherTree(cp), "sidecar-b", cp.Time, k)
		}, "tree"},
		{"the log's key, an earlier checkpoint replayed", func(t *testing.T, file string, cp Checkpoint) {
			plantCheckpoint(t, file, tlog.Tree{N: 2, Hash: cp.Tree.Hash}, cp.LogID, cp.Time, k)
		}, "tree"},
		{"signature edited", func(t *testing.T, file string, cp Checkpoint) {
			signed, err := signCheckpoint(cp.Tree, "attacker", cp.Time, k.signer)
			if err != nil {
				t.Fatal(err)
			}
			good, err := signCheckpoint(cp.Tree, cp.LogID, cp.Time, k.signer)
			if err != nil {
				t.Fatal(err)
			}
			// The text of one, the signature line of the other.
			i, j := bytes.LastIndex(signed, []byte("\n\n")), bytes.LastIndex(good, []byte("\n\n"))
			forged := append(append([]byte(nil), signed[:i]...), good[j:]...)
			appendToFile(t, file, append(appendCheckpointLine(nil, forged), '\n'))
		}, "signature"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, file, opts, cp := setup(t)
			tc.plant(t, file, cp)
			_, lines := lastCheckpoint(t, file)
			before, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			l, err := Open(ctx, dir, opts)
			if err == nil {
				// What the attack achieved: the real key signs the planted
				// identity and time at the next checkpoint.
				if rerr := l.RecordDecision(ctx, sampleDecision(5)); rerr != nil {
					t.Fatal(rerr)
				}
				l.Close()
				got, _ := lastCheckpoint(t, file)
				t.Fatalf("Open accepted the planted checkpoint; the next checkpoint signed by the log's key carries log id %q, dated %v", got.LogID, got.Time)
			}
			where := fmt.Sprintf("%s:%d", file, lines)
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), where) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open: %v\nwant ErrCorrupt naming %s and saying %q", err, where, tc.want)
			}
			var ce *CheckpointError
			if !errors.As(err, &ce) || ce.File != file || ce.Line != lines {
				t.Fatalf("Open: %v, want a *CheckpointError at %s", err, where)
			}
			// Repair refuses it likewise (it is no crash's), and changes nothing.
			if _, rerr := Repair(ctx, dir, opts); !errors.Is(rerr, ErrCorrupt) || !strings.Contains(rerr.Error(), where) {
				t.Fatalf("Repair: %v, want the same refusal", rerr)
			}
			after, _ := os.ReadFile(file)
			if !bytes.Equal(before, after) {
				t.Fatal("the log file changed")
			}
		})
	}
}

// TestOpenCheckpointClockSkew: a checkpoint dated a little after the clock
// (a clock stepped back by NTP after the last run, within
// CheckpointClockSkew) opens; one dated further ahead does not.
func TestOpenCheckpointClockSkew(t *testing.T) {
	ctx := context.Background()
	k := newTestKeys(t, "test-log")
	dir := t.TempDir()
	clock := &stepClock{t: t0}
	opts := testOptions(k)
	opts.Now = clock.now
	writeSeq(t, dir, opts, 0, 3)
	clock.set(t0.Add(-CheckpointClockSkew))
	writeSeq(t, dir, opts, 3, 4) // opens: within the skew
	clock.set(t0.Add(-CheckpointClockSkew - time.Second))
	_, err := Open(ctx, dir, opts)
	var ce *CheckpointError
	if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "future") {
		t.Fatalf("Open with the clock %v before the last checkpoint: %v, want a *CheckpointError", CheckpointClockSkew+time.Second, err)
	}
}

// TestOpenLegitimateLogs: logs this code writes keep opening — with the
// checkpoints of a log id and a time, with the bare-tree checkpoints of the
// builds before those (re-signed as they signed them), across files, after
// a repair, and after a key rotation when the retired key is still listed
// in Options.Verifiers (refused, naming the rotation, when it is not).
func TestOpenLegitimateLogs(t *testing.T) {
	ctx := context.Background()
	k1, k2 := newTestKeys(t, "audit-2025"), newTestKeys(t, "audit-2026")
	dir := t.TempDir()
	o1 := testOptions(k1)
	o1.CheckpointEvery, o1.MaxFileBytes = 3, 2048
	writeSeq(t, dir, o1, 0, 10)
	files, _ := LogFiles(dir)
	if len(files) < 2 {
		t.Fatalf("want several files, got %d", len(files))
	}
	// The first checkpoint as a build before log ids and times signed it.
	_, at := checkpointLines(t, files[0])
	resign(t, files[0], at[0], "", time.Time{}, k1.signer)
	// A crash leaves a torn line; the repair cuts it and checkpoints.
	last := files[len(files)-1]
	appendToFile(t, last, []byte(`{"seq":10,"kind":"deci`))
	if _, err := Repair(ctx, dir, o1); err != nil {
		t.Fatalf("Repair: %v", err)
	}
	writeSeq(t, dir, o1, 10, 12)

	// Key rotation: the new key alone refuses the old key's checkpoints,
	// saying how to trust it.
	o2 := testOptions(k2)
	o2.CheckpointEvery, o2.MaxFileBytes = 3, 2048
	_, err := Open(ctx, dir, o2)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "audit-2025") || !strings.Contains(err.Error(), "Verifiers") {
		t.Fatalf("Open with the new key only: %v, want refused naming the old key and Options.Verifiers", err)
	}
	o2.Verifiers = []note.Verifier{mustVerifier(t, k1.vkey)}
	writeSeq(t, dir, o2, 12, 16)
	// And the old key again (a rollback), trusting the new one.
	o1.Verifiers = []note.Verifier{mustVerifier(t, k2.vkey)}
	writeSeq(t, dir, o1, 16, 17)

	files, _ = LogFiles(dir)
	both := note.VerifierList(mustVerifier(t, k1.vkey), mustVerifier(t, k2.vkey))
	rep, err := Verify(ctx, files, VerifyOptions{Verifiers: both, Dir: dir, RequireSealed: true})
	if err != nil || rep.Records != 18 { // 17 decisions and the repair record
		t.Fatalf("Verify: %+v, %v", rep, err)
	}
}
