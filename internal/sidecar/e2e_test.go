package sidecar_test

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dialgate/dialgate/internal/sidecar"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The end-to-end tests build cmd/dialgate and run `dialgate serve --config
// FILE` as a separate process on free loopback ports.
var dialgateBin string

func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Short() {
		dir, err := os.MkdirTemp("", "dialgate-e2e")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		dialgateBin = filepath.Join(dir, "dialgate")
		out, err := exec.Command("go", "build", "-o", dialgateBin, "github.com/dialgate/dialgate/cmd/dialgate").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "building dialgate: %v\n%s", err, out)
			os.Exit(2)
		}
		code := m.Run()
		os.RemoveAll(dir)
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// testProfile extends cn with a dnc section that covers every purpose (the
// tests dial instant callbacks, which cn's refusals do not cover), and opens
// the calling window to every hour because the sidecar decides on the wall
// clock. The caller-ID ledger rule of cn stays: the tests add their caller ID
// over AdminService.
const testProfile = `schema: dialgate.profile.v1
name: cn-e2e
extends: cn
dnc:
  purposes: [marketing, service, callback, collections, survey]
  purposes_cite: {source: U, ref: "e2e test profile"}
  hold: {months: 12, cite: {source: U, ref: "e2e test profile"}}
schedule:
  windows:
    - days: [mon-sun]
      ranges: ["00:00-24:00"]
      cite: {source: U, ref: "e2e test profile: the sidecar runs on the wall clock, so any hour"}
`

type proc struct {
	cmd    *exec.Cmd
	addr   string
	stderr *lockedBuf
	conn   *grpc.ClientConn
	read   chan struct{} // closed when its stderr is read to the end
}

// wait waits for the process to exit, after reading its stderr to the end
// (exec.Cmd.Wait closes the pipe: called first, it could drop the last
// lines, such as the shutdown's).
func (p *proc) wait() error {
	<-p.read
	return p.cmd.Wait()
}

type lockedBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuf) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(b)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// writeConfig writes a profile and a config into dir and returns the config path.
func writeConfig(t testing.TB, dir string) string {
	t.Helper()
	prof := filepath.Join(dir, "cn-e2e.yaml")
	if err := os.WriteFile(prof, []byte(testProfile), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("listen: 127.0.0.1:%d\nmetrics_listen: 127.0.0.1:%d\ndata: %s\nprofile: %s\nshutdown_grace: 5s\n",
		freePort(t), freePort(t), filepath.Join(dir, "data"), prof)
	path := filepath.Join(dir, "sidecar.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func startProc(t testing.TB, config string) *proc {
	t.Helper()
	cmd := exec.Command(dialgateBin, "serve", "--config", config)
	p := &proc{cmd: cmd, stderr: &lockedBuf{}, read: make(chan struct{})}
	out, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	exited := p.read
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			p.stderr.Write([]byte(line + "\n"))
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "sidecar: serving" {
				ready <- rec.Addr
			}
		}
	}()
	select {
	case p.addr = <-ready:
	case <-exited:
		p.wait()
		t.Fatalf("sidecar exited at start; stderr:\n%s", p.stderr.String())
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("sidecar did not start; stderr:\n%s", p.stderr.String())
	}
	p.conn, err = grpc.NewClient(p.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.conn.Close()
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.wait()
		}
	})
	return p
}

// e2eFrom is the caller ID of dial; addLedger puts it in tenant acme's
// ledger, which the cn profile requires.
const e2eFrom = "+861058001234"

func addLedger(ctx context.Context, admin pb.AdminServiceClient, from string) error {
	_, err := admin.AddLedgerEntry(ctx, &pb.AddLedgerEntryRequest{Tenant: "acme", Number: from, Type: pb.NumberType_NUMBER_TYPE_FIXED,
		Holder: "Acme Ltd", Purposes: []pb.Purpose{pb.Purpose_PURPOSE_CALLBACK, pb.Purpose_PURPOSE_SERVICE, pb.Purpose_PURPOSE_MARKETING}})
	return err
}

// grantConsent records consent id of callee to for marketing in industry
// finance, granted an hour ago by web form.
func grantConsent(ctx context.Context, admin pb.AdminServiceClient, id, to string) error {
	_, err := admin.GrantConsent(ctx, &pb.GrantConsentRequest{Id: id, Number: to, Scope: "industry:finance",
		Method: pb.ConsentMethod_CONSENT_METHOD_WEB_FORM, EvidenceSha256: strings.Repeat("0f", 32),
		GrantedAt: timestamppb.New(time.Now().Add(-time.Hour))})
	return err
}

