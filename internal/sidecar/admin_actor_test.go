package sidecar

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"log/slog"
	"math/big"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/internal/testpki"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
)

// issueClient returns a client certificate of ca shaped by tmpl (its key,
// validity and usage filled in), as PEM, and the certificate.
func (ca *testCA) issueClient(t *testing.T, tmpl *x509.Certificate) (certPEM, keyPEM []byte, cert *x509.Certificate) {
	t.Helper()
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	tmpl.KeyUsage, tmpl.ExtKeyUsage = x509.KeyUsageDigitalSignature, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	return ca.Sign(t, tmpl)
}

// opsAdminCert is the client certificate template of the tests: a common
// name, an organisation and a SPIFFE URI.
func opsAdminCert() *x509.Certificate {
	u, _ := url.Parse("spiffe://example.test/ops-admin")
	return &x509.Certificate{SerialNumber: big.NewInt(0x5eed), Subject: pkix.Name{CommonName: "ops-admin", Organization: []string{"Example Call Centre"}},
		URIs: []*url.URL{u}}
}

// startFullConn serves the full back end of dir with cfg on lis's kind of
// listener (from srv.Listen for a Unix socket, else loopback TCP) and
// returns the environment with clients dialled with creds.
func startFullConn(t *testing.T, cfg Config, dir string, creds credentials.TransportCredentials) *testEnv {
	t.Helper()
	cfg.MetricsListen = "off"
	be, err := Open(context.Background(), Config{Data: dir, Profile: "cn", MetricsListen: "off"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(cfg, be, nil)
	if err != nil {
		t.Fatal(err)
	}
	target := ""
	if cfg.Unix != "" {
		lis, err := srv.Listen()
		if err != nil {
			t.Fatal(err)
		}
		go srv.Serve(lis)
		t.Cleanup(func() { srv.Shutdown(context.Background()) })
		target = "unix://" + cfg.Unix
	} else {
		target = serveOnLoopback(t, srv).Addr().String()
	}
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &testEnv{srv: srv, conn: conn, gate: pb.NewGateServiceClient(conn), admin: pb.NewAdminServiceClient(conn)}
}

// mtlsSetup writes a server certificate and the CA of a throwaway PKI to
// a directory and returns the TLS config naming them, the CA, and client
// credentials presenting a certificate made from tmpl (or none for nil).
func mtlsSetup(t *testing.T, tmpl *x509.Certificate) (TLSConfig, *testCA, credentials.TransportCredentials, *x509.Certificate) {
	t.Helper()
	dir := t.TempDir()
	ca := newCA(t)
	scert, skey := ca.issue(t, 2, true)
	w := func(name string, b []byte) string { return testpki.Write(t, dir, name, b) }
	cfg := TLSConfig{CertFile: w("s.crt", scert), KeyFile: w("s.key", skey), ClientCAFile: w("ca.crt", ca.PEM)}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.PEM)
	tc := &tls.Config{RootCAs: pool}
	var leaf *x509.Certificate
	if tmpl != nil {
		cpem, kpem, c := ca.issueClient(t, tmpl)
		pair, err := tls.X509KeyPair(cpem, kpem)
		if err != nil {
			t.Fatal(err)
		}
		tc.Certificates, leaf = []tls.Certificate{pair}, c
	}
	return cfg, ca, credentials.NewTLS(tc), leaf
}

// dncAddRemove adds and removes an opt-out through e: one change applied
// first, one recorded first (requested, then applied).
func dncAddRemove(t *testing.T, ctx context.Context, e *testEnv) {
	t.Helper()
	if _, err := e.admin.AddDncEntry(ctx, &pb.AddDncEntryRequest{Number: "+8613900139081", Scope: "global", Source: "agent"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.RemoveDncEntry(ctx, &pb.RemoveDncEntryRequest{Number: "+8613900139082", Scope: "global"}); err != nil {
		t.Fatal(err)
	}
}

// TestAdminActorMTLS: under mTLS without tokens, every change record names
// the verified client certificate: the actor "mtls:" and its common name,
// and actor_cert its subject, issuer, serial and SHA-256 fingerprint; with
// a token too, the actor is the token's name and actor_cert the
// certificate, so neither is taken for the other.
func TestAdminActorMTLS(t *testing.T) {
	for _, tc := range []struct {
		name, tokens, bearer, actor string
	}{
		{name: "certificate only", actor: "mtls:ops-admin"},
		{name: "token and certificate", tokens: "yes", bearer: "ops-desk-token-0123456789", actor: "ops-desk"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tlsCfg, _, creds, leaf := mtlsSetup(t, opsAdminCert())
			cfg := Config{TLS: tlsCfg}
			ctx := ctxT(t)
			if tc.tokens != "" {
				cfg.TokensFile = opsToken(t)
				ctx = bearer(t, tc.bearer)
			}
			dir := t.TempDir()
			e := startFullConn(t, cfg, dir, creds)
			dncAddRemove(t, ctx, e)
			got, _, _ := auditChanges(t, e, dir)
			if len(got) != 3 {
				t.Fatalf("%d change records, want 3: %+v", len(got), got)
			}
			sum := sha256.Sum256(leaf.Raw)
			want := auditlog.ClientCert{Subject: "CN=ops-admin,O=Example Call Centre", Issuer: "CN=test ca", Serial: "5eed",
				SHA256: hex.EncodeToString(sum[:]), URI: "spiffe://example.test/ops-admin"}
			for i, g := range got {
				if g.Actor != tc.actor || g.ActorCert == nil || *g.ActorCert != want {
					t.Errorf("record %d (%s %s): actor %q, cert %+v; want %q, %+v", i, g.Op, g.Result, g.Actor, g.ActorCert, tc.actor, want)
				}
			}
		})
	}
}

// TestAdminActorUnauthenticated: a server that requires neither a token
// nor a client certificate (loopback or a Unix socket, the default) records
// its changes as made by "unauthenticated:" and the way the client came,
// never by nobody.
func TestAdminActorUnauthenticated(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   func(t *testing.T) Config
		actor string
	}{
		{"loopback", func(*testing.T) Config { return Config{} }, "unauthenticated:loopback"},
		{"unix socket", func(t *testing.T) Config { return Config{Unix: filepath.Join(t.TempDir(), "dg.sock")} }, "unauthenticated:unix"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			e := startFullConn(t, tc.cfg(t), dir, insecure.NewCredentials())
			dncAddRemove(t, ctxT(t), e)
			got, _, _ := auditChanges(t, e, dir)
			if len(got) != 3 {
				t.Fatalf("%d change records, want 3", len(got))
			}
			for i, g := range got {
				if g.Actor != tc.actor || g.ActorCert != nil {
					t.Errorf("record %d: actor %q cert %+v, want %q and none", i, g.Actor, g.ActorCert, tc.actor)
				}
			}
		})
	}
}

