package sidecar

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newCA(t *testing.T) *testCA {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &testCA{cert: c, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns PEM cert and key for a leaf certificate.
func (ca *testCA) issue(t *testing.T, serial int64, server bool) (certPEM, keyPEM []byte) {
	return ca.issueUntil(t, serial, server, time.Now().Add(time.Hour))
}

// issueUntil is issue for a certificate valid until notAfter.
func (ca *testCA) issueUntil(t *testing.T, serial int64, server bool, notAfter time.Time) (certPEM, keyPEM []byte) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "leaf"},
		NotBefore: time.Now().Add(-2 * time.Hour), NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

func TestTLSAndMTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t)
	scert, skey := ca.issue(t, 2, true)
	ccert, ckey := ca.issue(t, 3, false)
	w := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cfg := Config{MetricsListen: "off", TLS: TLSConfig{CertFile: w("s.crt", scert), KeyFile: w("s.key", skey), ClientCAFile: w("ca.crt", ca.pem)}}
	g, _ := dialgate.New(nil, dialgate.WithoutAuditLog())
	srv, err := NewServer(cfg, &Backend{Gate: g}, nil)
	if err != nil {
		t.Fatal(err)
	}
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(lis)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.pem)
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
