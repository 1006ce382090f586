package nodeclient_test

import (
	"context"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/exampletest"
	"github.com/dialgate/dialgate/internal/sidecar"
)

// testToken is a synthetic bearer token of the gate scope.
const testToken = exampletest.Token

// TestNodeClientTLSUnixTokenFile: the sidecar docs/deploy.md sets up serves
// TLS with a tokens file, or a Unix socket; the example reached neither
// (plaintext TCP only) and took its token as --token on the command line,
// which the docs forbid. --tls-ca, --unix and --token-file reach both;
// --unix with --addr is refused, as the Go example refuses -unix with -addr.
func TestNodeClientTLSUnixTokenFile(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	if _, err := os.Stat("node_modules/@grpc/grpc-js"); err != nil {
		t.Skip("node_modules missing: run `npm ci` in examples/node-client")
	}
	s := exampletest.Start(t, true)
	ca, tokenFile, sock := s.CA, s.TokenFile, s.Socket
	dial := []string{"--to", "+8613900139001", "--lead", "crm-1", "--token-file", tokenFile, "--tls-ca", ca}
	for _, c := range []struct {
		name string
		args []string
		want string
		ok   bool
	}{
		{"TLS over TCP", append([]string{"--addr", s.TCP}, dial...), "DIAL dg-", true},
		{"TLS over the Unix socket", append([]string{"--unix", sock}, dial...), "DIAL dg-", true},
		{"plaintext to a TLS sidecar", []string{"--addr", s.TCP, "--to", "+8613900139001", "--token-file", tokenFile}, "DO NOT DIAL", false},
		{"no token", []string{"--addr", s.TCP, "--to", "+8613900139001", "--tls-ca", ca}, "UNAUTHENTICATED", false},
		{"missing token file", []string{"--addr", s.TCP, "--to", "+8613900139001", "--tls-ca", ca, "--token-file", filepath.Join(t.TempDir(), "none")}, "--token-file", false},
		// Both dialled the socket and ignored --addr without a word: which
		// sidecar decides must not be a guess.
		{"--unix and --addr", append([]string{"--unix", sock, "--addr", s.TCP}, dial...), "DO NOT DIAL: --unix: give --unix or --addr, not both", false},
		{"--addr and --unix", append([]string{"--addr", s.TCP, "--unix", sock}, dial...), "DO NOT DIAL: --unix: give --unix or --addr, not both", false},
		// --addr without its value (an empty shell variable, unquoted)
		// dialled the default 127.0.0.1:7443: another sidecar than the one
		// meant could decide.
		{"--addr without a value", append(slices.Clone(dial), "--addr"), "DO NOT DIAL: --addr: missing", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(node, append([]string{"client.js"}, c.args...)...)
			cmd.Env = append(os.Environ(), "DIALGATE_TOKEN=")
			out, err := cmd.CombinedOutput()
			if (err == nil) != c.ok || !strings.Contains(string(out), c.want) {
				t.Fatalf("exit ok=%v output %q; want ok=%v and %q", err == nil, out, c.ok, c.want)
			}
		})
	}
}

