package auditlog

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
)

// TestCloseErrorRepeated: when the final checkpoint cannot be made durable,
// every Close says so — a second Close, or one racing the first (a deferred
// Close beside a shutdown hook's), returned nil, and a caller who checked
// only that one believed the log sealed.
func TestCloseErrorRepeated(t *testing.T) {
	for _, concurrent := range []bool{false, true} {
		k := newTestKeys(t, "test-log")
		opts := testOptions(k)
		var mu sync.Mutex
		fail := false
		opts.syncData = func(f *os.File) error {
			mu.Lock()
			defer mu.Unlock()
			if fail {
				return errors.New("EIO")
			}
			return f.Sync()
		}
		l := openTest(t, t.TempDir(), opts)
		if err := l.RecordDecision(context.Background(), sampleDecision(0)); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		fail = true
		mu.Unlock()
		errs := make([]error, 3)
		if concurrent {
			var wg sync.WaitGroup
			for i := range errs {
				wg.Add(1)
				go func() { defer wg.Done(); errs[i] = l.Close() }()
			}
			wg.Wait()
		} else {
			for i := range errs {
				errs[i] = l.Close()
			}
		}
		for i, err := range errs {
			if err == nil {
				t.Errorf("concurrent %v: Close #%d = nil after the final checkpoint failed", concurrent, i)
			}
		}
	}
}
