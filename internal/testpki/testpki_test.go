package testpki

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"
)

// The files WriteFiles makes load as a TLS key pair, the server
// certificate verifies against the CA for each name it was given, and the
// client certificate for client authentication only.
func TestWriteFiles(t *testing.T) {
	f := WriteFiles(t, t.TempDir(), true, "localhost", "127.0.0.1")
	pool := x509.NewCertPool()
	ca := NewCA(t, "other")
	if !pool.AppendCertsFromPEM(readFile(t, f.CA)) {
		t.Fatal("CA does not parse")
	}
	srv, err := tls.LoadX509KeyPair(f.ServerCert, f.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(srv.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"localhost", "127.0.0.1"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: name}); err != nil {
			t.Errorf("server certificate for %s: %v", name, err)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "other.test"}); err == nil {
		t.Error("server certificate verified for a name it does not carry")
	}
	other := x509.NewCertPool()
	other.AddCert(ca.Cert)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: other, DNSName: "localhost"}); err == nil {
		t.Error("server certificate verified against another CA")
	}
	cli, err := tls.LoadX509KeyPair(f.ClientCert, f.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	cl, _ := x509.ParseCertificate(cli.Certificate[0])
	if _, err := cl.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate: %v", err)
	}
	if _, err := cl.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err == nil {
		t.Error("client certificate verified for server authentication")
	}
	if leaf.SerialNumber.Cmp(cl.SerialNumber) == 0 {
		t.Error("two certificates of one CA share a serial number")
	}
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
