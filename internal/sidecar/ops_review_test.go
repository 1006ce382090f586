package sidecar

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
)

// emptySHA256 is the SHA-256 of no bytes: what `printf %s "$TOKEN" |
// sha256sum` prints when TOKEN is unset.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// A tokens entry whose sha256 is that of the empty string (a hash taken of
// an unset shell variable) is refused when the file is loaded, and a bearer
// header whose token is empty or only white space ("Bearer   ") is
// Unauthenticated whatever the file holds: it must never match an entry.
func TestTokensEmptyTokenNeverAuthenticates(t *testing.T) {
	_, err := ParseTokens([]byte("tokens:\n  - {name: ops, sha256: '" + emptySHA256 + "', scopes: [gate, admin]}\n"))
	if err == nil || !strings.Contains(err.Error(), "tokens[0].sha256") {
		t.Errorf("sha256 of the empty token: err %v, want a refusal naming tokens[0].sha256", err)
	}
	upper := strings.ToUpper(emptySHA256)
	if _, err := ParseTokens([]byte("tokens:\n  - {name: ops, sha256: '" + upper + "', scopes: [gate]}\n")); err == nil {
		t.Error("sha256 of the empty token in upper case: accepted")
	}
	// A set built around the parser's check (as an older file loaded before
	// it) must still refuse an empty bearer token.
	tok := &Tokens{byHash: map[[sha256.Size]byte]tokenEntry{
		sha256.Sum256(nil): {name: "ops", scopes: map[Scope]bool{ScopeGate: true, ScopeAdmin: true}},
	}}
	for _, v := range []string{"Bearer  ", "Bearer \t", "bearer    "} {
		ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", v))
		_, err := tok.Authorize(ctx, ScopeAdmin)
		wantStatus(t, err, codes.Unauthenticated, "")
	}
}

