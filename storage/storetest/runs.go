package storetest

//lint:file-ignore ST1005 the conformance failures start with the Go method they report on (RecordRun, RunLength)

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage"
)

// TestRuns runs the storage.Runs conformance suite as subtests. open must
// return a fresh, empty store for the given (sub)test and arrange for it to
// be closed.
func TestRuns(t *testing.T, open func(t *testing.T) storage.Runs, opts ...Option) {
	t.Helper()
	runT(t, runCases(), open, newConfig(opts))
}

// CheckRuns runs the storage.Runs conformance suite and reports every
// failure, joined. open must return a fresh, empty store on each call; stores
// implementing io.Closer are closed after each case.
func CheckRuns(ctx context.Context, open func() (storage.Runs, error), opts ...Option) error {
	return checkAll(ctx, "Runs", runCases(), open, newConfig(opts))
}

func runCases() []testCase[storage.Runs] {
	return []testCase[storage.Runs]{
		{"InvalidArguments", runInvalid},
		{"EmptyKey", runEmpty},
		{"RunClosesKey", runCloses},
		{"Gaps", runGaps},
		{"BothSides", runBothSides},
		{"ValueCountedOnce", runCountedOnce},
		{"RunLengthCloses", runLengthCloses},
		{"IdempotentByID", runIdempotent},
		{"IDsAreGlobal", runIDsGlobal},
		{"Release", runRelease},
		{"ReleaseSharedValue", runReleaseShared},
		{"ReleaseKeepsClosed", runReleaseKeepsClosed},
		{"WindowExpiry", runWindow},
		{"ClosedForTheWindow", runClosedWindow},
		{"ClosedForACallerBehind", runClosedBehind},
		{"FutureValuesCount", runFuture},
		{"KeysIndependent", runKeys},
		{"Race64", runRace},
		{"Race64Spread", runRaceSpread},
		{"CancelledContext", runCancelled},
		{"Closed", runClosed},
		{"Reopen", runReopen},
		{"RandomAgainstModel", runRandom},
		{"ProgressionUp", runProgUp},
		{"ProgressionDown", runProgDown},
		{"ProgressionMiddle", runProgMiddle},
		{"ProgressionInterleaved", runProgInterleaved},
		{"ProgressionStepBounds", runProgBounds},
		{"ProgressionRelease", runProgRelease},
		{"ProgressionWindow", runProgWindow},
		{"ProgressionOff", runProgOff},
		{"ProgressionMaxStepShared", runProgShared},
		{"ProgressionGaps", runProgGaps},
		{"RandomProgressionsAgainstModel", runRandomProgressions},
	}
}

// rp are the suite's usual parameters: runs of 5, gaps of up to 2, one hour.
var rp = storage.RunParams{MinRun: 5, MaxGap: 2, Window: time.Hour}

func openRuns(h harness[storage.Runs]) (storage.Runs, error) {
	s, err := h.open()
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	if s == nil {
		return nil, errors.New("open returned nil")
	}
	return s, nil
}

// record calls RecordRun and checks its answer.
func record(ctx context.Context, s storage.Runs, id, key string, x int, t time.Time, p storage.RunParams, wantN int, wantOK bool) error {
	n, ok, err := s.RecordRun(ctx, id, key, x, t, p)
	if err != nil {
		return fmt.Errorf("RecordRun(%q, %q, %d, %s): %w", id, key, x, t.Format(time.RFC3339Nano), err)
	}
	if n != wantN || ok != wantOK {
		return fmt.Errorf("RecordRun(%q, %q, %d, %s) = %d, %v; want %d, %v", id, key, x, t.Format(time.RFC3339Nano), n, ok, wantN, wantOK)
	}
	return nil
}

// recordAll records xs under key at t, each for id prefix-x, all allowed.
func recordAll(ctx context.Context, s storage.Runs, prefix, key string, t time.Time, p storage.RunParams, xs ...int) error {
	for _, x := range xs {
		if err := record(ctx, s, fmt.Sprintf("%s-%d", prefix, x), key, x, t, p, 0, true); err != nil {
			return err
		}
	}
	return nil
}

// wantLength calls RunLength and checks its answer.
func wantLength(ctx context.Context, s storage.Runs, key string, x int, t time.Time, p storage.RunParams, want int) error {
	n, err := s.RunLength(ctx, key, x, t, p)
	if err != nil {
		return fmt.Errorf("RunLength(%q, %d, %s): %w", key, x, t.Format(time.RFC3339Nano), err)
	}
	if n != want {
		return fmt.Errorf("RunLength(%q, %d, %s) = %d, want %d", key, x, t.Format(time.RFC3339Nano), n, want)
	}
	return nil
}

