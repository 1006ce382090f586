package sidecar

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestCheckAllowDenyAndAdmin(t *testing.T) {
	e := startTest(t, Config{}, nil)
	ctx := ctxT(t)
	resp, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: okDial("+8613900139001")})
	if err != nil {
		t.Fatal(err)
	}
	if !resp.GetDecision().GetAllowed() || resp.GetDecision().GetId() == "" || resp.GetDecision().GetPolicyVersion() != "test" {
		t.Fatalf("want an allowed decision with id and policy version, got %v", resp.GetDecision())
	}
	if _, err := e.admin.AddDncEntry(ctx, &pb.AddDncEntryRequest{Number: "+8613900139001", Scope: "global", Source: "opt_out"}); err != nil {
		t.Fatal(err)
	}
	resp, err = e.gate.Check(ctx, &pb.CheckRequest{Dial: okDial("+8613900139001")})
	if err != nil {
		t.Fatal(err)
	}
	d := resp.GetDecision()
	if d.GetAllowed() || len(d.GetReasons()) != 1 || d.GetReasons()[0].GetCode() != "dnc.listed" || d.GetReasons()[0].GetCheck() != "dnc" {
		t.Fatalf("want a dnc.listed deny, got %v", d)
	}
	if _, err := e.admin.RemoveDncEntry(ctx, &pb.RemoveDncEntryRequest{Number: "+8613900139001", Scope: "global"}); err != nil {
		t.Fatal(err)
	}
	resp, _ = e.gate.Check(ctx, &pb.CheckRequest{Dial: okDial("+8613900139001")})
	if !resp.GetDecision().GetAllowed() {
		t.Fatal("want allowed after removal")
	}
	if _, err := e.gate.Release(ctx, &pb.ReleaseRequest{DecisionId: resp.GetDecision().GetId()}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: resp.GetDecision().GetId(), Answered: true,
		RingDuration: durationpb.New(7e9), Dial: okDial("+8613900139001")}); err != nil {
		t.Fatal(err)
	}
}

func wantStatus(t *testing.T, err error, code codes.Code, msgPart string) {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != code || !strings.Contains(st.Message(), msgPart) {
		t.Fatalf("want %v containing %q, got %v: %q", code, msgPart, st.Code(), st.Message())
	}
}

