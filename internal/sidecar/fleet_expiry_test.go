package sidecar

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate/internal/testdb"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
)

// A fleet on PostgreSQL without Redis expires its counter entries and
// sequential-run records from `serve`'s hourly expiry, a day later than
// their windows end (the hosts' clocks may differ), keeping what is still
// within that day. They used to stay for ever.
func TestFleetCounterExpiryPostgres(t *testing.T) {
	url := os.Getenv("DIALGATE_TEST_POSTGRES")
	if url == "" {
		t.Skip("DIALGATE_TEST_POSTGRES is not set")
	}
	schema := fmt.Sprintf("expirytest%d", time.Now().UnixNano())
	t.Cleanup(func() { testdb.DropPostgresSchema(url, schema) })
	ctx := context.Background()
	var deps policy.Deps
	_, done, err := OpenShared(ctx, Config{Postgres: url, PostgresSchema: schema}, &deps)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	ex, delay := counterExpiry(deps, memstore.New(), nil)
	if ex == nil {
		t.Fatalf("no counter expiry on %T", deps.Counters)
	}
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	if d := delay(t0); d != fleetExpirySlack {
		t.Fatalf("delay = %s, want %s", d, fleetExpirySlack)
	}
	l := []storage.Limit{{Key: "acme|callee|cap||1h", Window: time.Hour, Max: 5}}
	if ok, _, err := deps.Counters.Reserve(ctx, "frequency:d-1", t0, l); err != nil || !ok {
		t.Fatalf("reserve: %v %v", ok, err)
	}
	rp := storage.RunParams{MinRun: 20, MaxGap: 2, Window: time.Hour}
	if _, ok, err := deps.Runs.RecordRun(ctx, "sweep:d-1", "acme|seg", 7, t0, rp); err != nil || !ok {
		t.Fatalf("record run: %v %v", ok, err)
	}
	if n, err := expireOnce(ctx, ex, t0.Add(time.Hour+fleetExpirySlack-time.Second), delay); err != nil || n != 0 {
		t.Fatalf("expiry within the slack: %d, %v; want 0", n, err)
	}
	if n, err := expireOnce(ctx, ex, t0.Add(time.Hour+fleetExpirySlack), delay); err != nil || n != 2 {
		t.Fatalf("expiry a day after the windows: %d, %v; want 2 (the counter entry and the run record)", n, err)
	}
	us, err := deps.Counters.Usage(ctx, t0.Add(30*time.Minute), l)
	if err != nil || us[0].Count != 0 {
		t.Fatalf("usage after the expiry: %+v %v", us, err)
	}
}

type failingExpirer struct {
	fail atomic.Bool
	n    int
}

func (f *failingExpirer) ExpireCounters(context.Context, time.Time) (int, error) {
	if f.fail.Load() {
		return 1, errors.New("database gone")
	}
	return f.n, nil
}

// The hourly expiry's outcome is on /metrics: entries removed, whether its
// last run failed, and when one last succeeded.
func TestCounterExpiryMetrics(t *testing.T) {
	ex := &failingExpirer{n: 3}
	ex.fail.Store(true)
	stats := &expiryStats{}
	m := newMetrics(nil, nil, nil, nil, stats.snapshot)
	scrape := func() string {
		rec := httptest.NewRecorder()
		promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		return rec.Body.String()
	}
	wait := func(cond func(ExpiryStats) bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !cond(stats.snapshot()) {
			if time.Now().After(deadline) {
				t.Fatalf("stats %+v", stats.snapshot())
			}
			time.Sleep(time.Millisecond)
		}
	}
	stop := expireCounters(ex, nil, nil, time.Millisecond, slog.New(slog.DiscardHandler), stats)
	defer stop()
	wait(func(s ExpiryStats) bool { return s.Failing && s.Removed > 0 })
	if body := scrape(); !strings.Contains(body, "dialgate_counter_expiry_failing 1") ||
		!strings.Contains(body, "dialgate_counter_expiry_last_success_timestamp_seconds 0") {
		t.Errorf("metrics while failing:\n%s", body)
	}
	ex.fail.Store(false)
	wait(func(s ExpiryStats) bool { return !s.Failing && !s.LastSuccess.IsZero() && s.Removed >= 4 })
	body := scrape()
	if !strings.Contains(body, "dialgate_counter_expiry_failing 0") || !strings.Contains(body, "dialgate_counter_expiry_removed_total ") ||
		strings.Contains(body, "dialgate_counter_expiry_last_success_timestamp_seconds 0\n") {
		t.Errorf("metrics after a success:\n%s", body)
	}
}
