package auditlog

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// RecordDecision's answer must match the file: a decision whose record was
// written and fsynced is recorded, whatever fails after the sync (publishing
// the checkpoint, rotating the file). Otherwise the Gate denies with
// audit.unavailable a dial the log shows as allowed.
func TestDurableRecordNotReportedFailed(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string, opts *Options)
	}{
		{"checkpoint file cannot be written", func(t *testing.T, dir string, opts *Options) {
			opts.CheckpointEvery = 2
		}},
		{"rotation fails", func(t *testing.T, dir string, opts *Options) {
			opts.MaxFileBytes = 1 // rotate after every batch
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := newTestKeys(t, "test-log")
			dir := t.TempDir()
			opts := testOptions(k)
			tc.setup(t, dir, &opts)
			l := openTest(t, dir, opts)
			if tc.name == "checkpoint file cannot be written" {
				// A directory in the way of the checkpoint file (made after
				// Open, which would have refused it): the rename fails.
				if err := os.MkdirAll(filepath.Join(dir, CheckpointFile, "x"), 0o700); err != nil {
					t.Fatal(err)
				}
			}
			if tc.name == "rotation fails" {
				// Something in the way of file 2 (created after Open, which
				// would have refused it): rotating to it fails.
				if err := os.Mkdir(filepath.Join(dir, fileName(2)), 0o700); err != nil {
					t.Fatal(err)
				}
			}
			ctx := context.Background()
			var errs []error
			for i := range 2 {
				errs = append(errs, l.RecordDecision(ctx, sampleDecision(i)))
			}
			l.Close()
			b, err := os.ReadFile(filepath.Join(dir, fileName(1)))
			if err != nil {
				t.Fatal(err)
			}
			for i, err := range errs {
				inFile := bytes.Contains(b, []byte(`"id":"`+sampleDecision(i).ID+`"`))
				t.Logf("record %d: err %v, in the file: %v", i, err, inFile)
				if inFile && err != nil {
					t.Errorf("decision %d is in the log but RecordDecision returned %v", i, err)
				}
				if !inFile && err == nil {
					t.Errorf("decision %d is not in the log but RecordDecision returned nil", i)
				}
			}
			// The failure is not hidden: the log fails from then on.
			if err := l.RecordDecision(ctx, sampleDecision(9)); err == nil || !(errors.Is(err, ErrFailed) || errors.Is(err, ErrClosed)) {
				t.Errorf("after the failure: %v, want ErrFailed or ErrClosed", err)
			}
		})
	}
}
