package sidecar

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"golang.org/x/mod/sumdb/note"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// opsToken writes a tokens file with one token of both scopes, bound to no
// tenant, named "ops-desk", and returns its path.
func opsToken(t *testing.T) string {
	path := t.TempDir() + "/tokens.yaml"
	writeFile(t, path, `tokens:
  - name: ops-desk
    token: "ops-desk-token-0123456789"
    scopes: [gate, admin]
`)
	return path
}

// auditChanges seals the audit log of the data directory dir (served by e),
// verifies it with its signer's public key and returns its change records
// in order, with the verification report and the log's bytes.
func auditChanges(t *testing.T, e *testEnv, dir string) ([]auditlog.ChangeRecord, *auditlog.Report, []byte) {
	t.Helper()
	ctx := ctxT(t)
	if _, err := e.srv.be.Changes.(*watchedAudit).Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	vkey, err := os.ReadFile(filepath.Join(dir, KeysDir, SignerPubFile))
	if err != nil {
		t.Fatal(err)
	}
	v, err := auditlog.NewVerifier(strings.TrimSpace(string(vkey)))
	if err != nil {
		t.Fatal(err)
	}
	files, err := auditlog.LogFiles(filepath.Join(dir, AuditDir))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := auditlog.Verify(ctx, files, auditlog.VerifyOptions{Verifiers: note.VerifierList(v)})
	if err != nil {
		t.Fatalf("audit verify: %v", err)
	}
	var all []byte
	var out []auditlog.ChangeRecord
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
		for _, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
			l, err := auditlog.ParseLine(line)
			if err != nil {
				t.Fatal(err)
			}
			if l.Change != nil {
				out = append(out, *l.Change)
			}
		}
	}
	return out, rep, all
}