func TestBadInput(t *testing.T) {
	e := startTest(t, Config{MaxMessageBytes: 4096}, nil)
	ctx := ctxT(t)
	with := func(f func(d *pb.Dial)) *pb.CheckRequest {
		d := okDial("+8613900139002")
		f(d)
		return &pb.CheckRequest{Dial: d}
	}
	cases := []struct {
		name string
		req  *pb.CheckRequest
		code codes.Code
		msg  string
	}{
		{"no dial", &pb.CheckRequest{}, codes.InvalidArgument, "dial: missing"},
		{"no to", with(func(d *pb.Dial) { d.To = "" }), codes.InvalidArgument, "dial.to: missing"},
		{"letters", with(func(d *pb.Dial) { d.To = "+86139abc" }), codes.InvalidArgument, "dial.to: invalid number"},
		{"trunk prefix", with(func(d *pb.Dial) { d.To = "013900139002" }), codes.InvalidArgument, "dial.to: invalid number"},
		{"too long", with(func(d *pb.Dial) { d.To = "+86139001390021234" }), codes.InvalidArgument, "dial.to"},
		{"bad from", with(func(d *pb.Dial) { d.From = "++1" }), codes.InvalidArgument, "dial.from"},
		{"no purpose", with(func(d *pb.Dial) { d.Purpose = 0 }), codes.InvalidArgument, "dial.purpose: missing"},
		{"unknown purpose", with(func(d *pb.Dial) { d.Purpose = 99 }), codes.InvalidArgument, "dial.purpose: unknown enum value 99"},
		{"unknown route", with(func(d *pb.Dial) { d.Route = 7 }), codes.InvalidArgument, "dial.route: unknown enum value 7"},
		{"callback without trigger", with(func(d *pb.Dial) { d.Purpose = pb.Purpose_PURPOSE_CALLBACK }), codes.InvalidArgument, "dial.trigger_at"},
		{"bad trigger", with(func(d *pb.Dial) {
			d.Purpose = pb.Purpose_PURPOSE_CALLBACK
			d.TriggerAt = &timestamppb.Timestamp{Seconds: -1 << 60}
		}), codes.InvalidArgument, "dial.trigger_at: invalid timestamp"},
		{"zero trigger", with(func(d *pb.Dial) {
			d.Purpose = pb.Purpose_PURPOSE_CALLBACK
			d.TriggerAt = &timestamppb.Timestamp{}
		}), codes.InvalidArgument, "dial.trigger_at: 1970-01-01T00:00:00Z is before 2000-01-01"},
		{"long tenant", with(func(d *pb.Dial) { d.Tenant = strings.Repeat("a", 300) }), codes.InvalidArgument, "dial.tenant"},
		{"control char", with(func(d *pb.Dial) { d.Campaign = "a\x00b" }), codes.InvalidArgument, "dial.campaign"},
		{"unknown callee zone", with(func(d *pb.Dial) { d.CalleeZone = "Asia/Atlantis" }), codes.InvalidArgument, `dial.callee_zone: unknown time zone "Asia/Atlantis"`},
		{"callee zone path", with(func(d *pb.Dial) { d.CalleeZone = "../../etc/passwd" }), codes.InvalidArgument, "dial.callee_zone"},
		{"oversized", with(func(d *pb.Dial) { d.Campaign = strings.Repeat("x", 5000) }), codes.ResourceExhausted, "larger than max"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.gate.Check(ctx, c.req)
			wantStatus(t, err, c.code, c.msg)
			if strings.Contains(status.Convert(err).Message(), "139002") {
				t.Errorf("message echoes the callee number: %q", status.Convert(err).Message())
			}
		})
	}
	// Other methods name their fields too.
	_, err := e.gate.Release(ctx, &pb.ReleaseRequest{})
	wantStatus(t, err, codes.InvalidArgument, "decision_id: missing")
	// A recount's reservation is not a decision (dialgate.Gate.Release).
	_, err = e.gate.Release(ctx, &pb.ReleaseRequest{DecisionId: "dg-x#placed"})
	wantStatus(t, err, codes.InvalidArgument, "decision_id: ends in")
	_, err = e.gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: "x", RingDuration: durationpb.New(-1e9)})
	wantStatus(t, err, codes.InvalidArgument, "ring_duration: negative")
	_, err = e.admin.AddDncEntry(ctx, &pb.AddDncEntryRequest{Number: "+8613900139002", Scope: "planet:mars"})
	wantStatus(t, err, codes.InvalidArgument, "scope: unknown scope kind")
	_, err = e.admin.AddDncEntry(ctx, &pb.AddDncEntryRequest{Number: "12", Scope: "global"})
	wantStatus(t, err, codes.InvalidArgument, "number: invalid number")
	// A zero added_at would end the entry's removal hold at once.
	_, err = e.admin.AddDncEntry(ctx, &pb.AddDncEntryRequest{Number: "+8613900139002", Scope: "global", AddedAt: &timestamppb.Timestamp{}})
	wantStatus(t, err, codes.InvalidArgument, "added_at: 1970-01-01T00:00:00Z is before 2000-01-01")
	_, err = e.admin.GrantConsent(ctx, &pb.GrantConsentRequest{Id: "c"})
	wantStatus(t, err, codes.Unimplemented, "consent")

	// A known callee zone reaches the Gate.
	located := okDial("+8613900139002")
	located.CalleeZone = "Asia/Shanghai"
	if d, err := dialFromProto("dial", located); err != nil || d.CalleeZone != "Asia/Shanghai" {
		t.Errorf("callee_zone: %q, %v", d.CalleeZone, err)
	}

	// The server keeps serving after all that.
	resp, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: okDial("+8613900139002")})
	if err != nil || !resp.GetDecision().GetAllowed() {
		t.Fatalf("server stopped serving: %v %v", resp, err)
	}
}

