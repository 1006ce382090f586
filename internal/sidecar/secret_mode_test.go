package sidecar

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

const testHMACHex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"

// The secret files other than the tokens file — the TLS private key
// (tls.key_file), the fleet's HMAC key (hmac_key_file) and the data
// directory's own keys — follow the tokens file's rule with every byte
// secret: a file other users can write or read is refused, naming the file,
// its mode and the fix; its group may read it (0640, a Kubernetes secret
// with fsGroup). The same helper judges every file.
func TestSecretFileModeRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	ca := newCA(t)
	certPEM, keyPEM := ca.issue(t, 2, true)
	modes := []struct {
		mode os.FileMode
		err  string
	}{
		{0o600, ""}, {0o400, ""}, {0o640, ""}, {0o440, ""},
		{0o644, "readable by other users"}, {0o604, "readable by other users"},
		{0o444, "readable by other users"}, {0o602, "writable by other users"},
		{0o666, "writable by other users"},
	}
	for _, m := range modes {
		t.Run(fmt.Sprintf("%04o", m.mode), func(t *testing.T) {
			dir := t.TempDir()
			want := func(what string, err error, path string) {
				t.Helper()
				if m.err == "" {
					if err != nil {
						t.Fatalf("%s: %v", what, err)
					}
					return
				}
				if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), m.err) ||
					!strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), fmt.Sprintf("mode %04o", m.mode)) ||
					!strings.Contains(err.Error(), "chmod 600") {
					t.Fatalf("%s: %v, want an ErrConfig naming %s, mode %04o, %q and chmod 600", what, err, path, m.mode, m.err)
				}
			}

			// hmac_key_file: CheckFiles (serve's start) and LoadKeysFile
			// (serve's Open and the CLI's --config).
			hk := filepath.Join(dir, "hmac.key")
			writeMode(t, hk, testHMACHex, m.mode)
			want("CheckFiles hmac_key_file", CheckFiles(Config{HMACKeyFile: hk}), hk)
			_, err := LoadKeysFile(filepath.Join(dir, "data1"), hk)
			want("LoadKeysFile hmac_key_file", err, hk)

			// tls.key_file: CheckFiles and NewServer.
			cert := filepath.Join(dir, "s.crt")
			writeMode(t, cert, string(certPEM), 0o644) // a certificate is public
			key := filepath.Join(dir, "s.key")
			writeMode(t, key, string(keyPEM), m.mode)
			tc := TLSConfig{CertFile: cert, KeyFile: key}
			want("CheckFiles tls.key_file", CheckFiles(Config{TLS: tc}), key)
			g, _ := dialgate.New(nil, dialgate.WithoutAuditLog())
			srv, err := NewServer(Config{TLS: tc, MetricsListen: "off"}, &Backend{Gate: g}, nil)
			if srv != nil {
				srv.Shutdown(context.Background())
			}
			want("NewServer tls.key_file", err, key)

			// The data directory's own keys, made 0600; one chmod'ed
			// (a restore from a backup, a copy with another umask).
			for _, name := range []string{HMACKeyFile, SignerKeyFile} {
				data := filepath.Join(dir, "data-"+name)
				if _, err := LoadKeys(data); err != nil {
					t.Fatal(err)
				}
				p := filepath.Join(data, KeysDir, name)
				if err := os.Chmod(p, m.mode); err != nil {
					t.Fatal(err)
				}
				_, err := LoadKeys(data)
				want("LoadKeys "+name, err, p)
			}
		})
	}
}

// A rotated TLS key other users may read is refused at the reload: the
// certificate and key in force stay, the refusal is logged and counted.
func TestTLSKeyModeReloadRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	ca := newCA(t)
	c2, k2 := ca.issue(t, 2, true)
	e := startTLS(t, c2, k2, nil)
	c3, k3 := ca.issue(t, 3, true)
	e.write("s.crt", c3)
	p := filepath.Join(e.dir, "s.key")
	writeMode(t, p+".tmp", string(k3), 0o644)
	if err := os.Rename(p+".tmp", p); err != nil {
		t.Fatal(err)
	}
	err := e.srv.Reload(false)
	if err == nil || !strings.Contains(err.Error(), "readable by other users") || !strings.Contains(err.Error(), p) {
		t.Fatalf("reload of a world-readable key: %v", err)
	}
	if got := e.srv.tls.Load().Certificates[0].Leaf.SerialNumber.Int64(); got != 2 {
		t.Fatalf("serial in force %d, want 2 (the copy in force stays)", got)
	}
	if !strings.Contains(e.logs.String(), "tls reload refused") {
		t.Fatalf("refusal not logged: %s", e.logs.String())
	}
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Reload(false); err != nil {
		t.Fatalf("reload after chmod 600: %v", err)
	}
	if got := e.srv.tls.Load().Certificates[0].Leaf.SerialNumber.Int64(); got != 3 {
		t.Fatalf("serial in force %d, want 3", got)
	}
}

// issueValid is issue for a server certificate valid from notBefore to
// notAfter.
func (ca *testCA) issueValid(t *testing.T, serial int64, notBefore, notAfter time.Time) (certPEM, keyPEM []byte) {
	t.Helper()
	certPEM, keyPEM, _ = ca.Sign(t, &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "leaf"},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}})
	return certPEM, keyPEM
}

// A server certificate already expired, or not yet valid, fails every
// handshake (clients check its validity): it is refused at start as at a
// reload, naming the file and the date, instead of a server that looks
// healthy and answers nobody.
func TestServerCertOutOfValidityRefusedAtStart(t *testing.T) {
	ca := newCA(t)
	now := time.Now()
	for name, c := range map[string]struct {
		from, until time.Time
		want        string
	}{
		"expired":       {now.Add(-2 * time.Hour), now.Add(-time.Minute), "expired at"},
		"not yet valid": {now.Add(time.Hour), now.Add(2 * time.Hour), "not valid before"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			certPEM, keyPEM := ca.issueValid(t, 7, c.from, c.until)
			cert, key := filepath.Join(dir, "s.crt"), filepath.Join(dir, "s.key")
			writeMode(t, cert, string(certPEM), 0o600)
			writeMode(t, key, string(keyPEM), 0o600)
			tc := TLSConfig{CertFile: cert, KeyFile: key}
			err := CheckFiles(Config{TLS: tc})
			if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), cert) {
				t.Fatalf("CheckFiles: %v, want an ErrConfig naming %s and %q", err, cert, c.want)
			}
			g, _ := dialgate.New(nil, dialgate.WithoutAuditLog())
			srv, err := NewServer(Config{TLS: tc, MetricsListen: "off"}, &Backend{Gate: g}, nil)
			if srv != nil {
				srv.Shutdown(context.Background())
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("NewServer: %v", err)
			}
		})
	}
}
