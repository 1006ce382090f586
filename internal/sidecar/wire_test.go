package sidecar

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/complaint"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"github.com/dialgate/dialgate/storage/boltstore"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// wireProfile is cn with a dnc section for every purpose, no frequency caps
// (the tests dial one callee several times) but a pause after a conversation
// (an outcome observer that needs the dial), and a calling window of every
// hour (the sidecar decides on the wall clock).
const wireProfile = `schema: dialgate.profile.v1
name: cn-wire
extends: cn
dnc:
  purposes: [marketing, service, callback, collections, survey]
  purposes_cite: {source: U, ref: "wire test profile"}
  hold: {months: 12, cite: {source: U, ref: "wire test profile"}}
frequency:
  caps: [{count: 1000, window: 1m, cite: {source: U, ref: "wire test profile: no cap in the way"}}]
  pause_after_conversation: {window: 7d, cite: {source: U, ref: "wire test profile"}}
schedule:
  windows:
    - days: [mon-sun]
      ranges: ["00:00-24:00"]
      cite: {source: U, ref: "wire test profile: the sidecar runs on the wall clock, so any hour"}
`

const wireFrom = "+861058001234"

type wireEnv struct {
	dir   string
	be    *Backend
	srv   *Server
	gate  pb.GateServiceClient
	admin pb.AdminServiceClient
}

// openWire runs the sidecar as Open wires it (boltstore and audit log in a
// temporary directory) on bufconn. stop shuts it down, closing the store.
func openWire(t *testing.T, profile string) (*wireEnv, func()) {
	t.Helper()
	return openWireIn(t, t.TempDir(), profile)
}

// openWireIn is openWire on dir (its data directory dir/data), so that a
// test can stop the sidecar and run another on the same data.
func openWireIn(t *testing.T, dir, profile string) (*wireEnv, func()) {
	t.Helper()
	path := filepath.Join(dir, "profile.yaml")
	if err := os.WriteFile(path, []byte(profile), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Listen: "127.0.0.1:0", MetricsListen: "off", Data: filepath.Join(dir, "data"), Profile: path}
	be, err := Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(cfg, be, nil)
	if err != nil {
		t.Fatal(err)
	}
	lis := bufconn.Listen(1 << 20)
	go srv.Serve(lis)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}
	t.Cleanup(stop)
	return &wireEnv{dir: dir, be: be, srv: srv, gate: pb.NewGateServiceClient(conn), admin: pb.NewAdminServiceClient(conn)}, stop
}

// callback is an instant callback (allowed at any hour by cn) from wireFrom.
func callback(to string) *pb.Dial {
	return &pb.Dial{To: to, From: wireFrom, Purpose: pb.Purpose_PURPOSE_CALLBACK, LeadId: "crm-7", Tenant: "acme",
		TriggerAt: timestamppb.New(time.Now().Add(-time.Minute))}
}

func codesOf(d *pb.Decision) []string {
	var cs []string
	for _, r := range d.GetReasons() {
		cs = append(cs, r.GetCode())
	}
	return cs
}

func (e *wireEnv) check(t *testing.T, to string) *pb.Decision {
	t.Helper()
	r, err := e.gate.Check(ctxT(t), &pb.CheckRequest{Dial: callback(to)})
	if err != nil {
		t.Fatal(err)
	}
	return r.GetDecision()
}