// TestAdminActorMissingRefused: a server that requires a token or a client
// certificate refuses (Internal, nothing recorded or changed) a write whose
// context carries neither — which its interceptors and TLS never let
// through — rather than record it under no name or the wrong one.
func TestAdminActorMissingRefused(t *testing.T) {
	rec := &countingRecorder{}
	for _, auth := range []adminAuth{{tokens: true}, {mtls: true}, {tokens: true, mtls: true}} {
		s := &adminServer{be: &Backend{Changes: rec}, now: time.Now, log: slog.New(slog.DiscardHandler), auth: auth}
		// A context with a peer but no certificate and no token.
		ctx := peer.NewContext(context.Background(), &peer.Peer{Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}})
		_, err := s.newChange(ctx, auditlog.OpDNCRemove)
		if status.Code(err) != codes.Internal || !strings.Contains(status.Convert(err).Message(), "not applied") {
			t.Errorf("%+v: %v, want Internal, not applied", auth, err)
		}
	}
	if rec.n != 0 {
		t.Fatalf("%d records written", rec.n)
	}
}

// countingRecorder counts the changes recorded.
type countingRecorder struct{ n int }

// RecordChange implements ChangeRecorder.
func (r *countingRecorder) RecordChange(context.Context, auditlog.Change) error { r.n++; return nil }

// TestCertActorName: the name after "mtls:" is the certificate's common
// name, else its first URI, DNS name or e-mail address, else its subject,
// else its fingerprint: never empty.
func TestCertActorName(t *testing.T) {
	u, _ := url.Parse("spiffe://example.test/dialer")
	for _, tc := range []struct {
		name string
		c    x509.Certificate
		want string
	}{
		{"common name", x509.Certificate{Subject: pkix.Name{CommonName: "ops-admin"}, URIs: []*url.URL{u}}, "ops-admin"},
		{"uri", x509.Certificate{URIs: []*url.URL{u}, DNSNames: []string{"dialer.example.test"}}, "spiffe://example.test/dialer"},
		{"dns", x509.Certificate{DNSNames: []string{"dialer.example.test"}, EmailAddresses: []string{"ops@example.test"}}, "dialer.example.test"},
		{"email", x509.Certificate{EmailAddresses: []string{"ops@example.test"}}, "ops@example.test"},
		{"subject", x509.Certificate{Subject: pkix.Name{Organization: []string{"Example"}, OrganizationalUnit: []string{"Ops"}}}, "OU=Ops,O=Example"},
		{"nothing", x509.Certificate{Raw: []byte("der")}, "sha256:" + func() string { s := sha256.Sum256([]byte("der")); return hex.EncodeToString(s[:]) }()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := certActorName(&tc.c); got != tc.want {
				t.Fatalf("%q, want %q", got, tc.want)
			}
		})
	}
}