func TestCheckStream(t *testing.T) {
	e := startTest(t, Config{StreamWorkers: 4}, nil)
	e.dnc.listed[mustNum("+8613900139005")] = true
	ctx := ctxT(t)
	st, err := e.gate.CheckStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reqs := map[string]*pb.Dial{
		"a": okDial("+8613900139004"),
		"b": okDial("+8613900139005"),
		"c": {To: "nope", Purpose: pb.Purpose_PURPOSE_SERVICE},
	}
	for id, d := range reqs {
		if err := st.Send(&pb.CheckStreamRequest{RequestId: id, Dial: d}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Send(&pb.CheckStreamRequest{Dial: okDial("+8613900139004")}); err != nil {
		t.Fatal(err)
	}
	st.CloseSend()
	got := map[string]*pb.CheckStreamResponse{}
	for {
		r, err := st.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got[r.GetRequestId()] = r
	}
	if len(got) != 4 {
		t.Fatalf("want 4 responses, got %d: %v", len(got), got)
	}
	if !got["a"].GetDecision().GetAllowed() || got["b"].GetDecision().GetAllowed() || got["b"].GetDecision() == nil {
		t.Errorf("a must be allowed and b denied: %v %v", got["a"], got["b"])
	}
	if e := got["c"].GetError(); e == nil || codes.Code(e.GetCode()) != codes.InvalidArgument || !strings.Contains(e.GetMessage(), "dial.to") {
		t.Errorf("c: want an InvalidArgument error naming dial.to, got %v", got["c"])
	}
	if e := got[""].GetError(); e == nil || !strings.Contains(e.GetMessage(), "request_id: missing") {
		t.Errorf("missing request_id: got %v", got[""])
	}
}

func TestTokens(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/tokens.yaml"
	writeFile(t, path, `tokens:
  - name: dialer
    token: "gate-token-0123456789"
    scopes: [gate]
  - name: ops
    sha256: "`+sha256hex("admin-token-0123456789")+`"
    scopes: [gate, admin]
`)
	e := startTest(t, Config{TokensFile: path}, nil)
	ctx := ctxT(t)
	bearer := func(tok string) context.Context {
		return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
	}
	req := &pb.CheckRequest{Dial: okDial("+8613900139006")}
	_, err := e.gate.Check(ctx, req)
	wantStatus(t, err, codes.Unauthenticated, "missing bearer token")
	_, err = e.gate.Check(bearer("wrong-token-0123456789"), req)
	wantStatus(t, err, codes.Unauthenticated, "unknown bearer token")
	if _, err := e.gate.Check(bearer("gate-token-0123456789"), req); err != nil {
		t.Fatal(err)
	}
	_, err = e.admin.AddDncEntry(bearer("gate-token-0123456789"), &pb.AddDncEntryRequest{Number: "+8613900139006", Scope: "global"})
	wantStatus(t, err, codes.PermissionDenied, `lacks the "admin" scope`)
	if _, err := e.admin.AddDncEntry(bearer("admin-token-0123456789"), &pb.AddDncEntryRequest{Number: "+8613900139006", Scope: "global"}); err != nil {
		t.Fatal(err)
	}
	st, err := e.gate.CheckStream(ctx)
	if err == nil {
		_, err = st.Recv()
	}
	wantStatus(t, err, codes.Unauthenticated, "missing bearer token")
	// Health needs no token.
	h, err := healthpb.NewHealthClient(e.conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health: %v %v", h, err)
	}
}

func TestHealthComponentsAndShutdown(t *testing.T) {
	var storeErr error
	e := startTest(t, Config{}, func(b *Backend) {
		b.Probes = []Probe{{Name: "store", Check: func(context.Context) error { return storeErr }}}
	})
	ctx := ctxT(t)
	hc := healthpb.NewHealthClient(e.conn)
	for _, svc := range []string{"", HealthGate, HealthAdmin, "component/store"} {
		r, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: svc})
		if err != nil || r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("%q: %v %v", svc, r, err)
		}
	}
	storeErr = io.ErrUnexpectedEOF
	e.srv.probe(ctx)
	for _, svc := range []string{"", HealthGate, "component/store"} {
		r, _ := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: svc})
		if r.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
			t.Fatalf("%q: want NOT_SERVING, got %v", svc, r)
		}
	}
	// Metrics saw the decision made above.
	if _, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: okDial("+8613900139007")}); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	e.srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{`dialgate_decisions_total{outcome="allowed"} 1`, `dialgate_check_duration_seconds_count{method="Check"} 1`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	closed := false
	e.srv.be.Close = func(context.Context) error { closed = true; return nil }
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if !closed {
		t.Error("Shutdown did not close the backend")
	}
	r, _ := e.srv.health.Check(ctx, &healthpb.HealthCheckRequest{})
	if r.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("after shutdown: %v", r)
	}
}