func runInvalid(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	long := string(make([]byte, storage.MaxKeyLen+1))
	bad := []struct {
		name string
		id   string
		key  string
		x    int
		t    time.Time
		p    storage.RunParams
	}{
		{"empty id", "", "k", 1, t0, rp},
		{"long id", long, "k", 1, t0, rp},
		{"empty key", "a", "", 1, t0, rp},
		{"long key", "a", long, 1, t0, rp},
		{"negative value", "a", "k", -1, t0, rp},
		{"value too large", "a", "k", storage.MaxRunValue + 1, t0, rp},
		{"zero time", "a", "k", 1, time.Time{}, rp},
		{"far past", "a", "k", 1, farPast, rp},
		{"far future", "a", "k", 1, farFuture, rp},
		{"min run 1", "a", "k", 1, t0, storage.RunParams{MinRun: 1, MaxGap: 2, Window: time.Hour}},
		{"negative gap", "a", "k", 1, t0, storage.RunParams{MinRun: 5, MaxGap: -1, Window: time.Hour}},
		{"zero window", "a", "k", 1, t0, storage.RunParams{MinRun: 5, MaxGap: 2}},
		{"window too long", "a", "k", 1, t0, storage.RunParams{MinRun: 5, MaxGap: 2, Window: storage.MaxWindow + time.Hour}},
		{"negative max step", "a", "k", 1, t0, storage.RunParams{MinRun: 5, MaxGap: 2, Window: time.Hour, MaxStep: -1}},
		{"max step within the gap", "a", "k", 1, t0, storage.RunParams{MinRun: 5, MaxGap: 2, Window: time.Hour, MaxStep: 3}},
		{"max step too large", "a", "k", 1, t0, storage.RunParams{MinRun: 5, MaxGap: 2, Window: time.Hour, MaxStep: storage.MaxRunStep + 1}},
	}
	for _, b := range bad {
		if n, ok, err := s.RecordRun(ctx, b.id, b.key, b.x, b.t, b.p); !errors.Is(err, storage.ErrInvalid) || ok {
			return fmt.Errorf("RecordRun with %s = %d, %v, %v; want false and storage.ErrInvalid", b.name, n, ok, err)
		}
		if b.id == "a" {
			if _, err := s.RunLength(ctx, b.key, b.x, b.t, b.p); !errors.Is(err, storage.ErrInvalid) {
				return fmt.Errorf("RunLength with %s: %v; want storage.ErrInvalid", b.name, err)
			}
		}
	}
	// Nothing was recorded.
	return wantLength(ctx, s, "k", 2, t0, rp, 1)
}

func runEmpty(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	if err := wantLength(ctx, s, "empty", 0, t0, rp, 1); err != nil {
		return err
	}
	if err := wantLength(ctx, s, "empty", storage.MaxRunValue, t0, rp, 1); err != nil {
		return err
	}
	if err := record(ctx, s, "a", "empty", storage.MaxRunValue, t0, rp, 0, true); err != nil {
		return err
	}
	return wantLength(ctx, s, "empty", storage.MaxRunValue-3, t0, rp, 2)
}

// runCloses: four consecutive values are recorded, the fifth would make a
// run of five and closes the key: nothing more is recorded in it, even far
// from the run.
func runCloses(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	if err := recordAll(ctx, s, "r", "seg", t0, rp, 100, 101, 102, 103); err != nil {
		return err
	}
	// 99 makes a run of five (RunLength closes the key too: the RecordRun
	// path below uses a second key).
	if err := wantLength(ctx, s, "seg", 99, t0, rp, 5); err != nil {
		return err
	}
	if err := recordAll(ctx, s, "q", "seg2", t0, rp, 103, 102, 101, 100); err != nil {
		return err
	}
	if err := record(ctx, s, "q-104", "seg2", 104, t0, rp, 5, false); err != nil {
		return err
	}
	if err := record(ctx, s, "q-9000", "seg2", 9000, t0.Add(time.Minute), rp, 5, false); err != nil {
		return fmt.Errorf("a far value in a closed key: %w", err)
	}
	if err := wantLength(ctx, s, "seg2", 5000, t0.Add(time.Minute), rp, 5); err != nil {
		return fmt.Errorf("a closed key: %w", err)
	}
	// The denied values were not recorded: ids q-104 and q-9000 are free.
	if err := record(ctx, s, "q-104", "other", 104, t0, rp, 0, true); err != nil {
		return fmt.Errorf("the id of a refused record: %w", err)
	}
	return nil
}

