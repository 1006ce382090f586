package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/dialgate/dialgate/internal/sidecar"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
)

// The tokens of the test sidecars: one with the admin scope, one without.
const (
	testAdminToken = "admin-token-0123456789"
	testGateToken  = "gate-token-0123456789ab"
)

// adminSidecar is a real sidecar (sidecar.Serve, as dialgate serve runs it)
// started in-process for the admin tests.
type adminSidecar struct {
	addr      string // gRPC address (host:port, or the socket path)
	data      string // its --data
	dir       string // where the token files are
	adminFile string // file holding testAdminToken
	gateFile  string // file holding testGateToken
	stop      func() // stops it (idempotent)
}

// startAdminSidecar serves cfg (Listen, MetricsListen, Data and TokensFile
// filled in when empty) until the test ends or stop is called.
func startAdminSidecar(t *testing.T, cfg sidecar.Config) *adminSidecar {
	t.Helper()
	dir := t.TempDir()
	s := &adminSidecar{dir: dir, data: filepath.Join(dir, "data"),
		adminFile: filepath.Join(dir, "admin.token"), gateFile: filepath.Join(dir, "gate.token")}
	tokens := filepath.Join(dir, "tokens.yaml")
	for path, text := range map[string]string{
		tokens:      "tokens:\n  - name: ops\n    token: " + testAdminToken + "\n    scopes: [admin]\n  - name: dialer\n    token: " + testGateToken + "\n    scopes: [gate]\n",
		s.adminFile: testAdminToken + "\n",
		s.gateFile:  testGateToken + "\n",
	} {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if cfg.Listen == "" && cfg.Unix == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	cfg.MetricsListen = "off"
	if cfg.Data == "" {
		cfg.Data = s.data
	}
	s.data = cfg.Data
	if cfg.TokensFile == "" {
		cfg.TokensFile = tokens
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- sidecar.Serve(ctx, cfg, io.Discard, func(g, _ net.Addr) { ready <- g }) }()
	select {
	case g := <-ready:
		s.addr = g.String()
	case err := <-done:
		cancel()
		t.Fatalf("sidecar did not start: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("sidecar did not start in 30s")
	}
	stopped := false
	s.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("sidecar stopped with %v", err)
		}
	}
	t.Cleanup(s.stop)
	return s
}

// admin runs `dialgate admin --addr ADDR --token-file ADMIN args...`.
func (s *adminSidecar) admin(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runCLI(t, "", append([]string{"admin", "--addr", s.addr, "--token-file", s.adminFile}, args...)...)
}

// reasons returns the reason codes of a Check of to on the sidecar's
// GateService.
func (s *adminSidecar) reasons(t *testing.T, to string) []string {
	t.Helper()
	conn, err := grpc.NewClient("passthrough:///"+s.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+testGateToken)
	r, err := pb.NewGateServiceClient(conn).Check(ctx, &pb.CheckRequest{Dial: &pb.Dial{To: to, From: "+861058001234",
		Purpose: pb.Purpose_PURPOSE_SERVICE, LeadId: "crm-1", Tenant: "acme"}})
	if err != nil {
		t.Fatalf("Check %s: %v", to, err)
	}
	var codes []string
	for _, rs := range r.GetDecision().GetReasons() {
		codes = append(codes, rs.GetCode())
	}
	return codes
}

