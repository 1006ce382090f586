package scenariostores_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/internal/scenario"
	"github.com/dialgate/dialgate/internal/scenariostores"
	"github.com/dialgate/dialgate/storage/boltstore"
	"github.com/dialgate/dialgate/storage/pgstore"
	"github.com/dialgate/dialgate/storage/redisstore"
)

// scenarioDirs hold every scenario file of the repository: the shipped
// examples and the runner's own.
var scenarioDirs = []string{"../../examples/scenarios", "../scenario/testdata/run"}

// backend is a kind of store the scenario files run on besides memory.
type backend struct {
	cfg   scenariostores.Config
	gates int                    // scenario.Options.Gates
	files func(path string) bool // which files run on it; nil: every one
}

func (b backend) String() string {
	if b.gates > 1 {
		return fmt.Sprintf("%s,%dgates", b.cfg, b.gates)
	}
	return b.cfg.String()
}

// consentOrShort selects the consent files and shortSet.
func consentOrShort(path string) bool {
	return shortSet[filepath.Base(path)] || strings.HasPrefix(filepath.Base(path), "consent-")
}

// backends are the stores the scenario files run on besides memory: the
// embedded store always; with the test servers, PostgreSQL alone, the
// fleet (Redis and PostgreSQL) with one Gate and with two (two sidecars
// sharing the stores, the dials going to each in turn), and Redis with the
// embedded store (where the consents are on Redis; it differs from the fleet
// only there, and from bolt only in what the fleet already shows, so it
// runs the consent files and shortSet).
func backends(t *testing.T) []backend {
	pg, rd := os.Getenv("DIALGATE_TEST_POSTGRES"), os.Getenv("DIALGATE_TEST_REDIS")
	bs := []backend{{cfg: scenariostores.Config{Dir: t.TempDir()}}}
	if pg == "" {
		t.Log("DIALGATE_TEST_POSTGRES is not set: the scenarios are not run on PostgreSQL nor on the fleet (Redis and PostgreSQL)")
	} else {
		bs = append(bs, backend{cfg: scenariostores.Config{Dir: t.TempDir(), Postgres: pg}})
	}
	if rd == "" {
		t.Log("DIALGATE_TEST_REDIS is not set: the scenarios are not run on Redis")
		return bs
	}
	if pg != "" {
		fleet := scenariostores.Config{Dir: t.TempDir(), Redis: rd, Postgres: pg}
		bs = append(bs, backend{cfg: fleet}, backend{cfg: fleet, gates: 2})
	}
	return append(bs, backend{cfg: scenariostores.Config{Dir: t.TempDir(), Redis: rd}, files: consentOrShort})
}

// skips are the scenario files a back-end cannot run as memory does, with
// the reason (documented in docs/auditors.md): back-end name → file base
// name → reason.
var skips = map[string]map[string]string{}

// shortSet are the files run on the servers' back-ends with -short: one or
// two of each domain, those that write most kinds of state (every file
// still runs on the embedded store).
var shortSet = map[string]bool{
	"abandon-us-rate.yaml": true, "callerid-ledger.yaml": true, "complaint-immediate-dnc.yaml": true,
	"consent-revoke-then-dial.yaml": true, "consent-tenant-isolation.yaml": true, "dnc-hold.yaml": true,
	"dnc-opt-out.yaml": true, "dnc-registry-us.yaml": true, "frequency-cn.yaml": true,
	"frequency-uk-abandoned.yaml": true, "recording-retention.yaml": true, "recording-sweep.yaml": true,
	"schedule-cn-window.yaml": true, "sweep-segment-rate.yaml": true, "sweep-sequential.yaml": true,
	"sweep-stride.yaml": true, "pass.yaml": true, "fail.yaml": true, "mixed.yaml": true,
}

