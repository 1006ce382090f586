package faultproxy

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// echo serves an echo server on loopback until t ends.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	return ln.Addr().String()
}

// roundTrip writes a message on c and reads it back within d.
func roundTrip(c net.Conn, d time.Duration) error {
	c.SetDeadline(time.Now().Add(d))
	if _, err := c.Write([]byte("ping")); err != nil {
		return err
	}
	b := make([]byte, 4)
	_, err := io.ReadFull(c, b)
	return err
}

func dial(t *testing.T, p *Proxy) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestForwardStallCutRestore(t *testing.T) {
	p, err := Start(echo(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	old := dial(t, p)
	if err := roundTrip(old, time.Second); err != nil {
		t.Fatalf("forwarding: %v", err)
	}
	p.Stall()
	if err := roundTrip(old, 100*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a stalled connection: %v, want a timeout (nothing forwarded, nothing closed)", err)
	}
	fresh := dial(t, p) // accepted while stalled
	if err := roundTrip(fresh, 100*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a connection opened while stalled: %v, want a timeout", err)
	}
	p.Restore()
	if err := roundTrip(dial(t, p), time.Second); err != nil {
		t.Fatalf("a connection opened after Restore: %v", err)
	}
	if err := roundTrip(old, 100*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a connection stalled before Restore: %v, want it still a black hole", err)
	}
	p.Cut()
	if err := roundTrip(old, time.Second); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a connection after Cut: %v, want it closed", err)
	}
	if err := roundTrip(dial(t, p), time.Second); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a connection opened while cut: %v, want it closed", err)
	}
	p.Restore()
	if err := roundTrip(dial(t, p), time.Second); err != nil {
		t.Fatalf("after Cut and Restore: %v", err)
	}
	if n := p.Open(); n != 1 {
		t.Errorf("Open() = %d, want 1", n)
	}
}

// LoseReplyTo: the request reaches the server, the reply does not reach the
// client, whose connection closes; other connections are untouched.
func TestLoseReplyTo(t *testing.T) {
	got := make(chan string, 4)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				b := make([]byte, 64)
				for {
					n, err := c.Read(b)
					if err != nil {
						return
					}
					got <- string(b[:n])
					c.Write(b[:n])
				}
			}()
		}
	}()
	p, err := Start(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	other, c := dial(t, p), dial(t, p)
	p.LoseReplyTo([]byte("ping"))
	if err := roundTrip(c, time.Second); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the request carrying the marker: %v, want its connection closed", err)
	}
	select {
	case m := <-got:
		if m != "ping" {
			t.Fatalf("server got %q", m)
		}
	case <-time.After(time.Second):
		t.Fatal("the server never got the request whose reply was lost")
	}
	if p.Lost() != 1 {
		t.Fatalf("Lost() = %d, want 1", p.Lost())
	}
	if err := roundTrip(other, time.Second); err != nil {
		t.Fatalf("another connection, after the one reply was lost: %v", err)
	}
	if err := roundTrip(dial(t, p), time.Second); err != nil {
		t.Fatalf("a new connection (one reply lost per call): %v", err)
	}

	// LoseReplyAndCut: the reply lost, and then every connection cut.
	c = dial(t, p)
	p.LoseReplyAndCut([]byte("ping"))
	if err := roundTrip(c, time.Second); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("LoseReplyAndCut: the request carrying the marker: %v, want its connection closed", err)
	}
	<-got
	if err := roundTrip(other, time.Second); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("LoseReplyAndCut: another connection: %v, want it cut", err)
	}
	if err := roundTrip(dial(t, p), time.Second); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("LoseReplyAndCut: a new connection: %v, want it closed until Restore", err)
	}
	p.Restore()
	if err := roundTrip(dial(t, p), time.Second); err != nil {
		t.Fatalf("after Restore: %v", err)
	}
}
