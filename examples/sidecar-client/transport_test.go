package main

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/internal/exampletest"
)

// testToken is a synthetic bearer token of the gate scope.
const testToken = exampletest.Token

// TestRunTLSUnixTokenFile: the sidecar an operator runs from docs/deploy.md
// serves TLS with a tokens file, or a Unix socket; the example could reach
// neither (plaintext TCP only) and took its token on the command line,
// which the docs forbid. -tls-ca, -unix and -token-file reach both.
func TestRunTLSUnixTokenFile(t *testing.T) {
	s := exampletest.Start(t, true)
	ca, tokenFile, sock := s.CA, s.TokenFile, s.Socket
	dial := []string{"-to", "+8613900139001", "-lead", "crm-1", "-token-file", tokenFile, "-tls-ca", ca}
	for _, c := range []struct {
		name string
		args []string
		want string
		ok   bool
	}{
		{"TLS over TCP", append([]string{"-addr", s.TCP}, dial...), "DIAL dg-", true},
		{"TLS over the Unix socket", append([]string{"-unix", sock}, dial...), "DIAL dg-", true},
		{"plaintext to a TLS sidecar", []string{"-addr", s.TCP, "-to", "+8613900139001", "-token-file", tokenFile}, "fail closed", false},
		{"no token", []string{"-addr", s.TCP, "-to", "+8613900139001", "-tls-ca", ca}, "Unauthenticated", false},
		{"missing token file", []string{"-addr", s.TCP, "-to", "+8613900139001", "-tls-ca", ca, "-token-file", filepath.Join(t.TempDir(), "none")}, "-token-file", false},
		{"-unix and -addr", []string{"-unix", sock, "-addr", s.TCP, "-to", "+8613900139001"}, "-unix: give -unix or -addr, not both", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("DIALGATE_TOKEN", "")
			var out bytes.Buffer
			err := run(context.Background(), c.args, &out)
			got := out.String()
			if err != nil {
				got += err.Error()
			}
			if (err == nil) != c.ok || !strings.Contains(got, c.want) {
				t.Fatalf("dial=%v, output %q; want dial=%v and %q", err == nil, got, c.ok, c.want)
			}
		})
	}
}

// TestRunPlaintextToken: the example sent its bearer token in plaintext to
// any -addr, where anyone on the path could read it and use it, and took
// -server-name without -tls-ca and then ignored it. It refuses a token in
// plaintext to an address that is not loopback (use -tls-ca), and
// -server-name without -tls-ca, before connecting; plaintext with a token
// to loopback or the Unix socket (the sidecar's default) still dials.
func TestRunPlaintextToken(t *testing.T) {
	s := exampletest.Start(t, false)
	tokenFile, sock := s.TokenFile, s.Socket
	_, port, _ := net.SplitHostPort(s.TCP)
	dial := []string{"-to", "+8613900139001", "-lead", "crm-1"}
	for _, c := range []struct {
		name, env string
		args      []string
		want      []string
		ok        bool
	}{
		{"loopback", "", append([]string{"-addr", s.TCP, "-token-file", tokenFile}, dial...), []string{"DIAL dg-"}, true},
		{"localhost", "", append([]string{"-addr", "localhost:" + port, "-token-file", tokenFile}, dial...), []string{"DIAL dg-"}, true},
		{"Unix socket", "", append([]string{"-unix", sock, "-token-file", tokenFile}, dial...), []string{"DIAL dg-"}, true},
		{"token file off loopback", "", append([]string{"-addr", "192.0.2.10:7443", "-token-file", tokenFile}, dial...), []string{"plaintext", "-tls-ca"}, false},
		{"$DIALGATE_TOKEN off loopback", testToken, append([]string{"-addr", "sidecar.example:7443"}, dial...), []string{"plaintext", "-tls-ca"}, false},
		{"-server-name without -tls-ca", "", append([]string{"-addr", s.TCP, "-server-name", "localhost"}, dial...), []string{"-server-name", "-tls-ca"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("DIALGATE_TOKEN", c.env)
			var out bytes.Buffer
			err := run(context.Background(), c.args, &out)
			got := out.String()
			if err != nil {
				got += err.Error()
			}
			for _, w := range c.want {
				if (err == nil) != c.ok || !strings.Contains(got, w) {
					t.Fatalf("dial=%v, output %q; want dial=%v and %q", err == nil, got, c.ok, w)
				}
			}
		})
	}
}