// A component probe that hangs past its deadline (a store or audit
// directory on a disk that stopped answering: a call that ignores its
// context) is a failure: the component and the server go NOT_SERVING, the
// other components are still probed, and a shutdown (SIGTERM) does not wait
// for the hung probe — it goes NOT_SERVING, stops and flushes the audit log.
// Once the component answers again it is SERVING again.
func TestHealthProbeHangIsNotServing(t *testing.T) {
	release := make(chan struct{})
	var hang atomic.Bool
	hang.Store(true)
	var otherRuns atomic.Int32
	e := startTest(t, Config{HealthInterval: Duration(100 * time.Millisecond)}, func(b *Backend) {
		b.Probes = []Probe{
			{Name: "store", Check: func(context.Context) error {
				if hang.Load() {
					<-release // ignores its context
				}
				return nil
			}},
			{Name: "audit", Check: func(context.Context) error { otherRuns.Add(1); return nil }},
		}
	})
	defer close(release)
	ctx := ctxT(t)
	hc := healthpb.NewHealthClient(e.conn)
	status := func(svc string) healthpb.HealthCheckResponse_ServingStatus {
		r, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: svc})
		if err != nil {
			t.Fatalf("%q: %v", svc, err)
		}
		return r.GetStatus()
	}
	waitFor := func(what string, f func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !f() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("store NOT_SERVING", func() bool {
		return status("component/store") == healthpb.HealthCheckResponse_NOT_SERVING &&
			status("") == healthpb.HealthCheckResponse_NOT_SERVING &&
			status(HealthGate) == healthpb.HealthCheckResponse_NOT_SERVING
	})
	if status("component/audit") != healthpb.HealthCheckResponse_SERVING {
		t.Error("component/audit: not SERVING while only the store hangs")
	}
	n := otherRuns.Load()
	waitFor("the audit probe to run again while the store probe hangs", func() bool { return otherRuns.Load() > n+1 })
	// The store answers again.
	hang.Store(false)
	release <- struct{}{}
	waitFor("store SERVING again", func() bool {
		return status("component/store") == healthpb.HealthCheckResponse_SERVING && status("") == healthpb.HealthCheckResponse_SERVING
	})
	// Hung again, then SIGTERM: Shutdown must not wait for the probe.
	hang.Store(true)
	waitFor("store NOT_SERVING again", func() bool { return status("component/store") == healthpb.HealthCheckResponse_NOT_SERVING })
	closed := make(chan struct{})
	e.srv.be.Close = func(context.Context) error { close(closed); return nil }
	done := make(chan error, 1)
	go func() { done <- e.srv.Shutdown(context.Background()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Shutdown waits for a hung health probe: no NOT_SERVING, no graceful stop, no audit flush")
	}
	select {
	case <-closed:
	default:
		t.Error("Shutdown did not close the backend")
	}
}

// A token (or hash) written without quotes that YAML reads as a number was
// taken as the number's text, not as written: "+12345678901234567" became
// the token "12345678901234567", "1_234_567_890_123_456" the shorter
// "1234567890123456", and a 40-digit token was refused as "shorter than
// 16 bytes". Each is refused, naming the key and asking for quotes; quoted,
// the same text is the token as written.
func TestTokensUnquotedNumberRefused(t *testing.T) {
	for _, v := range []string{"+12345678901234567", "1_234_567_890_123_456", "1234567890123456789012345678901234567890", "0123456789012345678"} {
		_, err := ParseTokens([]byte("tokens:\n  - name: ops\n    token: " + v + "\n    scopes: [gate]\n"))
		if err == nil || !strings.Contains(err.Error(), "tokens[0].token") || !strings.Contains(err.Error(), "quote") {
			t.Errorf("token: %s: err %v, want a refusal naming tokens[0].token asking for quotes", v, err)
		}
		tok, err := ParseTokens([]byte("tokens:\n  - name: ops\n    token: '" + v + "'\n    scopes: [gate]\n"))
		if err != nil {
			t.Errorf("token: '%s': %v", v, err)
			continue
		}
		if _, ok := tok.byHash[sha256.Sum256([]byte(v))]; !ok {
			t.Errorf("token: '%s': not the token as written", v)
		}
	}
	// A plain token that YAML reads as text is the token as written.
	tok, err := ParseTokens([]byte("tokens:\n  - name: ops\n    token: gate-token-0123456789\n    scopes: [gate]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tok.byHash[sha256.Sum256([]byte("gate-token-0123456789"))]; !ok {
		t.Error("plain text token: not the token as written")
	}
}

// orderedAudit records, in order, the decisions written and the backend's close.
type orderedAudit struct {
	mu     sync.Mutex
	events []string
}

func (a *orderedAudit) add(s string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, s)
}

func (a *orderedAudit) RecordDecision(_ context.Context, d dialgate.Decision) error {
	a.add(fmt.Sprintf("decision allowed=%v", d.Allowed))
	return nil
}

func (a *orderedAudit) RecordOutcome(context.Context, dialgate.Outcome) error { return nil }

// slowCheck passes every dial once release is closed, telling started first.
type slowCheck struct{ started, release chan struct{} }

func (c slowCheck) Name() string { return "slow" }

func (c slowCheck) Check(context.Context, dialgate.Dial) ([]dialgate.Reason, error) {
	close(c.started)
	<-c.release
	return nil, nil
}

// SIGTERM with a Check in flight: the server goes NOT_SERVING at once, the
// Check is decided, recorded and answered (an allow the dialer receives is
// in the audit log), and only then is the backend closed (the audit log
// flushed). A Check sent once the graceful stop has begun is refused, not
// decided.
func TestShutdownRecordsInFlightCheckBeforeClose(t *testing.T) {
	audit := &orderedAudit{}
	chk := slowCheck{started: make(chan struct{}), release: make(chan struct{})}
	g, err := dialgate.New([]dialgate.Checker{chk}, dialgate.WithAuditLog(audit), dialgate.WithPolicyVersion("test"),
		dialgate.WithCheckTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	be := &Backend{Gate: g, Close: func(context.Context) error { audit.add("close"); return nil }}
	srv, err := NewServer(Config{MetricsListen: "off", ShutdownGrace: Duration(10 * time.Second)}, be, nil)
	if err != nil {
		t.Fatal(err)
	}
	lis := serveOnLoopback(t, srv)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	gate := pb.NewGateServiceClient(conn)
	ctx := ctxT(t)
	type result struct {
		r   *pb.CheckResponse
		err error
	}
	res := make(chan result, 1)
	go func() {
		r, err := gate.Check(ctx, &pb.CheckRequest{Dial: okDial("+8613900139006")})
		res <- result{r, err}
	}()
	<-chk.started
	stopped := make(chan error, 1)
	go func() { stopped <- srv.Shutdown(context.Background()) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r, _ := srv.health.Check(ctx, &healthpb.HealthCheckRequest{Service: HealthGate})
		if r.GetStatus() == healthpb.HealthCheckResponse_NOT_SERVING {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not NOT_SERVING after SIGTERM")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A new call once the graceful stop has begun is refused.
	time.Sleep(100 * time.Millisecond)
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	_, lateErr := gate.Check(cctx, &pb.CheckRequest{Dial: okDial("+8613900139007")})
	cancel()
	if lateErr == nil {
		t.Error("a Check sent during the graceful stop was decided")
	}
	close(chk.release)
	r := <-res
	if r.err != nil || !r.r.GetDecision().GetAllowed() {
		t.Fatalf("in-flight Check: %v %v, want an allow", r.r, r.err)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	audit.mu.Lock()
	defer audit.mu.Unlock()
	if want := []string{"decision allowed=true", "close"}; !slices.Equal(audit.events, want) {
		t.Errorf("audit events %q, want %q", audit.events, want)
	}
}

// SIGTERM while a (slow but healthy) probe runs: the server reports
// NOT_SERVING at once, not once that probe has returned.
func TestShutdownNotServingDuringProbe(t *testing.T) {
	inProbe := make(chan struct{}, 1)
	e := startTest(t, Config{HealthInterval: Duration(100 * time.Millisecond), Drain: Duration(2 * time.Second)}, func(b *Backend) {
		b.Probes = []Probe{{Name: "store", Check: func(context.Context) error {
			select {
			case inProbe <- struct{}{}:
			default:
			}
			time.Sleep(800 * time.Millisecond) // slow, within probeTimeout
			return nil
		}}}
	})
	// Wait for a probe run of the loop to begin.
	for len(inProbe) > 0 {
		<-inProbe
	}
	<-inProbe
	start := time.Now()
	go e.srv.Shutdown(context.Background())
	for {
		r, _ := e.srv.health.Check(context.Background(), &healthpb.HealthCheckRequest{Service: HealthGate})
		if r.GetStatus() == healthpb.HealthCheckResponse_NOT_SERVING {
			break
		}
		if time.Since(start) > 300*time.Millisecond {
			t.Fatalf("still SERVING %v after SIGTERM: NOT_SERVING waits for the probe in progress", time.Since(start))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
