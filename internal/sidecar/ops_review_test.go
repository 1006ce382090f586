package sidecar

import (
	"context"
	"crypto/sha256"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
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