// runGaps: neighbours up to MaxGap+1 apart are a run, further apart are not.
func runGaps(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	if err := recordAll(ctx, s, "g3", "gap3", t0, rp, 0, 3, 6, 9); err != nil {
		return err
	}
	if err := record(ctx, s, "g3-12", "gap3", 12, t0, rp, 5, false); err != nil {
		return fmt.Errorf("steps of 3 with max gap 2: %w", err)
	}
	if err := recordAll(ctx, s, "g4", "gap4", t0, rp, 0, 4, 8, 12, 16, 20, 24, 28); err != nil {
		return fmt.Errorf("steps of 4 with max gap 2: %w", err)
	}
	if err := wantLength(ctx, s, "gap4", 32, t0, rp, 1); err != nil {
		return err
	}
	// Max gap 0: only consecutive values.
	p0 := storage.RunParams{MinRun: 3, MaxGap: 0, Window: time.Hour}
	if err := recordAll(ctx, s, "z", "gap0", t0, p0, 10, 12, 14, 16); err != nil {
		return fmt.Errorf("max gap 0: %w", err)
	}
	if err := wantLength(ctx, s, "gap0", 20, t0, p0, 1); err != nil {
		return err
	}
	return record(ctx, s, "z-11", "gap0", 11, t0, p0, 3, false)
}

// runBothSides: a value between two runs joins them; the length counts both
// sides (down and up).
func runBothSides(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	if err := recordAll(ctx, s, "b", "both", t0, rp, 0, 1, 2, 3, 7, 8, 9, 10); err != nil {
		return err
	}
	if err := wantLength(ctx, s, "both", 20, t0, rp, 1); err != nil {
		return err
	}
	// 5 is 2 above 3 and 2 below 7: one run of nine.
	if err := record(ctx, s, "b-5", "both", 5, t0, rp, 9, false); err != nil {
		return err
	}
	return wantLength(ctx, s, "both", 9999, t0, rp, 9)
}

func runCountedOnce(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	if err := recordAll(ctx, s, "c", "once", t0, rp, 1, 2, 3); err != nil {
		return err
	}
	if err := wantLength(ctx, s, "once", 2, t0, rp, 3); err != nil {
		return fmt.Errorf("a recorded value: %w", err)
	}
	if err := wantLength(ctx, s, "once", 4, t0, rp, 4); err != nil {
		return err
	}
	// The same value again, for another id: recorded, still three values.
	if err := record(ctx, s, "c-2b", "once", 2, t0, rp, 0, true); err != nil {
		return err
	}
	return wantLength(ctx, s, "once", 4, t0, rp, 4)
}

// runLengthCloses: RunLength that finds a run closes the key like RecordRun.
func runLengthCloses(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	if err := recordAll(ctx, s, "l", "len", t0, rp, 10, 11, 12, 13); err != nil {
		return err
	}
	if err := wantLength(ctx, s, "len", 14, t0, rp, 5); err != nil {
		return err
	}
	// A dialer skipping past the denied number is still sweeping.
	if err := record(ctx, s, "l-17", "len", 17, t0.Add(time.Second), rp, 5, false); err != nil {
		return fmt.Errorf("after RunLength found a run: %w", err)
	}
	return nil
}

func runIdempotent(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	if err := record(ctx, s, "a", "idem", 1, t0, rp, 0, true); err != nil {
		return err
	}
	// A held id records nothing more, whatever it asks.
	if err := record(ctx, s, "a", "idem", 2, t0, rp, 0, true); err != nil {
		return err
	}
	if err := wantLength(ctx, s, "idem", 3, t0, rp, 2); err != nil {
		return fmt.Errorf("after a retry with another value: %w (the retry recorded it)", err)
	}
	if err := recordAll(ctx, s, "i", "idem", t0, rp, 2, 3, 4); err != nil {
		return err
	}
	if err := record(ctx, s, "i-5", "idem", 5, t0, rp, 5, false); err != nil {
		return err
	}
	// Held ids still answer ok on the closed key.
	if err := record(ctx, s, "a", "idem", 1, t0, rp, 0, true); err != nil {
		return fmt.Errorf("a held id on a closed key: %w", err)
	}
	return record(ctx, s, "i-3", "idem", 3, t0, rp, 0, true)
}

func runIDsGlobal(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	if err := record(ctx, s, "a", "one", 1, t0, rp, 0, true); err != nil {
		return err
	}
	if err := record(ctx, s, "a", "two", 1, t0, rp, 0, true); err != nil {
		return err
	}
	if err := wantLength(ctx, s, "two", 2, t0, rp, 1); err != nil {
		return fmt.Errorf("an id held under another key recorded again: %w", err)
	}
	return wantLength(ctx, s, "one", 2, t0, rp, 2)
}