// TestNodeClientPlaintextToken: the example sent its bearer token in
// plaintext to any --addr, where anyone on the path could read it and use
// it, and ignored --server-name without --tls-ca. It refuses a token in
// plaintext to an address that is not loopback (use --tls-ca), and
// --server-name without --tls-ca, before connecting; plaintext with a
// token to loopback or the Unix socket (the sidecar's default) still dials.
func TestNodeClientPlaintextToken(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	if _, err := os.Stat("node_modules/@grpc/grpc-js"); err != nil {
		t.Skip("node_modules missing: run `npm ci` in examples/node-client")
	}
	s := exampletest.Start(t, false)
	tokenFile, sock := s.TokenFile, s.Socket
	_, port, _ := net.SplitHostPort(s.TCP)
	dial := []string{"--to", "+8613900139001", "--lead", "crm-1"}
	for _, c := range []struct {
		name, env string
		args      []string
		want      []string
		ok        bool
	}{
		{"loopback", "", append([]string{"--addr", s.TCP, "--token-file", tokenFile}, dial...), []string{"DIAL dg-"}, true},
		{"localhost", "", append([]string{"--addr", "localhost:" + port, "--token-file", tokenFile}, dial...), []string{"DIAL dg-"}, true},
		{"Unix socket", "", append([]string{"--unix", sock, "--token-file", tokenFile}, dial...), []string{"DIAL dg-"}, true},
		{"token file off loopback", "", append([]string{"--addr", "192.0.2.10:7443", "--token-file", tokenFile}, dial...), []string{"plaintext", "--tls-ca"}, false},
		{"$DIALGATE_TOKEN off loopback", testToken, append([]string{"--addr", "sidecar.example:7443"}, dial...), []string{"plaintext", "--tls-ca"}, false},
		{"--server-name without --tls-ca", "", append([]string{"--addr", s.TCP, "--server-name", "localhost"}, dial...), []string{"--server-name", "--tls-ca"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(node, append([]string{"client.js"}, c.args...)...)
			cmd.Env = append(os.Environ(), "DIALGATE_TOKEN="+c.env)
			out, err := cmd.CombinedOutput()
			for _, w := range c.want {
				if (err == nil) != c.ok || !strings.Contains(string(out), w) {
					t.Fatalf("exit ok=%v output %q; want ok=%v and %q", err == nil, out, c.ok, w)
				}
			}
		})
	}
}

// nodeAndModules returns the node binary, skipping the test without node or
// the example's node_modules.
func nodeAndModules(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	if _, err := os.Stat("node_modules/@grpc/grpc-js"); err != nil {
		t.Skip("node_modules missing: run `npm ci` in examples/node-client")
	}
	return node
}

// countingListener listens on addr (host:port) and counts the connections
// made to it until the test ends, closing each at once (a peer that kept it
// open would keep the client's process alive).
func countingListener(t *testing.T, addr string) (net.Listener, *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	t.Cleanup(func() { l.Close() })
	var n atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			c.Close()
		}
	}()
	return l, &n
}

