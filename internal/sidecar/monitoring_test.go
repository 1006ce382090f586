package sidecar

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/storage/boltstore"
)

// scrapeServer returns the text of srv's /metrics.
func scrapeServer(t *testing.T, srv *Server) string {
	t.Helper()
	rec := httptest.NewRecorder()
	srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

// openServer opens a Backend and a Server over cfg (closed with the test),
// logging to logs.
func openServer(t *testing.T, cfg Config, logs *syncBuffer) *Server {
	t.Helper()
	log := slog.New(slog.NewJSONHandler(logs, nil))
	be, err := Open(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(cfg, be, log)
	if err != nil {
		_ = be.Close(context.Background())
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = be.Close(context.Background()) })
	return srv
}

// TestMissingRegistryCopyIsMonitored: a profile that requires a registry
// (us: us-national-dnc) denies every dial with dnc.registry_stale while no
// copy is loaded. docs/deploy.md has operators watch
// dialgate_snapshot_age_seconds against the profile's maximum age; without a
// copy the gauge had no series at all, so that alert could never fire, and
// the start logged nothing about it. The list must be exported as +Inf (older
// than any limit) and the start must warn.
func TestMissingRegistryCopyIsMonitored(t *testing.T) {
	var logs syncBuffer
	srv := openServer(t, Config{Data: t.TempDir(), Profile: "us", Listen: "127.0.0.1:0", MetricsListen: "off"}, &logs)
	body := scrapeServer(t, srv)
	if want := `dialgate_snapshot_age_seconds{list="us-national-dnc"} +Inf`; !strings.Contains(body, want) {
		t.Errorf("metrics lack %q: a required registry with no copy is invisible to the age alert\n%s", want, grepLines(body, "dialgate_snapshot"))
	}
	warned := false
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, `"level":"WARN"`) && strings.Contains(l, "us-national-dnc") && strings.Contains(l, "dnc.registry_stale") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning at start naming the registry with no copy and dnc.registry_stale:\n%s", logs.String())
	}
}

// TestSweepReasonSeriesExistAtStart: the documented alert on a tripped
// sweep is increase(dialgate_decision_reasons_total{code=~"sweep.sequential|
// sweep.segment_rate"}[10m]) > 0. A counter series that first appears at 1
// has no increase, so the first sweep a sidecar stops after each start was
// never alerted on. Its series must exist, at 0, from the start.
func TestSweepReasonSeriesExistAtStart(t *testing.T) {
	var logs syncBuffer
	srv := openServer(t, Config{Data: t.TempDir(), Profile: "cn", Listen: "127.0.0.1:0", MetricsListen: "off"}, &logs)
	body := scrapeServer(t, srv)
	for _, want := range []string{
		`dialgate_decision_reasons_total{code="sweep.sequential",outcome="denied"} 0`,
		`dialgate_decision_reasons_total{code="sweep.segment_rate",outcome="denied"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q\n%s", want, grepLines(body, "dialgate_decision"))
		}
	}
}

// TestBlackoutsRefusalLogSaysItDenies: a blackouts file that cannot be
// loaded is not like a tokens or TLS file — the copy in force does not stay,
// every dial the schedule judges is denied. The reload's Error line said
// "the loaded copy stays", telling an operator the opposite of what happens.
func TestBlackoutsRefusalLogSaysItDenies(t *testing.T) {
	path := filepath.Join(t.TempDir(), "blackouts.yaml")
	writeFileAtomic(t, path, blackoutsYAML(false))
	var logs syncBuffer
	be, err := Open(context.Background(), Config{Data: t.TempDir(), BlackoutsFile: path}, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = be.Close(context.Background()) })
	writeFileAtomic(t, path, "schema: dialgate.blackouts.v1\n")
	if err := be.ReloadBlackouts(false); err == nil {
		t.Fatal("a copy without blackouts: was accepted")
	}
	refused := grepLines(logs.String(), "blackouts reload refused")
	if refused == "" || strings.Contains(refused, "loaded copy stays") || !strings.Contains(refused, "schedule.unavailable") {
		t.Errorf("the refusal of a blackouts copy must say its dials are denied (schedule.unavailable), not that the loaded copy stays:\n%s", logs.String())
	}
}

// TestCompactionFailureLoggedWhenExpiryFails: docs/deploy.md promises that
// a failing journal compaction is also logged hourly. The hourly loop
// skipped that line whenever the expiry failed too — as both do on a full
// disk, when the warning matters most.
func TestCompactionFailureLoggedWhenExpiryFails(t *testing.T) {
	var logs syncBuffer
	journal := func() boltstore.JournalStats {
		return boltstore.JournalStats{Segments: 3, Bytes: 1 << 20, CompactErr: errors.New("no space left on device")}
	}
	ex := &failingExpirer{}
	ex.fail.Store(true)
	stop := expireCounters(ex, journal, nil, time.Millisecond, slog.New(slog.NewJSONHandler(&logs, nil)), &expiryStats{})
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "counter journal does not compact") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	_ = stop()
	if !strings.Contains(logs.String(), "counter journal does not compact") {
		t.Errorf("a failing compaction is not logged while the expiry fails:\n%s", logs.String())
	}
}
