package nodeclient_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/dialgate/dialgate/internal/sidecar"
)

// TestNodeClientEachAttemptItsOwnDeadline: --addr localhost:PORT is tried
// at each loopback address it resolves to, IPv4 first. The attempts and the
// call shared one 2 s deadline, so a first address whose connection never
// completes (a peer that accepts and never answers) spent it all, and the
// sidecar answering on the next (::1) was never asked: do not dial. Each
// attempt has a deadline of its own, and so has the call.
func TestNodeClientEachAttemptItsOwnDeadline(t *testing.T) {
	node := nodeAndModules(t)
	v6, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	_, port, _ := net.SplitHostPort(v6.Addr().String())
	silent, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		v6.Close()
		t.Skipf("cannot listen on 127.0.0.1:%s: %v", port, err)
	}
	// Accepts and never answers, holding each connection until the end.
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		silent.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	tokenFile := serveSidecar(t, sidecar.TLSConfig{}, v6)
	preload := filepath.Join(t.TempDir(), "fakedns.js")
	if err := os.WriteFile(preload, []byte(fakeDNS), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctxT(t), node, "--require", preload, "client.js", "--addr", "localhost:"+port, "--token-file", tokenFile, "--to", "+8613900139001", "--lead", "crm-1")
	cmd.Env = nodeEnv("FAKE_LOCALHOST=127.0.0.1,::1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "DIAL dg-") {
		t.Fatalf("localhost resolving to a silent 127.0.0.1 and the sidecar's ::1: exit ok=%v output %q; want DIAL", err == nil, out)
	}
}