// auditText returns the bytes of every file of the environment's audit log
// directory, concatenated.
func (e *wireEnv) auditText(t *testing.T) string {
	t.Helper()
	var audit strings.Builder
	err := filepath.WalkDir(filepath.Join(e.dir, "data", AuditDir), func(p string, de os.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		audit.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return audit.String()
}

// allowedCheck is check that fails the test unless the decision allows.
func (e *wireEnv) allowedCheck(t *testing.T, to string) *pb.Decision {
	t.Helper()
	d := e.check(t, to)
	if !d.GetAllowed() {
		t.Fatalf("want allowed, got %v", codesOf(d))
	}
	return d
}

func (e *wireEnv) addLedger(t *testing.T) {
	t.Helper()
	e.addLedgerOf(t, "acme")
}

// addLedgerOf puts wireFrom in tenant's caller-ID ledger.
func (e *wireEnv) addLedgerOf(t *testing.T, tenant string) {
	t.Helper()
	_, err := e.admin.AddLedgerEntry(ctxT(t), &pb.AddLedgerEntryRequest{Tenant: tenant, Number: wireFrom, Type: pb.NumberType_NUMBER_TYPE_FIXED,
		Holder: "Acme Ltd", Purposes: []pb.Purpose{pb.Purpose_PURPOSE_CALLBACK, pb.Purpose_PURPOSE_SERVICE, pb.Purpose_PURPOSE_MARKETING}})
	if err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, err error, code codes.Code, msgPart string) {
	t.Helper()
	if status.Code(err) != code || !strings.Contains(status.Convert(err).Message(), msgPart) {
		t.Fatalf("want %v with %q, got %v", code, msgPart, err)
	}
}

func TestWireChecksOfProfile(t *testing.T) {
	e, _ := openWire(t, wireProfile)
	got := strings.Join(e.be.Gate.CheckNames(), ",")
	for _, want := range []string{"dnc", "callerid", "sweep", "schedule", "frequency", "recording"} {
		if !strings.Contains(got, want) {
			t.Errorf("checks %s lack %s", got, want)
		}
	}
	for _, a := range []struct {
		name string
		ok   bool
	}{{"DNC", e.be.DNC != nil}, {"Ledger", e.be.Ledger != nil}, {"Recordings", e.be.Recordings != nil}, {"Complaints", e.be.Complaints != nil}} {
		if !a.ok {
			t.Errorf("%s admin not wired", a.name)
		}
	}
}

// TestWireLedger: a ledger entry added over the wire allows the next dial at
// once (the callerid check's index is reloaded before the RPC returns).
func TestWireLedger(t *testing.T) {
	e, _ := openWire(t, wireProfile)
	if d := e.check(t, "+8613900139101"); d.GetAllowed() || !strings.Contains(strings.Join(codesOf(d), ","), "callerid.not_in_ledger") {
		t.Fatalf("before the ledger entry: want callerid.not_in_ledger, got %v", d)
	}
	e.addLedger(t)
	// Well within the check's one-second poll interval: only the reload
	// AddLedgerEntry does makes this pass.
	if d := e.check(t, "+8613900139102"); !d.GetAllowed() {
		t.Fatalf("after the ledger entry: want allowed, got %v", codesOf(d))
	}
	// A mobile number as a fixed line is refused, naming the field.
	_, err := e.admin.AddLedgerEntry(ctxT(t), &pb.AddLedgerEntryRequest{Tenant: "acme", Number: "+8613800138000", Type: pb.NumberType_NUMBER_TYPE_FIXED,
		Holder: "Acme Ltd", Purposes: []pb.Purpose{pb.Purpose_PURPOSE_SERVICE}})
	wantCode(t, err, codes.InvalidArgument, "number:")
	_, err = e.admin.AddLedgerEntry(ctxT(t), &pb.AddLedgerEntryRequest{Tenant: "acme", Number: wireFrom, Type: pb.NumberType_NUMBER_TYPE_FIXED,
		Holder: "Acme Ltd", Purposes: []pb.Purpose{pb.Purpose_PURPOSE_SERVICE, pb.Purpose_PURPOSE_SERVICE}})
	wantCode(t, err, codes.InvalidArgument, "purposes[1]")
}

func TestWireRecordings(t *testing.T) {
	e, _ := openWire(t, wireProfile)
	ctx := ctxT(t)
	start := timestamppb.New(time.Now().Add(-time.Hour).Truncate(time.Second))
	reg := &pb.RegisterRecordingRequest{Id: "r-1", Number: "+8613900139201", StartedAt: start, Tenant: "acme"}
	if _, err := e.admin.RegisterRecording(ctx, reg); err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.RegisterRecording(ctx, reg); err != nil {
		t.Fatalf("registering the same recording again: %v", err)
	}
	_, err := e.admin.RegisterRecording(ctx, &pb.RegisterRecordingRequest{Id: "r-1", Number: "+8613900139202", StartedAt: start})
	wantCode(t, err, codes.AlreadyExists, "r-1")
	_, err = e.admin.RegisterRecording(ctx, &pb.RegisterRecordingRequest{Id: "r-2", Number: "+8613900139202", StartedAt: start, RetentionDays: 10})
	wantCode(t, err, codes.InvalidArgument, "retention_days")
	_, err = e.admin.RegisterRecording(ctx, &pb.RegisterRecordingRequest{Id: "r-2", Number: "+8613900139202", StartedAt: timestamppb.New(time.Now().Add(time.Hour))})
	wantCode(t, err, codes.InvalidArgument, "started_at")

	_, err = e.admin.HoldRecording(ctx, &pb.HoldRecordingRequest{Id: "r-9", Reason: "x"})
	wantCode(t, err, codes.NotFound, "r-9")
	if _, err := e.admin.HoldRecording(ctx, &pb.HoldRecordingRequest{Id: "r-1", Reason: "litigation"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.HoldRecording(ctx, &pb.HoldRecordingRequest{Id: "r-1", HoldId: "lit-2", Reason: "litigation"}); err != nil {
		t.Fatal(err)
	}
	// Releasing a hold it does not have, while others are in force.
	_, err = e.admin.ReleaseRecordingHold(ctx, &pb.ReleaseRecordingHoldRequest{Id: "r-1", HoldId: "nope"})
	wantCode(t, err, codes.FailedPrecondition, "admin, lit-2")
	for _, h := range []string{"", "lit-2", "lit-2"} {
		if _, err := e.admin.ReleaseRecordingHold(ctx, &pb.ReleaseRecordingHoldRequest{Id: "r-1", HoldId: h}); err != nil {
			t.Fatalf("release %q: %v", h, err)
		}
	}
	_, err = e.admin.ReleaseRecordingHold(ctx, &pb.ReleaseRecordingHoldRequest{Id: "r-9"})
	wantCode(t, err, codes.NotFound, "r-9")
	rec, err := e.be.Recordings.(recordingAdmin).m.Get(ctx, "r-1")
	// Registered an hour after it started and without ended_at: kept 30 days
	// from the registration, the latest the call can have ended.
	if err != nil || rec.Held() || rec.Tenant != "acme" || rec.RetainUntil.Before(start.AsTime().Add(time.Hour+30*24*time.Hour)) ||
		rec.RetainUntil.After(time.Now().Add(30*24*time.Hour)) {
		t.Fatalf("r-1 = %+v, %v", rec, err)
	}
}

// TestWireComplaint: a complaint lists the number through the gate's dnc
// check, holds the callee's recordings, and is idempotent by complaint_id.
// The callee hash of the complaint, the recording and the audit record is
// the same keyed hash (the audit key).
func TestWireComplaint(t *testing.T) {
	e, stop := openWire(t, wireProfile)
	ctx := ctxT(t)
	e.addLedger(t)
	const num = "+8613900139301"
	if d := e.check(t, num); !d.GetAllowed() {
		t.Fatalf("want allowed before the complaint, got %v", codesOf(d))
	}
	if _, err := e.admin.RegisterRecording(ctx, &pb.RegisterRecordingRequest{Id: "r-c", Number: num, StartedAt: timestamppb.New(time.Now().Add(-time.Minute))}); err != nil {
		t.Fatal(err)
	}
	r, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: num, ComplaintId: "cp-1", Tenant: "acme", Note: "rude", Channel: "web"})
	if err != nil || r.GetComplaintId() != "cp-1" {
		t.Fatalf("FileComplaint: %v %v", r, err)
	}
	if d := e.check(t, num); d.GetAllowed() || codesOf(d)[0] != "dnc.listed" {
		t.Fatalf("want dnc.listed after the complaint, got %v", codesOf(d))
	}
	// The recording is held by the complaint: an admin release cannot lift it.
	_, err = e.admin.ReleaseRecordingHold(ctx, &pb.ReleaseRecordingHoldRequest{Id: "r-c"})
	wantCode(t, err, codes.FailedPrecondition, "complaint:cp-1")
	// A retry returns the same id; the id for another number is refused.
	if r, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: num, ComplaintId: "cp-1"}); err != nil || r.GetComplaintId() != "cp-1" {
		t.Fatalf("retry: %v %v", r, err)
	}
	// A "retry" asking for another scope is refused: the number is listed only in the first filing's scope.
	_, err = e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: num, ComplaintId: "cp-1", Scope: "industry:finance"})
	wantCode(t, err, codes.AlreadyExists, "scope")
	_, err = e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: "+8613900139302", ComplaintId: "cp-1"})
	wantCode(t, err, codes.AlreadyExists, "cp-1")
	_, err = e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: num, Channel: "fax"})
	wantCode(t, err, codes.InvalidArgument, "channel")
	r2, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: "+8613900139303", Scope: "industry:finance"})
	if err != nil || !strings.HasPrefix(r2.GetComplaintId(), "cp-") {
		t.Fatalf("server-chosen id: %v %v", r2, err)
	}
	stop()

	// One key: the complaint's, the recording's and the audit log's hash of
	// the callee are the same.
	kb, err := os.ReadFile(filepath.Join(e.dir, "data", KeysDir, HMACKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(kb)))
	if err != nil {
		t.Fatal(err)
	}
	h, err := auditlog.NewCalleeHasher(key)
	if err != nil {
		t.Fatal(err)
	}
	want := h.HashCallee(dialgate.MustParseNumber(num))
	st, err := boltstore.Open(filepath.Join(e.dir, "data", boltstore.DefaultFileName), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := st.GetComplaint(context.Background(), "cp-1")
	if err != nil || c.Callee != want || !c.DNCListed || len(c.HeldRecordings) != 1 || c.Channel != complaint.ChannelWeb || c.HandleBy.IsZero() {
		t.Fatalf("complaint = %+v, %v (want callee %s)", c, err, want)
	}
	rec, err := st.GetRecording(context.Background(), "r-c")
	if err != nil || rec.Callee != want {
		t.Fatalf("recording = %+v, %v (want callee %s)", rec, err, want)
	}
	audit := e.auditText(t)
	if !strings.Contains(audit, want) {
		t.Fatalf("no audit record carries the callee hash %s", want)
	}
	if strings.Contains(audit, "13900139301") {
		t.Fatal("the raw callee number is in the audit log")
	}
}