// TestScenariosOnEveryStore runs every scenario file on memory and on each
// back-end, each on fresh stores, and wants the same report step by step:
// the same decisions, reason codes, evidence, decision ids, event errors and
// deletions (messages of event errors aside, which may name the store).
// With -short the servers' back-ends run only the files of shortSet.
func TestScenariosOnEveryStore(t *testing.T) {
	files, err := scenario.Expand(scenarioDirs...)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 80 {
		t.Fatalf("%d scenario files in %s; want every one (80 or more)", len(files), strings.Join(scenarioDirs, ", "))
	}
	// Each file's run in memory, once for every back-end.
	inMemory := map[string]func() (*scenario.Report, error){}
	for _, path := range files {
		inMemory[path] = sync.OnceValues(func() (*scenario.Report, error) {
			return scenario.RunFileWith(t.Context(), path, scenario.Options{CheckTimeout: checkTimeout})
		})
	}
	for _, b := range backends(t) {
		t.Run(b.String(), func(t *testing.T) {
			run := b.files
			if testing.Short() && (b.cfg.Postgres != "" || b.cfg.Redis != "") {
				run = func(path string) bool { return shortSet[filepath.Base(path)] }
				t.Logf("-short: %d of the %d files (shortSet)", len(shortSet), len(files))
			}
			// The runs wait on the servers far more than they compute:
			// more of them at once than -parallel (GOMAXPROCS) allows.
			sem := make(chan struct{}, concurrentRuns)
			var wg sync.WaitGroup
			for _, path := range files {
				if run != nil && !run(path) {
					continue
				}
				sem <- struct{}{}
				wg.Go(func() {
					defer func() { <-sem }()
					t.Run(fileName(t, path), func(t *testing.T) {
						if why, ok := skips[b.String()][filepath.Base(path)]; ok {
							t.Skip(why)
						}
						want, werr := inMemory[path]()
						compareRuns(t, path, b, want, werr)
					})
				})
			}
			wg.Wait()
		})
	}
}

// checkTimeout bounds the checks of each decision in the compared runs.
const checkTimeout = time.Minute

// concurrentRuns is how many scenario files run at once on one back-end.
const concurrentRuns = 8

// fileName names path by its place in the repository.
func fileName(t *testing.T, path string) string {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.ToSlash(rel)
}

// compareRuns runs path on b and fails t with every difference from want
// and werr, its run in memory.
func compareRuns(t *testing.T, path string, b backend, want *scenario.Report, werr error) {
	t.Helper()
	// Many runs at once on two cores, under -race, may take longer than
	// the default 500 ms a decision's checks have: the comparison is of
	// the rules' results, not of the load (outages have tests of their own).
	got, gerr := scenario.RunFileWith(t.Context(), path, scenario.Options{Stores: b.cfg.Stores(), CheckTimeout: checkTimeout, Gates: b.gates})
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("in memory: error %v; on %s: error %v", werr, b, gerr)
	}
	if werr != nil {
		return
	}
	for _, d := range diffReports(want, got) {
		t.Errorf("on %s, unlike in memory: %s", b, d)
	}
}

// diffReports lists how got differs from want: the counts and, step by
// step, what came back (Got without the error message).
func diffReports(want, got *scenario.Report) []string {
	var ds []string
	if want.Passed != got.Passed || want.Failed != got.Failed {
		ds = append(ds, fmt.Sprintf("%d passed, %d failed; in memory %d and %d", got.Passed, got.Failed, want.Passed, want.Failed))
	}
	if len(want.Steps) != len(got.Steps) {
		return append(ds, fmt.Sprintf("%d steps reported; in memory %d", len(got.Steps), len(want.Steps)))
	}
	for i := range want.Steps {
		w, g := want.Steps[i], got.Steps[i]
		w.Got.Message, g.Got.Message = "", ""
		if !reflect.DeepEqual(w.Got, g.Got) || w.Pass != g.Pass || !reflect.DeepEqual(w.Problems, g.Problems) {
			ds = append(ds, fmt.Sprintf("%s %s:\n  got       %s %v\n  in memory %s %v", g.Label(), g.Summary(), js(g.Got), g.Problems, js(w.Got), w.Problems))
		}
	}
	return ds
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// A run's stores are removed when it is over: its bolt directory is gone
// from Dir.
func TestStoresRemoved(t *testing.T) {
	dir := t.TempDir()
	rep, err := scenario.RunFileWith(context.Background(), "../scenario/testdata/run/pass.yaml", scenario.Options{Stores: scenariostores.Config{Dir: dir}.Stores()})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Errorf("pass.yaml failed on bolt: %d steps failed", rep.Failed)
	}
	left, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("%d entries left in the runs' directory (%s...)", len(left), left[0].Name())
	}
}

