package sidecar

import (
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"
)

// With Debug logging on, the connections closed before the end of their
// handshake (a TCP health check every few seconds: reason closed, logged
// at Debug) do not use up the Warn lines: a refused client certificate
// after a burst of them is still logged. (They shared one limiter, so a
// health check's Debug lines held back every Warn of the interval.)
func TestTLSHandshakeClosedLinesDoNotHideWarnings(t *testing.T) {
	logs := &syncBuf{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	m := newMetrics(nil, nil, nil, nil, nil)
	hw := newHandshakeWatch(log, m, &logLimiter{burst: 3, every: time.Minute, now: clock}, &logLimiter{burst: 3, every: time.Minute, now: clock})
	remote := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
	for range 10 {
		hw.failed(remote, io.EOF)
	}
	hw.failed(remote, tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"})
	var warn, debug int
	for _, l := range handshakeLines(logs.String()) {
		switch l.Level {
		case "WARN":
			warn++
		case "DEBUG":
			debug++
		}
	}
	if warn != 1 || debug != 3 {
		t.Errorf("%d Warn and %d Debug lines, want 1 and 3\n%s", warn, debug, logs.String())
	}
}