// TestWireOutcome: ReportOutcome passes the dial to the outcome observers: a
// conversation pauses the callee, a recording id registers the recording for
// the callee. Without the dial they cannot act and say so.
func TestWireOutcome(t *testing.T) {
	e, _ := openWire(t, wireProfile)
	ctx := ctxT(t)
	e.addLedger(t)
	const num = "+8613900139401"
	d := e.allowedCheck(t, num)
	_, err := e.gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: d.GetId(), Answered: true, Conversation: true})
	wantCode(t, err, codes.InvalidArgument, "dial.to")
	_, err = e.gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: d.GetId(), Answered: true, RecordingId: "r-o"})
	wantCode(t, err, codes.InvalidArgument, "recording_id")
	if d := e.check(t, num); !d.GetAllowed() {
		t.Fatalf("an outcome without the dial paused the callee: %v", codesOf(d))
	}
	_, err = e.gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: d.GetId(), Dial: callback(num), Answered: true, Conversation: true,
		RingDuration: nil, RecordingId: "r-o"})
	if err != nil {
		t.Fatal(err)
	}
	if d := e.check(t, num); d.GetAllowed() || !strings.Contains(strings.Join(codesOf(d), ","), "frequency.capped") {
		t.Fatalf("want frequency.capped after a conversation, got %v", codesOf(d))
	}
	rec, err := e.be.Recordings.(recordingAdmin).m.Get(ctx, "r-o")
	if err != nil || rec.DecisionID != d.GetId() {
		t.Fatalf("recording r-o = %+v, %v; want linked to %s", rec, err, d.GetId())
	}
	// The call was placed (its outcome is reported): releasing it would give
	// back a placed call's capacity.
	_, err = e.gate.Release(ctx, &pb.ReleaseRequest{DecisionId: d.GetId()})
	wantCode(t, err, codes.FailedPrecondition, "placed")
	// A dial never placed is released.
	other := e.allowedCheck(t, "+8613900139402")
	if _, err := e.gate.Release(ctx, &pb.ReleaseRequest{DecisionId: other.GetId()}); err != nil {
		t.Fatal(err)
	}
}