// marketingDial is a marketing dial in industry finance relying on consentID
// (cn requires consent for marketing).
func marketingDial(to, consentID string) *pb.Dial {
	return &pb.Dial{To: to, From: e2eFrom, Purpose: pb.Purpose_PURPOSE_MARKETING, Industry: "finance", Tenant: "acme", ConsentId: consentID}
}

// dial is an instant callback (a trigger one minute ago), which the cn
// profile allows at any hour, so that the tests do not depend on the time of
// day they run at.
func dial(to string) *pb.Dial {
	return &pb.Dial{To: to, From: e2eFrom, Purpose: pb.Purpose_PURPOSE_CALLBACK, LeadId: "crm-42", Tenant: "acme",
		TriggerAt: timestamppb.New(time.Now().Add(-time.Minute))}
}

func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the sidecar as a process")
	}
	dir := t.TempDir()
	p := startProc(t, writeConfig(t, dir))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	h, err := healthpb.NewHealthClient(p.conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health: %v %v", h, err)
	}
	for _, c := range []string{"component/store", "component/audit", sidecar.HealthGate} {
		h, err := healthpb.NewHealthClient(p.conn).Check(ctx, &healthpb.HealthCheckRequest{Service: c})
		if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("health %s: %v %v", c, h, err)
		}
	}
	gate := pb.NewGateServiceClient(p.conn)
	admin := pb.NewAdminServiceClient(p.conn)
	// cn checks the caller ID against the tenant's ledger: denied until the
	// ledger entry is added over AdminService, allowed right after.
	notInLedger, err := gate.Check(ctx, &pb.CheckRequest{Dial: dial("+8613900139009")})
	if err != nil || notInLedger.GetDecision().GetAllowed() || notInLedger.GetDecision().GetReasons()[0].GetCode() != "callerid.not_in_ledger" {
		t.Fatalf("want callerid.not_in_ledger before the ledger entry: %v %v", notInLedger, err)
	}
	if err := addLedger(ctx, admin, e2eFrom); err != nil {
		t.Fatal(err)
	}
	allowed, err := gate.Check(ctx, &pb.CheckRequest{Dial: dial("+8613900139010")})
	if err != nil || !allowed.GetDecision().GetAllowed() {
		t.Fatalf("want allowed: %v %v", allowed, err)
	}
	// Bad input: the server answers InvalidArgument and keeps serving.
	_, err = gate.Check(ctx, &pb.CheckRequest{Dial: &pb.Dial{To: "+86 abc", Purpose: pb.Purpose_PURPOSE_SERVICE}})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), "dial.to") {
		t.Fatalf("want InvalidArgument naming dial.to, got %v", err)
	}
	if _, err := admin.AddDncEntry(ctx, &pb.AddDncEntryRequest{Number: "+8613900139011", Scope: "global", Source: "opt_out"}); err != nil {
		t.Fatal(err)
	}
	denied, err := gate.Check(ctx, &pb.CheckRequest{Dial: dial("+8613900139011")})
	if err != nil {
		t.Fatal(err)
	}
	if denied.GetDecision().GetAllowed() || len(denied.GetDecision().GetReasons()) == 0 || denied.GetDecision().GetReasons()[0].GetCode() != "dnc.listed" {
		t.Fatalf("want a dnc.listed deny, got %v", denied.GetDecision())
	}
	// Consent: granted, a marketing dial is allowed; revoked, the next one is
	// denied.
	if err := grantConsent(ctx, admin, "c-1", "+8613900139012"); err != nil {
		t.Fatal(err)
	} else if r, err := gate.Check(ctx, &pb.CheckRequest{Dial: marketingDial("+8613900139012", "c-1")}); err != nil || !r.GetDecision().GetAllowed() {
		t.Fatalf("want a marketing dial with consent allowed: %v %v", r, err)
	} else if _, err := admin.RevokeConsent(ctx, &pb.RevokeConsentRequest{Id: "c-1", Channel: "call"}); err != nil {
		t.Fatal(err)
	} else if r, err := gate.Check(ctx, &pb.CheckRequest{Dial: marketingDial("+8613900139012", "c-1")}); err != nil || !slices.Contains(codesOf(r.GetDecision()), "consent.revoked") {
		t.Fatalf("want consent.revoked right after RevokeConsent: %v %v", r, err)
	}

	// SIGTERM: graceful stop, exit 0, audit log flushed and closed.
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, p.stderr.String())
	}
	logs := p.stderr.String()
	for _, want := range []string{"sidecar: shutting down", "audit log flushed"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "13900139011") || strings.Contains(logs, "13900139010") {
		t.Errorf("a callee number appears in the logs:\n%s", logs)
	}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("log line is not JSON: %q", line)
		}
	}
}