func runRelease(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	if err := recordAll(ctx, s, "r", "rel", t0, rp, 1, 2, 3, 4); err != nil {
		return err
	}
	if err := s.ReleaseRun(ctx, "r-4"); err != nil {
		return fmt.Errorf("ReleaseRun: %w", err)
	}
	if err := s.ReleaseRun(ctx, "r-4"); err != nil {
		return fmt.Errorf("second ReleaseRun: %w", err)
	}
	if err := s.ReleaseRun(ctx, "unknown"); err != nil {
		return fmt.Errorf("ReleaseRun of an unknown id: %w", err)
	}
	// 1, 2, 3 and the new 6 (three above 3): a run of four, allowed.
	if err := record(ctx, s, "r-6", "rel", 6, t0, rp, 0, true); err != nil {
		return fmt.Errorf("after release: %w", err)
	}
	// A released id is free again.
	if err := record(ctx, s, "r-4", "rel", 100, t0, rp, 0, true); err != nil {
		return fmt.Errorf("a released id: %w", err)
	}
	return wantLength(ctx, s, "rel", 101, t0, rp, 2)
}

func runReleaseShared(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	if err := record(ctx, s, "a", "shared", 10, t0, rp, 0, true); err != nil {
		return err
	}
	if err := record(ctx, s, "b", "shared", 10, t0, rp, 0, true); err != nil {
		return err
	}
	if err := s.ReleaseRun(ctx, "a"); err != nil {
		return err
	}
	if err := wantLength(ctx, s, "shared", 11, t0, rp, 2); err != nil {
		return fmt.Errorf("a value another id still holds: %w", err)
	}
	if err := s.ReleaseRun(ctx, "b"); err != nil {
		return err
	}
	if err := wantLength(ctx, s, "shared", 11, t0, rp, 1); err != nil {
		return fmt.Errorf("a value no id holds: %w", err)
	}
	return nil
}

func runReleaseKeepsClosed(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	if err := recordAll(ctx, s, "k", "keep", t0, rp, 1, 2, 3, 4); err != nil {
		return err
	}
	if err := record(ctx, s, "k-5", "keep", 5, t0, rp, 5, false); err != nil {
		return err
	}
	for _, x := range []int{1, 2, 3, 4} {
		if err := s.ReleaseRun(ctx, fmt.Sprintf("k-%d", x)); err != nil {
			return err
		}
	}
	if err := record(ctx, s, "k-9", "keep", 9, t0.Add(time.Minute), rp, 5, false); err != nil {
		return fmt.Errorf("after releasing every value of the run: %w (the key reopened)", err)
	}
	return nil
}

func runWindow(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	for _, k := range []string{"inside", "outside"} {
		if err := recordAll(ctx, s, k, k, t0, rp, 1, 2, 3, 4); err != nil {
			return err
		}
	}
	// A value recorded at t0 counts until t0+Window (exclusive).
	if err := wantLength(ctx, s, "inside", 5, t0.Add(rp.Window-time.Nanosecond), rp, 5); err != nil {
		return fmt.Errorf("a nanosecond before the window ends: %w", err)
	}
	if err := wantLength(ctx, s, "outside", 5, t0.Add(rp.Window), rp, 1); err != nil {
		return fmt.Errorf("when the window ends: %w", err)
	}
	if err := record(ctx, s, "o-5", "outside", 5, t0.Add(rp.Window), rp, 0, true); err != nil {
		return err
	}
	// A value recorded later keeps counting for its own window.
	return wantLength(ctx, s, "outside", 6, t0.Add(rp.Window+time.Minute), rp, 2)
}

func runClosedWindow(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	tc := t0.Add(10 * time.Minute)
	if err := recordAll(ctx, s, "w", "closed", t0, rp, 1, 2, 3, 4); err != nil {
		return err
	}
	if err := record(ctx, s, "w-5", "closed", 5, tc, rp, 5, false); err != nil {
		return err
	}
	// Closed until tc+Window, though the run's values left the window at
	// t0+Window.
	if err := record(ctx, s, "w-9000", "closed", 9000, tc.Add(rp.Window-time.Nanosecond), rp, 5, false); err != nil {
		return fmt.Errorf("just before the closing ends: %w", err)
	}
	if err := record(ctx, s, "w-9000", "closed", 9000, tc.Add(rp.Window), rp, 0, true); err != nil {
		return fmt.Errorf("when the closing ends: %w", err)
	}
	// A new run closes it again, with the new run's length.
	if err := recordAll(ctx, s, "v", "closed", tc.Add(rp.Window), rp, 9001, 9002, 9003); err != nil {
		return err
	}
	if err := record(ctx, s, "v-9004", "closed", 9004, tc.Add(rp.Window), rp, 5, false); err != nil {
		return err
	}
	return wantLength(ctx, s, "closed", 1, tc.Add(rp.Window+time.Second), rp, 5)
}