// TestWireAbandonMessage: abandon_message reaches the audit log's outcome
// record with the abandoned call; without abandoned it is InvalidArgument
// naming the field, and nothing is recorded.
func TestWireAbandonMessage(t *testing.T) {
	e, stop := openWire(t, wireProfile)
	ctx := ctxT(t)
	e.addLedger(t)
	const num = "+8613900139451"
	d := e.allowedCheck(t, num)
	_, err := e.gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: d.GetId(), Dial: callback(num), Answered: true, AbandonMessage: true})
	wantCode(t, err, codes.InvalidArgument, "abandon_message")
	if _, err := e.gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: d.GetId(), Dial: callback(num), Answered: true, Abandoned: true, AbandonMessage: true}); err != nil {
		t.Fatal(err)
	}
	stop()
	audit := e.auditText(t)
	if n := strings.Count(audit, `"kind":"outcome"`); n != 1 {
		t.Fatalf("%d outcome records, want 1 (the invalid report is not recorded)", n)
	}
	if !strings.Contains(audit, `"abandoned":true,"abandon_message":true`) {
		t.Fatal("the outcome record does not carry abandon_message")
	}
}

// TestWireUnwired: an admin domain the profile lacks answers Unimplemented
// and says why. Recordings are managed without a recording section too, with
// the 30-day floor.
func TestWireUnwired(t *testing.T) {
	e, _ := openWire(t, "schema: dialgate.profile.v1\nname: cn-bare\nextends: cn\ndnc: null\nrecording: null\n")
	ctx := ctxT(t)
	_, err := e.admin.AddDncEntry(ctx, &pb.AddDncEntryRequest{Number: "+8613900139501", Scope: "global"})
	wantCode(t, err, codes.Unimplemented, "no dnc section")
	_, err = e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: "+8613900139501"})
	wantCode(t, err, codes.Unimplemented, "no dnc section")
	_, err = e.admin.HoldRecording(ctx, &pb.HoldRecordingRequest{Id: "r-1"})
	wantCode(t, err, codes.NotFound, "r-1")
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	end := start.Add(10 * time.Minute)
	if _, err := e.admin.RegisterRecording(ctx, &pb.RegisterRecordingRequest{Id: "r-1", Number: "+8613900139501", StartedAt: timestamppb.New(start),
		EndedAt: timestamppb.New(end)}); err != nil {
		t.Fatal(err)
	}
	rec, err := e.be.Recordings.(recordingAdmin).m.Get(ctx, "r-1")
	if err != nil || !rec.RetainUntil.Equal(end.Add(30*24*time.Hour)) {
		t.Fatalf("r-1 = %+v, %v; want kept 30 days", rec, err)
	}
}

