package sidecar

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// newTLSReloader loads the TLS files of c (cert and key, and the client CAs
// with mTLS) and keeps them current (see fileReloader): a changed copy
// applies to the handshakes that follow its reload; connections already
// open keep theirs. A copy whose cert and key are not a pair (one of them
// rewritten, the other not yet), whose PEM is cut short, or whose
// certificate has expired or is not yet valid, or whose key file other
// users may read or write, leaves the copy in force.
func newTLSReloader(c TLSConfig, log *slog.Logger, m *metrics) (*fileReloader[tls.Config], error) {
	r, err := newFileReloader(reloadTLS, tlsFiles(c), c.parse, describeTLS, log, m)
	if err != nil && !errors.Is(err, ErrConfig) {
		err = fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return r, err
}

// tlsFiles lists the files of c in the order parseTLS takes them: the
// certificate, the key and, for mTLS, the client CAs.
func tlsFiles(c TLSConfig) []reloadFile {
	files := []reloadFile{{key: "tls.cert_file", path: c.CertFile}, {key: "tls.key_file", path: c.KeyFile}}
	if c.ClientCAFile != "" {
		files = append(files, reloadFile{key: "tls.client_ca_file", path: c.ClientCAFile})
	}
	return files
}

// serverTLS returns the tls.Config to build the server's credentials from.
// It serves each handshake the config in force through GetConfigForClient.
//
// Why GetConfigForClient rather than GetCertificate with a verify callback:
// with a whole per-handshake Config, crypto/tls verifies the client's chain
// against the ClientCAs pool in force itself (intermediates, client-auth key
// usage, validity), advertises that pool's CA names in its certificate
// request (a client holding several certificates picks the right one), and,
// when a client resumes a session, verifies the session's chain against
// that pool again, so a CA removed by a reload stops admitting its clients
// on resumed connections too. A VerifyPeerCertificate callback would need
// ClientAuth RequireAnyClientCert and a hand-written chain verification,
// would advertise no CA names, and is not called on resumed connections.
//
// ALPN: gRPC needs "h2". grpc-go's credentials.NewTLS adds it to the config
// GetConfigForClient returns (grpc-go v1.85), but every config here names it
// itself, so the protocol does not depend on that.
func serverTLS(r *fileReloader[tls.Config]) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2"},
		// Always a config: a handshake never falls back to this one, which
		// has no certificate and so could not complete anyway.
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return r.Load(), nil },
	}
}

// parse parses the TLS files of c (see parseTLS) as they are now, and
// refuses a key file other users may read or write (checkFileMode): with
// the key, anyone could impersonate the sidecar to its dialers. With mTLS
// it refuses, too, a client CA bundle other users may write: it is the
// whole of mTLS's access control, and anyone who could add a CA of their
// own to it would be admitted with a certificate they issued themselves.
// (Other users may read it: it holds no secret.)
func (c TLSConfig) parse(b [][]byte, _ bool) (*tls.Config, error) {
	if err := checkFileMode("tls.key_file", c.KeyFile, "it holds the TLS private key (whoever holds it can impersonate the sidecar)", ""); err != nil {
		return nil, err
	}
	if c.ClientCAFile != "" {
		if err := checkFileMode("tls.client_ca_file", c.ClientCAFile, "", ""); err != nil {
			return nil, err
		}
	}
	return parseTLS(c, b, time.Now())
}

// parseTLS parses the TLS files of c: b holds the cert, the key and, with
// mTLS, the client CAs. The cert and key must be a pair; no PEM block may be
// cut short (a file caught while being written: its chain or CA bundle would
// lose certificates quietly). A certificate that has expired or is not yet
// valid at now is refused, at start as at a reload: clients would fail
// every handshake with it (and at a reload, the copy in force can only be
// better). Errors name the config key.
func parseTLS(c TLSConfig, b [][]byte, now time.Time) (*tls.Config, error) {
	keys := []string{"tls.cert_file", "tls.key_file", "tls.client_ca_file"}
	for i := range b {
		if err := wholePEM(b[i]); err != nil {
			return nil, fmt.Errorf("%s: %w", keys[i], err)
		}
	}
	cert, err := tls.X509KeyPair(b[0], b[1])
	if err != nil {
		return nil, fmt.Errorf("tls.cert_file/key_file: %w", err)
	}
	leaf := cert.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("tls.cert_file: %w", err)
		}
		cert.Leaf = leaf
	}
	switch {
	case now.After(leaf.NotAfter):
		return nil, fmt.Errorf("tls.cert_file %s: the certificate (serial %s) expired at %s (not_after): every client would refuse it; install a current one", c.CertFile, leaf.SerialNumber.Text(16), leaf.NotAfter.UTC().Format(time.RFC3339))
	case now.Before(leaf.NotBefore):
		return nil, fmt.Errorf("tls.cert_file %s: the certificate (serial %s) is not valid before %s (not_before): every client would refuse it; check the clock, or install a current one", c.CertFile, leaf.SerialNumber.Text(16), leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2"}}
	if len(b) > 2 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b[2]) {
			return nil, fmt.Errorf("tls.client_ca_file: no PEM certificates")
		}
		tc.ClientCAs = pool
		tc.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return tc, nil
}

// wholePEM reports a PEM block begun after the last whole one but not
// ended, or malformed.
func wholePEM(b []byte) error {
	rest := b
	for {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			break
		}
	}
	if bytes.Contains(rest, []byte("-----BEGIN")) {
		return fmt.Errorf("a PEM block is cut short or malformed (a file still being written?)")
	}
	return nil
}

// describeTLS names the server certificate a reload put in force: its
// serial, subject and expiry, and the previous serial.
func describeTLS(old, new *tls.Config) []any {
	leaf := new.Certificates[0].Leaf
	attrs := []any{"serial", leaf.SerialNumber.Text(16), "subject", leaf.Subject.String(), "not_after", leaf.NotAfter.UTC()}
	if old != nil {
		attrs = append(attrs, "previous_serial", old.Certificates[0].Leaf.SerialNumber.Text(16))
	}
	return append(attrs, "mtls", new.ClientCAs != nil)
}

// certNotAfter returns the expiry of the server certificate in force.
func certNotAfter(r *fileReloader[tls.Config]) time.Time {
	return r.Load().Certificates[0].Leaf.NotAfter
}
