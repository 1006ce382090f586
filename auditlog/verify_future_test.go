package auditlog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestVerifyFutureCheckpoint: Open refuses a checkpoint dated more than
// CheckpointClockSkew after its clock, but Verify checked no date against
// any clock: a checkpoint planted with the log's key (or written by a
// clock far ahead) dated in year 9000 verified, and `audit verify` showed
// it as the log's last checkpoint time. With VerifyOptions.Now, such a
// checkpoint is a failure naming its file and line; one within the skew
// verifies, and without Now (the zero time) no date is checked.
func TestVerifyFutureCheckpoint(t *testing.T) {
	ctx := context.Background()
	k := newTestKeys(t, "test-log")
	now := t0.Add(time.Hour)
	setup := func(t *testing.T, when time.Time) ([]string, int) {
		dir := t.TempDir()
		opts := testOptions(k)
		opts.Now = func() time.Time { return now }
		writeSeq(t, dir, opts, 0, 5)
		files, err := LogFiles(dir)
		if err != nil {
			t.Fatal(err)
		}
		cp, _ := lastCheckpoint(t, files[0])
		plantCheckpoint(t, files[0], cp.Tree, cp.LogID, when, k)
		_, lines := lastCheckpoint(t, files[0])
		return files, lines
	}

	year9000 := time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, when := range []time.Time{year9000, now.Add(CheckpointClockSkew + time.Second)} {
		files, line := setup(t, when)
		_, err := Verify(ctx, files, VerifyOptions{Verifiers: k.verifiers, Now: now})
		var verr *VerifyError
		if !errors.As(err, &verr) || verr.File != files[0] || verr.Line != line || !strings.Contains(verr.Error(), "future") ||
			!strings.Contains(verr.Error(), fmt.Sprintf("%s:%d", files[0], line)) {
			t.Errorf("checkpoint dated %v, verified at %v: %v, want a failure naming %s:%d", when, now, err, files[0], line)
		}
		if _, err := Verify(ctx, files, VerifyOptions{Verifiers: k.verifiers}); err != nil {
			t.Errorf("checkpoint dated %v, verified without a clock: %v", when, err)
		}
	}
	files, _ := setup(t, now.Add(CheckpointClockSkew))
	if _, err := Verify(ctx, files, VerifyOptions{Verifiers: k.verifiers, Now: now}); err != nil {
		t.Errorf("checkpoint dated CheckpointClockSkew after the clock: %v, want it verified", err)
	}
	// A trusted checkpoint (kept outside the log) dated in the future.
	cp, _ := lastCheckpoint(t, files[0])
	trusted, err := signCheckpoint(cp.Tree, cp.LogID, year9000, k.signer)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Verify(ctx, files, VerifyOptions{Verifiers: k.verifiers, Now: now, Trusted: trusted})
	if verr := (*VerifyError)(nil); !errors.As(err, &verr) || verr.Problem != ProblemFutureDated || !strings.Contains(verr.Detail, "trusted checkpoint") {
		t.Errorf("trusted checkpoint dated %v: %v, want ProblemFutureDated", year9000, err)
	}
}