// TestDialLoopbackOnly: with a token in plaintext the client connects only
// to a loopback peer, judged by the address a name resolved to: a listener
// on this host's other address is refused before anything is sent (a
// "localhost" that resolves elsewhere would send the token over the
// network), a loopback one is used.
func TestDialLoopbackOnly(t *testing.T) {
	ctx := context.Background()
	lo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lo.Close()
	c, err := dialLoopbackOnly(ctx, lo.Addr().String())
	if err != nil {
		t.Fatalf("loopback peer refused: %v", err)
	}
	c.Close()
	var other netip.Addr
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Is4() && !p.Addr().IsLoopback() {
			other = p.Addr()
			break
		}
	}
	if !other.IsValid() {
		t.Skip("this host has no IPv4 address but loopback")
	}
	l, err := net.Listen("tcp", netip.AddrPortFrom(other, 0).String())
	if err != nil {
		t.Skipf("cannot listen on %s: %v", other, err)
	}
	defer l.Close()
	if c, err := dialLoopbackOnly(ctx, l.Addr().String()); err == nil || !strings.Contains(err.Error(), "not a loopback address") {
		if c != nil {
			c.Close()
		}
		t.Fatalf("non-loopback peer %s: %v, want refused", l.Addr(), err)
	}
}

// TestRunEmptyConnectionFlag: a connection flag given with an empty value
// (an empty shell variable in quotes: -tls-ca "$CA") was taken as not
// given: -tls-ca "" connected in plaintext, without checking the
// sidecar's certificate, so anything on the path could answer "allowed";
// -token-file "" sent $DIALGATE_TOKEN. Each is refused, naming the flag.
func TestRunEmptyConnectionFlag(t *testing.T) {
	withTokens := exampletest.Start(t, false).TCP
	open := startSidecar(t) // no tokens: plaintext answers anyone
	dial := []string{"-to", "+8613900139001", "-lead", "crm-1"}
	for _, c := range []struct{ flag, env, addr string }{
		{"-tls-ca", "", open},
		{"-token-file", testToken, withTokens},
		{"-server-name", "", open},
		{"-unix", "", ""},
		{"-addr", "", ""},
	} {
		t.Run(c.flag, func(t *testing.T) {
			t.Setenv("DIALGATE_TOKEN", c.env)
			args := append([]string{c.flag, ""}, dial...)
			if c.addr != "" {
				args = append(args, "-addr", c.addr)
			}
			var out bytes.Buffer
			err := run(context.Background(), args, &out)
			if err == nil || !strings.Contains(err.Error(), c.flag+": given without a value") {
				t.Fatalf("dial=%v, output %q, err %v; want %s refused", err == nil, out.String(), err, c.flag)
			}
		})
	}
}

// TestRunStrayArgument: Go's flag package stops at the first argument that
// is not a flag and leaves the rest unparsed, and the example ignored them:
// a value split by an unquoted space (-lead crm 1) left every later flag —
// -tls-ca among them — unread, so the example connected in plaintext
// without checking the sidecar's certificate (anything on the path could
// answer "allowed"). An argument left over is refused, as the Node
// example refuses an argument that is not a flag.
func TestRunStrayArgument(t *testing.T) {
	open := startSidecar(t) // no tokens, no TLS: answers anyone
	ca := filepath.Join(t.TempDir(), "ca.pem")
	t.Setenv("DIALGATE_TOKEN", "")
	var out bytes.Buffer
	err := run(context.Background(), []string{"-addr", open, "-to", "+8613900139001", "-lead", "crm", "1", "-tls-ca", ca}, &out)
	if err == nil || !strings.Contains(err.Error(), "not a flag") {
		t.Fatalf("dial=%v, output %q, err %v; want the stray argument refused", err == nil, out.String(), err)
	}
}
