package sidecar

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/testpki"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
)

// Reflection lists the services (and their message types): it is served
// only with Reflection, and then only to a token with the admin scope —
// a missing token is Unauthenticated, a gate token PermissionDenied. Health
// stays open.
func TestReflectionNeedsAdminScope(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.yaml")
	writeFile(t, path, "tokens:\n  - {name: dialer, token: '"+reloadTokenA+"', scopes: [gate]}\n  - {name: ops, token: '"+reloadTokenB+"', scopes: [admin]}\n")
	list := func(e *testEnv, token string) error {
		ctx := ctxT(t)
		if token != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
		}
		st, err := reflectionpb.NewServerReflectionClient(e.conn).ServerReflectionInfo(ctx)
		if err != nil {
			return err
		}
		// io.EOF from Send: the server ended the stream; Recv has its status.
		if err := st.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		_, err = st.Recv()
		return err
	}
	off := startTest(t, Config{TokensFile: path}, nil)
	if err := list(off, reloadTokenB); status.Code(err) != codes.Unimplemented {
		t.Fatalf("reflection without Reflection: %v, want Unimplemented", err)
	}
	on := startTest(t, Config{TokensFile: path, Reflection: true}, nil)
	for token, want := range map[string]codes.Code{"": codes.Unauthenticated, reloadTokenA: codes.PermissionDenied, reloadTokenB: codes.OK} {
		if err := list(on, token); status.Code(err) != want {
			t.Errorf("reflection with token %.7q: %v, want %v", token, err, want)
		}
	}
	if _, err := healthpb.NewHealthClient(on.conn).Check(ctxT(t), &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatalf("health without a token: %v", err)
	}
}

// mTLS: a client certificate that has expired, or that another CA issued,
// or that is not for client authentication, is refused at the handshake
// (the call fails: do not dial); the CA's current client certificate is
// admitted.
func TestMTLSRefusesExpiredForeignAndServerOnlyClientCerts(t *testing.T) {
	dir := t.TempDir()
	ca, other := newCA(t), newCA(t)
	scert, skey := ca.issue(t, 2, true)
	w := func(name string, b []byte) string { return testpki.Write(t, dir, name, b) }
	cfg := Config{MetricsListen: "off", TLS: TLSConfig{CertFile: w("s.crt", scert), KeyFile: w("s.key", skey), ClientCAFile: w("ca.crt", ca.PEM)}}
	g, err := dialgate.New(nil, dialgate.WithoutAuditLog())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(cfg, &Backend{Gate: g}, nil)
	if err != nil {
		t.Fatal(err)
	}
	lis := serveOnLoopback(t, srv)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.PEM)
	try := func(certPEM, keyPEM []byte) error {
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}})))
		if err != nil {
			return err
		}
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_, err = pb.NewGateServiceClient(conn).Check(ctx, &pb.CheckRequest{Dial: okDial("+8613900139043")})
		return err
	}
	good, goodKey := ca.issue(t, 3, false)
	if err := try(good, goodKey); err != nil {
		t.Fatalf("the CA's client certificate: %v", err)
	}
	expired, expiredKey := ca.issueUntil(t, 4, false, time.Now().Add(-time.Minute))
	foreign, foreignKey := other.issue(t, 5, false)
	serverOnly, serverOnlyKey := ca.issue(t, 6, true)
	for name, c := range map[string][2][]byte{"expired": {expired, expiredKey}, "another CA's": {foreign, foreignKey}, "server-auth only": {serverOnly, serverOnlyKey}} {
		if err := try(c[0], c[1]); err == nil || status.Code(err) == codes.OK {
			t.Errorf("%s client certificate admitted", name)
		} else if !strings.Contains(err.Error(), "certificate") && status.Code(err) != codes.Unavailable {
			t.Errorf("%s client certificate: %v", name, err)
		}
	}
}