// TestTokenTenants: a token bound to tenants may not pick another tenant (or
// none) for its dials, over Check and CheckStream: caps and segment counters
// are kept per tenant, so picking one would mean fresh counters.
func TestTokenTenants(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/tokens.yaml"
	writeFile(t, path, `tokens:
  - name: acme-dialer
    token: "acme-token-0123456789"
    scopes: [gate]
    tenants: [acme]
`)
	e := startTest(t, Config{TokensFile: path}, nil)
	ctx := metadata.AppendToOutgoingContext(ctxT(t), "authorization", "Bearer acme-token-0123456789")
	if _, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: okDial("+8613900139007")}); err != nil {
		t.Fatal(err)
	}
	for _, tenant := range []string{"globex", ""} {
		d := okDial("+8613900139007")
		d.Tenant = tenant
		_, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: d})
		wantStatus(t, err, codes.PermissionDenied, "dial.tenant")
	}
	st, err := e.gate.CheckStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := okDial("+8613900139008")
	d.Tenant = "globex"
	if err := st.Send(&pb.CheckStreamRequest{RequestId: "x", Dial: d}); err != nil {
		t.Fatal(err)
	}
	resp, err := st.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if e := resp.GetError(); e == nil || codes.Code(e.GetCode()) != codes.PermissionDenied || !strings.Contains(e.GetMessage(), "dial.tenant") {
		t.Fatalf("stream dial for another tenant: %v", resp)
	}
	if _, err := ParseTokens([]byte("tokens:\n  - name: x\n    token: \"0123456789abcdef\"\n    scopes: [gate]\n    tenants: [\"\"]\n")); err == nil || !strings.Contains(err.Error(), "tenants[0]") {
		t.Fatalf("empty tenant accepted: %v", err)
	}
}

// TestTokenTenantsOutcome: a token bound to tenants may not report an
// outcome for a dial of another tenant (or none): outcome observers write
// into that tenant's counters (the pause after a conversation) and
// recordings.
func TestTokenTenantsOutcome(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/tokens.yaml"
	writeFile(t, path, `tokens:
  - name: acme-dialer
    token: "acme-token-0123456789"
    scopes: [gate]
    tenants: [acme]
`)
	e := startTest(t, Config{TokensFile: path}, nil)
	ctx := metadata.AppendToOutgoingContext(ctxT(t), "authorization", "Bearer acme-token-0123456789")
	for _, tenant := range []string{"globex", ""} {
		d := okDial("+8613900139009")
		d.Tenant = tenant
		_, err := e.gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: "d-1", Dial: d, Answered: true, Conversation: true})
		wantStatus(t, err, codes.PermissionDenied, "dial.tenant")
	}
	if _, err := e.gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: "d-1", Dial: okDial("+8613900139009"), Answered: true}); err != nil {
		t.Fatalf("own tenant's outcome: %v", err)
	}
}