// runClosedBehind: a key stays closed for a caller whose clock runs behind
// after a caller at a later instant found the closing ended and every value
// of its run gone (and a store may have dropped the key's state).
func runClosedBehind(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	tc := t0.Add(10 * time.Minute)
	if err := recordAll(ctx, s, "b", "behind", t0, rp, 1, 2, 3, 4); err != nil {
		return err
	}
	if err := record(ctx, s, "b-5", "behind", 5, tc, rp, 5, false); err != nil {
		return err
	}
	// At tc+Window the closing has ended and the run's values left the
	// window: a record there (under another key, and under this one) sees
	// nothing of them.
	end := tc.Add(rp.Window)
	if err := record(ctx, s, "o-1", "behind/other", 1, end, rp, 0, true); err != nil {
		return err
	}
	if err := wantLength(ctx, s, "behind", 3, end, rp, 1); err != nil {
		return fmt.Errorf("when the closing ends: %w", err)
	}
	// A caller whose clock is a second behind still finds it closed.
	behind := end.Add(-time.Second)
	if err := wantLength(ctx, s, "behind", 9000, behind, rp, 5); err != nil {
		return fmt.Errorf("a second before the closing ends, asked after a later caller: %w", err)
	}
	return record(ctx, s, "b-9000", "behind", 9000, behind, rp, 5, false)
}

// runFuture: values recorded after t (a caller whose clock runs ahead) count.
func runFuture(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	if err := recordAll(ctx, s, "f", "future", t0.Add(time.Hour), rp, 1, 2, 3, 4); err != nil {
		return err
	}
	return record(ctx, s, "f-5", "future", 5, t0, rp, 5, false)
}

func runKeys(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	if err := recordAll(ctx, s, "a", "acme/1380013", t0, rp, 1, 2, 3, 4); err != nil {
		return err
	}
	if err := record(ctx, s, "a-5", "acme/1380013", 5, t0, rp, 5, false); err != nil {
		return err
	}
	if err := recordAll(ctx, s, "b", "beta/1380013", t0, rp, 1, 2, 3, 4); err != nil {
		return fmt.Errorf("another key: %w", err)
	}
	return wantLength(ctx, s, "acme/1380014", 5, t0, rp, 1)
}

// raceRecord has n goroutines record the values 0…n-1 of key at once, each
// for its own id, and returns the values recorded.
func raceRecord(ctx context.Context, s storage.Runs, n int, key string, p storage.RunParams) ([]int, error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		won   []int
		errs  []error
		start = make(chan struct{})
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, ok, err := s.RecordRun(ctx, fmt.Sprintf("%s-%d", key, i), key, i, t0.Add(time.Duration(i)*time.Millisecond), p)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			if ok {
				won = append(won, i)
			}
		}()
	}
	close(start)
	wg.Wait()
	slices.Sort(won)
	return won, errors.Join(errs...)
}

// runRace: 64 goroutines record consecutive values of one key at once, with
// a gap wide enough that any values make one run: exactly MinRun-1 succeed.
func runRace(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	p := storage.RunParams{MinRun: 5, MaxGap: 100, Window: time.Hour}
	won, err := raceRecord(ctx, s, 64, "race", p)
	if err != nil {
		return fmt.Errorf("concurrent RecordRun: %w", err)
	}
	if len(won) != p.MinRun-1 {
		return fmt.Errorf("64 concurrent records of one segment with min run %d: %d succeeded (%v), want %d", p.MinRun, len(won), won, p.MinRun-1)
	}
	return wantLength(ctx, s, "race", 1000, t0, p, p.MinRun)
}

// runRaceSpread: with the usual gap, the values recorded concurrently never
// make a run of MinRun.
func runRaceSpread(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	won, err := raceRecord(ctx, s, 64, "spread", rp)
	if err != nil {
		return fmt.Errorf("concurrent RecordRun: %w", err)
	}
	if len(won) == 0 {
		return errors.New("64 concurrent records: none succeeded")
	}
	run := 1
	for i := 1; i < len(won); i++ {
		if won[i]-won[i-1] <= rp.MaxGap+1 {
			run++
			if run >= rp.MinRun {
				return fmt.Errorf("64 concurrent records: %v recorded, a run of %d", won, run)
			}
		} else {
			run = 1
		}
	}
	return nil
}

func runCancelled(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if n, ok, err := s.RecordRun(cctx, "a", "cancel", 1, t0, rp); err == nil || ok {
		return fmt.Errorf("RecordRun on a cancelled context = %d, %v, %v; want false and an error", n, ok, err)
	}
	if _, err := s.RunLength(cctx, "cancel", 2, t0, rp); err == nil {
		return errors.New("RunLength on a cancelled context: no error")
	}
	return wantLength(ctx, s, "cancel", 2, t0, rp, 1)
}

