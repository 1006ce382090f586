package sidecar

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// handshakeLine is one "TLS handshake refused" log record.
type handshakeLine struct {
	Level      string `json:"level"`
	Msg        string `json:"msg"`
	Remote     string `json:"remote"`
	Reason     string `json:"reason"`
	Err        string `json:"err"`
	Suppressed *int   `json:"suppressed"`
}

// handshakeLines returns the "TLS handshake refused" records in logs.
func handshakeLines(logs string) []handshakeLine {
	var out []handshakeLine
	for _, l := range strings.Split(logs, "\n") {
		var rec handshakeLine
		if json.Unmarshal([]byte(l), &rec) == nil && rec.Msg == "sidecar: TLS handshake refused" {
			out = append(out, rec)
		}
	}
	return out
}

// handshakeFailures reads dialgate_tls_handshake_failures_total{reason}
// from metrics text; -1 when the series is missing.
func handshakeFailures(text, reason string) float64 {
	re := regexp.MustCompile(`(?m)^dialgate_tls_handshake_failures_total\{reason="` + regexp.QuoteMeta(reason) + `"\} (\S+)$`)
	m := re.FindStringSubmatch(text)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// waitFailures waits until the reason's counter reaches at least n and
// returns it.
func waitFailures(t *testing.T, srv *Server, reason string, n float64) float64 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		v := handshakeFailures(scrapeServer(t, srv), reason)
		if v >= n || time.Now().After(deadline) {
			return v
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A refused TLS handshake — a plaintext client, a client without a
// certificate under mTLS, one with a certificate of another CA, one that
// does not trust the server's certificate — is logged at Warn with the
// remote address and a reason, and counted by reason; the server keeps
// serving. (It logged nothing: the dialer got "unavailable" and the
// operator had no way to see why.)
func TestTLSHandshakeRefusalsLoggedAndCounted(t *testing.T) {
	ca, other := newCA(t), newCA(t)
	scert, skey := ca.issue(t, 2, true)
	ccert, ckey := ca.issue(t, 3, false)
	ocert, okey := other.issue(t, 4, false)
	e := startTLS(t, scert, skey, ca.PEM)

	text := scrapeServer(t, e.srv)
	for _, r := range handshakeReasons {
		if v := handshakeFailures(text, r); v != 0 {
			t.Errorf("reason %s: series %v before any handshake, want 0 from the start", r, v)
		}
	}

	try := func(creds credentials.TransportCredentials) error {
		conn, err := grpc.NewClient(e.addr, grpc.WithTransportCredentials(creds))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err = pb.NewGateServiceClient(conn).Check(ctx, &pb.CheckRequest{Dial: okDial("+8613900139030")})
		return err
	}
	good := keyPair(t, ccert, ckey)
	foreign := keyPair(t, ocert, okey)
	for _, c := range []struct {
		name   string
		creds  credentials.TransportCredentials
		reason string
	}{
		{"plaintext client", insecure.NewCredentials(), "not_tls"},
		{"no client certificate", credentials.NewTLS(&tls.Config{RootCAs: poolOf(ca)}), "no_client_cert"},
		{"client certificate of another CA", credentials.NewTLS(&tls.Config{RootCAs: poolOf(ca), Certificates: []tls.Certificate{foreign}}), "bad_client_cert"},
		{"client distrusts the server", credentials.NewTLS(&tls.Config{RootCAs: poolOf(other), Certificates: []tls.Certificate{good}}), "client_refused"},
	} {
		if err := try(c.creds); err == nil {
			t.Fatalf("%s: accepted", c.name)
		}
		if v := waitFailures(t, e.srv, c.reason, 1); v < 1 {
			t.Errorf("%s: dialgate_tls_handshake_failures_total{reason=%q} = %v, want ≥ 1\n%s", c.name, c.reason, v, scrapeServer(t, e.srv))
		}
		found := false
		for _, l := range handshakeLines(e.logs.String()) {
			if l.Reason == c.reason {
				found = true
				if l.Level != "WARN" || !strings.HasPrefix(l.Remote, "127.0.0.1:") || l.Err == "" {
					t.Errorf("%s: log line %+v: want WARN, remote 127.0.0.1:port, an err", c.name, l)
				}
			}
		}
		if !found {
			t.Errorf("%s: no log line with reason %s\n%s", c.name, c.reason, e.logs.String())
		}
	}
	if err := try(credentials.NewTLS(&tls.Config{RootCAs: poolOf(ca), Certificates: []tls.Certificate{good}})); err != nil {
		t.Fatalf("after the refusals, a good mTLS client: %v", err)
	}
}

// plaintextHello connects to addr, writes a plaintext HTTP/2 preface and
// reads until the server closes the connection.
func plaintextHello(t *testing.T, addr string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	_, _ = c.Write([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"))
	_, _ = io.Copy(io.Discard, c)
}

// A port scanner cannot flood the log: at most handshakeLogBurst lines per
// interval; the first line of a later interval says how many were
// suppressed; the counter counts every one.
func TestTLSHandshakeLogRateLimited(t *testing.T) {
	ca := newCA(t)
	scert, skey := ca.issue(t, 2, true)
	dir := t.TempDir()
	w := func(name string, b []byte) string { p := dir + "/" + name; _ = os.WriteFile(p, b, 0o600); return p }
	cfg := Config{MetricsListen: "off", TLS: TLSConfig{CertFile: w("s.crt", scert), KeyFile: w("s.key", skey)}}
	g, _ := dialgate.New(nil, dialgate.WithoutAuditLog())
	logs := &syncBuf{}
	srv, err := NewServer(cfg, &Backend{Gate: g}, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	srv.handshakeLog.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv.handshakeLog.burst = 3
	lis := serveOnLoopback(t, srv)

	const n = 20
	for range n {
		plaintextHello(t, lis.Addr().String())
	}
	if v := waitFailures(t, srv, "not_tls", n); v != n {
		t.Fatalf("counter %v, want %d (every refusal counted)", v, n)
	}
	if got := handshakeLines(logs.String()); len(got) != 3 {
		t.Fatalf("%d log lines for %d refusals in one interval, want 3\n%s", len(got), n, logs.String())
	}
	mu.Lock()
	now = now.Add(handshakeLogInterval)
	mu.Unlock()
	plaintextHello(t, lis.Addr().String())
	waitFailures(t, srv, "not_tls", n+1)
	deadline := time.Now().Add(5 * time.Second)
	var lines []handshakeLine
	for {
		lines = handshakeLines(logs.String())
		if len(lines) == 4 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(lines) != 4 {
		t.Fatalf("%d lines after the interval, want 4\n%s", len(lines), logs.String())
	}
	if s := lines[3].Suppressed; s == nil || *s != n-3 {
		t.Errorf("first line of the next interval: suppressed %v, want %d\n%s", s, n-3, logs.String())
	}
	if lines[0].Suppressed != nil {
		t.Errorf("first line ever carries suppressed %d", *lines[0].Suppressed)
	}
}

// handshakeReason sorts errors into a bounded set of reasons.
func TestHandshakeReason(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, "not_tls"},
		{errors.New("tls: client didn't provide a certificate"), "no_client_cert"},
		{&tls.CertificateVerificationError{Err: errors.New("x509: certificate signed by unknown authority")}, "bad_client_cert"},
		{errors.New("tls: failed to parse client certificate: x"), "bad_client_cert"},
		{&net.OpError{Op: "remote error", Err: tls.AlertError(42)}, "client_refused"},
		{errors.New("tls: client offered only unsupported versions: [301]"), "protocol"},
		{fmt.Errorf("tls: client requested unsupported application protocols (%q)", []string{"http/1.1"}), "protocol"},
		{errors.New("credentials: cannot check peer: missing selected ALPN property. x"), "protocol"},
		{&net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}, "timeout"},
		{io.EOF, "closed"},
		{io.ErrUnexpectedEOF, "closed"},
		{&net.OpError{Op: "read", Net: "tcp", Err: &os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET}}, "closed"},
		{errors.New("something else"), "other"},
	} {
		if got := handshakeReason(c.err); got != c.want {
			t.Errorf("handshakeReason(%v) = %s, want %s", c.err, got, c.want)
		}
	}
	for _, r := range handshakeReasons {
		if r == "" {
			t.Error("empty reason listed")
		}
	}
}

// The rate limiter: burst lines per interval, the count suppressed carried
// to the next line logged.
func TestLogLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := &logLimiter{burst: 2, every: time.Minute, now: func() time.Time { return now }}
	var got []string
	for range 5 {
		ok, s := l.allow()
		got = append(got, fmt.Sprint(ok, s))
	}
	now = now.Add(59 * time.Second)
	ok, s := l.allow()
	got = append(got, fmt.Sprint(ok, s))
	now = now.Add(time.Second)
	for range 3 {
		ok, s := l.allow()
		got = append(got, fmt.Sprint(ok, s))
	}
	want := "true 0,true 0,false 0,false 0,false 0,false 0,true 4,true 0,false 0"
	if g := strings.Join(got, ","); g != want {
		t.Errorf("allow sequence\n got %s\nwant %s", g, want)
	}
}
