package sidecar

import (
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dialgate/dialgate/internal/textsafe"
)

// A long handshake error holding display controls (parts of it, such as
// ALPN names, come from the client) is cut in its log line at the end of
// an escape, never inside one: the line shows a whole `\u202e` or none of
// it. (The error was escaped and then cut at 300 bytes, which could leave
// `\u20` at the end of the line.)
func TestTLSHandshakeLogCutsAtEscapeBoundary(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	remote := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
	for pad := handshakeErrMax - 8; pad <= handshakeErrMax; pad++ {
		raw := "tls: " + strings.Repeat("a", pad-5) + strings.Repeat("\u202e\x1b", 20)
		logs := &syncBuf{}
		log := slog.New(slog.NewJSONHandler(logs, nil))
		hw := newHandshakeWatch(log, newMetrics(nil, nil, nil, nil, nil),
			&logLimiter{burst: 3, every: time.Minute, now: clock}, &logLimiter{burst: 3, every: time.Minute, now: clock})
		hw.failed(remote, errors.New(raw))
		lines := handshakeLines(logs.String())
		if len(lines) != 1 {
			t.Fatalf("pad %d: %d lines, want 1\n%s", pad, len(lines), logs.String())
		}
		got := lines[0].Err
		head, cut := strings.CutSuffix(got, "…")
		if !cut || len(head) > handshakeErrMax || !utf8.ValidString(head) {
			t.Errorf("pad %d: err %q: want at most %d bytes, marked as cut", pad, got, handshakeErrMax)
			continue
		}
		// head must be the escape of a prefix of raw ending at a character
		// boundary: no escape cut in two.
		ok := false
		for i := len(raw); i >= 0 && !ok; i-- {
			if utf8.RuneStart(raw[min(i, len(raw)-1)]) || i == len(raw) {
				ok = textsafe.Escape(raw[:i], textsafe.Line) == head
			}
		}
		if !ok {
			t.Errorf("pad %d: err %q does not end at an escape boundary", pad, got)
		}
		if full := textsafe.Escape(raw, textsafe.Line); len(head) < handshakeErrMax-len(`\u202e`) || !strings.HasPrefix(full, head) {
			t.Errorf("pad %d: err %q: cut more than one escape short of %d bytes", pad, got, handshakeErrMax)
		}
	}
}