func runClosed(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	c, ok := s.(io.Closer)
	if !ok {
		return errSkip
	}
	if err := c.Close(); err != nil {
		return fmt.Errorf("Close: %w", err)
	}
	if n, ok, err := s.RecordRun(ctx, "a", "closed", 1, t0, rp); !errors.Is(err, storage.ErrClosed) || ok {
		return fmt.Errorf("RecordRun after Close = %d, %v, %v; want false and storage.ErrClosed", n, ok, err)
	}
	if _, err := s.RunLength(ctx, "closed", 1, t0, rp); !errors.Is(err, storage.ErrClosed) {
		return fmt.Errorf("RunLength after Close: %v; want storage.ErrClosed", err)
	}
	if err := s.ReleaseRun(ctx, "a"); !errors.Is(err, storage.ErrClosed) {
		return fmt.Errorf("ReleaseRun after Close: %v; want storage.ErrClosed", err)
	}
	return nil
}

// runReopen: values, closed keys and held ids survive a restart.
func runReopen(ctx context.Context, h harness[storage.Runs]) error {
	if h.reopen == nil {
		return errSkip
	}
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	if err := recordAll(ctx, s, "d", "durable", t0, rp, 1, 2, 3, 4); err != nil {
		return err
	}
	if err := s.ReleaseRun(ctx, "d-4"); err != nil {
		return err
	}
	if err := recordAll(ctx, s, "c", "closed", t0, rp, 1, 2, 3, 4); err != nil {
		return err
	}
	if err := record(ctx, s, "c-5", "closed", 5, t0, rp, 5, false); err != nil {
		return err
	}
	if s, err = h.reopenOrSkip(s); err != nil {
		return fmt.Errorf("reopen: %w", err)
	}
	at := t0.Add(time.Minute)
	// 1, 2, 3 are there, 4 was released: 6 makes a run of four.
	if err := wantLength(ctx, s, "durable", 6, at, rp, 4); err != nil {
		return fmt.Errorf("after reopen: %w", err)
	}
	if err := record(ctx, s, "c-9000", "closed", 9000, at, rp, 5, false); err != nil {
		return fmt.Errorf("after reopen, a closed key: %w", err)
	}
	// A held id is still held; release works across the reopen.
	if err := record(ctx, s, "d-1", "durable", 50, at, rp, 0, true); err != nil {
		return fmt.Errorf("after reopen, a held id: %w", err)
	}
	if err := wantLength(ctx, s, "durable", 51, at, rp, 1); err != nil {
		return fmt.Errorf("after reopen, the retry of a held id recorded: %w", err)
	}
	if err := s.ReleaseRun(ctx, "d-3"); err != nil {
		return fmt.Errorf("ReleaseRun after reopen: %w", err)
	}
	if s, err = h.reopenOrSkip(s); err != nil {
		return fmt.Errorf("second reopen: %w", err)
	}
	// 1 and 2 are left: 4 makes a run of three.
	return wantLength(ctx, s, "durable", 4, at, rp, 3)
}

// pp are the suite's progression parameters: rp with steps of up to 10
// (steps 4 to 10 are progressions; 1 to 3 the gap rule's).
var pp = storage.RunParams{MinRun: 5, MaxGap: 2, MaxStep: 10, Window: time.Hour}

// pp0 is pp without gaps: runs of 5 consecutive values, progressions of
// steps 2 to 10 with no member missing (MaxGap 0).
var pp0 = storage.RunParams{MinRun: 5, MaxGap: 0, MaxStep: 10, Window: time.Hour}

// runProgUp: values a step of 7 apart, ascending, make a run; the fifth
// closes the key.
func runProgUp(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	if err := recordAll(ctx, s, "u", "up", t0, pp, 100, 107, 114, 121); err != nil {
		return err
	}
	// A recorded value counts once.
	if err := wantLength(ctx, s, "up", 114, t0, pp, 4); err != nil {
		return fmt.Errorf("a recorded value of the progression: %w", err)
	}
	if err := record(ctx, s, "u-128", "up", 128, t0, pp, 5, false); err != nil {
		return fmt.Errorf("the fifth value of a step-7 progression: %w", err)
	}
	if err := record(ctx, s, "u-9000", "up", 9000, t0.Add(time.Minute), pp, 5, false); err != nil {
		return fmt.Errorf("a far value in a key a progression closed: %w", err)
	}
	return wantLength(ctx, s, "up", 5000, t0.Add(time.Minute), pp, 5)
}