// With insecure: true, a listener that opens on an address that is not
// loopback — gRPC without TLS and tokens, or metrics at all — is served,
// as the operator asked, but each is named at Warn with its address: the
// generic "insecure mode" line at start said neither whether anything was
// exposed nor what. A loopback listener gets no such line.
func TestInsecureNonLoopbackListenersWarned(t *testing.T) {
	public := map[string]*net.TCPAddr{
		"localhost:7443": {IP: net.ParseIP("192.0.2.10"), Port: 7443},
		"localhost:9464": {IP: net.ParseIP("192.0.2.10"), Port: 9464},
	}
	for _, c := range []struct {
		name   string
		cfg    Config
		remap  bool
		wanted []string
	}{
		{"public", Config{Listen: "localhost:7443", MetricsListen: "localhost:9464", Insecure: true}, true,
			[]string{"sidecar: serving gRPC on a non-loopback address without TLS and tokens (insecure)", "sidecar: serving metrics without authentication on a non-loopback address (insecure)"}},
		{"loopback", Config{Listen: "127.0.0.1:0", MetricsListen: "127.0.0.1:0", Insecure: true}, false, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			g, err := dialgate.New(nil, dialgate.WithoutAuditLog())
			if err != nil {
				t.Fatal(err)
			}
			var logs syncBuffer
			srv, err := NewServer(c.cfg, &Backend{Gate: g}, slogJSON(&logs))
			if err != nil {
				t.Fatal(err)
			}
			if c.remap {
				srv.listenTCP = func(network, addr string) (net.Listener, error) {
					l, err := net.Listen(network, "127.0.0.1:0")
					if err != nil || public[addr] == nil {
						return l, err
					}
					return boundListener{Listener: l, addr: public[addr]}, nil
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := srv.Run(ctx, func(_, _ net.Addr) { cancel() }); err != nil {
				t.Fatal(err)
			}
			got := logs.String()
			for _, w := range c.wanted {
				if !strings.Contains(got, `"level":"WARN","msg":"`+w+`"`) || !strings.Contains(got, "192.0.2.10") {
					t.Errorf("no Warn %q naming the address:\n%s", w, got)
				}
			}
			if c.wanted == nil && strings.Contains(got, "non-loopback address") {
				t.Errorf("a loopback listener was warned about:\n%s", got)
			}
		})
	}
}

// slogJSON returns a JSON logger at Debug writing to w.
func slogJSON(w *syncBuffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// A client that pings more often than the enforcement policy allows (every
// 10 s at most) is sent GOAWAY ENHANCE_YOUR_CALM ("too_many_pings") and
// cut off, instead of keeping the server answering pings: checked with raw
// HTTP/2 frames, as grpc-go's own client will not ping that often.
func TestKeepalivePingFloodCut(t *testing.T) {
	g, err := dialgate.New(nil, dialgate.WithoutAuditLog())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(Config{MetricsListen: "off"}, &Backend{Gate: g}, nil)
	if err != nil {
		t.Fatal(err)
	}
	lis := serveOnLoopback(t, srv)
	conn, err := net.Dial("tcp", lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte(http2.ClientPreface)); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(conn, conn)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if err := fr.WritePing(false, [8]byte{byte(i)}); err != nil {
			break // cut off already
		}
	}
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("no GOAWAY before the connection ended: %v", err)
		}
		if ga, ok := f.(*http2.GoAwayFrame); ok {
			if ga.ErrCode != http2.ErrCodeEnhanceYourCalm || !strings.Contains(string(ga.DebugData()), "too_many_pings") {
				t.Fatalf("GOAWAY %v %q, want ENHANCE_YOUR_CALM too_many_pings", ga.ErrCode, ga.DebugData())
			}
			return
		}
	}
}

// Refused tokens were logged at Debug only and counted nowhere (the
// interceptor answers before the handler, whose errors are counted): a
// guessing client, or a dialer left with a revoked token, was invisible
// at the default log level. dialgate_auth_refused_total counts them by the
// scope needed and the code, from 0 at start.
func TestAuthRefusalsCounted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.yaml")
	writeFile(t, path, "tokens:\n  - {name: dialer, token: '"+reloadTokenA+"', scopes: [gate]}\n")
	e := startTest(t, Config{TokensFile: path}, nil)
	wantMetric(t, e.srv, `dialgate_auth_refused_total{grpc_code="Unauthenticated",scope="gate"} 0`)
	with := func(tok string) context.Context {
		return metadata.AppendToOutgoingContext(ctxT(t), "authorization", "Bearer "+tok)
	}
	req := &pb.CheckRequest{Dial: okDial("+8613900139044")}
	e.gate.Check(ctxT(t), req)
	e.gate.Check(with("guess-0123456789abcdef"), req)
	e.admin.AddDncEntry(with(reloadTokenA), &pb.AddDncEntryRequest{Number: "+8613900139044", Scope: "global"})
	if _, err := e.gate.Check(with(reloadTokenA), req); err != nil {
		t.Fatal(err)
	}
	wantMetric(t, e.srv, `dialgate_auth_refused_total{grpc_code="Unauthenticated",scope="gate"} 2`)
	wantMetric(t, e.srv, `dialgate_auth_refused_total{grpc_code="PermissionDenied",scope="admin"} 1`)
	// A stream's message refused after its token was removed counts too.
	stream, err := e.gate.CheckStream(with(reloadTokenA))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sendRecv(stream, "r1"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, "tokens:\n  - {name: dialer, token: '"+reloadTokenB+"', scopes: [gate]}\n")
	if err := e.srv.Reload(false); err != nil {
		t.Fatal(err)
	}
	if _, err := sendRecv(stream, "r2"); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("stream after the removal: %v", err)
	}
	wantMetric(t, e.srv, `dialgate_auth_refused_total{grpc_code="Unauthenticated",scope="gate"} 3`)
	if strings.Contains(metricsText(t, e.srv), `"dialer"`) {
		t.Error("a token's name is a metric label")
	}
}

