package sidecar

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
)

// The client CA bundle (tls.client_ca_file) is the whole of mTLS's access
// control: a user who can write it adds a CA of their own, issues
// themselves a client certificate and is admitted (and recorded as an
// "mtls:" actor). Like the tokens file, a bundle other users may write is
// refused — at start (CheckFiles, NewServer) and at a reload, where the
// pool in force stays. Other users may read it: it holds no secret.
func TestClientCAFileWritableByOthersRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	ca := newCA(t)
	certPEM, keyPEM := ca.issue(t, 2, true)
	for _, m := range []struct {
		mode os.FileMode
		bad  bool
	}{{0o644, false}, {0o664, false}, {0o444, false}, {0o666, true}, {0o602, true}, {0o646, true}} {
		dir := t.TempDir()
		cert := filepath.Join(dir, "s.crt")
		writeMode(t, cert, string(certPEM), 0o644)
		key := filepath.Join(dir, "s.key")
		writeMode(t, key, string(keyPEM), 0o600)
		cas := filepath.Join(dir, "ca.crt")
		writeMode(t, cas, string(ca.PEM), m.mode)
		tc := TLSConfig{CertFile: cert, KeyFile: key, ClientCAFile: cas}
		check := func(what string, err error) {
			t.Helper()
			if !m.bad {
				if err != nil {
					t.Fatalf("mode %04o: %s: %v", m.mode, what, err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "tls.client_ca_file") ||
				!strings.Contains(err.Error(), cas) || !strings.Contains(err.Error(), "writable by other users") {
				t.Fatalf("mode %04o: %s: %v, want an ErrConfig naming tls.client_ca_file, %s and \"writable by other users\"", m.mode, what, err, cas)
			}
		}
		check("CheckFiles", CheckFiles(Config{TLS: tc}))
		g, _ := dialgate.New(nil, dialgate.WithoutAuditLog())
		srv, err := NewServer(Config{TLS: tc, MetricsListen: "off"}, &Backend{Gate: g}, nil)
		if srv != nil {
			srv.Shutdown(context.Background())
		}
		check("NewServer", err)
	}
}

// A rotated client CA bundle other users may write is refused at the
// reload: the pool in force stays.
func TestClientCAFileModeReloadRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	ca, other := newCA(t), newCA(t)
	c2, k2 := ca.issue(t, 2, true)
	e := startTLS(t, c2, k2, ca.PEM)
	p := filepath.Join(e.dir, "ca.crt")
	writeMode(t, p+".tmp", string(other.PEM), 0o666)
	if err := os.Rename(p+".tmp", p); err != nil {
		t.Fatal(err)
	}
	err := e.srv.Reload(false)
	if err == nil || !strings.Contains(err.Error(), "writable by other users") || !strings.Contains(err.Error(), p) {
		t.Fatalf("reload of a world-writable client CA bundle: %v", err)
	}
	if !e.srv.tls.Load().ClientCAs.Equal(poolOf(ca)) {
		t.Fatal("the client CA pool in force changed; want the copy in force to stay")
	}
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Reload(false); err != nil {
		t.Fatalf("reload after chmod 644: %v", err)
	}
	if !e.srv.tls.Load().ClientCAs.Equal(poolOf(other)) {
		t.Fatal("the new client CA pool is not in force after chmod 644")
	}
}
