// Package faultproxy is a TCP proxy for the fault-injection tests of the
// shared back-ends (Redis, PostgreSQL): it forwards connections to a real
// server until a test cuts them (every connection closed, new ones closed
// at once), stalls them (connections stay open, and new ones are accepted,
// but nothing is forwarded either way: a black hole, where only a timeout
// notices) or restores it. LoseReplyTo loses the reply to one request: the
// server gets the request and acts on it, the client sees its connection
// close instead of the reply (a write applied, its acknowledgement lost).
//
// A restored proxy forwards new connections; connections that were stalled
// stay black holes until Cut or Close, as after a fail-over or a network
// path that never comes back, so a client must give up on them by itself.
package faultproxy

import (
	"bytes"
	"errors"
	"net"
	"net/url"
	"sync"
	"testing"
)

// mode is what the proxy does with a connection.
type mode int

const (
	forward mode = iota // forward bytes both ways
	cut                 // close at once
	stall               // accept, forward nothing
)

// Proxy forwards TCP connections to one address. Create it with Start; it
// is safe for concurrent use.
type Proxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	mode   mode
	links  map[*link]struct{}
	closed bool
	wg     sync.WaitGroup

	// lose, when not nil, is the marker of LoseReplyTo: the first
	// connection whose client sends it loses the reply.
	lose []byte
	// cutOnLoss: LoseReplyAndCut; the proxy cuts when it loses the reply.
	cutOnLoss bool
	// replace is ReplaceReplyTo's reply, given to the connection it arms.
	replace []byte
	// lost counts the replies lost (LoseReplyTo).
	lost int
}

// link is one client connection and its upstream one.
type link struct {
	client, server net.Conn
	mu             sync.Mutex
	stalled        bool
	// losing: the client sent LoseReplyTo's marker; the server's next
	// bytes are dropped and the connection closed.
	losing bool
	// replacement, when not nil, is sent to the client in place of the
	// lost reply (ReplaceReplyTo).
	replacement []byte
}

func (l *link) isStalled() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stalled
}

func (l *link) close() {
	l.client.Close()
	if l.server != nil {
		l.server.Close()
	}
}

// Start listens on a loopback port and forwards every connection to target
// (host:port).
func Start(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, links: map[*link]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// ForURL starts a proxy to the host of the server URL rawURL (redis://,
// postgres://; defaultPort when the URL names none), stops it when t ends,
// and returns it with rawURL pointed at it.
func ForURL(t testing.TB, rawURL, defaultPort string) (*Proxy, string) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		t.Fatalf("faultproxy: server URL %q: want scheme://host:port/…", rawURL)
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), defaultPort)
	}
	p, err := Start(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	u.Host = p.Addr()
	return p, u.String()
}

// Addr returns the proxy's address (host:port).
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		l := &link{client: c}
		p.mu.Lock()
		m, closed := p.mode, p.closed
		if closed || m == cut {
			p.mu.Unlock()
			c.Close()
			continue
		}
		if m == stall {
			l.stalled = true
			p.links[l] = struct{}{}
			p.mu.Unlock()
			p.wg.Add(1)
			go p.drain(l, c) // read and drop: the client's writes succeed
			continue
		}
		p.mu.Unlock()
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		l.server = s
		p.mu.Lock()
		if p.closed || p.mode == cut {
			p.mu.Unlock()
			l.close()
			continue
		}
		l.stalled = p.mode == stall
		p.links[l] = struct{}{}
		p.wg.Add(2)
		p.mu.Unlock()
		go p.pipe(l, c, s)
		go p.pipe(l, s, c)
	}
}