// nodeEnv is the environment of the client's process: this one's without
// any proxy setting or token, then extra.
func nodeEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch strings.ToLower(k) {
		case "grpc_proxy", "https_proxy", "http_proxy", "no_grpc_proxy", "no_proxy", "dialgate_token", "node_options":
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// TestNodeClientLoopbackBypassesProxy: grpc-js sends a call through the
// HTTP CONNECT proxy of $grpc_proxy, $https_proxy or $http_proxy — set on
// many hosts for their web traffic — whatever the target, loopback
// included. With a token in plaintext to a loopback --addr the token
// crossed the network to the proxy in the clear, and the proxy's own
// loopback (another host's sidecar, or none) decided the dial. A loopback
// --addr (and the Unix socket) is dialled directly, as the Go example does
// (Go never proxies loopback).
func TestNodeClientLoopbackBypassesProxy(t *testing.T) {
	node := nodeAndModules(t)
	s := exampletest.Start(t, false)
	proxy, proxied := countingListener(t, "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(s.TCP)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"loopback", []string{"--addr", s.TCP}},
		{"localhost", []string{"--addr", "localhost:" + port}},
	} {
		for _, v := range []string{"https_proxy", "grpc_proxy", "http_proxy"} {
			t.Run(c.name+"/"+v, func(t *testing.T) {
				before := proxied.Load()
				cmd := exec.CommandContext(ctxT(t), node, append([]string{"client.js", "--token-file", s.TokenFile, "--to", "+8613900139001", "--lead", "crm-1"}, c.args...)...)
				cmd.Env = nodeEnv(v + "=http://" + proxy.Addr().String())
				out, err := cmd.CombinedOutput()
				if n := proxied.Load() - before; n != 0 {
					t.Errorf("the client connected to the proxy %d times (the token went through it in plaintext)", n)
				}
				if err != nil || !strings.Contains(string(out), "DIAL dg-") {
					t.Fatalf("exit ok=%v output %q; want DIAL from the loopback sidecar", err == nil, out)
				}
			})
		}
	}
}

// fakeDNS is a script node preloads (--require) in
// TestNodeClientLocalhostResolvedElsewhere: "localhost" resolves to the
// addresses of $FAKE_LOCALHOST (comma-separated), for the client and
// grpc-js alike (a hosts file or a resolver that maps it elsewhere).
const fakeDNS = `'use strict';
const dns = require('dns');
const net = require('net');
const to = process.env.FAKE_LOCALHOST.split(',').map((a) => ({ address: a, family: net.isIPv6(a) ? 6 : 4 }));
const lookup = dns.lookup;
dns.lookup = function (host, opts, cb) {
  if (host !== 'localhost') return lookup.apply(this, arguments);
  if (typeof opts === 'function') { cb = opts; opts = {}; }
  process.nextTick(() => (opts && opts.all ? cb(null, to) : cb(null, to[0].address, to[0].family)));
};
const plookup = dns.promises.lookup;
dns.promises.lookup = async function (host, opts) {
  if (host !== 'localhost') return plookup.apply(this, arguments);
  return opts && opts.all ? to : to[0];
};
`

// TestNodeClientLocalhostResolvedElsewhere: a token goes in plaintext only
// to this host. The client took --addr localhost:PORT for loopback by its
// name, and grpc-js connected to whatever "localhost" resolved to (a hosts
// file, a resolver that maps it elsewhere) and sent the token there. The
// client judges the address the name resolves to, refuses any that is not
// loopback before connecting, and connects to the address it judged (the
// Go example checks the connected peer).
func TestNodeClientLocalhostResolvedElsewhere(t *testing.T) {
	node := nodeAndModules(t)
	s := exampletest.Start(t, false)
	var other netip.Addr
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Is4() && !p.Addr().IsLoopback() {
				other = p.Addr()
				break
			}
		}
	}
	if !other.IsValid() {
		t.Skip("this host has no IPv4 address but loopback")
	}
	l, accepted := countingListener(t, netip.AddrPortFrom(other, 0).String())
	_, port, _ := net.SplitHostPort(l.Addr().String())
	preload := filepath.Join(t.TempDir(), "fakedns.js")
	if err := os.WriteFile(preload, []byte(fakeDNS), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctxT(t), node, "--require", preload, "client.js", "--addr", "localhost:"+port, "--token-file", s.TokenFile, "--to", "+8613900139001", "--lead", "crm-1")
	cmd.Env = nodeEnv("FAKE_LOCALHOST=" + other.String())
	out, err := cmd.CombinedOutput()
	if n := accepted.Load(); n != 0 {
		t.Errorf("the client connected %d times to %s, which localhost resolved to (the token went there in plaintext)", n, l.Addr())
	}
	if err == nil || !strings.Contains(string(out), "DO NOT DIAL: --addr: localhost:"+port+" resolves to "+other.String()+", not a loopback address") {
		t.Fatalf("exit ok=%v output %q; want the address refused", err == nil, out)
	}
	// One loopback address and one that is not: refused all the same.
	cmd = exec.CommandContext(ctxT(t), node, "--require", preload, "client.js", "--addr", "localhost:"+port, "--token-file", s.TokenFile, "--to", "+8613900139001")
	cmd.Env = nodeEnv("FAKE_LOCALHOST=127.0.0.1," + other.String())
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "resolves to "+other.String()+", not a loopback address") {
		t.Fatalf("localhost resolving to 127.0.0.1 and %s: exit ok=%v output %q", other, err == nil, out)
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("the client connected %d times to %s", n, l.Addr())
	}
	// ::1 first and 127.0.0.1, the sidecar on 127.0.0.1 only (its default):
	// the call goes to 127.0.0.1.
	_, sport, _ := net.SplitHostPort(s.TCP)
	cmd = exec.CommandContext(ctxT(t), node, "--require", preload, "client.js", "--addr", "localhost:"+sport, "--token-file", s.TokenFile, "--to", "+8613900139001", "--lead", "crm-1")
	cmd.Env = nodeEnv("FAKE_LOCALHOST=::1,127.0.0.1")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "DIAL dg-") {
		t.Fatalf("localhost resolving to ::1 and 127.0.0.1: exit ok=%v output %q; want DIAL", err == nil, out)
	}
	// Without a token nothing secret is sent: the client dials what the
	// name resolves to (here nothing answers gRPC: do not dial).
	cmd = exec.CommandContext(ctxT(t), node, "--require", preload, "client.js", "--addr", "localhost:"+port, "--to", "+8613900139001")
	cmd.Env = nodeEnv("FAKE_LOCALHOST=" + other.String())
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "DO NOT DIAL: sidecar error") {
		t.Fatalf("without a token: exit ok=%v output %q", err == nil, out)
	}
}