// runProgDown: the same, descending, with RunLength closing the key.
func runProgDown(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	if err := recordAll(ctx, s, "d", "down", t0, pp, 200, 193, 186, 179); err != nil {
		return err
	}
	if err := wantLength(ctx, s, "down", 172, t0, pp, 5); err != nil {
		return fmt.Errorf("the fifth value of a descending step-7 progression: %w", err)
	}
	return record(ctx, s, "d-300", "down", 300, t0.Add(time.Second), pp, 5, false)
}

// runProgMiddle: x between the two halves of a progression joins them
// (without gaps: with them, 340 joins the halves too, runProgGaps).
func runProgMiddle(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	if err := recordAll(ctx, s, "m", "middle", t0, pp0, 300, 308, 324, 332); err != nil {
		return err
	}
	if err := wantLength(ctx, s, "middle", 340, t0, pp0, 3); err != nil {
		return err
	}
	return record(ctx, s, "m-316", "middle", 316, t0, pp0, 5, false)
}

// runProgInterleaved: two progressions of other steps interleaved, and
// stray values, do not add up; each progression counts its own step
// (MaxGap 0: with gaps, 742 reaches 721 by step 7, two members missing).
func runProgInterleaved(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	// Step 7: 700, 707, 714, 721; step 9: 702, 711, 720; stray: 752.
	if err := recordAll(ctx, s, "i", "inter", t0, pp0, 700, 702, 707, 711, 714, 720, 721, 752); err != nil {
		return err
	}
	if err := wantLength(ctx, s, "inter", 729, t0, pp0, 4); err != nil {
		return fmt.Errorf("the fourth value of the step-9 progression: %w", err)
	}
	if err := wantLength(ctx, s, "inter", 742, t0, pp0, 2); err != nil {
		return err
	}
	return record(ctx, s, "i-728", "inter", 728, t0, pp0, 5, false)
}

// runProgBounds: the smallest progression step is MaxGap+2, the largest
// MaxStep; a step above MaxStep makes no run.
func runProgBounds(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	if err := recordAll(ctx, s, "a", "step4", t0, pp, 800, 804, 808, 812); err != nil {
		return err
	}
	if err := wantLength(ctx, s, "step4", 816, t0, pp, 5); err != nil {
		return fmt.Errorf("step MaxGap+2: %w", err)
	}
	// Step MaxGap+1 is the gap rule's: a run either way.
	if err := recordAll(ctx, s, "b", "step3", t0, pp, 800, 803, 806, 809); err != nil {
		return err
	}
	if err := wantLength(ctx, s, "step3", 812, t0, pp, 5); err != nil {
		return fmt.Errorf("step MaxGap+1: %w", err)
	}
	if err := recordAll(ctx, s, "c", "step10", t0, pp, 900, 910, 920, 930); err != nil {
		return err
	}
	if err := wantLength(ctx, s, "step10", 940, t0, pp, 5); err != nil {
		return fmt.Errorf("step MaxStep: %w", err)
	}
	if err := recordAll(ctx, s, "e", "step11", t0, pp, 1000, 1011, 1022, 1033); err != nil {
		return fmt.Errorf("step MaxStep+1: %w", err)
	}
	if err := wantLength(ctx, s, "step11", 1044, t0, pp, 1); err != nil {
		return fmt.Errorf("step MaxStep+1: %w", err)
	}
	// At the top of the values: x+s past MaxRunValue is no value.
	top := storage.MaxRunValue
	if err := recordAll(ctx, s, "t", "top", t0, pp, top-30, top-20, top-10); err != nil {
		return err
	}
	return wantLength(ctx, s, "top", top, t0, pp, 4)
}

// runProgRelease: a released value ends the progression when no missing
// member is tolerated (MaxGap 0); recorded again, it joins it.
func runProgRelease(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	if err := recordAll(ctx, s, "r", "prel", t0, pp0, 1100, 1106, 1112, 1118); err != nil {
		return err
	}
	if err := s.ReleaseRun(ctx, "r-1112"); err != nil {
		return err
	}
	if err := wantLength(ctx, s, "prel", 1124, t0, pp0, 2); err != nil {
		return fmt.Errorf("after releasing the middle value: %w", err)
	}
	if err := record(ctx, s, "r2-1112", "prel", 1112, t0, pp0, 0, true); err != nil {
		return err
	}
	return record(ctx, s, "r-1124", "prel", 1124, t0, pp0, 5, false)
}

