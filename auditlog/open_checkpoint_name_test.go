package auditlog

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestOpenEscapesUnknownSignerName: a checkpoint line planted in the log
// (by anyone who can write its files, no key needed) names its signer as
// it likes; note allows a name with a bidirectional override or a C1
// control (CSI). Open's CheckpointError put that name as it was in its
// Detail and UnknownKeys, which serve, check and audit repair print to the
// operator's terminal and logs (with the retired-keys hint naming it
// again): the text could reorder or rewrite what the operator reads. The
// name is written escaped (\u202e, \x9b).
func TestOpenEscapesUnknownSignerName(t *testing.T) {
	ctx := context.Background()
	current := newTestKeys(t, "audit-2026")
	now := t0.Add(time.Hour)
	for _, name := range []string{"audit-2026\u202eyek.evil", "audit\u009b2J"} {
		planted := newTestKeys(t, name)
		dir := t.TempDir()
		opts := testOptions(current)
		opts.Now = func() time.Time { return now }
		writeSeq(t, dir, opts, 0, 5)
		files, err := LogFiles(dir)
		if err != nil {
			t.Fatal(err)
		}
		cp, _ := lastCheckpoint(t, files[0])
		plantCheckpoint(t, files[0], cp.Tree, cp.LogID, cp.Time, planted)
		_, err = Open(ctx, dir, opts)
		var ce *CheckpointError
		if !errors.As(err, &ce) || len(ce.UnknownKeys) != 1 {
			t.Fatalf("Open with a checkpoint of key %q: %v, want a CheckpointError naming one unknown key", name, err)
		}
		for _, s := range []string{err.Error(), ce.UnknownKeys[0]} {
			if strings.ContainsAny(s, "\u202e\u009b") {
				t.Errorf("Open's error shows the planted signer name as it is: %q", s)
			}
		}
	}
}