// marketing is a marketing dial in industry finance relying on consentID.
func marketing(to, consentID string) *pb.Dial {
	return &pb.Dial{To: to, From: wireFrom, Purpose: pb.Purpose_PURPOSE_MARKETING, Industry: "finance", Tenant: "acme", ConsentId: consentID}
}

// TestWireConsent: a consent granted over the wire allows marketing dials; a
// revocation denies the very next dial, although the consent check cached
// the record while allowing the one before.
func TestWireConsent(t *testing.T) {
	e, _ := openWire(t, wireProfile)
	if e.be.Consents == nil {
		t.Fatalf("consent admin not wired: %s", e.be.Unwired["consent"])
	}
	ctx := ctxT(t)
	e.addLedger(t)
	const num = "+8613900139601"
	check := func(d *pb.Dial) []string {
		t.Helper()
		r, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: d})
		if err != nil {
			t.Fatal(err)
		}
		return codesOf(r.GetDecision())
	}
	if cs := check(marketing(num, "c-1")); !slices.Contains(cs, "consent.missing") {
		t.Fatalf("before the grant: want consent.missing, got %v", cs)
	}
	hash := strings.Repeat("ab", 32)
	grant := &pb.GrantConsentRequest{Id: "c-1", Number: num, Scope: "industry:finance", Method: pb.ConsentMethod_CONSENT_METHOD_WEB_FORM,
		EvidenceSha256: hash, GrantedAt: timestamppb.New(time.Now().Add(-time.Hour).Truncate(time.Second)), Channel: "website"}
	if _, err := e.admin.GrantConsent(ctx, grant); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ { // the consent check now caches the record
		if cs := check(marketing(num, "c-1")); len(cs) != 0 {
			t.Fatalf("after the grant: want allowed, got %v", cs)
		}
	}
	if _, err := e.admin.GrantConsent(ctx, grant); err != nil {
		t.Fatalf("granting the same consent again: %v", err)
	}
	other := proto.Clone(grant).(*pb.GrantConsentRequest)
	other.Scope = "industry:insurance"
	_, err := e.admin.GrantConsent(ctx, other)
	wantCode(t, err, codes.AlreadyExists, "c-1")

	if _, err := e.admin.RevokeConsent(ctx, &pb.RevokeConsentRequest{Id: "c-1", Channel: "call"}); err != nil {
		t.Fatal(err)
	}
	if cs := check(marketing(num, "c-1")); !slices.Contains(cs, "consent.revoked") {
		t.Fatalf("right after the revocation: want consent.revoked, got %v", cs)
	}
	if _, err := e.admin.RevokeConsent(ctx, &pb.RevokeConsentRequest{Id: "c-1"}); err != nil {
		t.Fatalf("revoking again: %v", err)
	}
	_, err = e.admin.GrantConsent(ctx, grant)
	wantCode(t, err, codes.FailedPrecondition, "new record with a new id")
	_, err = e.admin.RevokeConsent(ctx, &pb.RevokeConsentRequest{Id: "c-9"})
	wantCode(t, err, codes.NotFound, "c-9")

	for _, bad := range []struct {
		mutate func(*pb.GrantConsentRequest)
		field  string
	}{
		{func(g *pb.GrantConsentRequest) { g.Scope = "global" }, "scope"},
		{func(g *pb.GrantConsentRequest) { g.Method = pb.ConsentMethod_CONSENT_METHOD_UNSPECIFIED }, "method"},
		{func(g *pb.GrantConsentRequest) { g.Method = 42 }, "method"},
		{func(g *pb.GrantConsentRequest) { g.EvidenceSha256 = "" }, "evidence_sha256"},
		{func(g *pb.GrantConsentRequest) { g.Method = pb.ConsentMethod_CONSENT_METHOD_WRITTEN }, "evidence_uri"},
		{func(g *pb.GrantConsentRequest) { g.Id = "c 2" }, "id"},
		{func(g *pb.GrantConsentRequest) { g.GrantedAt = nil }, "granted_at"},
	} {
		g := proto.Clone(grant).(*pb.GrantConsentRequest)
		g.Id = "c-2"
		bad.mutate(g)
		_, err := e.admin.GrantConsent(ctx, g)
		wantCode(t, err, codes.InvalidArgument, bad.field)
	}
}