// startFull is startTest over the Backend `dialgate serve` builds (profile
// cn, every domain wired) on the data directory dir.
func startFull(t *testing.T, cfg Config, dir string) *testEnv {
	return startTest(t, cfg, func(be *Backend) {
		full, err := Open(context.Background(), Config{Data: dir, Profile: "cn", MetricsListen: "off"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		*be = *full
	})
}

// twoTenantTokens writes a tokens file with two gate tokens, each bound to
// one tenant (acme, globex), and returns its path.
func twoTenantTokens(t *testing.T) string {
	path := t.TempDir() + "/tokens.yaml"
	writeFile(t, path, `tokens:
  - name: acme-dialer
    token: "acme-token-0123456789"
    scopes: [gate]
    tenants: [acme]
  - name: globex-dialer
    token: "globex-token-0123456789"
    scopes: [gate]
    tenants: [globex]
`)
	return path
}

// bearer returns a context carrying token as its bearer token.
func bearer(t *testing.T, token string) context.Context {
	return metadata.AppendToOutgoingContext(ctxT(t), "authorization", "Bearer "+token)
}

// releaseSpy is a Committer that records the decision ids released.
type releaseSpy struct {
	mu       sync.Mutex
	released []string
}

func (r *releaseSpy) Name() string { return "frequency" }
func (r *releaseSpy) Check(context.Context, dialgate.Dial) ([]dialgate.Reason, error) {
	return nil, nil
}
func (r *releaseSpy) Commit(context.Context, dialgate.Dial, string) ([]dialgate.Reason, error) {
	return nil, nil
}
func (r *releaseSpy) Release(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.released = append(r.released, id)
	return nil
}

// TestTokenTenantsRelease: a token bound to tenants may not Release a
// decision of another tenant, even one whose id it learnt (ids are
// unpredictable by default, but a custom id source may not be, and ids travel
// in logs); releasing it would give back that tenant's frequency-cap and
// segment-rate reservations (a wrong allow for the other tenant's next dial).
func TestTokenTenantsRelease(t *testing.T) {
	path := twoTenantTokens(t)
	spy := &releaseSpy{}
	e := startTest(t, Config{TokensFile: path}, func(be *Backend) {
		g, err := dialgate.New([]dialgate.Checker{spy}, dialgate.WithoutAuditLog(), dialgate.WithPolicyVersion("test"))
		if err != nil {
			t.Fatal(err)
		}
		be.Gate = g
	})
	acme, globex := bearer(t, "acme-token-0123456789"), bearer(t, "globex-token-0123456789")
	d := okDial("+8613900139010")
	d.Tenant = "globex"
	r, err := e.gate.Check(globex, &pb.CheckRequest{Dial: d})
	if err != nil || !r.GetDecision().GetAllowed() {
		t.Fatalf("globex check: %v %v", r, err)
	}
	id := r.GetDecision().GetId()
	_, err = e.gate.Release(acme, &pb.ReleaseRequest{DecisionId: id})
	wantStatus(t, err, codes.PermissionDenied, "decision_id")
	spy.mu.Lock()
	got := slices.Clone(spy.released)
	spy.mu.Unlock()
	if len(got) != 0 {
		t.Fatalf("acme's token released globex's decision %s: %v", id, got)
	}
	if _, err := e.gate.Release(globex, &pb.ReleaseRequest{DecisionId: id}); err != nil {
		t.Fatalf("globex releasing its own decision: %v", err)
	}
}

// TestTokenTenantsAdmin: an admin token bound to tenants may not make a write
// that could allow another tenant's dials or lose another tenant's data
// (removing a DNC entry, granting a consent, adding a caller ID, registering
// a recording outside its tenants; lifting any hold), and may make every
// write that only denies more or keeps more (adding a DNC entry in any scope,
// placing a hold). A consent is within its tenants when it is tied to one of
// them (tenant, any scope) or, tied to none, in scope tenant:<its tenant>.
func TestTokenTenantsAdmin(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/tokens.yaml"
	writeFile(t, path, `tokens:
  - name: acme-ops
    token: "acme-ops-token-0123456789"
    scopes: [gate, admin]
    tenants: [acme]
`)
	e := startFull(t, Config{TokensFile: path}, dir)
	ctx := metadata.AppendToOutgoingContext(ctxT(t), "authorization", "Bearer acme-ops-token-0123456789")
	num := "+8613900139020"
	granted := timestamppb.New(time.Now().Add(-time.Hour))
	denied := []struct {
		name, field string
		call        func() error
	}{
		{"remove global DNC entry", "scope", func() error {
			_, err := e.admin.RemoveDncEntry(ctx, &pb.RemoveDncEntryRequest{Number: num, Scope: "global"})
			return err
		}},
		{"remove other tenant's DNC entry", "scope", func() error {
			_, err := e.admin.RemoveDncEntry(ctx, &pb.RemoveDncEntryRequest{Number: num, Scope: "tenant:globex"})
			return err
		}},
		{"grant industry consent", "scope", func() error {
			_, err := e.admin.GrantConsent(ctx, &pb.GrantConsentRequest{Id: "c-ind", Number: num, Scope: "industry:finance",
				Method: pb.ConsentMethod_CONSENT_METHOD_WRITTEN, GrantedAt: granted})
			return err
		}},
		{"grant other tenant's consent", "scope", func() error {
			_, err := e.admin.GrantConsent(ctx, &pb.GrantConsentRequest{Id: "c-glx", Number: num, Scope: "tenant:globex",
				Method: pb.ConsentMethod_CONSENT_METHOD_WRITTEN, GrantedAt: granted})
			return err
		}},
		{"grant consent tied to another tenant", "tenant", func() error {
			_, err := e.admin.GrantConsent(ctx, &pb.GrantConsentRequest{Id: "c-glx-ind", Number: num, Scope: "industry:finance", Tenant: "globex",
				Method: pb.ConsentMethod_CONSENT_METHOD_WRITTEN, GrantedAt: granted, EvidenceUri: "s3://consents/c-glx-ind.pdf"})
			return err
		}},
		{"grant consent tied to another tenant in own tenant scope", "tenant", func() error {
			_, err := e.admin.GrantConsent(ctx, &pb.GrantConsentRequest{Id: "c-glx-ten", Number: num, Scope: "tenant:acme", Tenant: "globex",
				Method: pb.ConsentMethod_CONSENT_METHOD_WRITTEN, GrantedAt: granted, EvidenceUri: "s3://consents/c-glx-ten.pdf"})
			return err
		}},
		{"grant campaign consent tied to no tenant", "scope", func() error {
			_, err := e.admin.GrantConsent(ctx, &pb.GrantConsentRequest{Id: "c-cmp", Number: num, Scope: "campaign:winter",
				Method: pb.ConsentMethod_CONSENT_METHOD_WRITTEN, GrantedAt: granted, EvidenceUri: "s3://consents/c-cmp.pdf"})
			return err
		}},
		{"ledger entry of another tenant", "tenant", func() error {
			_, err := e.admin.AddLedgerEntry(ctx, &pb.AddLedgerEntryRequest{Tenant: "globex", Number: "+861058001234",
				Type: pb.NumberType_NUMBER_TYPE_FIXED, Holder: "Globex", Purposes: []pb.Purpose{pb.Purpose_PURPOSE_SERVICE}})
			return err
		}},
		{"ledger entry of no tenant", "tenant", func() error {
			_, err := e.admin.AddLedgerEntry(ctx, &pb.AddLedgerEntryRequest{Number: "+861058001234",
				Type: pb.NumberType_NUMBER_TYPE_FIXED, Holder: "Anyone", Purposes: []pb.Purpose{pb.Purpose_PURPOSE_SERVICE}})
			return err
		}},
		{"recording of another tenant", "tenant", func() error {
			_, err := e.admin.RegisterRecording(ctx, &pb.RegisterRecordingRequest{Id: "rec-glx", Number: num, StartedAt: granted, Tenant: "globex"})
			return err
		}},
		{"complaint of another tenant", "tenant", func() error {
			_, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: num, Tenant: "globex"})
			return err
		}},
		{"lift a hold", "id", func() error {
			_, err := e.admin.ReleaseRecordingHold(ctx, &pb.ReleaseRecordingHoldRequest{Id: "rec-acme"})
			return err
		}},
	}
	for _, c := range denied {
		t.Run(c.name, func(t *testing.T) { wantStatus(t, c.call(), codes.PermissionDenied, c.field) })
	}
	for _, scope := range []string{"global", "tenant:globex", "tenant:acme"} {
		if _, err := e.admin.AddDncEntry(ctx, &pb.AddDncEntryRequest{Number: num, Scope: scope, Source: "opt_out"}); err != nil {
			t.Errorf("adding a DNC entry in scope %s: %v", scope, err)
		}
	}
	if _, err := e.admin.GrantConsent(ctx, &pb.GrantConsentRequest{Id: "c-acme", Number: num, Scope: "tenant:acme",
		Method: pb.ConsentMethod_CONSENT_METHOD_WRITTEN, GrantedAt: granted, EvidenceUri: "s3://consents/c-acme.pdf"}); err != nil {
		t.Errorf("granting its own tenant's consent: %v", err)
	}
	for i, scope := range []string{"industry:finance", "business:loans", "campaign:winter", "tenant:acme"} {
		id := fmt.Sprintf("c-acme-%d", i)
		if _, err := e.admin.GrantConsent(ctx, &pb.GrantConsentRequest{Id: id, Number: num, Scope: scope, Tenant: "acme",
			Method: pb.ConsentMethod_CONSENT_METHOD_WRITTEN, GrantedAt: granted, EvidenceUri: "s3://consents/" + id + ".pdf"}); err != nil {
			t.Errorf("granting a consent tied to its own tenant in scope %s: %v", scope, err)
		}
	}
	if _, err := e.admin.AddLedgerEntry(ctx, &pb.AddLedgerEntryRequest{Tenant: "acme", Number: "+861058001234",
		Type: pb.NumberType_NUMBER_TYPE_FIXED, Holder: "Acme", Purposes: []pb.Purpose{pb.Purpose_PURPOSE_SERVICE}}); err != nil {
		t.Errorf("its own ledger entry: %v", err)
	}
	if _, err := e.admin.RegisterRecording(ctx, &pb.RegisterRecordingRequest{Id: "rec-acme", Number: num, StartedAt: granted, Tenant: "acme"}); err != nil {
		t.Errorf("its own recording: %v", err)
	}
	if _, err := e.admin.HoldRecording(ctx, &pb.HoldRecordingRequest{Id: "rec-acme", Reason: "complaint"}); err != nil {
		t.Errorf("placing a hold: %v", err)
	}
	for _, tenant := range []string{"acme", ""} {
		if _, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: num, Tenant: tenant}); err != nil {
			t.Errorf("filing a complaint for tenant %q: %v", tenant, err)
		}
	}
}