// forgetfulConsents is a consent store that drops revocations: a store bug
// that allows a dial the rules deny.
type forgetfulConsents struct{ consent.Store }

func (s forgetfulConsents) RevokeConsent(ctx context.Context, id string, _ time.Time, _ string) (consent.Record, error) {
	return s.Consent(ctx, id)
}

// The comparison finds a store that decides otherwise than memory: a
// revocation the consent store drops lets the next dial through.
func TestDiffFindsAWrongAllow(t *testing.T) {
	ctx := context.Background()
	path := "../../examples/scenarios/consent-revoke-then-dial.yaml"
	want, err := scenario.RunFileWith(ctx, path, scenario.Options{})
	if err != nil {
		t.Fatal(err)
	}
	wrong := func(ctx context.Context, f *scenario.File) (scenario.Stores, error) {
		s, err := scenario.MemStores(ctx, f)
		s.Consents = forgetfulConsents{s.Consents}
		return s, err
	}
	got, err := scenario.RunFileWith(ctx, path, scenario.Options{Stores: wrong})
	if err != nil {
		t.Fatal(err)
	}
	ds := diffReports(want, got)
	if len(ds) == 0 || !strings.Contains(strings.Join(ds, "\n"), "step 3 (line 18) dial: want denied [consent.revoked], got allowed") {
		t.Fatalf("differences found: %q; want step 3 allowed where memory denies", ds)
	}
}

