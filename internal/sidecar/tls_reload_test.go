package sidecar

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
)

// tlsEnv is a TLS server on loopback TCP over files in a directory of its
// own.
type tlsEnv struct {
	t    *testing.T
	srv  *Server
	addr string
	dir  string
	logs *syncBuf
}

// startTLS writes the server certificate and key (and with clientCAs the
// client CA bundle) and starts a server on them.
func startTLS(t *testing.T, certPEM, keyPEM, clientCAs []byte) *tlsEnv {
	e := &tlsEnv{t: t, dir: t.TempDir(), logs: &syncBuf{}}
	cfg := Config{MetricsListen: "off", TLS: TLSConfig{CertFile: e.write("s.crt", certPEM), KeyFile: e.write("s.key", keyPEM)}}
	if clientCAs != nil {
		cfg.TLS.ClientCAFile = e.write("ca.crt", clientCAs)
	}
	g, _ := dialgate.New(nil, dialgate.WithoutAuditLog())
	srv, err := NewServer(cfg, &Backend{Gate: g}, slog.New(slog.NewJSONHandler(e.logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	fastSettle(srv)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	e.srv, e.addr = srv, lis.Addr().String()
	return e
}

// write replaces file name by b (write beside, then rename) and returns its
// path.
func (e *tlsEnv) write(name string, b []byte) string {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p+".tmp", b, 0o600); err != nil {
		e.t.Fatal(err)
	}
	if err := os.Rename(p+".tmp", p); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func poolOf(cas ...*testCA) *x509.CertPool {
	p := x509.NewCertPool()
	for _, ca := range cas {
		p.AddCert(ca.Cert)
	}
	return p
}

func keyPair(t *testing.T, certPEM, keyPEM []byte) tls.Certificate {
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// serialOn makes one Check over conn and returns the serial of the server
// certificate its connection was made with.
func serialOn(t *testing.T, conn *grpc.ClientConn) (int64, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var p peer.Peer
	if _, err := pb.NewGateServiceClient(conn).Check(ctx, &pb.CheckRequest{Dial: okDial("+8613900139050")}, grpc.Peer(&p)); err != nil {
		return 0, err
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok {
		t.Fatalf("peer auth info %T, want TLSInfo", p.AuthInfo)
	}
	if info.State.NegotiatedProtocol != "h2" {
		t.Errorf("ALPN negotiated %q, want h2", info.State.NegotiatedProtocol)
	}
	return info.State.PeerCertificates[0].SerialNumber.Int64(), nil
}

// dialGRPC opens a gRPC connection trusting roots, presenting client if
// not nil.
func (e *tlsEnv) dialGRPC(roots *x509.CertPool, client *tls.Certificate) *grpc.ClientConn {
	e.t.Helper()
	cfg := &tls.Config{RootCAs: roots}
	if client != nil {
		cfg.Certificates = []tls.Certificate{*client}
	}
	conn, err := grpc.NewClient(e.addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		e.t.Fatal(err)
	}
	return conn
}

// serial makes one Check on a new connection.
func (e *tlsEnv) serial(roots *x509.CertPool, client *tls.Certificate) (int64, error) {
	e.t.Helper()
	conn := e.dialGRPC(roots, client)
	defer conn.Close()
	return serialOn(e.t, conn)
}

func (e *tlsEnv) wantSerial(roots *x509.CertPool, client *tls.Certificate, want int64) {
	e.t.Helper()
	got, err := e.serial(roots, client)
	if err != nil || got != want {
		e.t.Fatalf("new connection: server certificate serial %d (err %v), want %d", got, err, want)
	}
}

// Rotated server certificates are served to new connections after the
// reload; open connections keep theirs. A pair that does not match (the
// certificate rewritten, the key not yet), a chain cut short or an expired
// certificate is refused and the pair in force stays.
func TestTLSReload(t *testing.T) {
	ca := newCA(t)
	roots := poolOf(ca)
	c1, k1 := ca.issue(t, 1, true)
	e := startTLS(t, c1, k1, nil)
	e.wantSerial(roots, nil, 1)
	open := e.dialGRPC(roots, nil)
	defer open.Close()
	if s, err := serialOn(t, open); err != nil || s != 1 {
		t.Fatalf("%d %v", s, err)
	}
	wantMetric(t, e.srv, `dialgate_reloads_total{kind="tls",result="ok"} 0`)

	c2, k2 := ca.issue(t, 2, true)
	e.write("s.crt", c2)
	e.write("s.key", k2)
	if err := e.srv.Reload(false); err != nil {
		t.Fatal(err)
	}
	e.wantSerial(roots, nil, 2)
	if s, err := serialOn(t, open); err != nil || s != 1 {
		t.Fatalf("an open connection after the reload: serial %d (%v), want 1 (its own)", s, err)
	}
	wantMetric(t, e.srv, `dialgate_reloads_total{kind="tls",result="ok"} 1`)
	leaf2, _ := x509.ParseCertificate(keyPair(t, c2, k2).Certificate[0])
	wantMetric(t, e.srv, fmt.Sprintf("dialgate_tls_cert_not_after_timestamp_seconds %g", float64(leaf2.NotAfter.Unix())))

	// TLS 1.2 stays the floor with the reloaded config.
	if c, err := tls.Dial("tcp", e.addr, &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11, NextProtos: []string{"h2"}}); err == nil {
		c.Close()
		t.Fatal("a TLS 1.1 handshake succeeded")
	} else if !strings.Contains(err.Error(), "protocol version") {
		t.Fatalf("TLS 1.1 handshake: %v, want the server's protocol version alert", err)
	}

	c3, k3 := ca.issue(t, 3, true)
	c4, k4 := ca.issueUntil(t, 4, true, time.Now().Add(-time.Minute))
	for i, bad := range []struct {
		name      string
		cert, key []byte
		want      string
	}{
		{"half-written pair (cert 3, key 2)", c3, k2, "tls.cert_file/key_file"},
		{"chain cut short", append(append([]byte{}, c2...), ca.PEM[:len(ca.PEM)/2]...), k2, "cut short"},
		{"expired certificate", c4, k4, "expired"},
	} {
		e.write("s.crt", bad.cert)
		e.write("s.key", bad.key)
		err := e.srv.Reload(false)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Fatalf("%s: reload: %v, want an error naming %q", bad.name, err, bad.want)
		}
		e.wantSerial(roots, nil, 2)
		wantMetric(t, e.srv, fmt.Sprintf(`dialgate_reloads_total{kind="tls",result="error"} %d`, i+1))
	}
	e.write("s.crt", c3)
	e.write("s.key", k3)
	if err := e.srv.Reload(false); err != nil {
		t.Fatal(err)
	}
	e.wantSerial(roots, nil, 3)

	logs := e.logs.String()
	for _, want := range []string{`"msg":"sidecar: tls reloaded"`, `"serial":"2"`, `"previous_serial":"1"`,
		`"msg":"sidecar: tls reload refused; the loaded copy stays"`, filepath.Join(e.dir, "s.key")} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "PRIVATE KEY") {
		t.Errorf("key material in the logs:\n%s", logs)
	}
}

// countingCache counts the session tickets a client stores.
type countingCache struct {
	tls.ClientSessionCache
	puts atomic.Int64
}

func (c *countingCache) Put(key string, cs *tls.ClientSessionState) {
	if cs != nil {
		c.puts.Add(1)
	}
	c.ClientSessionCache.Put(key, cs)
}

// h2Preface is the HTTP/2 client connection preface and an empty SETTINGS
// frame.
var h2Preface = append([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 0, 0, 0, 4, 0, 0, 0, 0, 0)

// rawTLS connects with cfg, sends the HTTP/2 preface and reads the first
// frame header of the server's answer (by then any session ticket has been
// received). It reports whether the session was resumed.
func rawTLS(addr string, cfg *tls.Config) (resumed bool, err error) {
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: cfg}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		return false, err
	}
	defer nc.Close()
	c := nc.(*tls.Conn)
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(h2Preface); err != nil {
		return false, err
	}
	if _, err := io.ReadFull(c, make([]byte, 9)); err != nil {
		return false, err
	}
	return c.ConnectionState().DidResume, nil
}

// mTLS with a reloadable client CA bundle: a client certificate of a second
// CA is refused until the bundle lists that CA and is reloaded; once the CA
// is taken out again, its client cannot come back in by resuming a session
// of before.
func TestTLSReloadClientCA(t *testing.T) {
	ca, ca2 := newCA(t), newCA(t)
	roots := poolOf(ca)
	sc, sk := ca.issue(t, 1, true)
	e := startTLS(t, sc, sk, ca.PEM)
	cc1, ck1 := ca.issue(t, 10, false)
	cc2, ck2 := ca2.issue(t, 20, false)
	client1, client2 := keyPair(t, cc1, ck1), keyPair(t, cc2, ck2)

	e.wantSerial(roots, &client1, 1)
	if _, err := e.serial(roots, &client2); err == nil {
		t.Fatal("a client certificate of a CA not in client_ca_file was accepted")
	}
	e.write("ca.crt", append(append([]byte{}, ca.PEM...), ca2.PEM...))
	if err := e.srv.Reload(false); err != nil {
		t.Fatal(err)
	}
	e.wantSerial(roots, &client2, 1)
	e.wantSerial(roots, &client1, 1)

	// Resumption: a session of client2 is resumed while its CA is listed…
	cache := &countingCache{ClientSessionCache: tls.NewLRUClientSessionCache(8)}
	raw := &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{client2}, NextProtos: []string{"h2"}, ClientSessionCache: cache}
	if resumed, err := rawTLS(e.addr, raw); err != nil || resumed {
		t.Fatalf("first raw connection: resumed %v, %v", resumed, err)
	}
	if cache.puts.Load() == 0 {
		t.Fatal("no session ticket received")
	}
	if resumed, err := rawTLS(e.addr, raw); err != nil || !resumed {
		t.Fatalf("second raw connection: resumed %v, %v; want a resumed session", resumed, err)
	}
	// …and refused once it is taken out.
	e.write("ca.crt", ca.PEM)
	if err := e.srv.Reload(false); err != nil {
		t.Fatal(err)
	}
	if resumed, err := rawTLS(e.addr, raw); err == nil {
		t.Fatalf("a client of a removed CA was accepted (resumed %v)", resumed)
	}
	if _, err := e.serial(roots, &client2); err == nil {
		t.Fatal("a client of a removed CA was accepted")
	}
	e.wantSerial(roots, &client1, 1)
	wantMetric(t, e.srv, `dialgate_reloads_total{kind="tls",result="ok"} 2`)
}