// TestAdminChangesRecorded: every AdminService write is recorded in the
// audit log, one record for a change that can only deny more (applied,
// then recorded) and two for one that may allow more (requested, then
// applied or failed, with one change id), with the token's name, the
// number only as the callee's keyed hash and segment, and the log mixing
// decisions and changes verifies.
func TestAdminChangesRecorded(t *testing.T) {
	dir := t.TempDir()
	e := startFull(t, Config{TokensFile: opsToken(t)}, dir)
	ctx := bearer(t, "ops-desk-token-0123456789")
	const num, other = "+8613900139071", "+8613900139072"
	now := time.Now()
	if _, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: okDial(num)}); err != nil {
		t.Fatal(err)
	}
	calls := []struct {
		name string
		call func() error
	}{
		{"add", func() error {
			_, err := e.admin.AddDncEntry(ctx, &pb.AddDncEntryRequest{Number: num, Scope: "global", Source: "agent"})
			return err
		}},
		{"remove held", func() error { // inside the cn hold: refused
			_, err := e.admin.RemoveDncEntry(ctx, &pb.RemoveDncEntryRequest{Number: num, Scope: "global"})
			return err
		}},
		{"add old", func() error {
			_, err := e.admin.AddDncEntry(ctx, &pb.AddDncEntryRequest{Number: other, Scope: "tenant:acme", AddedAt: timestamppb.New(now.AddDate(-6, 0, 0))})
			return err
		}},
		{"remove", func() error {
			_, err := e.admin.RemoveDncEntry(ctx, &pb.RemoveDncEntryRequest{Number: other, Scope: "tenant:acme"})
			return err
		}},
		{"grant", func() error {
			_, err := e.admin.GrantConsent(ctx, &pb.GrantConsentRequest{Id: "c-audit-1", Number: num, Scope: "tenant:acme", Tenant: "acme",
				Method: pb.ConsentMethod_CONSENT_METHOD_WEB_FORM, GrantedAt: timestamppb.New(now.Add(-time.Hour)), Channel: "web",
				EvidenceSha256: strings.Repeat("ab", 32)})
			return err
		}},
		{"revoke", func() error {
			_, err := e.admin.RevokeConsent(ctx, &pb.RevokeConsentRequest{Id: "c-audit-1", Channel: "call"})
			return err
		}},
		{"ledger", func() error {
			_, err := e.admin.AddLedgerEntry(ctx, &pb.AddLedgerEntryRequest{Tenant: "acme", Number: "+861058001234", Type: pb.NumberType_NUMBER_TYPE_FIXED,
				Holder: "Acme Ltd", Purposes: []pb.Purpose{pb.Purpose_PURPOSE_SERVICE}})
			return err
		}},
		{"complaint", func() error {
			_, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: num, Tenant: "acme", ComplaintId: "cp-audit-1", Channel: "web"})
			return err
		}},
		{"register", func() error {
			_, err := e.admin.RegisterRecording(ctx, &pb.RegisterRecordingRequest{Id: "rec-audit-1", Number: num, Tenant: "acme",
				StartedAt: timestamppb.New(now.Add(-time.Minute))})
			return err
		}},
		{"hold", func() error {
			_, err := e.admin.HoldRecording(ctx, &pb.HoldRecordingRequest{Id: "rec-audit-1", HoldId: "legal-7", Reason: "dispute"})
			return err
		}},
		{"end", func() error {
			_, err := e.admin.EndRecording(ctx, &pb.EndRecordingRequest{Id: "rec-audit-1", EndedAt: timestamppb.New(now)})
			return err
		}},
		{"release", func() error {
			_, err := e.admin.ReleaseRecordingHold(ctx, &pb.ReleaseRecordingHoldRequest{Id: "rec-audit-1", HoldId: "legal-7"})
			return err
		}},
	}
	for _, c := range calls {
		err := c.call()
		if c.name == "remove held" {
			wantStatus(t, err, codes.FailedPrecondition, "held")
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
	got, rep, raw := auditChanges(t, e, dir)
	type want struct{ op, result, scope, id, tenant, source, holdID, code string }
	wants := []want{
		{op: auditlog.OpDNCAdd, result: auditlog.ResultApplied, scope: "global", source: "agent"},
		{op: auditlog.OpDNCRemove, result: auditlog.ResultRequested, scope: "global"},
		{op: auditlog.OpDNCRemove, result: auditlog.ResultFailed, scope: "global", code: "FailedPrecondition"},
		{op: auditlog.OpDNCAdd, result: auditlog.ResultApplied, scope: "tenant:acme"},
		{op: auditlog.OpDNCRemove, result: auditlog.ResultRequested, scope: "tenant:acme"},
		{op: auditlog.OpDNCRemove, result: auditlog.ResultApplied, scope: "tenant:acme"},
		{op: auditlog.OpConsentGrant, result: auditlog.ResultRequested, scope: "tenant:acme", id: "c-audit-1", tenant: "acme", source: "web"},
		{op: auditlog.OpConsentGrant, result: auditlog.ResultApplied, scope: "tenant:acme", id: "c-audit-1", tenant: "acme", source: "web"},
		{op: auditlog.OpConsentRevoke, result: auditlog.ResultApplied, id: "c-audit-1", source: "call"},
		{op: auditlog.OpLedgerAdd, result: auditlog.ResultRequested, tenant: "acme"},
		{op: auditlog.OpLedgerAdd, result: auditlog.ResultApplied, tenant: "acme"},
		{op: auditlog.OpComplaintFile, result: auditlog.ResultApplied, scope: "global", id: "cp-audit-1", tenant: "acme", source: "web"},
		{op: auditlog.OpRecordingRegister, result: auditlog.ResultApplied, id: "rec-audit-1", tenant: "acme"},
		{op: auditlog.OpRecordingHold, result: auditlog.ResultApplied, id: "rec-audit-1", holdID: "legal-7"},
		{op: auditlog.OpRecordingEnd, result: auditlog.ResultRequested, id: "rec-audit-1"},
		{op: auditlog.OpRecordingEnd, result: auditlog.ResultApplied, id: "rec-audit-1"},
		{op: auditlog.OpRecordingReleaseHold, result: auditlog.ResultRequested, id: "rec-audit-1", holdID: "legal-7"},
		{op: auditlog.OpRecordingReleaseHold, result: auditlog.ResultApplied, id: "rec-audit-1", holdID: "legal-7"},
	}
	if len(got) != len(wants) {
		for _, g := range got {
			t.Logf("%s %s", g.Op, g.Result)
		}
		t.Fatalf("%d change records, want %d", len(got), len(wants))
	}
	if rep.Changes != int64(len(wants)) || rep.Decisions < 1 {
		t.Errorf("verify report: %d changes, %d decisions", rep.Changes, rep.Decisions)
	}
	keys, err := LoadKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	callee := func(n string) auditlog.Callee {
		num := dialgate.MustParseNumber(n)
		return auditlog.Callee{HMAC: auditlog.CalleeHMAC(keys.HMAC, num), KeyID: keys.HMACKeyID, CountryCode: 86, Segment: auditlog.Segment(num)}
	}
	for i, w := range wants {
		g := got[i]
		if g.Op != w.op || g.Result != w.result || g.Scope != w.scope || g.ID != w.id || g.Tenant != w.tenant || g.Source != w.source ||
			g.HoldID != w.holdID || g.ErrorCode != w.code || g.Actor != "ops-desk" || g.ChangeID == "" ||
			g.At.Before(now.Add(-time.Second)) || g.At.After(time.Now()) {
			t.Errorf("record %d: %+v, want %+v", i, g, w)
		}
		if w.result != auditlog.ResultRequested && i > 0 && got[i-1].Result == auditlog.ResultRequested && got[i-1].ChangeID != g.ChangeID {
			t.Errorf("record %d: change id %s, its request's %s", i, g.ChangeID, got[i-1].ChangeID)
		}
		switch w.op {
		case auditlog.OpDNCAdd, auditlog.OpDNCRemove, auditlog.OpConsentGrant, auditlog.OpConsentRevoke, auditlog.OpComplaintFile, auditlog.OpRecordingRegister:
			n := num
			if w.scope == "tenant:acme" && strings.HasPrefix(w.op, "dnc.") {
				n = other
			}
			if g.Callee == nil || *g.Callee != callee(n) {
				t.Errorf("record %d (%s): callee %+v, want %+v", i, w.op, g.Callee, callee(n))
			}
		case auditlog.OpLedgerAdd:
			if g.Callee != nil || g.CallerID != "+861058001234" {
				t.Errorf("ledger record: callee %+v caller id %q", g.Callee, g.CallerID)
			}
		default:
			if g.Callee != nil {
				t.Errorf("record %d (%s): callee %+v, want none", i, w.op, g.Callee)
			}
		}
	}
	if !got[3].EffectiveAt.Before(now.AddDate(-5, 0, 0)) {
		t.Errorf("dnc.add effective_at %s, want the added_at given", got[3].EffectiveAt)
	}
	for _, n := range []string{num, other} {
		if bytes.Contains(raw, []byte(n[3:])) {
			t.Errorf("the audit log holds the raw number %s", n)
		}
	}
	if bytes.Contains(raw, []byte("ops-desk-token")) {
		t.Error("the audit log holds the token")
	}
}

// failingChanges is a ChangeRecorder that fails from its nth call on (0:
// every call), counting the records written before.
type failingChanges struct {
	mu      sync.Mutex
	from    int
	calls   int
	written []auditlog.Change
}

func (f *failingChanges) RecordChange(_ context.Context, c auditlog.Change) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls > f.from {
		return auditlog.ErrFailed
	}
	f.written = append(f.written, c)
	return nil
}