// TestTokenTenantsOutcomeOtherDecision: a token bound to tenants may not
// report an outcome (link a recording, record a conversation) under a
// decision id it knows to be another tenant's.
func TestTokenTenantsOutcomeOtherDecision(t *testing.T) {
	path := twoTenantTokens(t)
	e := startTest(t, Config{TokensFile: path}, nil)
	acme, globex := bearer(t, "acme-token-0123456789"), bearer(t, "globex-token-0123456789")
	d := okDial("+8613900139021")
	d.Tenant = "globex"
	r, err := e.gate.Check(globex, &pb.CheckRequest{Dial: d})
	if err != nil || !r.GetDecision().GetAllowed() {
		t.Fatalf("globex check: %v %v", r, err)
	}
	id := r.GetDecision().GetId()
	_, err = e.gate.ReportOutcome(acme, &pb.ReportOutcomeRequest{DecisionId: id, Answered: true, RecordingId: "rec-1"})
	wantStatus(t, err, codes.PermissionDenied, "decision_id")
	if _, err := e.gate.ReportOutcome(globex, &pb.ReportOutcomeRequest{DecisionId: id, Answered: true}); err != nil {
		t.Fatalf("globex reporting its own decision: %v", err)
	}
}

// TestTokenTenantsOutcomeDialOfOtherTenant: a token bound to two tenants may
// not report an outcome of one tenant's decision with a dial naming the
// other: the pause the outcome starts goes to its dial's tenant, so the
// decision's own tenant would be left unpaused (a wrong allow of the re-call).
func TestTokenTenantsOutcomeDialOfOtherTenant(t *testing.T) {
	path := t.TempDir() + "/tokens.yaml"
	writeFile(t, path, `tokens:
  - name: bpo-dialer
    token: "bpo-token-0123456789"
    scopes: [gate]
    tenants: [acme, globex]
`)
	e := startTest(t, Config{TokensFile: path}, nil)
	ctx := bearer(t, "bpo-token-0123456789")
	d := okDial("+8613900139022")
	d.Tenant = "acme"
	r, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: d})
	if err != nil || !r.GetDecision().GetAllowed() {
		t.Fatalf("acme check: %v %v", r, err)
	}
	id := r.GetDecision().GetId()
	other := okDial("+8613900139022")
	other.Tenant = "globex"
	_, err = e.gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: id, Dial: other, Answered: true, Conversation: true})
	wantStatus(t, err, codes.InvalidArgument, "dial.tenant")
	if _, err := e.gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: id, Dial: d, Answered: true, Conversation: true}); err != nil {
		t.Fatalf("the outcome with its decision's dial: %v", err)
	}
}