// A call without a valid token is refused when its headers arrive, before
// its request is read. The interceptor that checks the token runs only
// once the request message is in: a client that sent the headers of a
// GateService or AdminService call and never its message held a server
// goroutine and one of the connection's max_streams slots for ever,
// without any token (and made the server read and decode up to
// max_message_bytes per call before refusing it). Checked with raw HTTP/2
// frames: streams that send headers only must each be answered
// Unauthenticated at once.
func TestUnauthenticatedRefusedAtHeaders(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.yaml")
	writeFile(t, path, "tokens:\n  - {name: dialer, token: '"+reloadTokenA+"', scopes: [gate]}\n")
	g, err := dialgate.New(nil, dialgate.WithoutAuditLog())
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	srv, err := NewServer(Config{MetricsListen: "off", TokensFile: path}, &Backend{Gate: g}, slogJSON(&logs))
	if err != nil {
		t.Fatal(err)
	}
	lis := serveOnLoopback(t, srv)
	conn, err := net.Dial("tcp", lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	defer func() {
		// Logged at Debug as the interceptor's refusals were (logCall),
		// never with the token.
		got := logs.String()
		if n := strings.Count(got, `"msg":"sidecar: call rejected","method":"/dialgate.v1.`); n != 5 {
			t.Errorf("%d refusals logged, want 5:\n%s", n, got)
		}
		if strings.Contains(got, reloadTokenA) || strings.Contains(got, "guess-0123456789abcdef") {
			t.Errorf("a token in the logs:\n%s", got)
		}
	}()
	if _, err := conn.Write([]byte(http2.ClientPreface)); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(conn, conn)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	calls := map[uint32]string{}
	id := uint32(1)
	for _, c := range []struct{ method, auth string }{
		{"/dialgate.v1.GateService/Check", ""},
		{"/dialgate.v1.GateService/CheckStream", ""},
		{"/dialgate.v1.AdminService/AddDncEntry", ""},
		{"/dialgate.v1.AdminService/AddDncEntry", "Bearer " + reloadTokenA}, // gate scope only
		{"/dialgate.v1.GateService/Check", "Bearer guess-0123456789abcdef"},
	} {
		var hb bytes.Buffer
		enc := hpack.NewEncoder(&hb)
		fields := [][2]string{{":method", "POST"}, {":scheme", "http"}, {":path", c.method}, {":authority", "x"}, {"content-type", "application/grpc"}, {"te", "trailers"}}
		if c.auth != "" {
			fields = append(fields, [2]string{"authorization", c.auth})
		}
		for _, f := range fields {
			enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
		}
		if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: hb.Bytes(), EndHeaders: true}); err != nil {
			t.Fatal(err)
		}
		calls[id] = c.method + " " + c.auth
		id += 2
	}
	answered := map[uint32]string{}
	for len(answered) < len(calls) {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("answered %v of %v before %v: streams without a valid token wait for their message", answered, calls, err)
		}
		if mh, ok := f.(*http2.MetaHeadersFrame); ok {
			if st := mh.PseudoValue("status"); st != "" && mh.Fields != nil {
				for _, hf := range mh.Fields {
					if hf.Name == "grpc-status" {
						answered[mh.StreamID] = hf.Value
					}
				}
			}
		}
	}
	for sid, code := range answered {
		want := "16" // Unauthenticated
		if strings.Contains(calls[sid], reloadTokenA) {
			want = "7" // PermissionDenied
		}
		if code != want {
			t.Errorf("%s: grpc-status %s, want %s", calls[sid], code, want)
		}
	}
	wantMetric(t, srv, `dialgate_auth_refused_total{grpc_code="Unauthenticated",scope="gate"} 3`)
	wantMetric(t, srv, `dialgate_auth_refused_total{grpc_code="PermissionDenied",scope="admin"} 1`)
}