// pipe copies src to dst while l is not stalled; once it is, it reads and
// drops. It closes both ends when src fails.
func (p *Proxy) pipe(l *link, src, dst net.Conn) {
	defer p.wg.Done()
	defer p.forget(l)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && p.loses(l, src, buf[:n]) {
			return // the reply dropped; forget closes both ends
		}
		if n > 0 && !l.isStalled() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// loses reports whether the bytes b read from src on l are a reply that
// LoseReplyTo loses. Bytes from the client carrying the marker arm l (and
// disarm the proxy: one reply is lost per call); the server's next bytes
// on an armed l are then lost.
func (p *Proxy) loses(l *link, src net.Conn, b []byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if src == l.client {
		if p.lose != nil && bytes.Contains(b, p.lose) {
			p.lose = nil
			l.mu.Lock()
			l.losing, l.replacement = true, p.replace
			l.mu.Unlock()
			p.replace = nil
		}
		return false
	}
	l.mu.Lock()
	losing, replacement := l.losing, l.replacement
	l.mu.Unlock()
	if !losing {
		return false
	}
	if replacement != nil {
		_, _ = l.client.Write(replacement)
	}
	p.lost++
	if p.cutOnLoss {
		p.cutOnLoss = false
		p.mode = cut
		for _, o := range p.takeLinks() {
			if o != l {
				go o.close() // not under p.mu: close does not need it, but keep the lock short
			}
		}
	}
	return true
}

// LoseReplyTo arms the proxy to lose one reply: the first forwarded
// connection whose client sends bytes containing marker (after this call)
// has the server's next bytes dropped and is closed, both ends. The server
// has received the request, and acts on it; the client sees its
// connection fail instead of the reply. The marker must arrive in one read
// (keep it short and unique to the request).
func (p *Proxy) LoseReplyTo(marker []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lose, p.cutOnLoss, p.replace = bytes.Clone(marker), false, nil
}

// ReplaceReplyTo is LoseReplyTo, the client getting reply (raw protocol
// bytes, such as a server's fatal error) in place of the reply lost before
// its connection closes: the server acted on the request, and the client
// is told something else.
func (p *Proxy) ReplaceReplyTo(marker, reply []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lose, p.cutOnLoss, p.replace = bytes.Clone(marker), false, bytes.Clone(reply)
}

// LoseReplyAndCut is LoseReplyTo, and the proxy cuts (as Cut) the moment it
// loses the reply: the server acted on the request, and the client can
// reach it no more to ask again, until Restore.
func (p *Proxy) LoseReplyAndCut(marker []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lose, p.cutOnLoss, p.replace = bytes.Clone(marker), true, nil
}

// Lost reports how many replies LoseReplyTo made the proxy lose.
func (p *Proxy) Lost() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lost
}

// drain reads and drops what c sends until it closes.
func (p *Proxy) drain(l *link, c net.Conn) {
	defer p.wg.Done()
	defer p.forget(l)
	buf := make([]byte, 32<<10)
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}

func (p *Proxy) forget(l *link) {
	l.close()
	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
}

// Cut closes every connection, stalled ones included; until Restore, new
// connections are closed as soon as they are accepted.
func (p *Proxy) Cut() {
	p.mu.Lock()
	p.mode = cut
	links := p.takeLinks()
	p.mu.Unlock()
	for _, l := range links {
		l.close()
	}
}

// Stall stops forwarding on every open connection (for good: Restore does
// not revive them) and, until Restore, accepts new connections and forwards
// nothing on them either.
func (p *Proxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = stall
	for l := range p.links {
		l.mu.Lock()
		l.stalled = true
		l.mu.Unlock()
	}
}

// Restore forwards new connections again. Stalled connections stay black
// holes until Cut or Close.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = forward
}

// Open returns how many connections the proxy holds (stalled ones
// included).
func (p *Proxy) Open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.links)
}

// takeLinks empties p.links and returns them; p.mu must be held.
func (p *Proxy) takeLinks() []*link {
	out := make([]*link, 0, len(p.links))
	for l := range p.links {
		out = append(out, l)
	}
	clear(p.links)
	return out
}

// Close stops listening, closes every connection and waits for the proxy's
// goroutines. It is idempotent.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	links := p.takeLinks()
	p.mu.Unlock()
	err := p.ln.Close()
	for _, l := range links {
		l.close()
	}
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return
	}
	p.wg.Wait()
}