// TestTokenTenantsRecordingLink: a token bound to tenants cannot link
// another tenant's recording to a decision through ReportOutcome: without
// the dial it is PermissionDenied (the recording's tenant cannot be checked),
// with its own dial the other tenant's recording is refused; the owner still
// links its recording.
func TestTokenTenantsRecordingLink(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/tokens.yaml"
	writeFile(t, path, `tokens:
  - name: acme-dialer
    token: "acme-token-0123456789"
    scopes: [gate]
    tenants: [acme]
  - name: globex-ops
    token: "globex-ops-token-0123456789"
    scopes: [gate, admin]
    tenants: [globex]
  - name: ops
    token: "ops-token-0123456789abc"
    scopes: [admin]
`)
	e := startFull(t, Config{TokensFile: path}, dir)
	acme, globex := bearer(t, "acme-token-0123456789"), bearer(t, "globex-ops-token-0123456789")
	started := timestamppb.New(time.Now().Add(-time.Hour))
	if _, err := e.admin.RegisterRecording(globex, &pb.RegisterRecordingRequest{Id: "rec-glx", Number: "+8613900139031", StartedAt: started, Tenant: "globex"}); err != nil {
		t.Fatal(err)
	}
	_, err := e.gate.ReportOutcome(acme, &pb.ReportOutcomeRequest{DecisionId: "acme-made-up", Answered: true, RecordingId: "rec-glx"})
	wantStatus(t, err, codes.PermissionDenied, "dial")
	_, err = e.gate.ReportOutcome(acme, &pb.ReportOutcomeRequest{DecisionId: "acme-made-up", Answered: true, RecordingId: "rec-glx", Dial: okDial("+8613900139031")})
	wantStatus(t, err, codes.InvalidArgument, "recording_id")
	d := okDial("+8613900139031")
	d.Tenant = "globex"
	if _, err := e.gate.ReportOutcome(globex, &pb.ReportOutcomeRequest{DecisionId: "glx-d1", Answered: true, RecordingId: "rec-glx", Dial: d}); err != nil {
		t.Errorf("globex linking its own recording to its decision: %v", err)
	}
	// A recording registered without a tenant, linked by globex, then named
	// by acme: refused without naming globex's decision (an id Release and
	// ReportOutcome take).
	if _, err := e.admin.RegisterRecording(bearer(t, "ops-token-0123456789abc"), &pb.RegisterRecordingRequest{Id: "rec-any", Number: "+8613900139032", StartedAt: started}); err != nil {
		t.Fatal(err)
	}
	d = okDial("+8613900139032")
	d.Tenant = "globex"
	if _, err := e.gate.ReportOutcome(globex, &pb.ReportOutcomeRequest{DecisionId: "glx-secret-d2", Answered: true, RecordingId: "rec-any", Dial: d}); err != nil {
		t.Fatal(err)
	}
	_, err = e.gate.ReportOutcome(acme, &pb.ReportOutcomeRequest{DecisionId: "acme-d3", Answered: true, RecordingId: "rec-any", Dial: okDial("+8613900139032")})
	wantStatus(t, err, codes.InvalidArgument, "recording_id")
	if strings.Contains(err.Error(), "glx-secret-d2") {
		t.Errorf("the refusal names another tenant's decision: %v", err)
	}
}

