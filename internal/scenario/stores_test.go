package scenario

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/storage"
)

// RunWith writes the seed data and events into the stores Options.Stores
// gives, and closes them once, after the run.
func TestRunWithStores(t *testing.T) {
	ctx := context.Background()
	var (
		given  Stores
		closed int
	)
	opts := Options{Stores: func(ctx context.Context, f *File) (Stores, error) {
		s, err := MemStores(ctx, f)
		s.Close = func() error { closed++; return nil }
		given = s
		return s, err
	}}
	const path = "../../examples/scenarios/frequency-cn.yaml"
	rep, err := RunFileWith(ctx, path, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || closed != 1 {
		t.Fatalf("OK() = %v, stores closed %d times; want true and once", rep.OK(), closed)
	}
	f, err := ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The same file on the given (now used) stores is not fresh: its cap
	// steps come out otherwise. Run on them again to show the runner used
	// them rather than stores of its own.
	reused := Options{Stores: func(context.Context, *File) (Stores, error) { return given, nil }}
	again, err := RunWith(ctx, f, reused)
	if err != nil {
		t.Fatal(err)
	}
	if again.OK() {
		t.Errorf("%s passed again on the stores of a run before it, whose calls they count: the runner did not use the stores given", path)
	}
}

// The stores' failures are errors, not invalid files; a Stores with a nil
// required field is refused and closed; so is a negative check timeout.
func TestRunWithStoresErrors(t *testing.T) {
	ctx := context.Background()
	f, err := ParseFile("testdata/run/pass.yaml")
	if err != nil {
		t.Fatal(err)
	}
	down := errors.New("server down")
	_, err = RunWith(ctx, f, Options{Stores: func(context.Context, *File) (Stores, error) { return Stores{}, down }})
	if !errors.Is(err, down) || errors.Is(err, ErrInvalid) {
		t.Errorf("stores that fail: %v; want the failure, not ErrInvalid", err)
	}
	closed := 0
	_, err = RunWith(ctx, f, Options{Stores: func(ctx context.Context, f *File) (Stores, error) {
		s, err := MemStores(ctx, f)
		s.Complaints = nil
		s.Close = func() error { closed++; return nil }
		return s, err
	}})
	if err == nil || !strings.Contains(err.Error(), "Complaints: nil") || errors.Is(err, ErrInvalid) || closed != 1 {
		t.Errorf("stores without complaints: %v, closed %d times; want an error naming Complaints and one close", err, closed)
	}
	_, err = RunWith(ctx, f, Options{CheckTimeout: -time.Second})
	if err == nil || errors.Is(err, ErrInvalid) {
		t.Errorf("negative check timeout: %v; want an error, not ErrInvalid", err)
	}
	// A close that fails after the steps ran: the report stands, with the
	// error.
	rep, err := RunWith(ctx, f, Options{Stores: func(ctx context.Context, f *File) (Stores, error) {
		s, err := MemStores(ctx, f)
		s.Close = func() error { return down }
		return s, err
	}})
	if rep == nil || !rep.OK() || !errors.Is(err, down) {
		t.Errorf("close failing: report %v, error %v; want the report and the error", rep, err)
	}
}

// CheckTimeout bounds the checks: a run whose checks cannot finish in it
// denies (<check>.unavailable), as the Gate does in production.
func TestRunWithCheckTimeout(t *testing.T) {
	f, err := ParseFile("../../examples/scenarios/frequency-cn.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := RunWith(context.Background(), f, Options{CheckTimeout: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() {
		t.Fatal("every step passed with checks bounded by 1 ns")
	}
	var unavailable bool
	for _, s := range rep.Steps {
		for _, c := range s.Got.Codes {
			unavailable = unavailable || strings.HasSuffix(c, ".unavailable")
		}
	}
	if !unavailable {
		t.Errorf("no step denied with <check>.unavailable")
	}
}

// With Options.Gates the dials go to each Gate in turn, each with checks
// of its own: the frequency caps, kept in the stores, hold across them; the
// sweep runs hold across them only when the stores keep them (Stores.Runs),
// not in each Gate's memory.
func TestRunWithGates(t *testing.T) {
	ctx := context.Background()
	run := func(path string, opts Options) *Report {
		t.Helper()
		rep, err := RunFileWith(ctx, path, opts)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := run("../../examples/scenarios/frequency-cn.yaml", Options{Gates: 2}); !rep.OK() {
		t.Errorf("frequency-cn.yaml on two Gates: %d steps failed; the caps are in the stores", rep.Failed)
	}
	const sweep = "../../examples/scenarios/sweep-sequential.yaml"
	if rep := run(sweep, Options{Gates: 2}); rep.OK() {
		t.Errorf("%s passed on two Gates that keep their runs in memory: the dials did not go to both", sweep)
	}
	shared := func(ctx context.Context, f *File) (Stores, error) {
		s, err := MemStores(ctx, f)
		s.Runs = s.Counters.(storage.Runs)
		return s, err
	}
	if rep := run(sweep, Options{Gates: 2, Stores: shared}); !rep.OK() {
		t.Errorf("%s on two Gates whose runs are in the stores: %d steps failed", sweep, rep.Failed)
	}
	if _, err := RunFileWith(ctx, sweep, Options{Gates: -1}); err == nil || errors.Is(err, ErrInvalid) {
		t.Errorf("negative gates: %v; want an error, not ErrInvalid", err)
	}
}

// TestRunWithTooManyGates: a count of Gates past MaxGates is refused before
// any is built; `scenarios run --gates 2000000000` built them until the
// process died out of memory (a runtime crash, not an error).
func TestRunWithTooManyGates(t *testing.T) {
	_, err := RunFileWith(context.Background(), "../../examples/scenarios/frequency-cn.yaml", Options{Gates: MaxGates + 1})
	if err == nil || errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "gates") {
		t.Errorf("gates %d: %v; want an error naming gates, not ErrInvalid", MaxGates+1, err)
	}
}

// downLedger is a ledger store whose server went away: every write fails
// with storage.ErrUnavailable.
type downLedger struct{ callerid.Store }

func (downLedger) PutLedger(context.Context, ...callerid.Entry) error {
	return fmt.Errorf("ledger: connection refused: %w", storage.ErrUnavailable)
}

// A seed write the stores fail (a server down) is the stores' failure,
// not an invalid file: dialgate scenarios run exits 1, "the stores could
// not be had", not 2, which tells an auditor to fix a file that is fine.
func TestRunWithSeedStoreDown(t *testing.T) {
	f, err := ParseFile("../../examples/scenarios/callerid-ledger.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = RunWith(context.Background(), f, Options{Stores: func(ctx context.Context, f *File) (Stores, error) {
		s, err := MemStores(ctx, f)
		s.Ledger = downLedger{s.Ledger}
		return s, err
	}})
	if !errors.Is(err, storage.ErrUnavailable) || errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "ledger") {
		t.Fatalf("seed on a store that is down: %v; want storage.ErrUnavailable naming the ledger seed, not ErrInvalid", err)
	}
}
