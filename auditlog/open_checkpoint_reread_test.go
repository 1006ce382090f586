package auditlog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// TestOpenRefusesCheckpointVerifyRefuses: a checkpoint signed by a key Open
// trusts — a retired key listed in Options.Verifiers, which may be why it
// was retired (it leaked) — signing the right tree but carrying another log
// id than the log's earlier checkpoints, or dated before the previous
// checkpoint, was accepted by Open, which took the planted log id: the
// log's real key then signed it at the next checkpoint, and Verify refused
// the log from there on (wrong log, reordered). Open now refuses such a
// line as Verify does, naming the file and line.
func TestOpenRefusesCheckpointVerifyRefuses(t *testing.T) {
	ctx := context.Background()
	retired, current := newTestKeys(t, "audit-2025"), newTestKeys(t, "audit-2026")
	now := t0.Add(time.Hour)
	cases := []struct {
		name  string
		plant func(t *testing.T, file string, cp Checkpoint)
		want  string
	}{
		{"retired key, another log id", func(t *testing.T, file string, cp Checkpoint) {
			plantCheckpoint(t, file, cp.Tree, "dlg-attacker", cp.Time, retired)
		}, "log id"},
		{"retired key, dated before the previous checkpoint", func(t *testing.T, file string, cp Checkpoint) {
			plantCheckpoint(t, file, cp.Tree, cp.LogID, cp.Time.Add(-24*time.Hour), retired)
		}, "before the previous checkpoint"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := testOptions(current)
			opts.Now = func() time.Time { return now }
			opts.Verifiers = []note.Verifier{mustVerifier(t, retired.vkey)}
			writeSeq(t, dir, opts, 0, 5)
			files, err := LogFiles(dir)
			if err != nil {
				t.Fatal(err)
			}
			cp, _ := lastCheckpoint(t, files[0])
			tc.plant(t, files[0], cp)
			_, lines := lastCheckpoint(t, files[0])
			l, err := Open(ctx, dir, opts)
			if err == nil {
				if rerr := l.RecordDecision(ctx, sampleDecision(5)); rerr != nil {
					t.Fatal(rerr)
				}
				l.Close()
				got, _ := lastCheckpoint(t, files[0])
				t.Fatalf("Open accepted the planted checkpoint; the next checkpoint signed by the log's key carries log id %q (the log's is %q), dated %v", got.LogID, cp.LogID, got.Time)
			}
			var ce *CheckpointError
			where := fmt.Sprintf("%s:%d", files[0], lines)
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), where) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open: %v\nwant a *CheckpointError naming %s and saying %q", err, where, tc.want)
			}
		})
	}
}

// TestVerifyKeyRulesApplyToTrustedSeal: since records the trusted
// checkpoint signs count as sealed (RequireSealed), a trusted checkpoint
// signed by a key a KeyRule retired — the directory's checkpoint file,
// which anyone who can write the log can replace, signed with the leaked
// retired key — sealed records written after the rotation whose own
// checkpoint lines were deleted: --sealed --require-key passed them. The
// key rules apply to the trusted checkpoint as to the log's.
func TestVerifyKeyRulesApplyToTrustedSeal(t *testing.T) {
	ctx := context.Background()
	retired, current := newTestKeys(t, "audit-2025"), newTestKeys(t, "audit-2026")
	dir := t.TempDir()
	writeSeq(t, dir, testOptions(retired), 0, 3)
	o2 := testOptions(current)
	o2.Verifiers = []note.Verifier{mustVerifier(t, retired.vkey)}
	writeSeq(t, dir, o2, 3, 6)
	files, err := LogFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	cp, _ := lastCheckpoint(t, files[0])
	// The current key's checkpoint lines (after the rotation) deleted; a
	// checkpoint signed by the retired key over all the records kept as
	// the trusted one.
	lines, at := checkpointLines(t, files[0])
	var kept []byte
	for i, l := range lines {
		if i == at[len(at)-1] {
			continue
		}
		kept = append(kept, l...)
	}
	writeFile(t, files[0], string(kept))
	forged, err := signCheckpoint(cp.Tree, cp.LogID, cp.Time, retired.signer)
	if err != nil {
		t.Fatal(err)
	}
	both := note.VerifierList(mustVerifier(t, retired.vkey), mustVerifier(t, current.vkey))
	rule := KeyRule{Name: current.signer.Name(), Hash: current.signer.KeyHash(), FromSeq: 3}
	vo := VerifyOptions{Verifiers: both, Trusted: forged, RequireSealed: true, KeyRules: []KeyRule{rule}}
	rep, err := Verify(ctx, files, vo)
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Problem != ProblemBadSignature || !strings.Contains(ve.Detail, "trusted checkpoint") {
		t.Fatalf("Verify --sealed --require-key with a trusted checkpoint signed by the retired key over records after the rotation: %+v, %v; want bad signature of the trusted checkpoint", rep, err)
	}
	// A trusted checkpoint the retired key signed before the rotation
	// passes the rule (and seals only what it signs).
	early, err := signCheckpoint(cp.Tree, cp.LogID, cp.Time, current.signer)
	if err != nil {
		t.Fatal(err)
	}
	vo.Trusted = early
	if rep, err := Verify(ctx, files, vo); err != nil || rep.Unsealed != 0 {
		t.Fatalf("Verify with the current key's trusted checkpoint: %+v, %v; want success", rep, err)
	}
}
