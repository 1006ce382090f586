// Package testpki makes throwaway certificates for tests: a CA, and server
// and client certificates it signs, written as PEM files with mode 0600 (the
// sidecar refuses key files others can read). Nothing it makes is kept in
// the repository.
package testpki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// CA is a throwaway certificate authority, valid from an hour ago for two
// hours.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
	// PEM is Cert, PEM-encoded.
	PEM []byte
	// serial is the last serial number issued.
	serial int64
}

// NewCA returns a new CA named name.
func NewCA(tb testing.TB, name string) *CA {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return &CA{Cert: c, Key: key, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), serial: 1}
}

// Leaf describes a certificate for CA.Issue.
type Leaf struct {
	// CommonName is the subject's common name.
	CommonName string
	// Server makes a server certificate (ExtKeyUsageServerAuth); otherwise
	// a client certificate (ExtKeyUsageClientAuth).
	Server bool
	// DNSNames and IPs are the subject alternative names.
	DNSNames []string
	IPs      []net.IP
}

// Issue returns a certificate and its key, PEM, signed by ca and valid
// for the next hour.
func (ca *CA) Issue(tb testing.TB, l Leaf) (certPEM, keyPEM []byte) {
	tb.Helper()
	ca.serial++
	usage := x509.ExtKeyUsageClientAuth
	if l.Server {
		usage = x509.ExtKeyUsageServerAuth
	}
	certPEM, keyPEM, _ = ca.Sign(tb, &x509.Certificate{SerialNumber: big.NewInt(ca.serial), Subject: pkix.Name{CommonName: l.CommonName},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
		DNSNames: l.DNSNames, IPAddresses: l.IPs})
	return certPEM, keyPEM
}

// Sign signs tmpl, as given (serial number, validity and usage included),
// for a new key, and returns the certificate and the key, PEM, and the
// certificate parsed.
func (ca *CA) Sign(tb testing.TB, tmpl *x509.Certificate) (certPEM, keyPEM []byte, cert *x509.Certificate) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		tb.Fatal(err)
	}
	if cert, err = x509.ParseCertificate(der); err != nil {
		tb.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), cert
}

// Write writes b as dir/name with mode 0600 and returns its path.
func Write(tb testing.TB, dir, name string, b []byte) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

// Files are the paths of a CA's certificate and of a server certificate
// and key it signed (and a client certificate and key, when asked for).
type Files struct {
	CA, ServerCert, ServerKey, ClientCert, ClientKey string
}

// WriteFiles writes into dir a new CA, a server certificate for the given
// names (an IP address in names becomes an IP SAN), and, when client is
// true, a client certificate named "client".
func WriteFiles(tb testing.TB, dir string, client bool, names ...string) Files {
	tb.Helper()
	ca := NewCA(tb, "test ca")
	srv := Leaf{CommonName: "server", Server: true}
	if len(names) > 0 {
		srv.CommonName = names[0]
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			srv.IPs = append(srv.IPs, ip)
		} else {
			srv.DNSNames = append(srv.DNSNames, n)
		}
	}
	f := Files{CA: Write(tb, dir, "ca.pem", ca.PEM)}
	cert, key := ca.Issue(tb, srv)
	f.ServerCert, f.ServerKey = Write(tb, dir, "server.pem", cert), Write(tb, dir, "server.key", key)
	if client {
		cert, key := ca.Issue(tb, Leaf{CommonName: "client"})
		f.ClientCert, f.ClientKey = Write(tb, dir, "client.pem", cert), Write(tb, dir, "client.key", key)
	}
	return f
}
