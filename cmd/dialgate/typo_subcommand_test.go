package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestMistypedSubcommandNamed: a mistyped subcommand followed by its flags
// (`dialgate admin dnc ad --number …`, `dialgate consent ad --id …`) was
// reported as "unknown flag: --number" — the parent command's flags were
// parsed first — naming the flag the operator spelt right instead of the
// word spelt wrong. It names the unknown command, exit 2.
func TestMistypedSubcommandNamed(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"admin", "dnc", "ad", "--number", "+8613900139000", "--scope", "global"}, `unknown command "ad" for "dialgate admin dnc"`},
		{[]string{"dnc", "ad", "--number", "+8613900139000"}, `unknown command "ad" for "dialgate dnc"`},
		{[]string{"consent", "ad", "--id", "c1"}, `unknown command "ad" for "dialgate consent"`},
		{[]string{"admin", "complant", "list", "--overdue"}, `unknown command "complant" for "dialgate admin"`},
	} {
		code, out, errs := runCLI(t, "", c.args...)
		if code != 2 || !strings.Contains(errs, c.want) || strings.Contains(errs, "unknown flag") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args, code, out, errs, c.want)
		}
	}
	// A flag mistyped under a real subcommand is still named.
	code, _, errs := runCLI(t, "", "admin", "dnc", "add", "--numbr", "+8613900139000")
	if code != 2 || !strings.Contains(errs, "unknown flag: --numbr") {
		t.Errorf("mistyped flag: exit %d, stderr %q; want 2 naming --numbr", code, errs)
	}
}

// TestAdminAddrBadPort: an --addr whose port is not a port (a stray
// character, 127.0.0.1:7443x) was sent to gRPC, which failed the dial
// ("unknown port") and the CLI advised to retry — exit 1, "the change may
// not have been applied" — for bad input no retry can fix. It is exit 2
// naming --addr, before anything is sent.
func TestAdminAddrBadPort(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:7443x", "127.0.0.1:70000", "localhost:-1"} {
		code, out, errs := runCLI(t, "", "admin", "--addr", addr, "--timeout", "2s", "dnc", "add", "--number", "+8613900139000", "--scope", "global")
		if code != 2 || !strings.Contains(errs, "--addr") || strings.Contains(errs, "retry") {
			t.Errorf("--addr %s: exit %d, stdout %q, stderr %q; want exit 2 naming --addr", addr, code, out, errs)
		}
	}
}

// TestReportMistypedData: `report quarterly` on a mistyped --data (or
// --audit) exited 1, and with --key named --key ("--key: audit log …: no
// such file"), though the key was right. A directory that does not exist
// is bad input naming the flag that gave it, exit 2, with or without --key.
func TestReportMistypedData(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "dialgate-dta")
	pub := filepath.Join(dir, "k.pub")
	if code, out, errs := runCLI(t, "", "audit", "keygen", "--out", filepath.Join(dir, "k")); code != 0 {
		t.Fatalf("keygen: exit %d %s %s", code, out, errs)
	}
	for _, c := range []struct {
		args []string
		flag string
	}{
		{[]string{"--data", missing}, "--data"},
		{[]string{"--data", missing, "--key", pub}, "--data"},
		{[]string{"--data", missing, "--key", pub, "--sealed"}, "--data"},
		{[]string{"--audit", missing, "--key", pub}, "--audit"},
	} {
		code, out, errs := runCLI(t, "", append([]string{"report", "quarterly", "--quarter", "2026Q4"}, c.args...)...)
		if code != 2 || !strings.HasPrefix(errs, "dialgate: "+c.flag+":") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 naming %s", c.args, code, out, errs, c.flag)
		}
	}
}

// TestAddrNamedPort: `serve --listen localhost:https` listens (Go resolves
// the service name), but `dialgate admin` and `dialgate health` refused
// `--addr localhost:https` ("port \"https\" is not a number"), so the
// sidecar could not be reached as it was configured. A service name this
// host knows is taken as its port (the call is tried: exit 1 with nothing
// there); a name it does not know is bad input naming --addr and saying
// so (exit 2).
func TestAddrNamedPort(t *testing.T) {
	for _, cmd := range [][]string{
		{"health"},
		{"admin", "dnc", "add", "--number", "+8613900139000", "--scope", "global"},
	} {
		args := func(addr string) []string {
			a := []string{cmd[0], "--addr", addr, "--timeout", "1s"}
			return append(a, cmd[1:]...)
		}
		code, out, errs := runCLI(t, "", args("127.0.0.1:https")...)
		if code != 1 || strings.Contains(errs, "not a number") {
			t.Errorf("%s --addr 127.0.0.1:https: exit %d, stdout %q, stderr %q; want the call tried (exit 1: nothing answers there)", cmd[0], code, out, errs)
		}
		code, out, errs = runCLI(t, "", args("127.0.0.1:no-such-service")...)
		if code != 2 || !strings.Contains(errs, "--addr") || !strings.Contains(errs, "service name") {
			t.Errorf("%s --addr 127.0.0.1:no-such-service: exit %d, stdout %q, stderr %q; want exit 2 naming --addr and the service name", cmd[0], code, out, errs)
		}
	}
}
