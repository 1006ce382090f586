package sidecar

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/testdb"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// oneCapProfile caps every callee at one call a day, and nothing else.
const oneCapProfile = `schema: dialgate.profile.v1
name: fleet-guard
frequency:
  caps:
    - {count: 1, window: 24h, cite: {source: U, ref: "test: one a day"}}
`

func guardDial() dialgate.Dial {
	return dialgate.Dial{To: dialgate.MustParseNumber("+14055550188"), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"}
}

// releaseAcross reports an outcome of an allowed decision to one sidecar
// of bes and releases it through the other (a dialer behind a round-robin
// balancer): the release is refused on the wire with FailedPrecondition
// naming decision_id, and the callee stays capped on both.
func releaseAcross(t *testing.T, bes []*Backend) {
	t.Helper()
	ctx := context.Background()
	a := &gateServer{gate: bes[0].Gate, owners: newDecisionOwners()}
	b := &gateServer{gate: bes[1].Gate, owners: newDecisionOwners()}
	dec, err := bes[0].Gate.Check(ctx, guardDial())
	if err != nil || !dec.Allowed {
		t.Fatalf("check: %v %v %v", dec.Allowed, dec.Reasons, err)
	}
	if _, err := a.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: dec.ID, Answered: true}); err != nil {
		t.Fatal(err)
	}
	_, err = b.Release(ctx, &pb.ReleaseRequest{DecisionId: dec.ID})
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(status.Convert(err).Message(), "decision_id") {
		t.Fatalf("release through the other sidecar after an outcome: %v, want FailedPrecondition naming decision_id", err)
	}
	for i, be := range bes {
		d, err := be.Gate.Check(ctx, guardDial())
		if err != nil || d.Allowed || !d.Has(dialgate.CodeFrequencyCapped) {
			t.Fatalf("sidecar %d after the refused release: %v %v %v, want frequency.capped", i, d.Allowed, d.Reasons, err)
		}
	}
	outcomeAfterReleaseAcross(t, bes)
	malformedOutcomeAcross(t, bes)
}

// malformedOutcomeAcross reports, to one sidecar, an outcome refused as
// malformed (a negative ring_duration: InvalidArgument) of an allowed
// decision, and releases the decision through the other sidecar, then
// through the first: both releases are refused (the report said the call
// was placed, whatever was wrong with it), and the callee stays capped.
func malformedOutcomeAcross(t *testing.T, bes []*Backend) {
	t.Helper()
	ctx := context.Background()
	a := &gateServer{gate: bes[0].Gate, owners: newDecisionOwners(), storeGuard: true}
	b := &gateServer{gate: bes[1].Gate, owners: newDecisionOwners(), storeGuard: true}
	d := guardDial()
	d.To = dialgate.MustParseNumber("+14055550177")
	dec, err := bes[0].Gate.Check(ctx, d)
	if err != nil || !dec.Allowed {
		t.Fatalf("check: %v %v %v", dec.Allowed, dec.Reasons, err)
	}
	_, err = a.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: dec.ID, Answered: true, RingDuration: durationpb.New(-time.Second)})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), "ring_duration") {
		t.Fatalf("malformed outcome: %v, want InvalidArgument naming ring_duration", err)
	}
	for name, srv := range map[string]*gateServer{"other": b, "same": a} {
		if _, err := srv.Release(ctx, &pb.ReleaseRequest{DecisionId: dec.ID}); status.Code(err) != codes.FailedPrecondition {
			t.Fatalf("release through the %s sidecar after a malformed outcome: %v, want FailedPrecondition", name, err)
		}
	}
	if got, err := bes[1].Gate.Check(ctx, d); err != nil || got.Allowed {
		t.Fatalf("next dial after the refused releases: %v %v, want capped", got.Allowed, err)
	}
}