// ctxT bounds a test's node processes (each call's deadline is 2 s).
func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestNodeClientEmptyConnectionFlag: a connection flag given with an empty
// value (an empty shell variable in quotes: --tls-ca "$CA"), or last on the
// line without one, was taken as not given: --tls-ca connected in
// plaintext, without checking the sidecar's certificate, so anything on
// the path could answer "allowed"; --token-file sent $DIALGATE_TOKEN. Each
// is refused, naming the flag, as the Go example refuses it.
func TestNodeClientEmptyConnectionFlag(t *testing.T) {
	node := nodeAndModules(t)
	withTokens := exampletest.Start(t, false).TCP
	g, err := dialgate.New(nil, dialgate.WithoutAuditLog())
	if err != nil {
		t.Fatal(err)
	}
	open := exampletest.ServeGate(t, g) // no tokens: plaintext answers anyone
	dial := []string{"--to", "+8613900139001", "--lead", "crm-1"}
	for _, c := range []struct{ flag, env, addr string }{
		{"--tls-ca", "", open},
		{"--token-file", testToken, withTokens},
		{"--server-name", "", open},
	} {
		for _, last := range []bool{false, true} {
			name := c.flag + " empty"
			args := append([]string{"client.js", "--addr", c.addr}, dial...)
			if last {
				name = c.flag + " last without a value"
				args = append(args, c.flag)
			} else {
				args = append(args, c.flag, "")
			}
			t.Run(name, func(t *testing.T) {
				cmd := exec.CommandContext(ctxT(t), node, args...)
				cmd.Env = nodeEnv("DIALGATE_TOKEN=" + c.env)
				out, err := cmd.CombinedOutput()
				if err == nil || !strings.Contains(string(out), "DO NOT DIAL: "+c.flag+": ") {
					t.Fatalf("exit ok=%v output %q; want %s refused", err == nil, out, c.flag)
				}
			})
		}
	}
}

// TestNodeClientUnknownFlag: the client took any argument as a flag name
// and ignored the names it does not know, so --tls-ca=ca.pem (the
// --flag=value spelling, which it does not parse) or a misspelt --tlsca
// connected in plaintext without checking the sidecar's certificate —
// anything on the path could answer "allowed" — and a misspelt --adr
// dialled the default address. Each is refused, naming the argument (not
// its value, which may be a token: --token=…).
func TestNodeClientUnknownFlag(t *testing.T) {
	node := nodeAndModules(t)
	g, err := dialgate.New(nil, dialgate.WithoutAuditLog())
	if err != nil {
		t.Fatal(err)
	}
	open := exampletest.ServeGate(t, g) // no tokens, no TLS: answers anyone
	ca := filepath.Join(t.TempDir(), "ca.pem")
	dial := []string{"--addr", open, "--to", "+8613900139001", "--lead", "crm-1"}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"--tls-ca=PATH", append(slices.Clone(dial), "--tls-ca="+ca), "--tls-ca=…"},
		{"misspelt --tlsca", append(slices.Clone(dial), "--tlsca", ca), "--tlsca"},
		// Not echoed: a stray value may be a secret.
		{"a value without its flag", append([]string{"stray-value"}, dial...), "argument 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.CommandContext(ctxT(t), node, append([]string{"client.js"}, c.args...)...)
			cmd.Env = nodeEnv()
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), "DO NOT DIAL: "+c.want+": ") {
				t.Fatalf("exit ok=%v output %q; want %s refused", err == nil, out, c.want)
			}
		})
	}
}

