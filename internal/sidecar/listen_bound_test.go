package sidecar

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
)

// boundListener is a real listener that reports another address, as one
// opened on a host name that resolved to it would.
type boundListener struct {
	net.Listener
	addr net.Addr
}

func (l boundListener) Addr() net.Addr { return l.addr }

// TestListenRefusesNonLoopbackBinding: "localhost" passes the loopback rule
// by its name, but it is resolved when the listener opens (/etc/hosts, then
// DNS: a container without a localhost line asks its DNS server). A listener
// that ends up on an address that is not loopback, without TLS and a tokens
// file, is refused — for gRPC and for the metrics endpoint — instead of
// serving both services to the network without authentication.
func TestListenRefusesNonLoopbackBinding(t *testing.T) {
	public := &net.TCPAddr{IP: net.ParseIP("192.0.2.10"), Port: 7443}
	resolvesPublic := func(match string) func(string, string) (net.Listener, error) {
		return func(network, addr string) (net.Listener, error) {
			l, err := net.Listen(network, "127.0.0.1:0")
			if err != nil || addr != match {
				return l, err
			}
			return boundListener{Listener: l, addr: public}, nil
		}
	}
	g, err := dialgate.New(nil, dialgate.WithoutAuditLog())
	if err != nil {
		t.Fatal(err)
	}

	srv, err := NewServer(Config{Listen: "localhost:7443", MetricsListen: "off"}, &Backend{Gate: g}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.listenTCP = resolvesPublic("localhost:7443")
	lis, err := srv.Listen()
	if err == nil {
		lis.Close()
		t.Fatal("a listener on a non-loopback address without TLS and tokens was opened")
	}
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "listen") || !strings.Contains(err.Error(), "192.0.2.10") {
		t.Errorf("error %v, want ErrConfig naming listen and the address", err)
	}
	srv.Shutdown(context.Background())

	// With insecure: true the operator accepted a public listener.
	srv, err = NewServer(Config{Listen: "localhost:7443", MetricsListen: "off", Insecure: true}, &Backend{Gate: g}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.listenTCP = resolvesPublic("localhost:7443")
	if lis, err := srv.Listen(); err != nil {
		t.Errorf("insecure: %v", err)
	} else {
		lis.Close()
	}
	srv.Shutdown(context.Background())

	// Metrics are served without auth: a metrics listener that is not
	// loopback is refused unless insecure.
	srv, err = NewServer(Config{Listen: "127.0.0.1:0", MetricsListen: "localhost:9464"}, &Backend{Gate: g}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.listenTCP = resolvesPublic("localhost:9464")
	err = srv.Run(context.Background(), nil)
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "metrics_listen") {
		t.Errorf("metrics: %v, want ErrConfig naming metrics_listen", err)
	}
}