// Each Config puts each domain where `dialgate serve` puts it
// (sidecar.OpenShared): Redis keeps the counters, do-not-call entries and
// sweep runs (and the consents without PostgreSQL), PostgreSQL the rest (all
// of it without Redis), the embedded store what neither keeps.
func TestWiring(t *testing.T) {
	pg, rd := os.Getenv("DIALGATE_TEST_POSTGRES"), os.Getenv("DIALGATE_TEST_REDIS")
	type kinds struct{ dnc, ledger, consents, counters, runs, recordings, complaints string }
	tests := []struct {
		name            string
		cfg             scenariostores.Config
		want            kinds
		needPG, needRed bool
	}{
		// The embedded store keeps the sweep runs too (session 21), as in serve.
		{"bolt", scenariostores.Config{}, kinds{"bolt", "bolt", "bolt", "bolt", "bolt", "bolt", "bolt"}, false, false},
		{"postgres", scenariostores.Config{Postgres: pg}, kinds{"pg", "pg", "pg", "pg", "pg", "pg", "pg"}, true, false},
		{"redis+bolt", scenariostores.Config{Redis: rd}, kinds{"redis", "bolt", "redis", "redis", "redis", "bolt", "bolt"}, false, true},
		{"redis+postgres", scenariostores.Config{Redis: rd, Postgres: pg}, kinds{"redis", "pg", "pg", "redis", "redis", "pg", "pg"}, true, true},
	}
	kind := func(v any) string {
		switch v.(type) {
		case nil:
			return "none"
		case *boltstore.Store:
			return "bolt"
		case *pgstore.Store:
			return "pg"
		case *redisstore.Store:
			return "redis"
		}
		return fmt.Sprintf("%T", v)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if (tt.needPG && pg == "") || (tt.needRed && rd == "") {
				t.Skip("DIALGATE_TEST_POSTGRES or DIALGATE_TEST_REDIS is not set")
			}
			tt.cfg.Dir = t.TempDir()
			s, err := tt.cfg.Stores()(t.Context(), nil)
			if err != nil {
				t.Fatal(err)
			}
			var runs any
			if s.Runs != nil {
				runs = s.Runs
			}
			got := kinds{kind(s.DNC), kind(s.Ledger), kind(s.Consents), kind(s.Counters), kind(runs), kind(s.Recordings), kind(s.Complaints)}
			if err := s.Close(); err != nil {
				t.Error(err)
			}
			if got != tt.want {
				t.Errorf("stores (dnc ledger consents counters runs recordings complaints) = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	const pg, rd = "postgres://u:p+q@db:5432/x?sslmode=disable", "redis://127.0.0.1:6379/3"
	for _, tt := range []struct {
		spec string
		want scenariostores.Config
		err  string
	}{
		{"bolt", scenariostores.Config{}, ""},
		{"postgres=" + pg, scenariostores.Config{Postgres: pg}, ""},
		{"redis=" + rd, scenariostores.Config{Redis: rd}, ""},
		{"redis=" + rd + "+postgres=" + pg, scenariostores.Config{Redis: rd, Postgres: pg}, ""},
		{"postgres=" + pg + "+redis=" + rd, scenariostores.Config{Redis: rd, Postgres: pg}, ""},
		{"memory", scenariostores.Config{}, `"memory" is not bolt`},
		{"", scenariostores.Config{}, "want bolt"},
		{"postgres=", scenariostores.Config{}, "postgres: the URL is missing"},
		{"mysql=" + pg, scenariostores.Config{}, "is not bolt, postgres=URL or redis=URL"},
		{"redis=" + rd + "+redis=" + rd, scenariostores.Config{}, "redis given twice"},
		{"bolt+postgres=" + pg, scenariostores.Config{}, "bolt stands alone"},
	} {
		got, err := scenariostores.Parse(tt.spec)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("Parse(%q): %v", tt.spec, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("Parse(%q) = %v; want an error containing %q", tt.spec, err, tt.err)
		case got != tt.want:
			t.Errorf("Parse(%q) = %+v, want %+v", tt.spec, got, tt.want)
		}
	}
}

// A spec Parse refuses may still hold a URL with a password (a "+" too
// many, a URL without its postgres=, a key given twice): the error names
// the part and the problem, never a URL, so that it can be printed.
func TestParseErrorsHideURLs(t *testing.T) {
	const pg, rd = "postgres://u:s3cret@db:5432/x?sslmode=disable", "redis://:s3cret@127.0.0.1:6379/3"
	for _, tt := range []struct{ spec, err string }{
		{"postgres=" + pg + "+redis=", "redis: the URL is missing"},
		{"redis=" + rd + "+postgres=", "postgres: the URL is missing"},
		{pg, `"postgres://…" is not bolt, postgres=URL or redis=URL`},
		{"mysql=" + pg, `"mysql=…" is not bolt, postgres=URL or redis=URL`},
		{"redis=" + rd + "+redis=" + rd, "redis given twice"},
		{"postgres=" + pg + "+postgres=" + pg, "postgres given twice"},
		{"bolt+postgres=" + pg, "bolt stands alone"},
		{"postgres=host=db user=u password=s3cret+redis=", "redis: the URL is missing"},
	} {
		_, err := scenariostores.Parse(tt.spec)
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("Parse(%q) = %v; want an error containing %q", tt.spec, err, tt.err)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Parse(%q): the error shows the password: %v", tt.spec, err)
		}
	}
}

// A Redis URL that does not parse: the run's error, and the cleanup's,
// name the problem, never the URL with its password.
func TestStoresBadRedisURLHidesPassword(t *testing.T) {
	_, err := scenariostores.Config{Redis: "redis://:s3cret@cache.example:badport/1", Dir: t.TempDir()}.Stores()(context.Background(), nil)
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("stores on a Redis URL that does not parse: %v; want an error without the password", err)
	}
}