// TestNodeClientLocalhostIPv6: with a token in plaintext the client pins
// the addresses "localhost" resolves to (all loopback, or refused), but
// dialled only its IPv4 ones when it had both: a sidecar listening on ::1
// (serve --listen [::1]:7443) could not be reached through --addr
// localhost:PORT on a host whose localhost is ::1 and 127.0.0.1 — every
// dial denied. The client now tries each address judged, IPv4 first (the
// sidecar's default), then IPv6, and sends the call to the first that
// answers — never to one it did not judge.
func TestNodeClientLocalhostIPv6(t *testing.T) {
	node := nodeAndModules(t)
	v6, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("this host has no IPv6 loopback (listen [::1]:0: %v)", err)
	}
	tokenFile := serveSidecar(t, sidecar.TLSConfig{}, v6)
	_, port, _ := net.SplitHostPort(v6.Addr().String())
	preload := filepath.Join(t.TempDir(), "fakedns.js")
	if err := os.WriteFile(preload, []byte(fakeDNS), 0o600); err != nil {
		t.Fatal(err)
	}
	dial := []string{"--to", "+8613900139001", "--lead", "crm-1"}
	for _, c := range []struct {
		name, localhost, addr string
		token                 bool
		want                  string
	}{
		{"[::1] given", "", "[::1]:" + port, true, "DIAL dg-"},
		{"localhost is ::1 and 127.0.0.1", "::1,127.0.0.1", "localhost:" + port, true, "DIAL dg-"},
		{"localhost is 127.0.0.1 and ::1", "127.0.0.1,::1", "localhost:" + port, true, "DIAL dg-"},
		{"localhost is ::1 only", "::1", "localhost:" + port, true, "DIAL dg-"},
		// grpc-js resolves the name itself and tries each address: the
		// sidecar on ::1 answers (that it wants a token).
		{"without a token", "127.0.0.1,::1", "localhost:" + port, false, "DO NOT DIAL: sidecar error (fail closed): UNAUTHENTICATED"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"--require", preload, "client.js", "--addr", c.addr}, dial...)
			if c.token {
				args = append(args, "--token-file", tokenFile)
			}
			fake := c.localhost
			if fake == "" {
				fake = "127.0.0.1"
			}
			cmd := exec.CommandContext(ctxT(t), node, args...)
			cmd.Env = nodeEnv("FAKE_LOCALHOST=" + fake)
			out, err := cmd.CombinedOutput()
			if (err == nil) != (c.want == "DIAL dg-") || !strings.Contains(string(out), c.want) {
				t.Fatalf("exit ok=%v output %q; want %q from the sidecar on [::1]", err == nil, out, c.want)
			}
		})
	}
	// 127.0.0.1:PORT answers, but not gRPC (it closes each connection):
	// the client goes on to ::1 rather than denying.
	t.Run("127.0.0.1 refuses, ::1 answers", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:"+port)
		if err != nil {
			t.Skipf("127.0.0.1:%s is taken: %v", port, err)
		}
		l.Close()
		_, closed := countingListener(t, "127.0.0.1:"+port)
		cmd := exec.CommandContext(ctxT(t), node, append([]string{"--require", preload, "client.js", "--addr", "localhost:" + port, "--token-file", tokenFile}, dial...)...)
		cmd.Env = nodeEnv("FAKE_LOCALHOST=127.0.0.1,::1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "DIAL dg-") {
			t.Fatalf("exit ok=%v output %q; want DIAL from the sidecar on [::1]", err == nil, out)
		}
		if closed.Load() == 0 {
			t.Errorf("the client never tried 127.0.0.1:%s", port)
		}
	})
}