// TestAdminChangeUnrecorded: with the audit log failed, an opt-out added is
// still in force (an opt-out is never refused for the log) but the RPC says
// it was not recorded; a removal is not made (Unavailable, "not applied")
// and the number stays listed; a removal whose request was recorded but
// whose completion was not is in force and says so.
func TestAdminChangeUnrecorded(t *testing.T) {
	fc := &failingChanges{}
	e := startTest(t, Config{}, func(be *Backend) { be.Changes = fc })
	ctx := ctxT(t)
	const num = "+8613900139081"
	_, err := e.admin.AddDncEntry(ctx, &pb.AddDncEntryRequest{Number: num, Scope: "global"})
	wantStatus(t, err, codes.Unavailable, "applied and in force, but not recorded")
	if !listed(e.dnc, num) {
		t.Fatal("the opt-out was not added")
	}
	_, err = e.admin.RemoveDncEntry(ctx, &pb.RemoveDncEntryRequest{Number: num, Scope: "global"})
	wantStatus(t, err, codes.Unavailable, "not applied: the audit log could not record it")
	if !listed(e.dnc, num) {
		t.Fatal("a removal that could not be recorded was made")
	}
	if r, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: okDial(num)}); err != nil || r.GetDecision().GetAllowed() {
		t.Fatalf("the number is allowed after an unrecorded removal: %v %v", r, err)
	}
	// The request is recorded, its completion is not.
	fc.mu.Lock()
	fc.from, fc.calls = 1, 0
	fc.mu.Unlock()
	_, err = e.admin.RemoveDncEntry(ctx, &pb.RemoveDncEntryRequest{Number: num, Scope: "global"})
	wantStatus(t, err, codes.Unavailable, "applied and in force (recorded as requested")
	if listed(e.dnc, num) {
		t.Fatal("the recorded removal was not made")
	}
	if len(fc.written) != 1 || fc.written[0].Op != auditlog.OpDNCRemove || fc.written[0].Result != auditlog.ResultRequested {
		t.Fatalf("records: %+v", fc.written)
	}
}