// TestWireConsentTenant: a consent granted over the wire with a tenant is
// stored with it and allows only that tenant's dials in its scope; one
// without a tenant allows every tenant's. A retry of the grant is a success
// only with the same tenant; a malformed tenant, or one contradicting a
// tenant: scope, is InvalidArgument naming tenant.
func TestWireConsentTenant(t *testing.T) {
	e, _ := openWire(t, wireProfile)
	if e.be.Consents == nil {
		t.Fatalf("consent admin not wired: %s", e.be.Unwired["consent"])
	}
	ctx := ctxT(t)
	e.addLedger(t)
	e.addLedgerOf(t, "beta")
	const tied, untied = "+8613900139611", "+8613900139612"
	grant := func(id, num, tenant string) *pb.GrantConsentRequest {
		return &pb.GrantConsentRequest{Id: id, Number: num, Scope: "industry:finance", Tenant: tenant,
			Method: pb.ConsentMethod_CONSENT_METHOD_WEB_FORM, EvidenceSha256: strings.Repeat("ab", 32),
			GrantedAt: timestamppb.New(time.Now().Add(-time.Hour).Truncate(time.Second)), Channel: "website"}
	}
	acme := grant("c-acme", tied, "acme")
	if _, err := e.admin.GrantConsent(ctx, acme); err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.GrantConsent(ctx, grant("c-any", untied, "")); err != nil {
		t.Fatal(err)
	}
	rec, err := e.be.Consents.(consentAdmin).store.Consent(ctx, "c-acme")
	if err != nil || rec.Tenant != "acme" {
		t.Fatalf("stored record %+v, %v; want tenant acme", rec, err)
	}
	dial := func(to, tenant string) *pb.Dial {
		d := marketing(to, "")
		d.Tenant, d.LeadId = tenant, "lead-1"
		return d
	}
	for _, tc := range []struct {
		to, tenant string
		want       string // "" allowed
	}{
		{tied, "acme", ""},
		{tied, "beta", "consent.scope_mismatch"},
		{untied, "acme", ""},
		{untied, "beta", ""},
	} {
		r, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: dial(tc.to, tc.tenant)})
		if err != nil {
			t.Fatal(err)
		}
		cs := codesOf(r.GetDecision())
		if tc.want == "" && (len(cs) != 0 || !r.GetDecision().GetAllowed()) || tc.want != "" && !slices.Contains(cs, tc.want) {
			t.Errorf("dial of %s for tenant %s: codes %v, want %q", tc.to, tc.tenant, cs, tc.want)
		}
	}
	if _, err := e.admin.GrantConsent(ctx, acme); err != nil {
		t.Fatalf("granting the same consent again: %v", err)
	}
	for _, tenant := range []string{"beta", ""} {
		other := proto.Clone(acme).(*pb.GrantConsentRequest)
		other.Tenant = tenant
		_, err := e.admin.GrantConsent(ctx, other)
		wantCode(t, err, codes.AlreadyExists, "c-acme")
	}
	for _, bad := range []func(*pb.GrantConsentRequest){
		func(g *pb.GrantConsentRequest) { g.Tenant = "ac\x01me" },
		func(g *pb.GrantConsentRequest) { g.Tenant = " acme" },
		func(g *pb.GrantConsentRequest) { g.Tenant = strings.Repeat("t", 257) },
		func(g *pb.GrantConsentRequest) { g.Scope = "tenant:beta" },
	} {
		g := proto.Clone(acme).(*pb.GrantConsentRequest)
		g.Id = "c-bad"
		bad(g)
		_, err := e.admin.GrantConsent(ctx, g)
		wantCode(t, err, codes.InvalidArgument, "tenant")
	}
}