// outcomeAfterReleaseAcross releases a decision through one sidecar and
// reports a placed call's outcome of it to the other: the other counts it in
// dialgate_outcomes_after_release_total, though it never saw the release.
func outcomeAfterReleaseAcross(t *testing.T, bes []*Backend) {
	t.Helper()
	ctx := context.Background()
	srv, err := NewServer(Config{MetricsListen: "off"}, bes[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(ctx) })
	a := &gateServer{gate: bes[0].Gate, owners: newDecisionOwners(), m: srv.m, storeGuard: true}
	b := &gateServer{gate: bes[1].Gate, owners: newDecisionOwners(), storeGuard: true}
	d := guardDial()
	d.To = dialgate.MustParseNumber("+14055550199")
	dec, err := bes[1].Gate.Check(ctx, d)
	if err != nil || !dec.Allowed {
		t.Fatalf("check: %v %v %v", dec.Allowed, dec.Reasons, err)
	}
	if _, err := b.Release(ctx, &pb.ReleaseRequest{DecisionId: dec.ID}); err != nil {
		t.Fatalf("release without an outcome: %v", err)
	}
	wantMetric(t, srv, "dialgate_outcomes_after_release_total 0")
	// Without its dial the call cannot be counted again: refused, naming
	// the dial (the report is counted all the same).
	_, err = a.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: dec.ID, Answered: true})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), "dial") {
		t.Fatalf("outcome without its dial after a release elsewhere: %v, want InvalidArgument naming dial", err)
	}
	wantMetric(t, srv, "dialgate_outcomes_after_release_total 1")
	if _, err := a.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: dec.ID, Dial: &pb.Dial{To: d.To.String(), Purpose: pb.Purpose_PURPOSE_SERVICE, LeadId: "crm-1", Tenant: "acme"}, Answered: true}); err != nil {
		t.Fatalf("outcome after a release elsewhere: %v", err)
	}
	wantMetric(t, srv, "dialgate_outcomes_after_release_total 2")
	for i, be := range bes {
		if got, err := be.Gate.Check(ctx, d); err != nil || got.Allowed {
			t.Fatalf("sidecar %d, next dial after the outcome after a release: %v %v, want capped (the call was counted again)", i, got.Allowed, err)
		}
	}
}

func TestFleetReleaseAfterOutcomeRedis(t *testing.T) {
	url := os.Getenv("DIALGATE_TEST_REDIS")
	if url == "" {
		t.Skip("DIALGATE_TEST_REDIS is not set; run with DIALGATE_TEST_REDIS=redis://127.0.0.1:6379/N")
	}
	prefix := fmt.Sprintf("guardtest%d", time.Now().UnixNano())
	t.Cleanup(func() { testdb.DropRedisPrefix(url, prefix) })
	releaseAcross(t, fleetSidecarsOn(t, 2, Config{Redis: url, RedisPrefix: prefix, RedisRequireAOF: new(false)}, oneCapProfile))
}

func TestFleetReleaseAfterOutcomePostgres(t *testing.T) {
	url := os.Getenv("DIALGATE_TEST_POSTGRES")
	if url == "" {
		t.Skip("DIALGATE_TEST_POSTGRES is not set; run with DIALGATE_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'")
	}
	schema := fmt.Sprintf("guardtest%d", time.Now().UnixNano())
	t.Cleanup(func() { testdb.DropPostgresSchema(url, schema) })
	releaseAcross(t, fleetSidecarsOn(t, 2, Config{Postgres: url, PostgresSchema: schema}, oneCapProfile))
}

// A sidecar restarted on its data directory (the embedded boltstore) still
// refuses the Release of a decision whose outcome it received before.
func TestReleaseAfterOutcomeSurvivesSidecarRestart(t *testing.T) {
	ctx := context.Background()
	cfg := oneCapConfig(t)
	be, err := Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := be.Gate.Check(ctx, guardDial())
	if err != nil || !dec.Allowed {
		t.Fatalf("check: %v %v %v", dec.Allowed, dec.Reasons, err)
	}
	if err := be.Gate.ReportOutcome(ctx, dialgate.Outcome{DecisionID: dec.ID, Answered: true}); err != nil {
		t.Fatal(err)
	}
	if err := be.Close(ctx); err != nil {
		t.Fatal(err)
	}
	be2, err := Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be2.Close(ctx) })
	if err := be2.Gate.Release(ctx, dec); !errors.Is(err, dialgate.ErrPlaced) {
		t.Fatalf("release after a restart: %v, want ErrPlaced", err)
	}
	_, err = (&gateServer{gate: be2.Gate, owners: newDecisionOwners()}).Release(ctx, &pb.ReleaseRequest{DecisionId: dec.ID})
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("release on the wire after a restart: %v, want FailedPrecondition", err)
	}
}

// oneCapConfig is the Config of a sidecar on a fresh data directory under
// oneCapProfile, with its HMAC key file written and no metrics listener.
func oneCapConfig(t *testing.T) Config {
	t.Helper()
	dir := t.TempDir()
	cfg := Config{Data: filepath.Join(dir, "host"), Profile: filepath.Join(dir, "profile.yaml"), HMACKeyFile: filepath.Join(dir, "hmac.key"), MetricsListen: "off"}
	if err := os.WriteFile(cfg.Profile, []byte(oneCapProfile), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg.HMACKeyFile, []byte("00112233445566778899aabbccddeeff\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// startOneCap serves the full Backend of oneCapConfig (the embedded store,
// the profile's checks, the release guard) through the test server.
func startOneCap(t *testing.T) *testEnv {
	t.Helper()
	cfg := oneCapConfig(t)
	return startTest(t, Config{}, func(be *Backend) {
		full, err := Open(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { full.Close(context.Background()) })
		*be = *full
	})
}