// TestAdminDNCAddDeniesNextCheck: an opt-out recorded with dialgate admin
// dnc add while the sidecar runs (the local commands cannot open its locked
// store) makes the next Check of the number deny dnc.listed; dnc remove
// takes it off again.
func TestAdminDNCAddDeniesNextCheck(t *testing.T) {
	s := startAdminSidecar(t, sidecar.Config{})
	const num = "+8613900139071"
	if r := s.reasons(t, num); slices.Contains(r, "dnc.listed") {
		t.Fatalf("before the opt-out: reasons %v already hold dnc.listed", r)
	}
	code, out, errs := s.admin(t, "dnc", "add", "--number", num, "--scope", "global", "--source", "opt_out")
	if code != 0 || !strings.Contains(out, "added "+num+" to the do-not-call list (global)") {
		t.Fatalf("admin dnc add: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if r := s.reasons(t, num); !slices.Contains(r, "dnc.listed") {
		t.Fatalf("after admin dnc add: reasons %v, want dnc.listed", r)
	}
	// An opt-out is held its minimum time: taking it off at once is
	// refused by the state (exit 1, not bad input), saying until when and
	// that a retry will not help, and the number stays listed.
	code, out, errs = s.admin(t, "dnc", "remove", "--number", num, "--scope", "global", "--json")
	if code != 1 || out != "" || !strings.Contains(errs, "number: the entry is still held") || !strings.Contains(errs, "held until") ||
		!strings.Contains(errs, "a retry will not succeed") {
		t.Fatalf("admin dnc remove of a fresh opt-out: exit %d, stdout %q, stderr %q; want exit 1, still held", code, out, errs)
	}
	if r := s.reasons(t, num); !slices.Contains(r, "dnc.listed") {
		t.Errorf("after a refused admin dnc remove: reasons %v, want dnc.listed", r)
	}
	// A scoped entry that is not there: removing it is not an error.
	code, out, errs = s.admin(t, "dnc", "remove", "--number", num, "--scope", "campaign:spring", "--json")
	var res adminResult
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.RPC != "RemoveDncEntry" || res.Number != num || res.Scope != "campaign:spring" {
		t.Fatalf("admin dnc remove --json: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// TestAdminEveryRPC drives every admin subcommand against a running sidecar,
// then stops it and reads what they wrote with the local commands on its
// --data.
func TestAdminEveryRPC(t *testing.T) {
	s := startAdminSidecar(t, sidecar.Config{})
	const num = "+8613900139072"
	now := time.Now().UTC().Truncate(time.Second)
	started := now.Add(-time.Hour).Format(time.RFC3339)
	ended := now.Add(-30 * time.Minute).Format(time.RFC3339)
	granted := now.Add(-24 * time.Hour).Format(time.RFC3339)
	for _, c := range []struct {
		args []string
		want adminResult
	}{
		{[]string{"consent", "add", "--id", "c-admin-1", "--number", num, "--scope", "industry:finance", "--tenant", "acme",
			"--method", "written", "--evidence-uri", "s3://evidence/c-admin-1.pdf", "--granted-at", granted},
			adminResult{RPC: "GrantConsent", ID: "c-admin-1", Number: num, Scope: "industry:finance", Tenant: "acme", Method: "written"}},
		{[]string{"consent", "revoke", "c-admin-1", "--channel", "call"}, adminResult{RPC: "RevokeConsent", ID: "c-admin-1"}},
		{[]string{"ledger", "add", "--tenant", "acme", "--number", "+861058001234", "--holder", "Acme Ltd", "--purposes", "service,marketing"},
			adminResult{RPC: "AddLedgerEntry", Tenant: "acme", Number: "+861058001234", Type: "fixed"}},
		{[]string{"recordings", "register", "--id", "rec-admin-1", "--number", num, "--started-at", started, "--retention", "90d"},
			adminResult{RPC: "RegisterRecording", ID: "rec-admin-1", StartedAt: now.Add(-time.Hour)}},
		{[]string{"recordings", "end", "rec-admin-1", "--ended-at", ended}, adminResult{RPC: "EndRecording", ID: "rec-admin-1", EndedAt: now.Add(-30 * time.Minute)}},
		{[]string{"recordings", "hold", "rec-admin-1", "--hold", "litigation-1", "--reason", "court order"},
			adminResult{RPC: "HoldRecording", ID: "rec-admin-1", Hold: "litigation-1"}},
		{[]string{"recordings", "release", "rec-admin-1", "--hold", "litigation-1"},
			adminResult{RPC: "ReleaseRecordingHold", ID: "rec-admin-1", Hold: "litigation-1", Released: true}},
		{[]string{"complaint", "add", "--number", num, "--id", "cp-admin-1", "--channel", "web", "--details", "called twice"},
			adminResult{RPC: "FileComplaint", ID: "cp-admin-1", Number: num, Scope: "global"}},
	} {
		code, out, errs := s.admin(t, append(c.args, "--json")...)
		var got adminResult
		if code != 0 || json.Unmarshal([]byte(out), &got) != nil {
			t.Fatalf("admin %v: exit %d, stdout %q, stderr %q", c.args, code, out, errs)
		}
		if !got.StartedAt.Equal(c.want.StartedAt) || !got.EndedAt.Equal(c.want.EndedAt) {
			t.Errorf("admin %v: %+v, want %+v", c.args, got, c.want)
		}
		if (c.want.RPC == "FileComplaint") == got.ReceivedAt.IsZero() {
			t.Errorf("admin %v: received_at %s, want the sidecar's receipt for FileComplaint only", c.args, got.ReceivedAt)
		}
		got.StartedAt, got.EndedAt, c.want.StartedAt, c.want.EndedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		got.ReceivedAt = time.Time{}
		if got != c.want {
			t.Errorf("admin %v: %+v, want %+v", c.args, got, c.want)
		}
	}
	// Filing the same complaint again is a no-op that names the same id.
	if code, out, errs := s.admin(t, "complaint", "add", "--number", num, "--id", "cp-admin-1"); code != 0 || !strings.Contains(out, "complaint cp-admin-1 filed") {
		t.Errorf("complaint add again: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	// The complaint listed the number.
	if r := s.reasons(t, num); !slices.Contains(r, "dnc.listed") {
		t.Errorf("after admin complaint add: reasons %v, want dnc.listed", r)
	}
	// A local command on the sidecar's --data cannot open the locked
	// store, and says what to use instead.
	data := []string{"--data", s.data}
	code, _, errs := runCLI(t, "", append(data, "consent", "revoke", "c-admin-1")...)
	if code != 1 || !strings.Contains(errs, "dialgate admin") {
		t.Errorf("consent revoke on a running sidecar's --data: exit %d, stderr %q; want exit 1 pointing to dialgate admin", code, errs)
	}
	s.stop()
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"consent", "show", num}, []string{"c-admin-1", "industry:finance", "(call)"}},
		{[]string{"ledger", "show", "--tenant", "acme", "+861058001234"}, []string{"Acme Ltd"}},
		{[]string{"recordings", "show", "rec-admin-1"}, []string{"rec-admin-1", "complaint:cp-admin-1"}},
		{[]string{"complaint", "list"}, []string{"cp-admin-1"}},
	} {
		code, out, errs := runCLI(t, "", append(data, c.args...)...)
		for _, w := range c.want {
			if code != 0 || !strings.Contains(out, w) {
				t.Errorf("after the sidecar stopped, %v: exit %d, stdout %q, stderr %q; want %q", c.args, code, out, errs, w)
			}
		}
		if strings.Contains(out, "litigation-1") {
			t.Errorf("%v: the released hold litigation-1 is still there: %q", c.args, out)
		}
	}
}

// TestAdminAuth: a missing token, an unknown one and one without the admin
// scope exit 1 with a message that says so (and never the token).
func TestAdminAuth(t *testing.T) {
	s := startAdminSidecar(t, sidecar.Config{})
	wrong := filepath.Join(s.dir, "wrong.token")
	if err := os.WriteFile(wrong, []byte("not-a-known-token-000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dncAdd := []string{"dnc", "add", "--number", "+8613900139073", "--scope", "global"}
	for _, c := range []struct {
		name, tokenFile, env string
		want                 string
	}{
		{"no token", "", "", "missing bearer token"},
		{"unknown token", wrong, "", "unknown bearer token"},
		{"gate scope only", s.gateFile, "", `token "dialer" lacks the "admin" scope`},
		{"gate scope in the environment", "", testGateToken, `token "dialer" lacks the "admin" scope`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.env != "" {
				t.Setenv(tokenEnv, c.env)
			} else {
				t.Setenv(tokenEnv, "")
				os.Unsetenv(tokenEnv)
			}
			args := []string{"admin", "--addr", s.addr}
			if c.tokenFile != "" {
				args = append(args, "--token-file", c.tokenFile)
			}
			code, out, errs := runCLI(t, "", append(args, dncAdd...)...)
			if code != 1 || !strings.Contains(errs, c.want) || !strings.Contains(errs, "admin scope") {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and %q", code, out, errs, c.want)
			}
			for _, tok := range []string{testGateToken, "not-a-known-token-000"} {
				if strings.Contains(out+errs, tok) {
					t.Errorf("the token was printed: %q %q", out, errs)
				}
			}
		})
	}
	// The admin token from the environment works.
	t.Setenv(tokenEnv, testAdminToken)
	if code, out, errs := runCLI(t, "", append([]string{"admin", "--addr", s.addr}, dncAdd...)...); code != 0 {
		t.Errorf("token from %s: exit %d, stdout %q, stderr %q", tokenEnv, code, out, errs)
	}
	if r := s.reasons(t, "+8613900139073"); !slices.Contains(r, "dnc.listed") {
		t.Errorf("after the opt-out: reasons %v, want dnc.listed", r)
	}
}

// TestAdminBadInput: the sidecar's InvalidArgument exits 2 naming the flag
// of the field; input the CLI can judge itself exits 2 before anything is
// sent; other refusals (an unknown record) exit 1.
func TestAdminBadInput(t *testing.T) {
	s := startAdminSidecar(t, sidecar.Config{})
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		// Refused by the sidecar (InvalidArgument naming the field).
		{[]string{"recordings", "register", "--id", "rec-bad", "--number", "+8613900139074", "--started-at", "2026-01-02T00:00:00Z", "--ended-at", "2026-01-01T00:00:00Z"}, 2, "dialgate: --ended-at: "},
		{[]string{"complaint", "add", "--number", "+8613900139074", "--channel", "pigeon"}, 2, "dialgate: --channel: "},
		{[]string{"consent", "revoke", "bad id!"}, 2, "dialgate: ID: "},
		// Refused before anything is sent.
		{[]string{"dnc", "add", "--number", "+86abc", "--scope", "global"}, 2, "dialgate: --number: "},
		{[]string{"dnc", "add", "--number", "+8613900139074"}, 2, "dialgate: --scope: missing"},
		{[]string{"dnc", "add", "--number", "+8613900139074", "--scope", "planet:mars"}, 2, "dialgate: --scope: "},
		{[]string{"dnc", "add", "--number", "+8613900139074", "--scope", "global", "--at", future}, 2, "dialgate: --at: "},
		{[]string{"consent", "add", "--id", "c-1", "--number", "+8613900139074", "--scope", "industry:x", "--method", "smoke_signal", "--granted-at", "2026-01-01T00:00:00Z"}, 2, "dialgate: --method: "},
		{[]string{"recordings", "register", "--id", "r-1", "--number", "+8613900139074", "--started-at", "2026-01-01T00:00:00Z", "--retention", "10d"}, 2, "dialgate: --retention: "},
		{[]string{"recordings", "hold", "r-1"}, 2, "dialgate: --hold: missing"},
		{[]string{"--timeout", "0s", "recordings", "hold", "r-1", "--hold", "h"}, 2, "dialgate: --timeout: "},
		{[]string{"dnc", "nope"}, 2, "unknown command"},
		// Refusals that are not bad input.
		{[]string{"consent", "revoke", "c-unknown"}, 1, "NotFound"},
		{[]string{"recordings", "hold", "rec-unknown", "--hold", "h"}, 1, "NotFound"},
	} {
		code, out, errs := s.admin(t, c.args...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("admin %v: exit %d, stdout %q, stderr %q; want exit %d and %q", c.args, code, out, errs, c.code, c.want)
		}
	}
}

// TestAdminConnection: plaintext to a non-loopback address is refused
// before anything is sent (exit 2, naming --addr) unless --insecure; a
// sidecar that is not there exits 1 saying the change may not have been
// applied; --unix reaches a sidecar on a Unix socket.
func TestAdminConnection(t *testing.T) {
	tok := filepath.Join(t.TempDir(), "t")
	if err := os.WriteFile(tok, []byte(testAdminToken), 0o600); err != nil {
		t.Fatal(err)
	}
	dncAdd := []string{"dnc", "add", "--number", "+8613900139075", "--scope", "global"}
	for _, addr := range []string{"192.0.2.1:7443", "[2001:db8::1]:7443", "sidecar.example:7443", "0.0.0.0:7443"} {
		start := time.Now()
		code, out, errs := runCLI(t, "", append([]string{"admin", "--addr", addr, "--token-file", tok}, dncAdd...)...)
		if code != 2 || !strings.Contains(errs, "--addr: ") || !strings.Contains(errs, "refusing a plaintext connection") {
			t.Errorf("--addr %s: exit %d, stdout %q, stderr %q; want exit 2 refusing plaintext", addr, code, out, errs)
		}
		if time.Since(start) > 2*time.Second {
			t.Errorf("--addr %s: took %v: it tried to connect", addr, time.Since(start))
		}
	}
	// --insecure lets it try: nothing answers at a TEST-NET address.
	code, _, errs := runCLI(t, "", append([]string{"admin", "--addr", "192.0.2.1:7443", "--token-file", tok, "--insecure", "--timeout", "300ms"}, dncAdd...)...)
	if code != 1 || !strings.Contains(errs, "may not have been applied") {
		t.Errorf("--insecure to an unreachable address: exit %d, stderr %q; want exit 1, may not have been applied", code, errs)
	}
	// Nothing listening on a loopback port.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := l.Addr().String()
	l.Close()
	code, _, errs = runCLI(t, "", append([]string{"admin", "--addr", free, "--token-file", tok}, dncAdd...)...)
	if code != 1 || !strings.Contains(errs, "may not have been applied") {
		t.Errorf("no sidecar at %s: exit %d, stderr %q; want exit 1", free, code, errs)
	}
	// A Unix socket.
	sock := filepath.Join(t.TempDir(), "dialgate.sock")
	s := startAdminSidecar(t, sidecar.Config{Unix: sock})
	code, out, errs := runCLI(t, "", append([]string{"admin", "--unix", sock, "--token-file", s.adminFile}, dncAdd...)...)
	if code != 0 || !strings.Contains(out, "on the sidecar at "+sock) {
		t.Errorf("--unix: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if code, _, errs := runCLI(t, "", append([]string{"admin", "--unix", sock, "--addr", "127.0.0.1:1", "--token-file", s.adminFile}, dncAdd...)...); code != 2 || !strings.Contains(errs, "--unix: ") {
		t.Errorf("--unix with --addr: exit %d, stderr %q; want exit 2", code, errs)
	}
}
