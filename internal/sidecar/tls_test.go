package sidecar

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/testpki"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// testCA is the tests' throwaway certificate authority.
type testCA struct{ *testpki.CA }

func newCA(t *testing.T) *testCA { return &testCA{testpki.NewCA(t, "test ca")} }

// issue returns PEM cert and key for a leaf certificate.
func (ca *testCA) issue(t *testing.T, serial int64, server bool) (certPEM, keyPEM []byte) {
	return ca.issueUntil(t, serial, server, time.Now().Add(time.Hour))
}

// issueUntil is issue for a certificate valid until notAfter.
func (ca *testCA) issueUntil(t *testing.T, serial int64, server bool, notAfter time.Time) (certPEM, keyPEM []byte) {
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "leaf"},
		NotBefore: time.Now().Add(-2 * time.Hour), NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	certPEM, keyPEM, _ = ca.Sign(t, tmpl)
	return certPEM, keyPEM
}

func TestTLSAndMTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t)
	scert, skey := ca.issue(t, 2, true)
	ccert, ckey := ca.issue(t, 3, false)
	w := func(name string, b []byte) string { return testpki.Write(t, dir, name, b) }
	cfg := Config{MetricsListen: "off", TLS: TLSConfig{CertFile: w("s.crt", scert), KeyFile: w("s.key", skey), ClientCAFile: w("ca.crt", ca.PEM)}}
	g, _ := dialgate.New(nil, dialgate.WithoutAuditLog())
	srv, err := NewServer(cfg, &Backend{Gate: g}, nil)
	if err != nil {
		t.Fatal(err)
	}
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(lis)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.PEM)
	clientCert, _ := tls.X509KeyPair(ccert, ckey)
	try := func(creds credentials.TransportCredentials) error {
		conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(creds))
		if err != nil {
			return err
		}
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_, err = pb.NewGateServiceClient(conn).Check(ctx, &pb.CheckRequest{Dial: okDial("+8613900139030")})
		return err
	}
	if err := try(credentials.NewTLS(&tls.Config{RootCAs: pool, Certificates: []tls.Certificate{clientCert}})); err != nil {
		t.Fatalf("mTLS client refused: %v", err)
	}
	if err := try(credentials.NewTLS(&tls.Config{RootCAs: pool})); err == nil {
		t.Fatal("client without a certificate was accepted")
	}
	if err := try(insecure.NewCredentials()); err == nil {
		t.Fatal("plaintext client was accepted by a TLS server")
	}
}

func TestUnixSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "dg.sock")
	g, _ := dialgate.New(nil, dialgate.WithoutAuditLog())
	srv, err := NewServer(Config{Unix: sock, MetricsListen: "off"}, &Backend{Gate: g}, nil)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r, err := pb.NewGateServiceClient(conn).Check(ctxT(t), &pb.CheckRequest{Dial: okDial("+8613900139031")})
	if err != nil || !r.GetDecision().GetAllowed() {
		t.Fatalf("%v %v", r, err)
	}
}
