package nodeclient_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNodeClientProtoMissing: the client fails closed when it cannot load
// the gate proto — missing (the script copied without ../../proto) or
// unreadable as a proto: it prints "DO NOT DIAL: …" naming the proto and
// exits 1. (loadGate ran outside the fail-closed handling: an uncaught
// exception and a stack trace, no DO NOT DIAL line.)
func TestNodeClientProtoMissing(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	modules, err := filepath.Abs("node_modules")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(modules, "@grpc", "grpc-js")); err != nil {
		t.Skip("node_modules missing: run `npm ci` in examples/node-client")
	}
	script, err := os.ReadFile("client.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		proto string // the text of ../../proto/dialgate/v1/gate.proto; "" for none
	}{
		{"missing", ""},
		{"not a proto", "this is not a proto file {"},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "examples", "node-client")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "client.js"), script, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(modules, filepath.Join(dir, "node_modules")); err != nil {
				t.Fatal(err)
			}
			if c.proto != "" {
				p := filepath.Join(root, "proto", "dialgate", "v1", "gate.proto")
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(c.proto), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// The address is never dialled: the proto is loaded first.
			cmd := exec.Command(node, "client.js", "--addr", "127.0.0.1:1", "--to", "+8613900139001", "--lead", "crm-1")
			cmd.Dir = dir
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			ee, _ := err.(*exec.ExitError)
			lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
			if ee == nil || ee.ExitCode() != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], "DO NOT DIAL: ") ||
				!strings.Contains(lines[0], "gate.proto") || stderr.Len() != 0 {
				t.Fatalf("exit %v, stdout %q, stderr %q; want exit 1, one line \"DO NOT DIAL: …\" naming gate.proto and nothing on stderr", err, out, stderr.String())
			}
		})
	}
}