// TestWireRevokeBeforeGrant: a withdrawal dated before the grant (clock skew
// between the dialer and the system that captured the consent, a grant sent
// with a wrong zone offset) is never refused: RevokeConsent succeeds, the
// record is revoked as of its grant, the history keeps the instant asked for,
// and the very next Check is denied — also for a revoked_at before 2000 (a
// zero Timestamp filled by mistake), which other requests refuse: that one
// is the server's clock, as an unset one is (TestRevokeConsentUnsetInstantIsNow).
func TestWireRevokeBeforeGrant(t *testing.T) {
	e, _ := openWire(t, wireProfile)
	if e.be.Consents == nil {
		t.Fatalf("consent admin not wired: %s", e.be.Unwired["consent"])
	}
	ctx := ctxT(t)
	e.addLedger(t)
	store := e.be.Consents.(consentAdmin).store
	granted := time.Now().Add(-time.Hour).Truncate(time.Second)
	for i, requested := range []time.Time{granted.Add(-48 * time.Hour), granted.Add(-time.Second), time.Unix(0, 0)} {
		num := fmt.Sprintf("+86139001397%02d", i)
		id := fmt.Sprintf("c-early-%d", i)
		grant := &pb.GrantConsentRequest{Id: id, Number: num, Scope: "industry:finance", Method: pb.ConsentMethod_CONSENT_METHOD_WEB_FORM,
			EvidenceSha256: strings.Repeat("ab", 32), GrantedAt: timestamppb.New(granted), Channel: "website"}
		if _, err := e.admin.GrantConsent(ctx, grant); err != nil {
			t.Fatal(err)
		}
		// The consent check now caches the record.
		if r, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: marketing(num, id)}); err != nil || !r.GetDecision().GetAllowed() {
			t.Fatalf("%s: before the revocation: want allowed, got %v %v", id, codesOf(r.GetDecision()), err)
		}
		before := time.Now()
		if _, err := e.admin.RevokeConsent(ctx, &pb.RevokeConsentRequest{Id: id, RevokedAt: timestamppb.New(requested), Channel: "call"}); err != nil {
			t.Fatalf("%s: RevokeConsent with revoked_at %s before granted_at %s = %v, want OK", id, requested, granted, err)
		}
		if r, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: marketing(num, id)}); err != nil || r.GetDecision().GetAllowed() ||
			!slices.Contains(codesOf(r.GetDecision()), "consent.revoked") {
			t.Fatalf("%s: right after the revocation: want consent.revoked, got %v %v", id, codesOf(r.GetDecision()), err)
		}
		after := time.Now()
		rec, err := store.Consent(ctx, id)
		n, _ := dialgate.ParseNumber(num)
		if requested.Before(minTimestamp) {
			// Unset: the server's clock.
			if err != nil || rec.RevokedAt.Before(before) || rec.RevokedAt.After(after) || rec.RevocationChannel != "call" {
				t.Fatalf("%s: stored record %+v, %v; want revoked at the server's clock (%s to %s) through call", id, rec, err, before, after)
			}
			hist, err := store.ConsentHistory(ctx, n)
			if err != nil || len(hist) != 2 || !hist[1].At.Equal(rec.RevokedAt) || !hist[1].RequestedAt.IsZero() {
				t.Fatalf("%s: history %+v, %v; want the revocation at %s without requested_at", id, hist, err, rec.RevokedAt)
			}
			continue
		}
		if err != nil || !rec.RevokedAt.Equal(granted) || rec.RevocationChannel != "call" {
			t.Fatalf("%s: stored record %+v, %v; want revoked as of granted_at %s through call", id, rec, err, granted)
		}
		hist, err := store.ConsentHistory(ctx, n)
		if err != nil || len(hist) != 2 || !hist[1].At.Equal(granted) || !hist[1].RequestedAt.Equal(requested) {
			t.Fatalf("%s: history %+v, %v; want the revocation at granted_at with requested_at %s", id, hist, err, requested)
		}
	}
}