// TestAdminChangeClosedLog: with the sidecar's own audit log closed (a
// failed disk, as far as writers can tell), RemoveDncEntry is refused and
// the opt-out still denies; AddDncEntry lists the number and says the
// record is missing.
func TestAdminChangeClosedLog(t *testing.T) {
	dir := t.TempDir()
	e := startFull(t, Config{}, dir)
	ctx := ctxT(t)
	const num, added = "+8613900139082", "+8613900139083"
	if _, err := e.admin.AddDncEntry(ctx, &pb.AddDncEntryRequest{Number: num, Scope: "global",
		AddedAt: timestamppb.New(time.Now().AddDate(-3, 0, 0))}); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.be.Changes.(*watchedAudit).Log.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := e.admin.RemoveDncEntry(ctx, &pb.RemoveDncEntryRequest{Number: num, Scope: "global"})
	wantStatus(t, err, codes.Unavailable, "not applied")
	es, err := e.srv.be.DNC.(dncAdmin).c.Lists().Lookup(ctx, dialgate.MustParseNumber(num))
	if err != nil || len(es) != 1 {
		t.Fatalf("entries after the refused removal: %v, %v", es, err)
	}
	_, err = e.admin.AddDncEntry(ctx, &pb.AddDncEntryRequest{Number: added, Scope: "global"})
	wantStatus(t, err, codes.Unavailable, "applied and in force")
	if es, err := e.srv.be.DNC.(dncAdmin).c.Lists().Lookup(ctx, dialgate.MustParseNumber(added)); err != nil || len(es) != 1 {
		t.Fatalf("the opt-out added while the log is closed: %v, %v", es, err)
	}
	if !errors.Is(*e.srv.be.Changes.(*watchedAudit).failed.Load(), auditlog.ErrClosed) {
		t.Error("the audit probe does not see the failure")
	}
}

// listed reports whether f lists num.
func listed(f *fakeDNC, num string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.listed[dialgate.MustParseNumber(num)]
}

// cancelFirst is a ChangeRecorder whose first write ends with the client's
// context (the record may still be written), and which records the others.
type cancelFirst struct {
	failingChanges
}

func (c *cancelFirst) RecordChange(ctx context.Context, ch auditlog.Change) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.calls == 1 {
		return context.Canceled
	}
	c.written = append(c.written, ch)
	return nil
}

// TestAdminChangeRequestUnconfirmed: a removal whose request record was not
// confirmed before the client gave up is not made, and its end is recorded
// (failed, Canceled), so that the request does not read as possibly made.
func TestAdminChangeRequestUnconfirmed(t *testing.T) {
	cf := &cancelFirst{}
	e := startTest(t, Config{}, func(be *Backend) { be.Changes = cf })
	ctx := ctxT(t)
	const num = "+8613900139084"
	if _, err := e.admin.AddDncEntry(ctx, &pb.AddDncEntryRequest{Number: num, Scope: "global"}); err == nil {
		t.Fatal("the add's record was cancelled, yet the add answered OK")
	}
	cf.mu.Lock()
	cf.calls, cf.written = 0, nil
	cf.mu.Unlock()
	_, err := e.admin.RemoveDncEntry(ctx, &pb.RemoveDncEntryRequest{Number: num, Scope: "global"})
	wantStatus(t, err, codes.Unavailable, "not applied")
	if !listed(e.dnc, num) {
		t.Fatal("the removal was made")
	}
	cf.mu.Lock()
	defer cf.mu.Unlock()
	if len(cf.written) != 1 || cf.written[0].Result != auditlog.ResultFailed || cf.written[0].ErrorCode != "Canceled" {
		t.Fatalf("records: %+v", cf.written)
	}
}
