package sidecar

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// syncBuf is a log sink safe for the server's goroutines.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// metricsText scrapes srv's metrics.
func metricsText(t *testing.T, srv *Server) string {
	t.Helper()
	rec := httptest.NewRecorder()
	srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

// wantMetric fails unless the scrape has the line want.
func wantMetric(t *testing.T, srv *Server, want string) {
	t.Helper()
	if got := metricsText(t, srv); !strings.Contains(got, want+"\n") {
		t.Errorf("metrics lack %q:\n%s", want, grepLines(got, "dialgate_reload"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// k8sSecret lays out files as a Kubernetes secret volume does: name ->
// ..data/name, ..data -> a directory per version. Each swap writes a new
// version directory and renames a new ..data link over the old one; every
// file gets the same modification time, so only the content tells the
// versions apart.
type k8sSecret struct {
	t   *testing.T
	dir string
	n   int
}

var secretTime = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func newK8sSecret(t *testing.T, files map[string][]byte) *k8sSecret {
	s := &k8sSecret{t: t, dir: t.TempDir()}
	s.swap(files)
	for name := range files {
		if err := os.Symlink(filepath.Join("..data", name), filepath.Join(s.dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func (s *k8sSecret) path(name string) string { return filepath.Join(s.dir, name) }

func (s *k8sSecret) swap(files map[string][]byte) {
	s.t.Helper()
	s.n++
	ver := fmt.Sprintf("..v%d", s.n)
	if err := os.Mkdir(filepath.Join(s.dir, ver), 0o700); err != nil {
		s.t.Fatal(err)
	}
	for name, b := range files {
		p := filepath.Join(s.dir, ver, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			s.t.Fatal(err)
		}
		if err := os.Chtimes(p, secretTime, secretTime); err != nil {
			s.t.Fatal(err)
		}
	}
	tmp := filepath.Join(s.dir, "..data_tmp")
	if err := os.Symlink(ver, tmp); err != nil {
		s.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, "..data")); err != nil {
		s.t.Fatal(err)
	}
}

// sendRecv sends one dial on stream and returns the answer, or the error
// that ended the stream.
func sendRecv(stream pb.GateService_CheckStreamClient, id string) (*pb.CheckStreamResponse, error) {
	if err := stream.Send(&pb.CheckStreamRequest{RequestId: id, Dial: okDial("+8613900139041")}); err != nil {
		_, err = stream.Recv() // the status that ended the stream
		return nil, err
	}
	return stream.Recv()
}

// Two tokens of the same length: the tokens files holding one or the other
// have the same size.
const (
	reloadTokenA = "token-a-0123456789abcdef"
	reloadTokenB = "token-b-0123456789abcdef"
)

func tokensYAML(token string) []byte {
	return fmt.Appendf(nil, "tokens:\n  - name: dialer\n    token: %q\n    scopes: [gate]\n", token)
}

// A rotated tokens file takes effect at the reload: the removed token is
// Unauthenticated from the next RPC on (and at the next message of a
// stream it opened), the new one works. A malformed file is refused: the
// set in force stays, the refusal is logged naming the file and counted.
func TestTokensReload(t *testing.T) {
	sec := newK8sSecret(t, map[string][]byte{"tokens.yaml": tokensYAML(reloadTokenA)})
	logs := &syncBuf{}
	e := startTestLog(t, Config{TokensFile: sec.path("tokens.yaml")}, nil, slog.New(slog.NewJSONHandler(logs, nil)))
	wantCode := func(token string, want codes.Code) {
		t.Helper()
		ctx := metadata.AppendToOutgoingContext(ctxT(t), "authorization", "Bearer "+token)
		if _, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: okDial("+8613900139040")}); status.Code(err) != want {
			t.Fatalf("token %s: %v, want %v", token[:7], err, want)
		}
	}
	wantCode(reloadTokenA, codes.OK)
	wantCode(reloadTokenB, codes.Unauthenticated)
	wantMetric(t, e.srv, `dialgate_reloads_total{kind="tokens",result="error"} 0`)

	// A stream opened with token A before the rotation.
	stream, err := e.gate.CheckStream(metadata.AppendToOutgoingContext(ctxT(t), "authorization", "Bearer "+reloadTokenA))
	if err != nil {
		t.Fatal(err)
	}
	if r, err := sendRecv(stream, "r1"); err != nil || r.GetDecision() == nil {
		t.Fatalf("stream before the reload: %v %v", r, err)
	}

	if err := e.srv.Reload(false); err != nil {
		t.Fatalf("reload of an unchanged file: %v", err)
	}
	wantMetric(t, e.srv, `dialgate_reloads_total{kind="tokens",result="ok"} 0`)

	sec.swap(map[string][]byte{"tokens.yaml": tokensYAML(reloadTokenB)})
	if err := e.srv.Reload(false); err != nil {
		t.Fatalf("reload: %v", err)
	}
	wantCode(reloadTokenA, codes.Unauthenticated)
	wantCode(reloadTokenB, codes.OK)
	wantMetric(t, e.srv, `dialgate_reloads_total{kind="tokens",result="ok"} 1`)
	if r, err := sendRecv(stream, "r2"); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("stream of a removed token after the reload: %v %v, want Unauthenticated", r, err)
	}

	sec.swap(map[string][]byte{"tokens.yaml": []byte("tokens:\n  - name: dialer\n    token: short\n    scopes: [gate]\n")})
	err = e.srv.Reload(false)
	if err == nil || !strings.Contains(err.Error(), "tokens[0].token") {
		t.Fatalf("malformed tokens file: %v, want an error naming tokens[0].token", err)
	}
	wantCode(reloadTokenB, codes.OK)
	wantCode(reloadTokenA, codes.Unauthenticated)
	wantMetric(t, e.srv, `dialgate_reloads_total{kind="tokens",result="error"} 1`)
	wantMetric(t, e.srv, `dialgate_reloads_total{kind="tokens",result="ok"} 1`)

	got := logs.String()
	for _, want := range []string{`"msg":"sidecar: tokens reloaded"`, `"replaced":["dialer"]`,
		`"msg":"sidecar: tokens reload refused; the loaded copy stays"`, sec.path("tokens.yaml"), "tokens[0].token"} {
		if !strings.Contains(got, want) {
			t.Errorf("logs lack %q:\n%s", want, got)
		}
	}
	for _, secret := range []string{reloadTokenA, reloadTokenB, sha256hex(reloadTokenA), sha256hex(reloadTokenB)} {
		if strings.Contains(got, secret) {
			t.Errorf("a token or its hash appears in the logs:\n%s", got)
		}
	}
}

// A server started without a tokens file stays without: nothing to reload,
// nothing required.
func TestTokensReloadWithoutFile(t *testing.T) {
	e := startTest(t, Config{}, nil)
	if err := e.srv.Reload(true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.gate.Check(ctxT(t), &pb.CheckRequest{Dial: okDial("+8613900139043")}); err != nil {
		t.Fatal(err)
	}
	if m := metricsText(t, e.srv); strings.Contains(m, `kind="tokens"`) {
		t.Errorf("reload metrics for tokens without a tokens file:\n%s", grepLines(m, "dialgate_reload"))
	}
}

// A token whose tenants change ends the streams it opened (their context
// carries the old binding); one whose entry is unchanged keeps them.
func TestTokensReloadStreamTenants(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.yaml")
	file := func(tenants string) string {
		return fmt.Sprintf("tokens:\n  - name: dialer\n    token: %q\n    scopes: [gate]\n    tenants: [%s]\n  - name: other\n    token: %q\n    scopes: [gate]\n",
			reloadTokenA, tenants, reloadTokenB)
	}
	writeFile(t, path, file("acme"))
	e := startTest(t, Config{TokensFile: path}, nil)
	stream, err := e.gate.CheckStream(metadata.AppendToOutgoingContext(ctxT(t), "authorization", "Bearer "+reloadTokenA))
	if err != nil {
		t.Fatal(err)
	}
	send := func(id string) (*pb.CheckStreamResponse, error) { return sendRecv(stream, id) }
	if r, err := send("r1"); err != nil || r.GetDecision() == nil {
		t.Fatalf("%v %v", r, err)
	}
	// Another token changes: this stream goes on.
	writeFile(t, path, strings.Replace(file("acme"), "name: other", "name: other2", 1))
	if err := e.srv.Reload(false); err != nil {
		t.Fatal(err)
	}
	if r, err := send("r2"); err != nil || r.GetDecision() == nil {
		t.Fatalf("after a reload not touching the stream's token: %v %v", r, err)
	}
	writeFile(t, path, file("beta"))
	if err := e.srv.Reload(false); err != nil {
		t.Fatal(err)
	}
	if r, err := send("r3"); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("after the stream's token was bound to other tenants: %v %v, want Unauthenticated", r, err)
	}
}

// boundTokensYAML is a tokens file of one gate token bound to acme.
func boundTokensYAML(token string) string {
	return fmt.Sprintf("tokens:\n  - name: dialer\n    token: %q\n    scopes: [gate]\n    tenants:\n      - acme\n", token)
}

// A tokens file read while it is being written in place (an editor, scp, a
// shell redirection) can be cut just before an entry's tenants: that cut
// file parses, and in it the token is bound to no tenant. Reload must wait
// for the file to settle rather than put such a copy in force: here the
// writer finishes during the wait, and the token stays bound to acme.
func TestTokensReloadWaitsForAFileBeingWritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.yaml")
	writeFile(t, path, boundTokensYAML(reloadTokenA))
	e := startTest(t, Config{TokensFile: path}, nil)
	dial := func(tenant string) error {
		d := okDial("+8613900139044")
		d.Tenant = tenant
		_, err := e.gate.Check(metadata.AppendToOutgoingContext(ctxT(t), "authorization", "Bearer "+reloadTokenB), &pb.CheckRequest{Dial: d})
		return err
	}

	full := boundTokensYAML(reloadTokenB)
	cut := full[:strings.Index(full, "    tenants:")] // a valid file: token B bound to no tenant
	if tk, err := ParseTokens([]byte(cut)); err != nil || len(tk.byHash) != 1 {
		t.Fatalf("the cut file should parse (that is the hazard): %v", err)
	}
	writeFile(t, path, cut)
	waits := 0
	e.srv.tokens.sleep = func(time.Duration) {
		if waits++; waits == 1 {
			writeFile(t, path, full) // the writer finishes
		}
	}
	if err := e.srv.Reload(false); err != nil {
		t.Fatal(err)
	}
	if err := dial("acme"); err != nil {
		t.Fatalf("token B for acme after the reload: %v", err)
	}
	if err := dial("beta"); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("token B for beta after the reload: %v; want PermissionDenied (the cut copy, binding it to no tenant, was put in force)", err)
	}

	// A file that keeps changing is refused until it settles.
	writeFile(t, path, boundTokensYAML("token-00-0123456789abcdef"))
	n := 0
	e.srv.tokens.sleep = func(time.Duration) {
		n++
		writeFile(t, path, boundTokensYAML(fmt.Sprintf("token-%02d-0123456789abcdef", n)))
	}
	if err := e.srv.Reload(false); err == nil || !strings.Contains(err.Error(), "still being written") {
		t.Fatalf("reload of a file that keeps changing: %v", err)
	}
	if err := dial("acme"); err != nil {
		t.Fatalf("token B after a refused reload: %v", err)
	}
	wantMetric(t, e.srv, `dialgate_reloads_total{kind="tokens",result="error"} 1`)
}
