package sidecar

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/internal/faultproxy"
	"github.com/dialgate/dialgate/internal/testdb"
)

// outageProfile checks every purpose against the fleet's do-not-call lists
// and counts every dial.
const outageProfile = `schema: dialgate.profile.v1
name: outage
dnc:
  purposes: [marketing, service, callback, collections, survey]
  purposes_cite: {source: U, ref: "outage test"}
  hold: {months: 12, cite: {source: U, ref: "outage test"}}
frequency:
  caps: [{count: 1000, window: 1m, cite: {source: U, ref: "outage test: no cap in the way"}}]
`

// A fleet's PostgreSQL and Redis stall (a black hole: nothing refused,
// nothing answered) one after the other, then come back: the health
// service reports each component NOT_SERVING while it does not answer, and
// the whole server with it; a dial is denied promptly while the Redis that
// keeps the lists and counters stalls; once both answer again (the stalled
// connections never do), everything is SERVING and dials are allowed,
// without a restart.
func TestOutageHealth(t *testing.T) {
	pgURL, redisURL := os.Getenv("DIALGATE_TEST_POSTGRES"), os.Getenv("DIALGATE_TEST_REDIS")
	if pgURL == "" || redisURL == "" {
		t.Skip("DIALGATE_TEST_POSTGRES and DIALGATE_TEST_REDIS are not both set")
	}
	schema := fmt.Sprintf("outage%d", time.Now().UnixNano())
	prefix := fmt.Sprintf("outage%d", time.Now().UnixNano())
	t.Cleanup(func() {
		testdb.DropPostgresSchema(pgURL, schema)
		testdb.DropRedisPrefix(redisURL, prefix)
	})
	pgx, pgProxied := faultproxy.ForURL(t, pgURL, "5432")
	rx, redisProxied := faultproxy.ForURL(t, redisURL, "6379")
	const timeout = 300 * time.Millisecond
	be := fleetSidecarsOn(t, 1, Config{Postgres: pgProxied, PostgresSchema: schema, Redis: redisProxied, RedisPrefix: prefix,
		RedisRequireAOF: new(false), CheckTimeout: Duration(timeout)}, outageProfile)[0]
	srv, err := NewServer(Config{MetricsListen: "off", HealthInterval: Duration(100 * time.Millisecond)}.WithDefaults(), be, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	// Cut before the server shuts down and closes the stores: a stalled
	// connection holds a pgx pool's Close up for 15 s.
	t.Cleanup(rx.Cut)
	t.Cleanup(pgx.Cut)
	status := func(service string) healthpb.HealthCheckResponse_ServingStatus {
		r, err := srv.health.Check(context.Background(), &healthpb.HealthCheckRequest{Service: service})
		if err != nil {
			t.Fatalf("health %q: %v", service, err)
		}
		return r.Status
	}
	begun := time.Now()
	serving, notServing := healthpb.HealthCheckResponse_SERVING, healthpb.HealthCheckResponse_NOT_SERVING
	wait := func(step string, want map[string]healthpb.HealthCheckResponse_ServingStatus) {
		t.Helper()
		deadline := time.Now().Add(8 * time.Second)
		for {
			ok := true
			got := map[string]healthpb.HealthCheckResponse_ServingStatus{}
			for s, w := range want {
				got[s] = status(s)
				ok = ok && got[s] == w
			}
			if ok {
				t.Logf("%s: %v", step, time.Since(begun).Round(time.Millisecond))
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: health %v, want %v", step, got, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	pgc, rc := HealthComponentPrefix+"postgres", HealthComponentPrefix+"redis"
	dial := func(to string) (dialgate.Decision, time.Duration) {
		start := time.Now()
		d, _ := be.Gate.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber(to),
			Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"})
		return d, time.Since(start)
	}
	wait("up", map[string]healthpb.HealthCheckResponse_ServingStatus{"": serving, HealthGate: serving, pgc: serving, rc: serving})
	if d, _ := dial("+14055550140"); !d.Allowed {
		t.Fatalf("up: %v", d.Codes())
	}

	pgx.Stall()
	wait("postgres stalled", map[string]healthpb.HealthCheckResponse_ServingStatus{"": notServing, HealthGate: notServing, pgc: notServing, rc: serving})
	rx.Stall()
	wait("both stalled", map[string]healthpb.HealthCheckResponse_ServingStatus{"": notServing, pgc: notServing, rc: notServing})
	for i := range 3 {
		d, took := dial(fmt.Sprintf("+140555501%02d", 41+i))
		if d.Allowed || !d.Has(dialgate.UnavailableCode("dnc")) || took > timeout+250*time.Millisecond {
			t.Errorf("with Redis stalled: allowed %v, codes %v, took %v; want a prompt deny with dnc.unavailable", d.Allowed, d.Codes(), took.Round(time.Millisecond))
		}
	}

	pgx.Restore()
	rx.Restore()
	wait("restored", map[string]healthpb.HealthCheckResponse_ServingStatus{"": serving, HealthGate: serving, pgc: serving, rc: serving})
	deadline := time.Now().Add(5 * time.Second)
	for {
		d, _ := dial("+14055550150")
		if d.Allowed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("restored: dials still denied: %v", d.Codes())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A sidecar stopping while its PostgreSQL stalls seals its audit log at
// once: the pgx pool's Close waits up to 15 s for connections to a server
// that does not answer, and an orchestrator's grace period (30 s by
// default on Kubernetes) may end before that; the log's last records must
// not wait for it unsigned.
func TestCloseSealsAuditLogBeforeStalledStore(t *testing.T) {
	pgURL, redisURL := os.Getenv("DIALGATE_TEST_POSTGRES"), os.Getenv("DIALGATE_TEST_REDIS")
	if pgURL == "" || redisURL == "" {
		t.Skip("DIALGATE_TEST_POSTGRES and DIALGATE_TEST_REDIS are not both set")
	}
	schema := fmt.Sprintf("outageclose%d", time.Now().UnixNano())
	t.Cleanup(func() { testdb.DropPostgresSchema(pgURL, schema) })
	pgx, pgProxied := faultproxy.ForURL(t, pgURL, "5432")
	be := fleetSidecarsOn(t, 1, Config{Postgres: pgProxied, PostgresSchema: schema, CheckTimeout: Duration(300 * time.Millisecond)}, outageProfile)[0]
	auditDir := be.Changes.(*watchedAudit).Dir()
	data := filepath.Dir(auditDir)
	if d, _ := be.Gate.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber("+14055550160"),
		Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"}); !d.Allowed {
		t.Fatalf("up: %v", d.Codes())
	}
	pgx.Stall()
	// A dial during the stall leaves its connection waiting on the server
	// (the check times out, the query does not end).
	if d, _ := be.Gate.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber("+14055550161"),
		Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"}); d.Allowed {
		t.Fatal("allowed with PostgreSQL stalled")
	}
	closed := make(chan error, 1)
	go func() { closed <- be.Close(context.Background()) }()
	defer func() {
		pgx.Cut() // let the pool's Close end
		<-closed
	}()
	vkey, err := os.ReadFile(filepath.Join(data, KeysDir, SignerPubFile))
	if err != nil {
		t.Fatal(err)
	}
	v, err := auditlog.NewVerifier(strings.TrimSpace(string(vkey)))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		files, err := auditlog.LogFiles(auditDir)
		if err != nil {
			t.Fatal(err)
		}
		_, err = auditlog.Verify(context.Background(), files, auditlog.VerifyOptions{Verifiers: note.VerifierList(v), RequireSealed: true})
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("3 s into Close with PostgreSQL stalled, the audit log is not sealed: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