// TestGrantConsentFutureGrantedAt: a consent dated after the server's clock
// is refused. Stored, it could not be withdrawn until that instant (a
// revocation before granted_at is invalid), and would then allow dials.
func TestGrantConsentFutureGrantedAt(t *testing.T) {
	e := startFull(t, Config{}, t.TempDir())
	ctx := ctxT(t)
	num := "+8613900139021"
	_, err := e.admin.GrantConsent(ctx, &pb.GrantConsentRequest{Id: "c-future", Number: num, Scope: "industry:finance",
		Method: pb.ConsentMethod_CONSENT_METHOD_WRITTEN, EvidenceUri: "s3://consents/c-future.pdf",
		GrantedAt: timestamppb.New(time.Now().Add(8 * time.Hour))}) // "+08:00" local time sent as UTC
	wantStatus(t, err, codes.InvalidArgument, "granted_at")
	// A consent granted in the past is withdrawn at once.
	if _, err := e.admin.GrantConsent(ctx, &pb.GrantConsentRequest{Id: "c-past", Number: num, Scope: "industry:finance",
		Method: pb.ConsentMethod_CONSENT_METHOD_WRITTEN, EvidenceUri: "s3://consents/c-past.pdf",
		GrantedAt: timestamppb.New(time.Now().Add(-time.Minute))}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.RevokeConsent(ctx, &pb.RevokeConsentRequest{Id: "c-past"}); err != nil {
		t.Fatal(err)
	}
}
