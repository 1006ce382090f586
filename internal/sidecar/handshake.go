package sidecar

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/dialgate/dialgate/internal/textsafe"
	"google.golang.org/grpc/credentials"
)

// handshakeReasons are the values of the reason label of
// dialgate_tls_handshake_failures_total (see handshakeReason).
var handshakeReasons = [...]string{"not_tls", "no_client_cert", "bad_client_cert", "client_refused", "protocol", "timeout", "closed", "other"}

// Refused handshakes are logged at most handshakeLogBurst times per
// handshakeLogInterval (see logLimiter); every one is counted.
const (
	handshakeLogBurst    = 10
	handshakeLogInterval = time.Minute
	// handshakeErrMax bounds the error text a log line carries (parts of
	// it, such as ALPN names, come from the client).
	handshakeErrMax = 300
)

// handshakeReason sorts a failed server TLS handshake's error into one of
// handshakeReasons:
//
//   - not_tls: the first bytes are not a TLS record (a plaintext client
//     on a TLS port);
//   - no_client_cert: mTLS, and the client sent no certificate;
//   - bad_client_cert: the client's certificate does not verify against
//     the client CAs in force (another CA, expired, not for client
//     authentication) or cannot be parsed;
//   - client_refused: the client ended the handshake with an alert —
//     typically it does not trust the server's certificate (or its name);
//   - protocol: no TLS version, cipher suite or application protocol
//     (ALPN h2) in common;
//   - timeout: the handshake did not end within ConnectionTimeout;
//   - closed: the client closed or reset the connection before the end
//     (a TCP health check or a port scanner);
//   - other: anything else.
func handshakeReason(err error) string {
	var rh tls.RecordHeaderError
	var cv *tls.CertificateVerificationError
	var op *net.OpError
	var ne net.Error
	switch {
	case errors.As(err, &rh):
		return "not_tls"
	case errors.As(err, &cv):
		return "bad_client_cert"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed):
		return "closed"
	case errors.As(err, &op) && op.Op == "remote error":
		return "client_refused"
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "didn't provide a certificate"):
		return "no_client_cert"
	case strings.Contains(msg, "client certificate"):
		return "bad_client_cert"
	case strings.HasPrefix(msg, "tls: "), strings.Contains(msg, "ALPN"):
		return "protocol"
	}
	return "other"
}

// logLimiter lets at most burst lines through per interval of every (the
// first interval begins at the first line, each later one at the first
// line after the previous ended), and counts those it holds back. Its
// methods are safe for concurrent use.
type logLimiter struct {
	burst int
	every time.Duration
	now   func() time.Time

	mu         sync.Mutex
	start      time.Time // of the current interval; zero before the first line
	n          int       // lines let through in the current interval
	suppressed int       // lines held back since the last let through
}

// allow reports whether a line may be logged now and, when it may, how
// many were held back since the last line logged (the caller says so in
// the line).
func (l *logLimiter) allow() (ok bool, suppressed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if l.start.IsZero() || now.Sub(l.start) >= l.every || now.Before(l.start) {
		l.start, l.n = now, 0
	}
	if l.n >= l.burst {
		l.suppressed++
		return false, 0
	}
	l.n++
	s := l.suppressed
	l.suppressed = 0
	return true, s
}

// handshakeWatch observes the server's TLS handshakes: a failed one is
// counted by reason and logged — at Warn, except a connection closed
// before the end (reason closed: TCP health checks and port scanners
// make those all day), at Debug — through the limiter of its level, so
// that Debug lines never use up the Warn lines of an interval.
type handshakeWatch struct {
	log   *slog.Logger
	m     *metrics
	warn  *logLimiter // the Warn lines
	debug *logLimiter // the Debug lines (reason closed)
}

// newHandshakeWatch returns the watch of a server's handshakes, logging to
// log through the limiters warn and debug and counting in m.
func newHandshakeWatch(log *slog.Logger, m *metrics, warn, debug *logLimiter) *handshakeWatch {
	return &handshakeWatch{log: log, m: m, warn: warn, debug: debug}
}

// failed records a refused handshake with the client at remote.
func (w *handshakeWatch) failed(remote net.Addr, err error) {
	reason := handshakeReason(err)
	w.m.handshakeFailed(reason)
	level, limit := slog.LevelWarn, w.warn
	if reason == "closed" {
		level, limit = slog.LevelDebug, w.debug
	}
	if !w.log.Enabled(context.Background(), level) {
		return
	}
	ok, suppressed := limit.allow()
	if !ok {
		return
	}
	addr := "unknown"
	if remote != nil && remote.String() != "" {
		addr = remote.String()
	}
	attrs := []any{"remote", addr, "reason", reason, "err", escapeClip(err.Error(), handshakeErrMax)}
	if suppressed > 0 {
		attrs = append(attrs, "suppressed", suppressed)
	}
	w.log.Log(context.Background(), level, "sidecar: TLS handshake refused", attrs...)
}

// escapeClip returns s with its display controls escaped (textsafe.Escape,
// Line) in at most max bytes, marked with "…" when cut. The cut falls
// between two characters of s, so an escape (`\u202e`) is shown whole or
// not at all, never cut in two.
func escapeClip(s string, max int) string {
	out := textsafe.Escape(s, textsafe.Line)
	if len(out) <= max {
		return out
	}
	var b strings.Builder
	b.Grow(max + len("…"))
	for i := 0; i < len(s); {
		_, n := utf8.DecodeRuneInString(s[i:])
		piece := textsafe.Escape(s[i:i+n], textsafe.Line)
		if b.Len()+len(piece) > max {
			break
		}
		b.WriteString(piece)
		i += n
	}
	return strings.ToValidUTF8(b.String(), "") + "…"
}

// watchedCreds are server transport credentials that report each failed
// handshake to failed, with the client's address, before returning its
// error to grpc-go unchanged (grpc-go compares it with io.EOF).
type watchedCreds struct {
	credentials.TransportCredentials
	failed func(remote net.Addr, err error)
}

// ServerHandshake implements credentials.TransportCredentials.
func (c watchedCreds) ServerHandshake(conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	remote := conn.RemoteAddr()
	out, info, err := c.TransportCredentials.ServerHandshake(conn)
	if err != nil && err != credentials.ErrConnDispatched {
		c.failed(remote, err)
	}
	return out, info, err
}

// Clone implements credentials.TransportCredentials: the clone reports to
// the same function.
func (c watchedCreds) Clone() credentials.TransportCredentials {
	return watchedCreds{TransportCredentials: c.TransportCredentials.Clone(), failed: c.failed}
}