// runProgWindow: values out of the window are missing members (they end a
// progression that tolerates none, MaxGap 0), also while they are kept
// (storage.PruneMargin) for callers whose clock is behind.
func runProgWindow(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	if err := recordAll(ctx, s, "w", "pwin", t0, pp0, 1200, 1205, 1210, 1215); err != nil {
		return err
	}
	if err := wantLength(ctx, s, "pwin", 1220, t0.Add(pp0.Window), pp0, 1); err != nil {
		return fmt.Errorf("when the window ends: %w", err)
	}
	// 1305 at t0 is kept past the window at t1 but does not count: 1300,
	// 1310, 1315, 1320 at t1 are progressions of 3 (steps 10 and 5), not
	// one of 5.
	t1 := t0.Add(pp0.Window + time.Minute)
	if err := recordAll(ctx, s, "k", "pkept", t0, pp0, 1305); err != nil {
		return err
	}
	if err := recordAll(ctx, s, "k", "pkept", t1, pp0, 1300, 1310, 1315); err != nil {
		return err
	}
	if err := wantLength(ctx, s, "pkept", 1320, t1, pp0, 3); err != nil {
		return fmt.Errorf("a value kept past the window: %w", err)
	}
	// A caller an hour behind still counts 1305: a run of five.
	return wantLength(ctx, s, "pkept", 1320, t0.Add(time.Minute), pp0, 5)
}

// runProgOff: without MaxStep, progressions of steps above MaxGap+1 are
// no run.
func runProgOff(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	if err := recordAll(ctx, s, "o", "poff", t0, rp, 100, 107, 114, 121, 128, 135); err != nil {
		return err
	}
	return wantLength(ctx, s, "poff", 142, t0, rp, 1)
}

// runProgShared: calls on one key may differ in MaxStep (a rule that gains
// one keeps its keys): each measures over the same values and closing.
func runProgShared(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	// Recorded without MaxStep: no run.
	if err := recordAll(ctx, s, "sh", "pshared", t0, rp, 100, 107, 114, 121); err != nil {
		return err
	}
	if err := wantLength(ctx, s, "pshared", 128, t0, rp, 1); err != nil {
		return fmt.Errorf("without MaxStep: %w", err)
	}
	// With it, the same values make a progression: the fifth closes the key.
	if err := record(ctx, s, "sh-128", "pshared", 128, t0.Add(time.Minute), pp, 5, false); err != nil {
		return fmt.Errorf("with MaxStep, over values recorded without: %w", err)
	}
	// Closed for a call without MaxStep too.
	if err := record(ctx, s, "sh-5000", "pshared", 5000, t0.Add(2*time.Minute), rp, 5, false); err != nil {
		return fmt.Errorf("without MaxStep, on a key a progression closed: %w", err)
	}
	// A key closed without MaxStep stays closed for a call with it.
	if err := recordAll(ctx, s, "sg", "pshared2", t0, rp, 1, 2, 3, 4); err != nil {
		return err
	}
	if err := wantLength(ctx, s, "pshared2", 5, t0, rp, 5); err != nil {
		return err
	}
	return wantLength(ctx, s, "pshared2", 9000, t0.Add(time.Minute), pp, 5)
}

// runProgGaps: a progression goes on over up to MaxGap missing members in
// a row (a value k·s on with k-1 <= MaxGap), as the gap rule goes on over
// skipped values; MaxGap+1 missing end it.
func runProgGaps(ctx context.Context, h harness[storage.Runs]) error {
	s, err := openRuns(h)
	if err != nil {
		return err
	}
	// Step 10: 0, 10, 20, then 30, 40, 50 missing (3: MaxGap+1), 60, 70.
	if err := recordAll(ctx, s, "g", "pgaps", t0, pp, 0, 10, 20, 60, 70); err != nil {
		return fmt.Errorf("halves MaxGap+1 members apart are not one progression: %w", err)
	}
	// 80 missing (1): 90 reaches 70 and 60, not 20.
	if err := wantLength(ctx, s, "pgaps", 90, t0, pp, 3); err != nil {
		return fmt.Errorf("one member missing: %w", err)
	}
	// 40 joins both halves: 30 and 50 missing, one each side.
	if err := record(ctx, s, "g-40", "pgaps", 40, t0, pp, 6, false); err != nil {
		return fmt.Errorf("a value between halves one missing member away: %w", err)
	}
	// Exactly MaxGap (2) missing in a row: 200, 210, (220, 230), 240, 250.
	if err := recordAll(ctx, s, "h", "pgaps2", t0, pp, 200, 210, 240, 250); err != nil {
		return err
	}
	if err := wantLength(ctx, s, "pgaps2", 260, t0, pp, 5); err != nil {
		return fmt.Errorf("MaxGap members missing in a row: %w", err)
	}
	// Without gaps (MaxGap 0) the same values are two progressions.
	if err := recordAll(ctx, s, "z", "pgaps0", t0, pp0, 200, 210, 240, 250); err != nil {
		return err
	}
	if err := wantLength(ctx, s, "pgaps0", 260, t0, pp0, 3); err != nil {
		return fmt.Errorf("MaxGap 0: %w", err)
	}
	return nil
}