// TestKill9Durability writes under load — DNC adds, caller-ID ledger adds,
// consent grants followed by their revocation, and allowed checks (each
// reserving its callee's frequency caps), interleaved with checks — kills
// the sidecar with SIGKILL, restarts it on the same data and checks that
// every acknowledged write is still in force: each listed number denies with
// dnc.listed, each ledger caller ID passes the callerid check, each revoked
// consent denies with consent.revoked, and each callee an allowed decision
// was returned for denies with frequency.capped (cn: one call per 5 minutes).
func TestKill9Durability(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the sidecar as a process")
	}
	dir := t.TempDir()
	config := writeConfig(t, dir)
	p := startProc(t, config)
	gate := pb.NewGateServiceClient(p.conn)
	admin := pb.NewAdminServiceClient(p.conn)
	if err := addLedger(context.Background(), admin, e2eFrom); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var (
		mu     sync.Mutex
		dncs   []string // acknowledged DNC adds
		ledger []string // acknowledged ledger adds (caller IDs)
		revoks []string // acknowledged consent revocations ("id to")
		capped []int    // loadDial indexes of allowed decisions
		n      atomic.Int64
		wg     sync.WaitGroup
	)
	ack := func(list *[]string, v string) {
		mu.Lock()
		*list = append(*list, v)
		mu.Unlock()
	}
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ctx.Err() == nil && i < 5000; i++ {
				num := fmt.Sprintf("+86139%02d%06d", w, i)
				if _, err := admin.AddDncEntry(ctx, &pb.AddDncEntryRequest{Number: num, Scope: "global"}); err == nil {
					ack(&dncs, num)
				}
				gate.Check(ctx, &pb.CheckRequest{Dial: dial(num)})
				n.Add(1)
			}
		}(w)
	}
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ctx.Err() == nil && i < 2000; i++ {
				from := fmt.Sprintf("+8610%02d%06d", 60+w, i) // Beijing fixed lines 6w iiiiii
				if err := addLedger(ctx, admin, from); err == nil {
					ack(&ledger, from)
				}
				n.Add(1)
			}
		}(w)
	}
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ctx.Err() == nil && i < 2000; i++ {
				id, to := fmt.Sprintf("k9-%d-%d", w, i), fmt.Sprintf("+86135%02d%06d", w, i)
				if grantConsent(ctx, admin, id, to) != nil {
					continue
				}
				if _, err := admin.RevokeConsent(ctx, &pb.RevokeConsentRequest{Id: id}); err == nil {
					ack(&revoks, id+" "+to)
				}
				n.Add(1)
			}
		}(w)
	}
	trigger := timestamppb.New(time.Now())
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ctx.Err() == nil && i < 20_000; i++ {
				k := w*20_000 + i
				r, err := gate.Check(ctx, &pb.CheckRequest{Dial: loadDial(k, trigger)})
				if err == nil && r.GetDecision().GetAllowed() {
					mu.Lock()
					capped = append(capped, k)
					mu.Unlock()
				}
				n.Add(1)
			}
		}(w)
	}
	deadline := time.After(10 * time.Second)
	for n.Load() < 400 {
		select {
		case <-deadline:
			t.Fatalf("load did not start: %d calls", n.Load())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.wait()
	mu.Lock()
	gotDNC, gotLedger, gotRevoked, gotCapped := slices.Clone(dncs), slices.Clone(ledger), slices.Clone(revoks), slices.Clone(capped)
	mu.Unlock()
	cancel()
	wg.Wait()
	if len(gotDNC) == 0 || len(gotLedger) == 0 || len(gotRevoked) == 0 || len(gotCapped) == 0 {
		t.Fatalf("acknowledged before the kill: %d DNC adds, %d ledger adds, %d consent revocations, %d allowed checks; want some of each",
			len(gotDNC), len(gotLedger), len(gotRevoked), len(gotCapped))
	}

	q := startProc(t, config)
	gate = pb.NewGateServiceClient(q.conn)
	cctx, ccancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer ccancel()
	check := func(d *pb.Dial) []string {
		t.Helper()
		r, err := gate.Check(cctx, &pb.CheckRequest{Dial: d})
		if err != nil {
			t.Fatalf("check after restart: %v", err)
		}
		return codesOf(r.GetDecision())
	}
	// A control dial: a fresh number from the ledger caller ID is allowed, so
	// the denials below are the DNC entries' doing.
	if cs := check(dial("+8613700137000")); len(cs) != 0 {
		t.Fatalf("control dial denied after restart: %v", cs)
	}
	for _, num := range gotDNC {
		if cs := check(dial(num)); !slices.Contains(cs, "dnc.listed") {
			t.Fatalf("acknowledged DNC entry lost after kill -9 (one of %d): reasons %v", len(gotDNC), cs)
		}
	}
	for i, from := range gotLedger {
		d := dial(fmt.Sprintf("+86136%04d%04d", i%10000, 4321)) // one number per segment: no sweep
		d.From = from
		for _, c := range check(d) {
			if strings.HasPrefix(c, "callerid.") {
				t.Fatalf("acknowledged ledger entry lost after kill -9 (one of %d): %s", len(gotLedger), c)
			}
		}
	}
	for _, r := range gotRevoked {
		id, to, _ := strings.Cut(r, " ")
		if cs := check(marketingDial(to, id)); !slices.Contains(cs, "consent.revoked") {
			t.Fatalf("acknowledged consent revocation lost after kill -9 (one of %d): reasons %v", len(gotRevoked), cs)
		}
	}
	for _, k := range gotCapped {
		if cs := check(loadDial(k, trigger)); !slices.Contains(cs, "frequency.capped") {
			t.Fatalf("the reservation of an allowed decision was lost after kill -9 (one of %d): the callee's next dial gave %v, want frequency.capped",
				len(gotCapped), cs)
		}
	}
	t.Logf("survived kill -9: %d acknowledged DNC adds, %d ledger adds, %d consent revocations, %d cap reservations",
		len(gotDNC), len(gotLedger), len(gotRevoked), len(gotCapped))
}

func codesOf(d *pb.Decision) []string {
	var cs []string
	for _, r := range d.GetReasons() {
		cs = append(cs, r.GetCode())
	}
	return cs
}

// TestEndToEndReloadTokens rotates the tokens file of a running `dialgate
// serve` and sends it SIGHUP: the removed token is refused and the new one
// accepted, without a restart (registry_reload is an hour, so only the
// signal can have done it).
func TestEndToEndReloadTokens(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the sidecar as a process")
	}
	const tokenA, tokenB = "e2e-token-a-0123456789", "e2e-token-b-0123456789"
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens.yaml")
	writeTokens := func(token string) {
		t.Helper()
		b := fmt.Appendf(nil, "tokens:\n  - name: dialer\n    token: %q\n    scopes: [gate]\n", token)
		if err := os.WriteFile(tokens+".tmp", b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tokens+".tmp", tokens); err != nil {
			t.Fatal(err)
		}
	}
	writeTokens(tokenA)
	config := writeConfig(t, dir)
	f, err := os.OpenFile(config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "tokens_file: %s\nregistry_reload: 1h\n", tokens)
	f.Close()
	cfg, err := sidecar.LoadConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	p := startProc(t, config)
	gate := pb.NewGateServiceClient(p.conn)
	check := func(token string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
		_, err := gate.Check(ctx, &pb.CheckRequest{Dial: dial("+8613900139060")})
		return err
	}
	if err := check(tokenA); err != nil {
		t.Fatalf("token A before the rotation: %v", err)
	}
	if err := check(tokenB); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("token B before the rotation: %v, want Unauthenticated", err)
	}

	writeTokens(tokenB)
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for status.Code(check(tokenA)) != codes.Unauthenticated {
		if time.Now().After(deadline) {
			t.Fatalf("token A still accepted 20s after SIGHUP; logs:\n%s", p.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := check(tokenB); err != nil {
		t.Fatalf("token B after SIGHUP: %v", err)
	}
	resp, err := http.Get("http://" + cfg.MetricsListen + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `dialgate_reloads_total{kind="tokens",result="ok"} 1` + "\n"; !strings.Contains(string(body), want) {
		t.Errorf("metrics lack %q", want)
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, p.stderr.String())
	}
	logs := p.stderr.String()
	if !strings.Contains(logs, `"msg":"sidecar: tokens reloaded"`) {
		t.Errorf("logs lack the reload:\n%s", logs)
	}
	if strings.Contains(logs, tokenA) || strings.Contains(logs, tokenB) {
		t.Errorf("a token appears in the logs:\n%s", logs)
	}
}
