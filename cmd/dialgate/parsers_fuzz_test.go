package main

import (
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/auditlog"
)

// FuzzParseAt checks the time flags (--at, --since, --removed-at...): an
// accepted instant is RFC 3339, not before 2000, and prints back to the same
// instant; a rejected one is bad input (exit 2) naming the flag.
func FuzzParseAt(f *testing.F) {
	for _, s := range []string{"2026-12-04T22:30:00+08:00", "2026-01-02T03:04:05Z", "2026-01-02T03:04:05.123456789-05:00",
		"1999-12-31T23:59:59Z", "2026-02-30T00:00:00Z", "2026-12-04 22:30:00", "9999-12-31T23:59:59+23:59", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if s == "" {
			return // now: not a parse
		}
		at, err := parseAt("at", s)
		if err != nil {
			var e *exitError
			if !errors.As(err, &e) || e.code != exitBadArgs || !strings.Contains(err.Error(), "--at") {
				t.Fatalf("parseAt(%q): %v is not bad input naming --at", s, err)
			}
			return
		}
		if at.Before(minTime) {
			t.Fatalf("parseAt(%q) = %v, before 2000", s, at)
		}
		back, err := time.Parse(time.RFC3339Nano, at.Format(time.RFC3339Nano))
		if err != nil || !back.Equal(at) {
			t.Fatalf("parseAt(%q) = %v, which prints as %s and reads back as %v, %v", s, at, at.Format(time.RFC3339Nano), back, err)
		}
		if _, err := parsePast("at", s); err == nil && at.After(time.Now().Add(maxClockSkew)) {
			t.Fatalf("parsePast(%q) accepted %v, in the future", s, at)
		}
	})
}

// FuzzLoadVerifier checks the public key files of `dialgate audit verify
// --key`: a file is accepted exactly when its trimmed text is a public key,
// and the verifier is that key's.
func FuzzLoadVerifier(f *testing.F) {
	_, vkey, err := auditlog.GenerateKey(rand.Reader, "dialgate-sidecar")
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(vkey + "\n"))
	f.Add([]byte("  " + vkey + "\r\n\n"))
	f.Add([]byte(vkey[:len(vkey)-4]))
	f.Add([]byte("dialgate-sidecar+00000000+AAAA\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "audit.pub")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		v, err := loadVerifier(path)
		want, werr := auditlog.NewVerifier(strings.TrimSpace(string(b)))
		if len(b) > maxKeyFileBytes {
			if err == nil {
				t.Fatalf("accepted a key file of %d bytes", len(b))
			}
			return
		}
		if (err == nil) != (werr == nil) {
			t.Fatalf("loadVerifier: %v; the key text: %v", err, werr)
		}
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error %v does not name the file", err)
			}
			return
		}
		if v.Name() != want.Name() || v.KeyHash() != want.KeyHash() {
			t.Fatalf("verifier %s/%08x, the key's %s/%08x", v.Name(), v.KeyHash(), want.Name(), want.KeyHash())
		}
	})
}
